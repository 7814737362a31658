/**
 * End-to-end example, the worker: a CurveZmqServer over a ROUTER connected to the broker's
 * backend. The Authenticator decides exactly as for wire CURVE (here: a list of allowed client
 * keys); every message arrives with the client's long-term key and User-Id, proven end to end.
 *
 *   node build/examples/e2e/worker.js [backend] [allowed-client-key-z85 ...]
 *   (prints its public key; with no allowed keys it accepts every client key: Stonehouse)
 */
import { pathToFileURL } from "node:url"
import { Authenticator, CurveZmqServer, Router, curveKeyPair, type E2eEvent } from "../../src/index.js"

export interface Worker {
  readonly publicKey: string
  close(): void
}

export async function startWorker(
  backend: string,
  allowed: readonly string[] | undefined,
  log: (line: string) => void = console.log,
  keys = curveKeyPair(),
): Promise<Worker> {
  const auth = new Authenticator()
  await auth.configureCurve(
    allowed === undefined ? { allowAny: true } : { check: (key) => (allowed.includes(key) ? { userId: `client-${key.slice(0, 5)}` } : false) },
  )
  const router = new Router()
  router.connect(backend)
  const server = new CurveZmqServer(router, { secretKey: keys.secretKey, authenticate: auth.authenticate })
  server.on("event", (e: E2eEvent) => {
    if (e.type !== "session-opened") log(`worker event: ${e.type} ${e.code ?? ""} ${e.status ?? ""}`)
  })
  void (async () => {
    for await (const { message, peer } of server) {
      const text = message.map((f) => Buffer.from(f).toString())
      log(`worker: ${JSON.stringify(text)} from ${peer.userId}`)
      await server.send(peer, text.map((t) => t.toUpperCase())).catch(() => undefined)
    }
  })()
  return { publicKey: keys.publicKey, close: () => (server.close(), auth.close()) }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const allowed = process.argv.slice(3)
  const worker = await startWorker(process.argv[2] ?? "tcp://127.0.0.1:5556", allowed.length > 0 ? allowed : undefined)
  console.log(`worker: public key ${worker.publicKey}`)
}
