/**
 * The coverage-guided loop for one target (runs inside a worker, see ./worker.ts):
 *
 *   corpus <- seeds that bring coverage
 *   repeat: B mutants of corpus entries -> run each -> one coverage take for the batch
 *           if the batch covered a block never covered: cut it in runs of 32, then halve
 *           (run each part, take coverage) down to the inputs that did; those join the corpus
 *           every 8th batch: 4 inputs one by one, kept for a new hit-count bucket too
 *
 * One coverage take costs ~1 ms, many executions cost microseconds, hence batches: B is sized
 * so takes cost ~2.5 % of the time. Before each execution the input is copied into a shared
 * buffer, so the parent thread can save it when the worker hangs or runs out of memory.
 */
import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs"
import { join } from "node:path"
import { Coverage } from "./coverage.js"
import { Mutator, Prng } from "./mutate.js"
import type { FuzzTarget } from "./target.js"

export interface LoopOptions {
  /** Stop after this many ms (of fuzzing, after the seeds). */
  timeMs: number
  /** Stop after this many executions (0: no limit). */
  runs: number
  seed: number
  /** Committed seed corpus folder of this target. */
  corpusDir: string
  /** Where new corpus entries go (and are read back from by the next run); undefined: nowhere. */
  outDir: string | undefined
  /** Shared with the parent: [0] executions (low 31 bits wrap), [1] input length, then input octets. */
  shared: SharedArrayBuffer
  /** ms between valid-peer checks. */
  checkEveryMs: number
  /** RSS above which a batch is reported as a memory finding. */
  rssLimitBytes: number
}

export interface LoopStats {
  execs: number
  corpus: number
  features: number
  blocks: number
  knownBlocks: number
  checks: number
  findings: number
  elapsedMs: number
}

export interface FindingReport {
  kind: "crash" | "check" | "memory"
  message: string
  input: Uint8Array
}

export interface LoopEvents {
  stats(stats: LoopStats): void
  finding(report: FindingReport): void
}

const TAKE_SHARE = 40 // takes cost ~1/40 of the time
const MAX_BATCH = 2048
const BISECT_CHUNK = 32
/** A batch should take at most about this long (ms), so progress, the time limit and checks stay timely. */
const BATCH_MS = 2000
const SAMPLE_EVERY = 8
const SAMPLE_SIZE = 4

export function hashOf(input: Uint8Array): string {
  return createHash("sha1").update(input).digest("hex")
}

function readDir(dir: string | undefined): Uint8Array[] {
  if (dir === undefined || !existsSync(dir)) return []
  return readdirSync(dir)
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))))
}

/** The code under test: the compiled src/ (not the harness, the tests or node_modules). */
export const COVERAGE_FILTER = "/build/src/"

/**
 * Fuzz `target`. Pass `coverage` when it was started before the code under test was loaded:
 * V8 counts blocks only in functions compiled after precise coverage started (functions that
 * already ran before count as one block each).
 */
