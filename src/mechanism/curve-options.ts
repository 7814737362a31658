/**
 * Optional, backwards-compatible generalisations of the CURVE mechanisms for the end-to-end
 * layer (../e2e/, RFC 26 sessions carried in messages). The ZMTP engine passes none of them and
 * keeps RFC 25/26 behaviour exactly as before. Pure.
 */
import type { NonceOrder } from "./curve-message.js"

/**
 * Cookie keys shared by many short-lived CurveServer instances (RFC 26 "The WELCOME Command":
 * the cookie lets the server keep no state between HELLO and INITIATE). With these, a server
 * answers HELLO and may be dropped; a fresh CurveServer in its initial state then accepts the
 * INITIATE, recovering C' and s' from the cookie. The owner rotates the keys (lifetime) and
 * wipes them; the mechanism never keeps or wipes them.
 */
export interface CurveCookieKeys {
  /** The key new cookies are sealed with (32 octets). */
  current(): Uint8Array
  /** Every key a cookie may still be opened with (including current()). */
  candidates(): readonly Uint8Array[]
  /**
   * Called once the INITIATE box opened and the vouch checked out, with the C' of the cookie
   * and the key that opened it: false when that C' already started a session under that key
   * (a replayed INITIATE, which would restart the server's short nonces under the same
   * traffic key), and the INITIATE is refused with INVALID_SEQUENCE.
   */
  claim(clientTransient: Uint8Array, cookieKey: Uint8Array): boolean
}

export interface CurveClientOptions {
  /** Byte order of our short nonces; default "big" (RFC 26, libzmq). */
  nonceOrder?: NonceOrder
  /** Byte order expected of the peer's short nonces; "auto" detects it (libcurve sends "little"). Default "big". */
  peerNonceOrder?: NonceOrder | "auto"
}

export interface CurveServerOptions extends CurveClientOptions {
  /**
   * Accept every HELLO version octet pair and padding: libcurve's HELLO version is whatever was in
   * memory (often 00 00) and it never checks padding. Default false (version 1.0 and zero
   * padding required, as RFC 26 says).
   */
  lenientHello?: boolean
  /** Stateless handshakes with shared cookie keys (see CurveCookieKeys). */
  cookieKeys?: CurveCookieKeys
}
