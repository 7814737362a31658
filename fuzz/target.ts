/**
 * What a fuzz target is. One target per parser and per state machine and role; the registry is
 * ./targets/index.ts, the harness ./loop.ts, the command line ./run.ts (docs/fuzzing.md).
 */
import { ErrorCode, ProtocolError } from "../src/errors.js"
import { concat } from "../src/stream-access/codec.js"

export interface FuzzTarget {
  /** Short name, also the folder of its seed corpus: fuzz/corpus/<name>/. */
  readonly name: string
  /** One line: what is fed where. */
  readonly about: string
  /** Inputs are cut to this many octets. */
  readonly maxLength: number
  /** Tokens the mutator inserts (command names, property names, magic octets). */
  readonly dictionary?: readonly (string | Uint8Array)[]
  /**
   * Seeds made in memory by our own valid peers (deterministic), besides the committed files
   * in fuzz/corpus/<name>/ (written from the same function by `npm run fuzz -- --write-seeds`
   * and recorded against libzmq by fuzz/record-libzmq.ts).
   */
  seeds?(): Uint8Array[]
  /**
   * One execution. Must be deterministic (seeded randomness, fixed clock), so the harness can
   * re-run an input to learn which one brought new coverage. Returns normally when the input
   * ended in the layer's typed error (or was accepted); throws anything else (the oracle,
   * written in each target, throws `Finding` for a broken contract).
   */
  run(data: Uint8Array): void
  /**
   * The oracle's last part, for targets that keep state across inputs (a server's session
   * table, an authenticator, a reader): after all that garbage, a valid peer still completes.
   * The harness calls it every few seconds and at the end; it throws when the peer fails.
   */
  check?(): void
}

/** A broken oracle (an error of the wrong kind, an unbounded result, a valid peer refused). */
export class Finding extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = "Finding"
  }
}

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode))

/** True for the one typed error of network input: a ProtocolError (or AuthError) with a known code. */
export function isTypedProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError && CODES.has(err.code)
}

/** Run `fn`; a typed protocol error is an accepted outcome (returned), anything else escapes. */
export function expectTyped<T>(fn: () => T, typed: (err: unknown) => boolean = isTypedProtocolError): T | Error {
  try {
    return fn()
  } catch (err) {
    if (typed(err)) return err as Error
    throw err
  }
}

export function assertThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Finding(message)
}

/** Build a Uint8Array from parts (numbers are octets, strings latin-1). */
export function bytes(...parts: Array<number | string | Uint8Array | readonly number[]>): Uint8Array {
  const out: number[] = []
  for (const p of parts) {
    if (typeof p === "number") out.push(p & 0xff)
    else if (typeof p === "string") for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i) & 0xff)
    else out.push(...p)
  }
  return Uint8Array.from(out)
}

/** One array holding `parts` in order (the library's own concat, as an array-argument form). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  return concat(...parts)
}

/** Split `data` into length-prefixed parts: [u16 big-endian length][octets]..., the rest as the last part. */
export function splitParts(data: Uint8Array, maxParts = 64): Uint8Array[] {
  const parts: Uint8Array[] = []
  let at = 0
  while (at < data.length && parts.length < maxParts - 1) {
    if (at + 2 > data.length) break
    const n = ((data[at] as number) << 8) | (data[at + 1] as number)
    at += 2
    parts.push(data.subarray(at, Math.min(data.length, at + n)))
    at += n
  }
  if (at < data.length) parts.push(data.subarray(at))
  return parts
}

/** The inverse of splitParts (for seeds). */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = []
  for (const p of parts) {
    out.push(Uint8Array.of(p.length >>> 8, p.length & 0xff), p)
  }
  return concatBytes(out)
}

/** Deterministic randomness for a target (a fresh stream per execution: same input, same run). */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0
      out[i] = s >>> 24
    }
    return out
  }
}
