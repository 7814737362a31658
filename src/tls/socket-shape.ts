/** The one thing src/tls/ needs from a ZeroMQ socket: the `zeromq` v6 send/receive shape (shared). */
export type { MessageSocket } from "../socket/message-socket.js"

/** REQ adds and strips the empty delimiter itself; DEALER needs it written and read. */
export type ClientEnvelope = "request" | "dealer"

/**
 * Which kind of client socket this is, from Ironhouse's `socketType` ("REQ", "DEALER") or
 * `zeromq`'s `type` (ZMQ_REQ = 3, ZMQ_DEALER = 5); undefined when neither says.
 */
export function detectEnvelope(socket: object): ClientEnvelope | undefined {
  const named = (socket as { socketType?: unknown }).socketType
  if (named === "REQ") return "request"
  if (named === "DEALER") return "dealer"
  const numbered = (socket as { type?: unknown }).type
  if (numbered === 3) return "request"
  if (numbered === 5) return "dealer"
  return undefined
}

/** Received frames as Buffers: views of the same memory (no copy; Ironhouse's and zeromq's are Buffers already). */
export function asBufferFrames(frames: Uint8Array[]): Buffer[] {
  return frames.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f.buffer, f.byteOffset, f.byteLength)))
}
