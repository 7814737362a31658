/**
 * `ironhouse gateway CONFIG` for the bench, run through the CLI's own `run()` (the code path
 * of src/cli/main.js) plus a watchdog: when the bench process that started it goes away
 * (killed with SIGKILL by the orchestrator, its end of our stdin closes), the gateway gets
 * SIGTERM, drains and exits, so no gateway outlives a bench run.
 */
import { rmSync } from "node:fs"
import { basename, dirname } from "node:path"
import { run } from "../src/cli/run.js"

// The bench's temporary directory (config and the gateway's secret certificate) goes with us,
// however we exit.
const dir = dirname(process.argv[2] ?? "")
process.on("exit", () => {
  if (basename(dir).startsWith("ironhouse-bench-gateway-")) rmSync(dir, { recursive: true, force: true })
})
// Our parent gone, the audit pipe is closed: lines written to it are lost, not an error.
process.stdout.on("error", () => undefined)
process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"))
process.stdin.resume()
process.exitCode = await run(["gateway", process.argv[2] ?? ""], {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => Promise.resolve(new Uint8Array(0)),
})
process.stdin.destroy()
