/**
 * TLS over ZeroMQ messages (issue 11): a TLS 1.3 (or 1.2) session per peer with Node's OpenSSL,
 * carried in ZeroMQ messages, TLSZMQ-compatible in lockstep mode.
 *
 * Pure core: ./framing.ts, ./record.ts, ./envelope.ts, ./session-table.ts.
 * Adapters: ./session.ts (TLSSocket over a Duplex), ./server.ts, ./client.ts.
 */
export { TlsServer, TlsServerSession, type TlsServerOptions, type TlsServerMessage, type TlsServerEvents, type TlsReply } from "./server.js"
export { TlsClient, type TlsClientOptions, type TlsClientEvents } from "./client.js"
export { TlsEndReason, TlsSessionError } from "./errors.js"
export type { TlsPeer, TlsFraming } from "./session.js"
export type { TlsMessageOptions } from "./options.js"
export type { MessageSocket, ClientEnvelope } from "./socket-shape.js"
export { FrameDecoder, FramingError, encodeMessage, DEFAULT_FRAME_LIMITS, type FrameLimits } from "./framing.js"
export { isClientHello, isServerHello, fatalAlert, RecordBoundary } from "./record.js"
export { parseRequest, replyFrames, RequestProblem } from "./envelope.js"
export { SessionTable } from "./session-table.js"
