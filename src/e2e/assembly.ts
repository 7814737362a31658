/**
 * Receiving side of one session, shared by client and server: decode each MESSAGE with the
 * mechanism, check the short nonce is the successor of the previous one, and put frames together
 * until one without MORE. A dropped command (tampered, replayed, reordered, too large) or a gap
 * discards the message it falls in and every frame up to the next final one: a message is
 * delivered whole or not at all, never spliced. Pure.
 */
import { ErrorCode, isProtocolError } from "../errors.js"
import type { SecurityMechanism } from "../mechanism/mechanism.js"
import type { NonceOrder } from "../mechanism/curve-message.js"
import { MESSAGE_NONCE_AT } from "./common.js"
import { E2eCode, type E2eEvent } from "./events.js"
import { nonceHigh, nonceLow } from "./nonce.js"

/** A CURVE mechanism that reports the peer's nonce order (CurveClient, CurveServer). */
export interface OrderedMechanism extends SecurityMechanism {
  readonly peerNonceOrder: NonceOrder | "auto"
}

/** A whole message (its frames), a refusal, or undefined (a frame taken, the message not yet whole). */
export type AssemblyResult = Uint8Array[] | E2eEvent | undefined

export class Assembly {
  /** The peer's last short nonce as two 32-bit halves (numbers: no typed array per session). */
  #hi: number
  #lo: number
  #frames: Uint8Array[] = []
  #size = 0
  #discarding = false
  readonly #maxMessageSize: number
  readonly #maxFrames: number

  /** `lastNonce`: the peer's last handshake short nonce (READY or INITIATE), canonical. */
  constructor(lastNonce: { hi: number; lo: number }, maxMessageSize: number, maxFrames: number) {
    this.#hi = lastNonce.hi
    this.#lo = lastNonce.lo
    this.#maxMessageSize = maxMessageSize
    this.#maxFrames = maxFrames
  }

  /** Octets held by a partial message. */
  get pendingSize(): number {
    return this.#size
  }

  /** One received MESSAGE command (decrypted in place on success). */
  push(mech: OrderedMechanism, frame: Uint8Array, peerId: string | undefined): AssemblyResult {
    let decoded
    try {
      decoded = mech.decode({ more: false, command: false, body: frame })
    } catch (err) {
      if (!isProtocolError(err)) throw err
      // A refused MESSAGE (tampered, replayed, reordered, injected) never advances the window, so
      // it changes nothing here: if it stood for a genuine command, the next genuine one shows a gap.
      return this.#event(err.code, `MESSAGE refused: ${err.message}`, peerId)
    }
    const order = mech.peerNonceOrder
    const hi = nonceHigh(frame, MESSAGE_NONCE_AT, order)
    const lo = nonceLow(frame, MESSAGE_NONCE_AT, order)
    const gap = !(this.#lo === 0xffffffff ? hi === this.#hi + 1 && lo === 0 : hi === this.#hi && lo === this.#lo + 1)
    this.#hi = hi
    this.#lo = lo
    const more = decoded.more
    if (gap) {
      this.#abandon(more)
      return this.#event(E2eCode.NONCE_GAP, "a short nonce was skipped (a command lost or withheld): the message it falls in is discarded", peerId)
    }
    if (this.#discarding) {
      if (!more) this.#discarding = false
      return undefined
    }
    const body = decoded.body
    if (this.#size + body.length > this.#maxMessageSize || this.#frames.length + 1 > this.#maxFrames) {
      this.#abandon(more)
      return this.#event(ErrorCode.MESSAGE_TOO_LARGE, `a message over ${this.#maxMessageSize} octets or ${this.#maxFrames} frames is discarded`, peerId)
    }
    if (!more && this.#frames.length === 0) return [body] // the common single-frame message
    this.#frames.push(body)
    this.#size += body.length
    if (more) return undefined
    const frames = this.#frames
    this.#frames = []
    this.#size = 0
    return frames
  }

  /** Drop the partial message and this frame; keep discarding up to the next final frame when `more`. */
  #abandon(more: boolean): void {
    this.#frames = []
    this.#size = 0
    this.#discarding = more
  }

  #event(code: E2eEvent["code"], detail: string, peerId: string | undefined): E2eEvent {
    return peerId === undefined ? { type: "dropped", code, detail } : { type: "dropped", code, detail, peerId }
  }
}
