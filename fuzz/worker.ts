/** Worker thread: one target's coverage-guided loop (see ./loop.ts), reporting to ./run.ts. */
import { parentPort, workerData } from "node:worker_threads"
import { cryptoReady } from "../src/crypto/index.js"
import { runLoop, type LoopOptions } from "./loop.js"
import { TARGETS } from "./targets/index.js"

interface WorkerInput extends LoopOptions {
  target: string
}

const input = workerData as WorkerInput
const port = parentPort
if (port === null) throw new Error("fuzz/worker.js runs as a worker thread of fuzz/run.js")
await cryptoReady()
const target = TARGETS.find((t) => t.name === input.target)
if (target === undefined) throw new Error(`no fuzz target named ${input.target}`)
const final = runLoop(target, input, {
  stats: (stats) => port.postMessage({ type: "stats", stats }),
  finding: (report) => port.postMessage({ type: "finding", report }),
})
port.postMessage({ type: "done", stats: final })
