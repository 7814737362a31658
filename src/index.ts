/**
 * Ironhouse: ZeroMQ with its security built in, in pure TypeScript.
 *
 * This entry point exports the public API. The sans-IO core (wire codec, mechanisms, the
 * connection engine) is exported too, for embedding Ironhouse in other transports.
 */
export { ErrorCode, ProtocolError, AuthError } from "./errors.js"
export { z85Encode, z85Decode } from "./wire/z85.js"
export { curveKeyPair, curvePublicKey } from "./crypto/keys.js"
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
