/** Worker thread: one target's coverage-guided loop (see ./loop.ts), reporting to ./run.ts. */
import { parentPort, workerData } from "node:worker_threads"
import { Coverage } from "./coverage.js"
import type { LoopOptions } from "./loop.js"

interface WorkerInput extends LoopOptions {
  target: string
}

const input = workerData as WorkerInput
const port = parentPort
if (port === null) throw new Error("fuzz/worker.js runs as a worker thread of fuzz/run.js")
// Start V8's block counters before any code under test is loaded (see runLoop), then load it.
const coverage = new Coverage("/build/src/")
const { cryptoReady } = await import("../src/crypto/index.js")
const { runLoop } = await import("./loop.js")
const { TARGETS } = await import("./targets/index.js")
await cryptoReady()
const target = TARGETS.find((t) => t.name === input.target)
if (target === undefined) throw new Error(`no fuzz target named ${input.target}`)
const final = runLoop(
  target,
  input,
  {
    stats: (stats) => port.postMessage({ type: "stats", stats }),
    finding: (report) => port.postMessage({ type: "finding", report }),
  },
  coverage,
)
port.postMessage({ type: "done", stats: final })
