/**
 * Heartbeat decisions for one connection (RFC 37 "Connection Heartbeating"), driven by an
 * injected clock. Pure: it only says what is due; the connection acts on it.
 *
 * Like libzmq: a PING goes out every `interval` ms once the handshake is done; after sending
 * one, if nothing at all arrives within `timeout` ms the peer is declared dead. A PING from the
 * peer carrying a TTL asks us to drop the connection if no traffic arrives within that TTL.
 */
export interface HeartbeatOptions {
  /** ms between PINGs; 0 disables sending PINGs. (ZMQ_HEARTBEAT_IVL) */
  interval: number
  /** ms to wait for any traffic after a PING; defaults to `interval`. (ZMQ_HEARTBEAT_TIMEOUT) */
  timeout: number
  /** TTL we announce in our PINGs, ms (rounded down to deciseconds). (ZMQ_HEARTBEAT_TTL) */
  timeToLive: number
}

export type HeartbeatDue = "ping" | "dead" | undefined

/** Largest TTL a PING can carry: 16 bits of deciseconds (RFC 37). */
const MAX_TTL_DECISECONDS = 0xffff

export class Heartbeat {
  readonly #opts: HeartbeatOptions
  #nextPingAt = Infinity
  #deadAt = Infinity
  #peerTtlDeadline = Infinity
  #peerTtl = 0

  constructor(opts: HeartbeatOptions) {
    this.#opts = opts
  }

  /** Handshake complete at `now`: start the PING schedule. */
  start(now: number): void {
    if (this.#opts.interval > 0) this.#nextPingAt = now + this.#opts.interval
  }

  /** Our PING's TTL field, in deciseconds. */
  get ttlDeciseconds(): number {
    return Math.min(MAX_TTL_DECISECONDS, Math.floor(this.#opts.timeToLive / 100))
  }

  /** Any bytes arrived from the peer. */
  onTraffic(now: number): void {
    this.#deadAt = Infinity
    if (this.#peerTtl > 0) this.#peerTtlDeadline = now + this.#peerTtl
  }

  /** The peer sent a PING with this TTL (deciseconds). */
  onPeerPing(now: number, ttlDeciseconds: number): void {
    this.#peerTtl = ttlDeciseconds * 100
    this.#peerTtlDeadline = this.#peerTtl > 0 ? now + this.#peerTtl : Infinity
  }

  /** What is due at `now`. After "ping" the caller sends one; the timeout starts then. */
  poll(now: number): HeartbeatDue {
    if (now >= this.#deadAt || now >= this.#peerTtlDeadline) return "dead"
    if (now >= this.#nextPingAt) {
      this.#nextPingAt = now + this.#opts.interval
      if (this.#deadAt === Infinity) this.#deadAt = now + (this.#opts.timeout || this.#opts.interval)
      return "ping"
    }
    return undefined
  }

  /** The earliest time something may be due (Infinity when nothing is scheduled). */
  get nextDeadline(): number {
    return Math.min(this.#nextPingAt, this.#deadAt, this.#peerTtlDeadline)
  }
}
