/**
 * The security mechanisms, and the one factory the engine uses to pick one for a connection.
 * Pure (no node:* imports).
 */
import { argumentError, describeValue } from "../errors.js"
import { Mechanism, type MechanismName } from "../wire/constants.js"
import { CurveClient } from "./curve-client.js"
import { CurveServer } from "./curve-server.js"
import type { MechanismOptions, SecurityMechanism } from "./mechanism.js"
import { NullMechanism } from "./null.js"
import { PlainClient } from "./plain-client.js"
import { PlainServer } from "./plain-server.js"

export type {
  Authenticate,
  AuthReply,
  AuthRequest,
  MechanismEnvironment,
  MechanismOptions,
  MechanismOutput,
  SecurityMechanism,
} from "./mechanism.js"
export { NullMechanism } from "./null.js"
export { PlainClient } from "./plain-client.js"
export { PlainServer } from "./plain-server.js"
export { CurveClient, type CurveClientKeys } from "./curve-client.js"
export { CurveServer, type CurveServerKeys } from "./curve-server.js"

/** Mechanism, role and credentials of one side (socket options ZMQ_MECHANISM & co). */
export interface SecurityOptions {
  mechanism: MechanismName
  /** ZMQ_PLAIN_SERVER / ZMQ_CURVE_SERVER (ignored by NULL except to decide who authenticates). */
  asServer: boolean
  /** PLAIN client: ZMQ_PLAIN_USERNAME (at most 255 UTF-8 octets). */
  plainUsername?: string
  /** PLAIN client: ZMQ_PLAIN_PASSWORD (at most 255 UTF-8 octets). */
  plainPassword?: string
  /** CURVE: ZMQ_CURVE_PUBLICKEY, our long-term public key (32 octets). */
  curvePublicKey?: Uint8Array
  /** CURVE: ZMQ_CURVE_SECRETKEY, our long-term secret key (32 octets). */
  curveSecretKey?: Uint8Array
  /** CURVE client: ZMQ_CURVE_SERVERKEY, the server's long-term public key (32 octets). */
  curveServerKey?: Uint8Array
}

/**
 * A fresh mechanism for one connection. TypeError/RangeError for an unknown mechanism or a
 * missing/malformed credential (never printing it).
 */
export function createMechanism(security: SecurityOptions, options: MechanismOptions): SecurityMechanism {
  if (typeof security !== "object" || security === null) {
    throw argumentError("type", `expected security options as an object, got ${describeValue(security)}`)
  }
  const asServer = security.asServer === true
  switch (security.mechanism) {
    case Mechanism.NULL:
      return new NullMechanism(asServer, options)
    case Mechanism.PLAIN:
      return asServer ? new PlainServer(options) : new PlainClient(security.plainUsername, security.plainPassword, options)
    case Mechanism.CURVE:
      if (asServer) {
        return new CurveServer(
          {
            secretKey: required(security.curveSecretKey, "curveSecretKey"),
            ...(security.curvePublicKey !== undefined ? { publicKey: security.curvePublicKey } : {}),
          },
          options,
        )
      }
      return new CurveClient(
        {
          publicKey: required(security.curvePublicKey, "curvePublicKey"),
          secretKey: required(security.curveSecretKey, "curveSecretKey"),
          serverKey: required(security.curveServerKey, "curveServerKey"),
        },
        options,
      )
    default:
      throw argumentError(
        "range",
        `expected mechanism "NULL", "PLAIN" or "CURVE", got ${
          typeof security.mechanism === "string" ? JSON.stringify(String(security.mechanism).slice(0, 20)) : describeValue(security.mechanism)
        }`,
      )
  }
}

function required(value: Uint8Array | undefined, what: string): Uint8Array {
  if (value === undefined) {
    throw argumentError("type", `expected ${what} (a 32-octet key) for a CURVE ${what === "curveServerKey" ? "client" : "socket"}, got undefined`)
  }
  return value
}
