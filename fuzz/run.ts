/**
 * `npm run fuzz -- [options]`: coverage-guided fuzzing of every target, one worker thread per
 * target (docs/fuzzing.md).
 *
 *   --time 60s        fuzzing time per target (s, m or h; default 60s)
 *   --total 10m       or: a total budget shared equally by the selected targets
 *   --runs N          stop a target after N executions (instead of / besides the time)
 *   --only REGEX      targets whose name matches
 *   --jobs N          targets fuzzed at once (default 1; the machine is shared)
 *   --seed N          PRNG seed (default: time-based; printed, so a run can be repeated)
 *   --hang 30s        no progress for this long counts as a hang (default 30s)
 *   --no-save         do not keep new corpus entries in build/fuzz/corpus/<target>/
 *   --write-seeds     write each target's in-memory seeds into fuzz/corpus/<target>/ and exit
 *   --list            list the targets and exit
 *
 * Findings (crash, hang, memory, failed valid-peer check) go to build/fuzz/findings/<target>/
 * with the error next to them; the run exits with status 1 if it found one. A summary
 * table and build/fuzz/summary.json close the run.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Worker } from "node:worker_threads"
import { fileURLToPath } from "node:url"
import { hashOf, type FindingReport, type LoopStats } from "./loop.js"
import { TARGETS } from "./targets/index.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text)
  if (m === null) throw new RangeError(`expected a duration like 90s, 5m or 1h, got ${JSON.stringify(text)}`)
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  return n * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000)
}

interface Args {
  timeMs: number
  totalMs: number | undefined
  runs: number
  only: RegExp | undefined
  jobs: number
  seed: number
  hangMs: number
  save: boolean
  writeSeeds: boolean
  list: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    timeMs: 60_000,
    totalMs: undefined,
    runs: 0,
    only: undefined,
    jobs: 1,
    seed: Date.now() % 1_000_000,
    hangMs: 30_000,
    save: true,
    writeSeeds: false,
    list: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new RangeError(`expected a value after ${a}`)
      return v
    }
    if (a === "--time") args.timeMs = duration(value())
    else if (a === "--total") args.totalMs = duration(value())
    else if (a === "--runs") args.runs = Number(value())
    else if (a === "--only") args.only = new RegExp(value())
    else if (a === "--jobs") args.jobs = Math.max(1, Number(value()))
    else if (a === "--seed") args.seed = Number(value())
    else if (a === "--hang") args.hangMs = duration(value())
    else if (a === "--no-save") args.save = false
    else if (a === "--write-seeds") args.writeSeeds = true
    else if (a === "--list") args.list = true
    else throw new RangeError(`unknown option ${a} (see the comment at the top of fuzz/run.ts)`)
  }
  return args
}

interface Result {
  target: string
  stats: LoopStats | undefined
  findings: number
  status: "done" | "hang" | "crashed"
}

const args = parseArgs(process.argv.slice(2))
const selected = TARGETS.filter((t) => args.only === undefined || args.only.test(t.name))
if (args.list) {
  for (const t of TARGETS) console.log(`${t.name.padEnd(22)} ${t.about}`)
  process.exit(0)
}
if (args.writeSeeds) {
  for (const t of selected) {
    const dir = join(root, "fuzz", "corpus", t.name)
    mkdirSync(dir, { recursive: true })
    const seeds = t.seeds?.() ?? []
    for (const s of seeds) writeFileSync(join(dir, `seed-${hashOf(s).slice(0, 16)}`), s)
    console.log(`${t.name}: ${seeds.length} seed(s) in fuzz/corpus/${t.name}/`)
  }
  process.exit(0)
}
if (selected.length === 0) {
  console.error("no fuzz target matched")
  process.exit(2)
}
const perTarget = args.totalMs !== undefined ? Math.max(1000, Math.floor(args.totalMs / selected.length)) : args.timeMs
console.log(
  `fuzzing ${selected.length} target(s), ${(perTarget / 1000).toFixed(0)} s each${args.runs > 0 ? ` or ${args.runs} runs` : ""}, ${args.jobs} at a time, seed ${args.seed}`,
)

const findingsDir = join(root, "build", "fuzz", "findings")
const fmt = (n: number): string => n.toLocaleString("en-US")

function saveFinding(target: string, report: { kind: string; message: string; input: Uint8Array }): string {
  const dir = join(findingsDir, target)
  mkdirSync(dir, { recursive: true })
  const name = `${report.kind}-${hashOf(report.input).slice(0, 16)}`
  writeFileSync(join(dir, name), report.input)
  writeFileSync(join(dir, `${name}.txt`), `${report.message}\n`)
  return join("build", "fuzz", "findings", target, name)
}

function fuzzOne(index: number): Promise<Result> {
  const target = selected[index]
  if (target === undefined) throw new Error("no such target")
  const shared = new SharedArrayBuffer(8 + target.maxLength)
  const counters = new Int32Array(shared, 0, 2)
  const worker = new Worker(new URL("./worker.js", import.meta.url), {
    workerData: {
      target: target.name,
      timeMs: perTarget,
      runs: args.runs,
      seed: args.seed + index,
      corpusDir: join(root, "fuzz", "corpus", target.name),
      outDir: args.save ? join(root, "build", "fuzz", "corpus", target.name) : undefined,
      shared,
      checkEveryMs: 2000,
      rssLimitBytes: 1536 * 1024 * 1024,
    },
    // An allocation the input made us do beyond this ends the worker: a memory finding.
    resourceLimits: { maxOldGenerationSizeMb: 1024 },
  })
  let last: LoopStats | undefined
  let findings = 0
  let printed = -1
  let lastProgress = Date.now()
  let lastExecs = -1
  const currentInput = (): Uint8Array => new Uint8Array(shared, 8, Math.min(counters[1] as number, target.maxLength)).slice()
  return new Promise<Result>((resolve) => {
    let settled = false
    const finish = (status: Result["status"]): void => {
      if (settled) return
      settled = true
      clearInterval(watch)
      resolve({ target: target.name, stats: last, findings, status })
    }
    const watch = setInterval(() => {
      const execs = Atomics.load(counters, 0)
      if (execs !== lastExecs) {
        lastExecs = execs
        lastProgress = Date.now()
        return
      }
      if (Date.now() - lastProgress > args.hangMs) {
        findings++
        const file = saveFinding(target.name, { kind: "hang", message: `no progress for ${args.hangMs} ms`, input: currentInput() })
        console.log(`[${target.name}] HANG: ${file}`)
        void worker.terminate()
        finish("hang")
      }
    }, 1000)
    worker.on("message", (m: { type: string; stats?: LoopStats; report?: FindingReport }) => {
      if (m.type === "stats" && m.stats) {
        last = m.stats
        const s = m.stats
        // The first report, then one every 10 s.
        const slot = Math.floor(s.elapsedMs / 10_000)
        if (printed < 0 || slot > printed) {
          printed = Math.max(slot, 0)
          console.log(
            `[${target.name}] ${(s.elapsedMs / 1000).toFixed(0)}s execs ${fmt(s.execs)} (${fmt(Math.round(s.execs / (s.elapsedMs / 1000)))}/s) blocks ${s.blocks} features ${s.features} corpus ${s.corpus}${s.checks > 0 ? ` checks ${s.checks}` : ""}${s.findings > 0 ? ` findings ${s.findings}` : ""}`,
          )
        }
      } else if (m.type === "finding" && m.report) {
        findings++
        const file = saveFinding(target.name, m.report)
        console.log(`[${target.name}] ${m.report.kind.toUpperCase()}: ${m.report.message.split("\n")[0]} -> ${file}`)
      } else if (m.type === "done" && m.stats) {
        last = m.stats
      }
    })
    worker.on("error", (err: Error & { code?: string }) => {
      findings++
      const kind = err.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "crash"
      const file = saveFinding(target.name, { kind, message: `worker died: ${err.stack ?? String(err)}`, input: currentInput() })
      console.log(`[${target.name}] ${kind.toUpperCase()} (worker died: ${err.message}) -> ${file}`)
      finish("crashed")
    })
    worker.on("exit", () => finish("done"))
  })
}

const results: Result[] = new Array(selected.length)
let next = 0
await Promise.all(
  Array.from({ length: Math.min(args.jobs, selected.length) }, async () => {
    while (next < selected.length) {
      const i = next++
      results[i] = await fuzzOne(i)
    }
  }),
)

console.log("")
console.log(`${"target".padEnd(22)} ${"execs".padStart(12)} ${"execs/s".padStart(8)} ${"blocks".padStart(7)} ${"features".padStart(9)} ${"corpus".padStart(7)} ${"checks".padStart(6)} findings`)
let total = 0
let totalFindings = 0
for (const r of results) {
  const s = r.stats
  total += s?.execs ?? 0
  totalFindings += r.findings
  console.log(
    `${r.target.padEnd(22)} ${fmt(s?.execs ?? 0).padStart(12)} ${fmt(s ? Math.round(s.execs / (s.elapsedMs / 1000)) : 0).padStart(8)} ${String(s?.blocks ?? 0).padStart(7)} ${String(s?.features ?? 0).padStart(9)} ${String(s?.corpus ?? 0).padStart(7)} ${String(s?.checks ?? 0).padStart(6)} ${r.findings}${r.status !== "done" ? ` (${r.status})` : ""}`,
  )
}
console.log(`total executions ${fmt(total)}, findings ${totalFindings}`)
mkdirSync(join(root, "build", "fuzz"), { recursive: true })
writeFileSync(join(root, "build", "fuzz", "summary.json"), `${JSON.stringify({ seed: args.seed, perTargetMs: perTarget, results }, null, 2)}\n`)
process.exit(totalFindings > 0 ? 1 : 0)