export function runLoop(target: FuzzTarget, options: LoopOptions, events: LoopEvents, given?: Coverage): LoopStats {
  const coverage = given ?? new Coverage(COVERAGE_FILTER)
  const counters = new Int32Array(options.shared, 0, 2)
  const inputView = new Uint8Array(options.shared, 8)
  const random = new Prng(options.seed)
  const encoder = new TextEncoder()
  const dictionary = (target.dictionary ?? []).map((t) => (typeof t === "string" ? encoder.encode(t) : t))
  const mutator = new Mutator(random, target.maxLength, dictionary)
  const corpus: Uint8Array[] = []
  const virgin = new Set<number>()
  const reported = new Set<string>()
  let execs = 0
  let checks = 0
  let findings = 0
  const started = performance.now()

  if (options.outDir !== undefined) mkdirSync(options.outDir, { recursive: true })

  const exec = (input: Uint8Array): void => {
    counters[1] = input.length
    inputView.set(input.subarray(0, inputView.length))
    execs++
    Atomics.store(counters, 0, execs & 0x7fffffff)
    try {
      // A copy: layers may own and overwrite what they are given (CURVE decrypts in place).
      target.run(input.slice())
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}\n${(err.stack ?? "").split("\n").slice(1, 6).join("\n")}` : String(err)
      // Deduplicate by the message's first line and the top stack frame.
      const lines = message.split("\n")
      const key = `${lines[0]}|${lines[1] ?? ""}`
      findings++
      if (!reported.has(key)) {
        reported.add(key)
        events.finding({ kind: "crash", message, input })
      }
    }
  }

  const novel = (features: Set<number>): boolean => {
    for (const f of features) if (!virgin.has(f)) return true
    return false
  }
  const newBlock = (features: Set<number>): boolean => {
    for (const f of features) if (!coverage.covered.has(Math.floor(f / 8))) return true
    return false
  }

  const keep = (input: Uint8Array, features: Set<number>, save: boolean): void => {
    for (const f of features) virgin.add(f)
    coverage.markCovered(features)
    corpus.push(input)
    if (save && options.outDir !== undefined) writeFileSync(join(options.outDir, hashOf(input)), input)
  }

  /** One input alone: kept when it brings any new feature (a new block or a new hit-count bucket). */
  const single = (input: Uint8Array, save: boolean): void => {
    coverage.reset()
    exec(input)
    const features = coverage.take()
    if (novel(features)) keep(input, features, save)
  }

  /**
   * `inputs` together covered a block never covered before (a union: at least one of them did
   * it alone), so halve them until the inputs that did are found. Hit counts of a batch are
   * sums, so only blocks, not buckets, steer the halving.
   */
  const bisect = (inputs: Uint8Array[], save: boolean): void => {
    if (inputs.length === 1) {
      single(inputs[0] as Uint8Array, save)
      return
    }
    // A large batch is first cut into runs of BISECT_CHUNK (one take each), so finding the
    // inputs costs about two passes over the batch instead of one pass per halving level:
    // a batch sized on fast inputs may hold slow ones (a CURVE handshake takes milliseconds).
    const parts: Uint8Array[][] = []
    if (inputs.length > BISECT_CHUNK) {
      for (let i = 0; i < inputs.length; i += BISECT_CHUNK) parts.push(inputs.slice(i, i + BISECT_CHUNK))
    } else {
      const half = inputs.length >> 1
      parts.push(inputs.slice(0, half), inputs.slice(half))
    }
    for (const part of parts) {
      coverage.reset()
      for (const input of part) exec(input)
      if (newBlock(coverage.take())) bisect(part, save)
    }
  }

  // Seeds: committed ones, those the target makes, and what earlier runs saved.
  const seeds = [...readDir(options.corpusDir), ...(target.seeds?.() ?? []), ...readDir(options.outDir)]
  if (seeds.length === 0) seeds.push(new Uint8Array(0))
  for (const seed of seeds) {
    const before = corpus.length
    single(seed.subarray(0, target.maxLength), false)
    if (corpus.length === before && corpus.length === 0) corpus.push(seed)
  }
  if (corpus.length === 0) corpus.push(new Uint8Array(0))

  const stats = (): LoopStats => ({
    execs,
    corpus: corpus.length,
    features: virgin.size,
    blocks: coverage.covered.size,
    knownBlocks: coverage.knownBlocks,
    checks,
    findings,
    elapsedMs: performance.now() - started,
  })

  const check = (): void => {
    if (target.check === undefined) return
    checks++
    try {
      target.check()
    } catch (err) {
      findings++
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      if (!reported.has(`check|${message}`)) {
        reported.add(`check|${message}`)
        events.finding({ kind: "check", message: `valid peer failed after fuzzing: ${message}`, input: lastBatch[lastBatch.length - 1] ?? new Uint8Array(0) })
      }
    }
    coverage.reset() // the valid peer's coverage says nothing about the inputs
  }

  let batchSize = 1
  let batches = 0
  let lastBatch: Uint8Array[] = []
  const fuzzStart = performance.now()
  let lastStats = fuzzStart
  let lastCheck = fuzzStart
  const pick = (): Uint8Array => {
    // Favour recent finds a little (they sit at the frontier of the coverage).
    const n = corpus.length
    const i = n > 16 && random.chance(3) ? n - 1 - random.below(16) : random.below(n)
    return corpus[i] as Uint8Array
  }
  coverage.reset()
  for (;;) {
    const now = performance.now()
    if (now - fuzzStart >= options.timeMs || (options.runs > 0 && execs >= options.runs)) break
    const batch: Uint8Array[] = []
    for (let i = 0; i < batchSize; i++) batch.push(mutator.mutate(pick(), corpus[random.below(corpus.length)] as Uint8Array))
    lastBatch = batch
    // Every few batches, a few inputs one by one: the only way to see new hit-count buckets.
    if (++batches % SAMPLE_EVERY === 0) {
      for (const input of batch.splice(0, SAMPLE_SIZE)) single(input, true)
      coverage.reset()
      if (batch.length === 0) continue
    }
    const t0 = performance.now()
    for (const input of batch) exec(input)
    const t1 = performance.now()
    const features = coverage.take()
    const t2 = performance.now()
    if (newBlock(features)) bisect(batch, true)
    // Size the next batch so that a take costs about 1/TAKE_SHARE of the executions.
    const perExec = (t1 - t0) / batch.length
    const want = Math.ceil(((t2 - t1) * TAKE_SHARE) / Math.max(perExec, 1e-4))
    batchSize = Math.max(1, Math.min(MAX_BATCH, want, Math.ceil(batchSize * 2), Math.ceil(BATCH_MS / Math.max(perExec, 1e-4))))
    if (t2 - lastStats >= 1000) {
      lastStats = t2
      events.stats(stats())
      if (process.memoryUsage.rss() > options.rssLimitBytes) {
        findings++
        const largest = batch.reduce((a, b) => (b.length > a.length ? b : a), new Uint8Array(0))
        events.finding({ kind: "memory", message: `RSS over ${options.rssLimitBytes >> 20} MiB after a batch of ${batch.length}`, input: largest })
      }
    }
    if (t2 - lastCheck >= options.checkEveryMs) {
      lastCheck = performance.now()
      check()
    }
  }
  check()
  const final = stats()
  events.stats(final)
  if (given === undefined) coverage.close()
  return final
}
