/**
 * Reconnect intervals, as libzmq computes them (src/stream_connecter_base.cpp
 * get_new_reconnect_ivl): with reconnectMaxInterval > 0 the interval starts at
 * reconnectInterval and doubles after every failed attempt up to reconnectMaxInterval; with
 * reconnectMaxInterval = 0 it stays at reconnectInterval plus a random jitter below
 * reconnectInterval (so a crowd of clients does not reconnect in lockstep). A successful
 * connection resets it. Pure; randomness injected.
 */
export class Backoff {
  readonly #base: number
  readonly #max: number
  readonly #random: () => number
  #current = -1

  /** `random` returns a number in [0, 1) like Math.random. */
  constructor(base: number, max: number, random: () => number = Math.random) {
    this.#base = base
    this.#max = max
    this.#random = random
  }

  /** The wait before the next attempt, in ms. */
  next(): number {
    if (this.#max > 0) {
      const candidate = this.#current === -1 ? this.#base : Math.min(this.#current * 2, 0x7fffffff)
      this.#current = Math.min(candidate, this.#max)
      return this.#current
    }
    if (this.#current === -1) this.#current = this.#base
    const jitter = this.#base > 0 ? Math.floor(this.#random() * this.#base) : 0
    return this.#current + jitter
  }

  /** Connected: start over from reconnectInterval. */
  reset(): void {
    this.#current = -1
  }
}
