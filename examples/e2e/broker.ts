/**
 * End-to-end example, the broker: a plain ROUTER<->DEALER relay with NULL security on the wire.
 * It forwards CurveZMQ commands it cannot open; it prints the first octets of what it sees so
 * you can check there is no plaintext in it.
 *
 *   node build/examples/e2e/broker.js [frontend] [backend]
 *   (defaults tcp://127.0.0.1:5555 for clients, tcp://127.0.0.1:5556 for workers)
 */
import { pathToFileURL } from "node:url"
import { Dealer, Router } from "../../src/index.js"

export interface Broker {
  readonly frontend: string
  readonly backend: string
  close(): void
}

export async function startBroker(
  frontendAddress = "tcp://127.0.0.1:*",
  backendAddress = "tcp://127.0.0.1:*",
  log: (line: string) => void = () => undefined,
): Promise<Broker> {
  const frontend = new Router()
  const backend = new Dealer()
  await frontend.bind(frontendAddress)
  await backend.bind(backendAddress)
  const show = (dir: string, m: Buffer[]): void => {
    const command = m[m.length - 1] as Buffer
    log(`broker ${dir} ${m.length - 1} envelope frame(s) + ${command.subarray(1, 1 + (command[0] ?? 0)).toString("latin1")} ${command.length} B: ${command.subarray(16, 28).toString("hex")}...`)
  }
  const pump = async (from: Router | Dealer, to: Router | Dealer, dir: string): Promise<void> => {
    for (;;) {
      let m: Buffer[]
      try {
        m = await from.receive()
      } catch {
        return
      }
      show(dir, m)
      await to.send(m).catch(() => undefined)
    }
  }
  void pump(frontend, backend, "->")
  void pump(backend, frontend, "<-")
  return {
    frontend: frontend.lastEndpoint as string,
    backend: backend.lastEndpoint as string,
    close: () => (frontend.close(), backend.close()),
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const broker = await startBroker(process.argv[2] ?? "tcp://127.0.0.1:5555", process.argv[3] ?? "tcp://127.0.0.1:5556", console.log)
  console.log(`broker: clients connect to ${broker.frontend}, workers to ${broker.backend}`)
}
