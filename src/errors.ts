/**
 * Ironhouse's one error contract.
 *
 * - Bytes from the network can only ever raise a {@link ProtocolError} (or its subclass
 *   {@link AuthError}), always with a stable `code`. Any other exception escaping a parser,
 *   mechanism or engine on network input is a bug.
 * - Bad arguments from the application raise `TypeError` / `RangeError` through
 *   {@link argumentError}, with a message that says what was expected and what came.
 *
 * The codes reuse the `zeromq` package's names (which mirror libzmq's
 * `ZMQ_PROTOCOL_ERROR_*`), so users of that package recognise them. Codes that libzmq has no
 * name for start with `ERR_ZMTP_` or `ERR_IRONHOUSE_` and are documented here.
 */

export const ErrorCode = {
  // --- libzmq / zeromq names -------------------------------------------------------------
  UNSPECIFIED: "ERR_ZMTP_UNSPECIFIED",
  UNEXPECTED_COMMAND: "ERR_ZMTP_UNEXPECTED_COMMAND",
  INVALID_SEQUENCE: "ERR_ZMTP_INVALID_SEQUENCE",
  KEY_EXCHANGE: "ERR_ZMTP_KEY_EXCHANGE",
  MALFORMED_COMMAND_UNSPECIFIED: "ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED",
  MALFORMED_COMMAND_MESSAGE: "ERR_ZMTP_MALFORMED_COMMAND_MESSAGE",
  MALFORMED_COMMAND_HELLO: "ERR_ZMTP_MALFORMED_COMMAND_HELLO",
  MALFORMED_COMMAND_INITIATE: "ERR_ZMTP_MALFORMED_COMMAND_INITIATE",
  MALFORMED_COMMAND_ERROR: "ERR_ZMTP_MALFORMED_COMMAND_ERROR",
  MALFORMED_COMMAND_READY: "ERR_ZMTP_MALFORMED_COMMAND_READY",
  MALFORMED_COMMAND_WELCOME: "ERR_ZMTP_MALFORMED_COMMAND_WELCOME",
  INVALID_METADATA: "ERR_ZMTP_INVALID_METADATA",
  CRYPTOGRAPHIC: "ERR_ZMTP_CRYPTOGRAPHIC",
  MECHANISM_MISMATCH: "ERR_ZMTP_MECHANISM_MISMATCH",
  ZAP_UNSPECIFIED: "ERR_ZAP_UNSPECIFIED",
  ZAP_MALFORMED_REPLY: "ERR_ZAP_MALFORMED_REPLY",
  ZAP_BAD_REQUEST_ID: "ERR_ZAP_BAD_REQUEST_ID",
  ZAP_BAD_VERSION: "ERR_ZAP_BAD_VERSION",
  ZAP_INVALID_STATUS_CODE: "ERR_ZAP_INVALID_STATUS_CODE",
  ZAP_INVALID_METADATA: "ERR_ZAP_INVALID_METADATA",

  // --- Ironhouse additions (libzmq reports these as plain disconnects) --------------------
  /** The greeting is not ZMTP 3.x: wrong signature, ZMTP 1.0/2.0 peer, or bad version. */
  BAD_GREETING: "ERR_ZMTP_BAD_GREETING",
  /** A frame has reserved flag bits set, or is otherwise not a valid ZMTP frame. */
  MALFORMED_FRAME: "ERR_ZMTP_MALFORMED_FRAME",
  /** A declared frame or message size exceeds the configured limit (checked before allocating). */
  MESSAGE_TOO_LARGE: "ERR_ZMTP_MESSAGE_TOO_LARGE",
  /** A message has more frames than the configured limit (Limits.maxMessageFrames). */
  TOO_MANY_FRAMES: "ERR_ZMTP_TOO_MANY_FRAMES",
  /** The peer's Socket-Type cannot talk to ours (RFC 37 "The Socket-Type Property"). */
  SOCKET_TYPE_MISMATCH: "ERR_ZMTP_SOCKET_TYPE_MISMATCH",
  /** The handshake did not complete within the handshake interval. */
  HANDSHAKE_TIMEOUT: "ERR_ZMTP_HANDSHAKE_TIMEOUT",
  /** No traffic from the peer within the heartbeat timeout. */
  HEARTBEAT_TIMEOUT: "ERR_ZMTP_HEARTBEAT_TIMEOUT",
  /** Authentication was refused (status 300/400/500). Raised as {@link AuthError}. */
  AUTH_FAILED: "ERR_AUTH_FAILED",
  /**
   * A ZAP request (RFC 27) is malformed: too few frames, an empty mechanism, an over-long
   * string field, or the wrong number of credential frames for NULL/PLAIN/CURVE. libzmq has no
   * code for this (it only parses replies); a handler drops such a request.
   */
  ZAP_MALFORMED_REQUEST: "ERR_IRONHOUSE_ZAP_MALFORMED_REQUEST",
  /**
   * (socket layer) A connection still in its handshake was shed to make room for a newcomer:
   * its socket had maxPendingHandshakes accepted connections in their handshake (reported in a
   * `handshake:error:other` event; see src/socket/handshake-guard.ts).
   */
  HANDSHAKE_LIMIT: "ERR_IRONHOUSE_HANDSHAKE_LIMIT",
  /** (PUB/XPUB) A peer subscribed to a prefix longer than maxSubscriptionSize; it was disconnected. */
  SUBSCRIPTION_TOO_LARGE: "ERR_IRONHOUSE_SUBSCRIPTION_TOO_LARGE",
  /** (PUB/XPUB) A peer subscribed to more than maxSubscriptions prefixes; it was disconnected. */
  TOO_MANY_SUBSCRIPTIONS: "ERR_IRONHOUSE_TOO_MANY_SUBSCRIPTIONS",
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** An error caused by what a peer sent (or failed to send). Carries a stable `code`. */
export class ProtocolError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string) {
    super(message)
    this.name = "ProtocolError"
    this.code = code
  }
}

/**
 * Authentication was refused. `status` is the ZAP status code (RFC 27): 300 temporary
 * failure (the client may retry later), 400 authentication failure, 500 internal error.
 * Same shape as the `zeromq` package's `AuthError`.
 */
export class AuthError extends ProtocolError {
  readonly status: number
  constructor(status: number, message: string) {
    super(ErrorCode.AUTH_FAILED, message)
    this.name = "AuthError"
    this.status = status
  }
}

/** Build the one typed error a parser or mechanism may raise. */
export function protocolError(code: ErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message)
}

/** True when `err` is an error from our contract (any other error on network input is a bug). */
export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError
}

/**
 * Application argument errors: `TypeError` for a wrong type, `RangeError` for a value out of
 * range. The message says what was expected and what came, like noble's
 * "expected Uint8Array of length 32, got length=31".
 */
export function argumentError(kind: "type" | "range", message: string): TypeError | RangeError {
  return kind === "type" ? new TypeError(message) : new RangeError(message)
}

/** Describe a value for an argument error without ever printing its contents (may be a secret). */
export function describeValue(value: unknown): string {
  if (value === null) return "null"
  if (value instanceof Uint8Array) return `${value.constructor.name} of length ${value.length}`
  if (typeof value === "string") return `string of length ${value.length}`
  if (Array.isArray(value)) return `array of length ${value.length}`
  return typeof value
}
