/** Options shared by the TLS client and server, checked once at construction. */
import type { FrameLimits } from "./framing.js"
import type { TlsFraming } from "./session.js"

export interface TlsMessageOptions {
  /**
   * false (default): a stream of TLS records in both directions, as they are produced (needs a
   * DEALER client). true: TLSZMQ's strict request/reply (REQ clients, TLSZMQ peers): every
   * request is answered by exactly one reply holding all the TLS output produced for it.
   */
  lockstep?: boolean
  /** "frames" (default): multipart messages survive. "raw": TLSZMQ's plaintext (needs lockstep). */
  framing?: TlsFraming
  /** Largest plaintext message, checked before allocating (default 64 MiB, -1 unlimited). */
  maxMessageSize?: number
  /** Most frames in one message (default 65 536). */
  maxFrames?: number
  /** ms for a handshake to complete (default 30 000; 0 disables). */
  handshakeTimeout?: number
}

export interface CheckedMessageOptions {
  readonly lockstep: boolean
  readonly framing: TlsFraming
  readonly limits: FrameLimits
  readonly handshakeTimeout: number
}

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name}: expected an integer >= ${min}, got ${String(value)}`)
  }
  return value
}

export function checkMessageOptions(o: TlsMessageOptions): CheckedMessageOptions {
  if (o.lockstep !== undefined && typeof o.lockstep !== "boolean") {
    throw new TypeError(`lockstep: expected a boolean, got ${typeof o.lockstep}`)
  }
  const lockstep = o.lockstep ?? false
  const framing = o.framing ?? "frames"
  if (framing !== "frames" && framing !== "raw") {
    throw new TypeError(`framing: expected "frames" or "raw", got ${JSON.stringify(framing)}`)
  }
  if (framing === "raw" && !lockstep) {
    throw new TypeError('framing: "raw" delimits messages by request/reply and needs lockstep: true')
  }
  const maxMessageSize = integer("maxMessageSize", o.maxMessageSize, 64 * 1024 * 1024, -1)
  const maxFrames = integer("maxFrames", o.maxFrames, 65_536, 1)
  const handshakeTimeout = integer("handshakeTimeout", o.handshakeTimeout, 30_000, 0)
  return { lockstep, framing, limits: { maxMessageSize, maxFrames }, handshakeTimeout }
}

export { integer as checkInteger }
