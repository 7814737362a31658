/**
 * Why a TLS session ended. Every end is reported with one of these reasons (in a
 * `session:end` event on the server, `end` on the client), never as an 'error' event or an
 * exception out of the event loop.
 */
export const TlsEndReason = {
  /** The peer sent close_notify (a clean close). */
  CLOSED: "closed",
  /** We closed it (close(), server.close()). */
  LOCAL_CLOSE: "local-close",
  /** A new ClientHello arrived for the same key: the old session gives way to a fresh one. */
  REPLACED: "replaced",
  /** No traffic for sessionIdleTimeout. */
  IDLE: "idle",
  /** The handshake did not complete within handshakeTimeout. */
  HANDSHAKE_TIMEOUT: "handshake-timeout",
  /** maxSessions reached: the least recently active session made room for a new one. */
  EVICTED: "evicted",
  /** OpenSSL refused the bytes (garbage, a truncated or forged record, a failed handshake). */
  TLS_ERROR: "tls-error",
  /** The peer's certificate did not verify (mutual TLS, or the server's, on the client). */
  UNAUTHORIZED: "unauthorized",
  /** The plaintext broke the message framing (too large, too many frames, a zero count). */
  FRAMING: "framing",
  /** The ZeroMQ socket under the session closed or failed. */
  SOCKET: "socket",
} as const
export type TlsEndReason = (typeof TlsEndReason)[keyof typeof TlsEndReason]

/** An error thrown to the application by the TLS client (send/receive/connect). */
export class TlsSessionError extends Error {
  readonly code: string
  readonly reason: TlsEndReason
  constructor(reason: TlsEndReason, message: string, code = "ERR_IRONHOUSE_TLS_SESSION", cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = "TlsSessionError"
    this.reason = reason
    this.code = code
  }
}
