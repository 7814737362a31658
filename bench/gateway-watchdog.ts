/**
 * `ironhouse gateway CONFIG` for the bench, run through the CLI's own `run()` (the code path
 * of src/cli/main.js) plus a watchdog: when the bench process that started it goes away
 * (killed with SIGKILL by the orchestrator, its end of our stdin closes), the gateway gets
 * SIGTERM, drains and exits, so no gateway outlives a bench run.
 */
import { rm } from "node:fs/promises"
import { basename, dirname } from "node:path"
import { run } from "../src/cli/run.js"

process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"))
process.stdin.resume()
process.exitCode = await run(["gateway", process.argv[2] ?? ""], {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => Promise.resolve(new Uint8Array(0)),
})
process.stdin.destroy()
// The bench's temporary directory (config and the gateway's secret certificate) goes with us.
const dir = dirname(process.argv[2] ?? "")
if (basename(dir).startsWith("ironhouse-bench-gateway-")) await rm(dir, { recursive: true, force: true })
