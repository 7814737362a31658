/**
 * A small seeded PRNG (mulberry32) for the fault-injection tests: the same seed gives the same
 * fault plan, so a failure reproduces with `IRONHOUSE_FAULT_SEED=<seed>`.
 */
export class Prng {
  #state: number

  constructor(readonly seed: number) {
    this.#state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  /** A derived generator (its own stream, reproducible from this one). */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4294967296))
  }
}

/** The seed to use: IRONHOUSE_FAULT_SEED if set, else a fresh one. */
export function faultSeed(): number {
  const env = process.env.IRONHOUSE_FAULT_SEED
  if (env !== undefined && env !== "") {
    const n = Number(env)
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`IRONHOUSE_FAULT_SEED must be a 32-bit unsigned integer, got ${env}`)
    return n
  }
  return Math.floor(Math.random() * 4294967296)
}
