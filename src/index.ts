/**
 * Ironhouse: ZeroMQ with its security built in, in pure TypeScript.
 *
 * This entry point exports the public API. The sans-IO core (wire codec, mechanisms, the
 * connection engine) is exported too, for embedding Ironhouse in other transports.
 */
export { ErrorCode, ProtocolError, AuthError } from "./errors.js"
// zeromq-style `version` (libzmq behaviour level) and `capability` (issue 15 item 1)
export { version, ironhouseVersion, capability } from "./version.js"
export { z85Encode, z85Decode } from "./wire/z85.js"
export { curveKeyPair, curvePublicKey } from "./crypto/keys.js"
// Issue 7 defect 8: the crypto backend loads without a top-level await; see src/crypto/index.ts.
export { cryptoReady, useCryptoBackend, type BackendName } from "./crypto/index.js"
export { DEFAULT_LIMITS, type Limits, type Frame, type Metadata } from "./wire/types.js"
export { getProperty, makeMetadata } from "./wire/metadata.js"
export type { AuthRequest, AuthReply, Authenticate } from "./mechanism/mechanism.js"
export type { SecurityOptions } from "./mechanism/index.js"
export {
  Connection,
  type ConnectionOptions,
  type ConnectionEvent,
  type PeerInfo,
} from "./engine/connection.js"
export { StreamConnection, type StreamConnectionHandlers } from "./transport/stream-connection.js"

// ---- Sockets (issue 3): the zeromq-compatible socket API over tcp:// and ipc:// ----------------
export {
  Socket,
  Pair,
  Push,
  Pull,
  Request,
  Reply,
  Dealer,
  Router,
  Publisher,
  Subscriber,
  XPublisher,
  XSubscriber,
  Context,
  context,
  Observer,
  SocketError,
  SocketErrorCode,
  type MessageWithPeer,
  type OperationOptions,
  type PairOptions,
  type PushOptions,
  type PullOptions,
  type RequestOptions,
  type ReplyOptions,
  type DealerOptions,
  type RouterOptions,
  type RouterConnectOptions,
  type PublisherOptions,
  type SubscriberOptions,
  type XPublisherOptions,
  type XSubscriberOptions,
  type ContextOptions,
  type SocketEvent,
  type SocketEventType,
  type SocketEventOfType,
  type MessageLike,
  type Message,
  type SocketOptions,
  type WritableSocketOptions,
  type ReadableSocketOptions,
} from "./socket/index.js"

// ---- Authentication (issue 4): ZAP, the authenticator, certificates ------------------------------
export {
  Authenticator,
  ANY_DOMAIN,
  type AuthDecision,
  type AuthenticatorOptions,
  type CurveConfiguration,
  type CurveKeyCheck,
  type CurveAcceptance,
  type PlainConfiguration,
} from "./auth/authenticator.js"
export { AddressFilter } from "./auth/address-filter.js"
export { PasswordFile, PasswordFileError } from "./auth/password-file.js"
export { zapProtocolClient, type ZapProtocolHandler } from "./auth/zap-client.js"
export { answerZapRequest } from "./auth/zap-handler.js"
export { serveZeromqZap, type ZeromqZapServer } from "./auth/zeromq-zap.js"
export { Certificate, CertificateError, CertificateStore } from "./cert/index.js"

// ---- Proxy (issue 8): forwarding between two sockets, zeromq v6 shape ---------------------------
export { Proxy, type ProxyOptions, type ProxyStatistics } from "./socket/index.js"
// ---- Stream (issue 8): raw TCP with [routingId, data] messages, zeromq v6 shape -----------------
export { Stream, type StreamOptions, type StreamConnectOptions } from "./socket/index.js"
// ---- End-to-end CurveZMQ (issue 9): RFC 26 sessions carried in messages, across brokers ----------
export {
  CurveZmqClient,
  CurveZmqServer,
  E2eClientSession,
  E2eServerCore,
  E2eCode,
  E2eError,
  NO_SESSION_REASON,
  type CurveZmqClientOptions,
  type CurveZmqServerOptions,
  type E2eClientOptions,
  type E2eClientOutput,
  type E2eServerOptions,
  type E2eServerOutput,
  type E2eEvent,
  type E2eEventType,
  type E2eIncoming,
  type E2ePeer,
  type MessageSocket,
} from "./e2e/index.js"

// ---- Secure gateway (issue 12): `ironhouse gateway` as a library -----------------------------
export {
  Gateway,
  type GatewayOptions,
  loadGatewayConfig,
  parseConfig as parseGatewayConfig,
  planGateway,
  formatProblem as formatGatewayProblem,
  describePlan as describeGatewayPlan,
  openAudit as openGatewayAudit,
  memoryAudit as memoryGatewayAudit,
  GatewayMetrics,
  type ConfigProblem as GatewayConfigProblem,
  type GatewayConfig,
  type GatewayPlan,
  type RoutePlan as GatewayRoutePlan,
  type LoadedGateway,
  type AuditSink as GatewayAuditSink,
} from "./gateway/index.js"
// ---- TLS over ZeroMQ messages (issue 11): Node's OpenSSL per peer, TLSZMQ-compatible ----------
export {
  TlsServer,
  TlsServerSession,
  TlsClient,
  TlsEndReason,
  TlsSessionError,
  type TlsServerOptions,
  type TlsServerMessage,
  type TlsServerEvents,
  type TlsReply,
  type TlsClientOptions,
  type TlsClientEvents,
  type TlsPeer,
  type TlsFraming,
  type TlsMessageOptions,
} from "./tls/index.js"
// ---- Drop-in for `zeromq` (issue 15): its type names for events ------------------------------
export type { SocketEvent as Event, SocketEventType as EventType, SocketEventOfType as EventOfType } from "./socket/index.js"
// ---- Stream access (issue 10): encrypted pub/sub with reader access control ----------------------
export {
  SecurePublisher,
  SecureSubscriber,
  StreamWriter,
  StreamReader,
  KeyTree,
  type SecurePublisherOptions,
  type SecureSubscriberOptions,
  type ReaderEvent,
  type RejectReason,
  type RejectedInfo,
  type CommitInfo,
} from "./stream-access/index.js"
export { signKeyPair, type SigningKeyPair } from "./crypto/sign.js"
