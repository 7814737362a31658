/**
 * Gateway bench (issue 12): starts `ironhouse gateway` as its own process in front of an
 * application socket, the way it is deployed — a server-side route with CURVE outside
 * (allowAny: the bench's clients bring fresh keys) and NULL inside over loopback TCP. The
 * config and certificates live in a temporary directory; the outside endpoint (port chosen by
 * the OS) is read from the gateway's audit line `bind`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Certificate } from "../src/cert/certificate.js"

const WATCHDOG = fileURLToPath(new URL("./gateway-watchdog.js", import.meta.url))

export interface RunningGateway {
  /** Where clients connect (CURVE). */
  endpoint: string
  serverKey: string
  stop(): Promise<void>
}

export async function startGateway(pattern: "req-rep" | "push-pull", insideEndpoint: string): Promise<RunningGateway> {
  const dir = await mkdtemp(join(tmpdir(), "ironhouse-bench-gateway-"))
  const server = Certificate.generate({ name: "bench-gateway" })
  await server.save(join(dir, "server.key"))
  const config = join(dir, "gateway.toml")
  await writeFile(
    config,
    `audit = "stdout"
linger = 0
[[route]]
name = "bench"
pattern = "${pattern}"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "${insideEndpoint}"
[route.curve]
certificate = "server.key_secret"
allowAny = true
`,
  )
  const child: ChildProcess = spawn(process.execPath, [WATCHDOG, config], { stdio: ["pipe", "pipe", "inherit"] })
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()))
  const endpoint = await new Promise<string>((resolve, reject) => {
    let partial = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      partial += d
      const lines = partial.split("\n")
      partial = lines.pop() ?? ""
      for (const line of lines) {
        const record = JSON.parse(line) as { event?: string; side?: string; address?: string }
        if (record.event === "bind" && record.side === "outside" && record.address !== undefined) resolve(record.address)
      }
    })
    void exited.then(() => reject(new Error("the gateway exited before binding")))
  })
  // The audit log of a bench run is not read any further; keep the pipe drained.
  child.stdout?.resume()
  return {
    endpoint,
    serverKey: server.publicKey,
    async stop() {
      child.stdin?.end() // the watchdog turns this into SIGTERM: drain and exit
      await exited
      await rm(dir, { recursive: true, force: true })
    },
  }
}
