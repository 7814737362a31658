/**
 * Chunking invariance for incremental parsers: a byte stream must give the same result however
 * the network cuts it. `sameForAllChunkings(input, run)` feeds `input` to `run`
 *   - whole (one chunk),
 *   - one octet at a time,
 *   - split in two at every offset (a sample of offsets above `maxEveryOffset` octets),
 *   - cut at random points (seeded, so a failure names a reproducible chunking),
 * and asserts every run gives the deep-equal outcome (value, or ProtocolError code; messages
 * are not compared). Each chunk
 * is a copy in its own ArrayBuffer, like chunks read from a socket, so a parser cannot rely on
 * neighbouring chunks being contiguous in memory.
 *
 * Usage:
 *   const out = sameForAllChunkings(bytes, (chunks) => {
 *     const d = new FrameDecoder(limits); const frames = []
 *     for (const c of chunks) { d.push(c); for (let f; (f = d.next()); ) frames.push(f) }
 *     return frames
 *   })
 *   assert.deepEqual(valueOf(out), expected)         // or: assert.equal(codeOf(out), ErrorCode.X)
 */
import assert from "node:assert/strict"
import { ProtocolError, type ErrorCode } from "../../src/errors.js"

/** What a run produced: a value, or the code of the ProtocolError it threw. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string }

export interface Chunking {
  /** Names the chunking in assertion messages, e.g. "split at 17" or "random #3 (seed 1)". */
  label: string
  chunks: Uint8Array[]
}

export interface ChunkingOptions {
  /** How many random multi-cut chunkings (default 20). */
  randomCount?: number
  /** Seed for the random cut points (default 1). */
  seed?: number
  /** Split at every offset up to this input length; above it, at a sample of offsets (default 2048). */
  maxEveryOffset?: number
  /** Also insert empty chunks between some random pieces (default false). */
  emptyChunks?: boolean
}

/** A small deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `input` cut at the given offsets (sorted, within 0..length), each piece a fresh copy. */
export function splitAt(input: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = []
  let from = 0
  for (const cut of cuts) {
    assert.ok(cut >= from && cut <= input.length, `cut ${cut} out of order or range`)
    chunks.push(input.slice(from, cut))
    from = cut
  }
  chunks.push(input.slice(from))
  return chunks
}

/** Every chunking that `sameForAllChunkings` tries, in order (the first is "whole"). */
export function* chunkings(input: Uint8Array, options: ChunkingOptions = {}): Generator<Chunking> {
  const randomCount = options.randomCount ?? 20
  const seed = options.seed ?? 1
  const maxEveryOffset = options.maxEveryOffset ?? 2048
  const n = input.length

  yield { label: "whole", chunks: [input.slice()] }
  if (n <= 1) return

  const bytes: Uint8Array[] = []
  for (let i = 0; i < n; i++) bytes.push(input.slice(i, i + 1))
  yield { label: "one octet at a time", chunks: bytes }

  const offsets = new Set<number>()
  if (n <= maxEveryOffset) {
    for (let i = 1; i < n; i++) offsets.add(i)
  } else {
    // Both ends densely (where headers live), and an even sample in between.
    for (let i = 1; i < Math.min(n, 64); i++) offsets.add(i)
    for (let i = Math.max(1, n - 64); i < n; i++) offsets.add(i)
    const step = Math.max(1, Math.floor(n / maxEveryOffset))
    for (let i = step; i < n; i += step) offsets.add(i)
  }
  for (const offset of [...offsets].sort((a, b) => a - b)) {
    yield { label: `split at ${offset}`, chunks: splitAt(input, [offset]) }
  }

  const random = seededRandom(seed)
  for (let r = 0; r < randomCount; r++) {
    const count = 1 + Math.floor(random() * Math.min(n - 1, 16))
    const cuts = new Set<number>()
    for (let i = 0; i < count; i++) cuts.add(1 + Math.floor(random() * (n - 1)))
    const sorted = [...cuts].sort((a, b) => a - b)
    let chunks = splitAt(input, sorted)
    if (options.emptyChunks === true) {
      chunks = chunks.flatMap((c) => (random() < 0.3 ? [new Uint8Array(0), c] : [c]))
    }
    yield { label: `random #${r} (seed ${seed}, cuts ${sorted.join(",")})`, chunks }
  }
}

/** Run `fn`, capturing a ProtocolError as its code. Any other exception is a bug and is rethrown. */
export function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    if (err instanceof ProtocolError) return { ok: false, code: err.code, message: err.message }
    throw err
  }
}

/** Outcomes compare by value or error code; messages may legitimately mention positions. */
function comparable<T>(result: Outcome<T>): { ok: true; value: T } | { ok: false; code: ErrorCode } {
  return result.ok ? result : { ok: false, code: result.code }
}

/**
 * Feed `input` to `run` under every chunking and assert all outcomes deep-equal the "whole"
 * one; returns that outcome. `run` must build its own fresh parser each call.
 */
export function sameForAllChunkings<T>(
  input: Uint8Array,
  run: (chunks: readonly Uint8Array[]) => T,
  options: ChunkingOptions = {},
): Outcome<T> {
  let expected: Outcome<T> | undefined
  for (const { label, chunks } of chunkings(input, options)) {
    const got = outcome(() => run(chunks))
    if (expected === undefined) expected = got
    else assert.deepStrictEqual(comparable(got), comparable(expected), `chunking "${label}" differs from feeding the input whole`)
  }
  return expected as Outcome<T>
}

/** The value of a successful outcome (fails the test, with the error code, otherwise). */
export function valueOf<T>(result: Outcome<T>): T {
  if (!result.ok) assert.fail(`expected success, got ProtocolError ${result.code}: ${result.message}`)
  return result.value
}

/** The error code of a failed outcome (fails the test otherwise). */
export function codeOf<T>(result: Outcome<T>): ErrorCode {
  if (result.ok) assert.fail("expected a ProtocolError, got success")
  return result.code
}
