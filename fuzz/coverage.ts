/**
 * Coverage feedback from V8's own block counters (no source transform): the inspector's
 * `Profiler.startPreciseCoverage({ callCount: true, detailed: true })` makes V8 count every
 * basic block of every function, and `Profiler.takePreciseCoverage` returns the counts since the
 * last call and resets them. This is the signal @jazzer.js would get from its instrumentation;
 * see docs/fuzzing.md for why we use V8's counters instead.
 *
 * V8 reports, per function, nested ranges: the function's range first, then the blocks whose
 * count differs from the range around them. A block not reported ran as often as its innermost
 * reported enclosing range. So we remember every block range ever seen per function and give
 * each its effective count: its own, or that of its innermost reported enclosing range.
 *
 * A feature is (block, hit-count bucket), the buckets of AFL/libFuzzer (1, 2, 3, 4-7, 8-15,
 * 16-31, 32-127, 128+). Only scripts whose URL contains `filter` (the code under test) count.
 */
import { Session } from "node:inspector"

interface Range {
  startOffset: number
  endOffset: number
  count: number
}
interface FunctionCoverage {
  functionName: string
  ranges: Range[]
}
interface ScriptCoverage {
  url: string
  functions: FunctionCoverage[]
}

/** Known blocks of one function: [start, end, id] sorted by start then by descending end. */
type Blocks = Array<[number, number, number]>

export function bucket(count: number): number {
  if (count <= 3) return count - 1
  if (count < 8) return 3
  if (count < 16) return 4
  if (count < 32) return 5
  if (count < 128) return 6
  return 7
}

export class Coverage {
  readonly #session = new Session()
  readonly #filter: string
  readonly #functions = new Map<string, Blocks>()
  #nextBlock = 0
  /** Blocks (ids) that ever ran in an execution we kept or looked at. */
  readonly covered = new Set<number>()

  constructor(filter: string) {
    this.#filter = filter
    this.#session.connect()
    this.#post("Profiler.enable")
    this.#post("Profiler.startPreciseCoverage", { callCount: true, detailed: true })
  }

  /** Number of distinct block ranges seen so far in the code under test. */
  get knownBlocks(): number {
    return this.#nextBlock
  }

  // The in-process inspector session answers synchronously: the callback has run when post returns.
  #post(method: string, params?: object): unknown {
    let error: Error | null = null
    let result: unknown
    this.#session.post(method, params ?? {}, (err: Error | null, res: unknown) => {
      error = err
      result = res
    })
    if (error !== null) throw error
    return result
  }

  /** Reset the counters (discard what ran since the last call). */
  reset(): void {
    this.#post("Profiler.takePreciseCoverage")
  }

  /** The features of what ran since the last call (and reset the counters). */
  take(): Set<number> {
    const { result } = this.#post("Profiler.takePreciseCoverage") as { result: ScriptCoverage[] }
    const features = new Set<number>()
    for (const script of result) {
      if (!script.url.includes(this.#filter)) continue
      for (const fn of script.functions) {
        const ranges = fn.ranges
        const head = ranges[0]
        if (head === undefined || head.count === 0) continue
        const key = `${script.url}#${head.startOffset}`
        let blocks = this.#functions.get(key)
        if (blocks === undefined) {
          blocks = []
          this.#functions.set(key, blocks)
        }
        for (const r of ranges) this.#learn(blocks, r.startOffset, r.endOffset)
        for (const [start, end, id] of blocks) {
          // Innermost reported range containing [start, end): the last one in V8's order
          // (ranges come outer before inner) that contains it.
          let count = 0
          for (const r of ranges) if (r.startOffset <= start && end <= r.endOffset) count = r.count
          if (count > 0) features.add(id * 8 + bucket(count))
        }
      }
    }
    return features
  }

  /** Mark the blocks of `features` as covered. */
  markCovered(features: Iterable<number>): void {
    for (const f of features) this.covered.add(Math.floor(f / 8))
  }

  #learn(blocks: Blocks, start: number, end: number): void {
    for (const b of blocks) if (b[0] === start && b[1] === end) return
    blocks.push([start, end, this.#nextBlock++])
  }

  close(): void {
    this.#post("Profiler.stopPreciseCoverage")
    this.#session.disconnect()
  }
}
