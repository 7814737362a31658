/** End-to-end CurveZMQ (RFC 26 sessions carried in messages): sans-IO cores and socket adapters. */
export { E2eClientSession, NO_SESSION_REASON, type E2eClientOptions, type E2eClientOutput } from "./client-session.js"
export { E2eServerCore, envelopeKey, type E2ePeer, type E2eServerOptions, type E2eServerOutput } from "./server-sessions.js"
export { CookieKeyring } from "./cookie-keys.js"
export { E2eCode, E2eError, type E2eEvent, type E2eEventType } from "./events.js"
export type { MessageInput } from "./common.js"
export {
  CurveZmqClient,
  CurveZmqServer,
  type CurveZmqClientOptions,
  type CurveZmqServerOptions,
  type E2eIncoming,
  type MessageSocket,
} from "./socket.js"
