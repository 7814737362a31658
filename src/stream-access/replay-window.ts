/**
 * Anti-replay sliding window over 64-bit sequence numbers (the IPsec/DTLS scheme, RFC 4303
 * §3.4.3): the highest accepted number and a bitmap of the `size` numbers below it. A number
 * at or below `highest - size` is too old; one already marked is a replay.
 */
export const DEFAULT_REPLAY_WINDOW = 1024

export type WindowVerdict = "ok" | "replay" | "too-old"

export class ReplayWindow {
  readonly size: number
  #highest = -1
  readonly #bits: Uint8Array

  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 1 || size > 1 << 20) throw new RangeError(`ReplayWindow: expected a size from 1 to ${1 << 20}, got ${size}`)
    this.size = size
    this.#bits = new Uint8Array(Math.ceil(size / 8))
  }

  /** Whether `seq` would be accepted now (does not mark it). */
  check(seq: number): WindowVerdict {
    if (seq > this.#highest) return "ok"
    if (seq <= this.#highest - this.size) return "too-old"
    return this.#get(seq) ? "replay" : "ok"
  }

  /** Mark `seq` as accepted (call after check() said ok and the message authenticated). */
  mark(seq: number): void {
    if (seq > this.#highest) {
      const shift = seq - this.#highest
      if (shift >= this.size) this.#bits.fill(0)
      else for (let s = this.#highest + 1; s <= seq; s++) this.#set(s, false)
      this.#highest = seq
    }
    this.#set(seq, true)
  }

  #get(seq: number): boolean {
    const i = seq % this.size
    return ((this.#bits[i >>> 3] ?? 0) & (1 << (i & 7))) !== 0
  }

  #set(seq: number, on: boolean): void {
    const i = seq % this.size
    const byte = this.#bits[i >>> 3] ?? 0
    this.#bits[i >>> 3] = on ? byte | (1 << (i & 7)) : byte & ~(1 << (i & 7))
  }
}
