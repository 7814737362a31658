/**
 * A libFuzzer-style mutator: a seeded PRNG and a handful of byte-level edits (bit flips,
 * interesting values, arithmetic on 1/2/4-octet integers in both byte orders, inserts, erases,
 * copies inside the input, cross-over with another corpus entry, dictionary tokens). Each
 * mutation applies 1-8 stacked edits, like libFuzzer's -mutate_depth.
 */

/** xorshift128+ over two 32-bit halves: fast, seeded, good enough to drive mutations. */
export class Prng {
  #a: number
  #b: number
  #c: number
  #d: number
  constructor(seed: number) {
    // splitmix32 to spread the seed over the state
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = next() | 1
    this.#b = next()
    this.#c = next()
    this.#d = next()
  }
  /** A uint32. */
  u32(): number {
    // xoshiro128** (Blackman & Vigna)
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0
    const t = this.#b << 9
    this.#c ^= this.#a
    this.#d ^= this.#b
    this.#b ^= this.#c
    this.#a ^= this.#d
    this.#c ^= t
    this.#d = rotl(this.#d, 11)
    return result
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n
  }
  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 2, 3, 4, 5, 8, 16, 32, 64, 100]
const INTERESTING_16 = [0, 0x80, 0xff, 0x100, 0x3e8, 0x7fff, 0x8000, 0xffff, 0xfffe]
const INTERESTING_32 = [0, 0xff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x1000000, 0x40000000]

export class Mutator {
  readonly #random: Prng
  readonly #dictionary: Uint8Array[]
  readonly #maxLength: number
  /** Work space: edits happen in place here (no per-edit allocation). */
  readonly #buf: Uint8Array

  constructor(random: Prng, maxLength: number, dictionary: readonly Uint8Array[]) {
    this.#random = random
    this.#maxLength = maxLength
    this.#dictionary = [...dictionary]
    this.#buf = new Uint8Array(maxLength + 1024)
  }

  /** A mutated copy of `input`; `other` is another corpus entry for cross-over. */
  mutate(input: Uint8Array, other: Uint8Array): Uint8Array {
    const buf = this.#buf
    let n = Math.min(input.length, this.#maxLength)
    buf.set(input.subarray(0, n))
    const depth = 1 + this.#random.below(8)
    for (let i = 0; i < depth; i++) n = Math.min(this.#edit(n, other), this.#maxLength)
    return buf.slice(0, n)
  }

  /** Make room for `k` octets at `at`; returns how many fit. */
  #open(n: number, at: number, k: number): number {
    const room = Math.min(k, this.#buf.length - n)
    this.#buf.copyWithin(at + room, at, n)
    return room
  }

  #insert(n: number, at: number, piece: Uint8Array): number {
    const k = this.#open(n, at, piece.length)
    this.#buf.set(piece.subarray(0, k), at)
    return n + k
  }

  #edit(n: number, other: Uint8Array): number {
    const r = this.#random
    const buf = this.#buf
    const at = r.below(n)
    switch (r.below(n === 0 ? 3 : 13)) {
      case 0: {
        // insert random bytes (or a run of one value)
        const where = r.below(n + 1)
        const k = this.#open(n, where, 1 + r.below(r.chance(4) ? 64 : 4))
        const fill = r.chance(2) ? r.below(256) : -1
        for (let i = 0; i < k; i++) buf[where + i] = fill >= 0 ? fill : r.below(256)
        return n + k
      }
      case 1: {
        // insert a dictionary token
        if (this.#dictionary.length === 0) return this.#edit(n, other)
        return this.#insert(n, r.below(n + 1), this.#dictionary[r.below(this.#dictionary.length)] as Uint8Array)
      }
      case 2: {
        // cross-over: a piece of another corpus entry inserted or overwritten
        if (other.length === 0) return n
        const from = r.below(other.length)
        const piece = other.subarray(from, from + 1 + r.below(Math.min(other.length - from, 256)))
        if (r.chance(2) || n === 0) return this.#insert(n, r.below(n + 1), piece)
        const k = Math.min(piece.length, n - at)
        buf.set(piece.subarray(0, k), at)
        return n
      }
      case 3:
        buf[at] = (buf[at] as number) ^ (1 << r.below(8))
        return n
      case 4:
        buf[at] = r.below(256)
        return n
      case 5:
        buf[at] = INTERESTING_8[r.below(INTERESTING_8.length)] as number
        return n
      case 6:
        buf[at] = ((buf[at] as number) + 1 + r.below(35) * (r.chance(2) ? 1 : -1) + 256) & 0xff
        return n
      case 7:
        writeInt(buf, n, at, 2, INTERESTING_16[r.below(INTERESTING_16.length)] as number, r.chance(2))
        return n
      case 8:
        writeInt(buf, n, at, 4, INTERESTING_32[r.below(INTERESTING_32.length)] as number, r.chance(2))
        return n
      case 9: {
        // erase a run
        const len = 1 + r.below(Math.min(n - at, r.chance(4) ? 128 : 8))
        buf.copyWithin(at, at + len, n)
        return n - len
      }
      case 10: {
        // copy a run elsewhere inside the input (duplicates frames, properties, ...)
        const piece = buf.slice(at, at + 1 + r.below(Math.min(n - at, 128)))
        return this.#insert(n, r.below(n + 1), piece)
      }
      case 11:
        // truncate
        return at
      default: {
        // overwrite with a dictionary token
        if (this.#dictionary.length === 0) return n
        const token = this.#dictionary[r.below(this.#dictionary.length)] as Uint8Array
        buf.set(token.subarray(0, Math.min(token.length, n - at)), at)
        return n
      }
    }
  }
}

/** Write an integer of `size` octets at `at` (big- or little-endian), within the first `n` octets. */
function writeInt(bytes: Uint8Array, n: number, at: number, size: number, value: number, bigEndian: boolean): void {
  for (let i = 0; i < size && at + i < n; i++) {
    const shift = 8 * (bigEndian ? size - 1 - i : i)
    bytes[at + i] = Math.floor(value / 2 ** shift) & 0xff
  }
}
