/**
 * A plain ROUTER↔DEALER proxy between TLS clients and the TLS server. It sees only TLS records:
 * it cannot read or forge messages, and the server still keys one session per client (by the
 * last non-empty envelope frame, the client's routing id).
 *
 *   node build/examples/tls/proxy.js [frontend-bind] [server-endpoint]
 *   (defaults tcp://127.0.0.1:5571 and tcp://127.0.0.1:5570)
 */
import { Dealer, Router } from "../../src/index.js"

export async function startProxy(frontend: string, server: string): Promise<{ endpoint: string; stop: () => void }> {
  const front = new Router({ linger: 0 })
  const back = new Dealer({ linger: 0 })
  await front.bind(frontend)
  back.connect(server)
  const pump = async (from: Router | Dealer, to: Router | Dealer): Promise<void> => {
    try {
      for await (const message of from) await to.send(message)
    } catch {
      // closed
    }
  }
  void pump(front, back)
  void pump(back, front)
  return {
    endpoint: front.lastEndpoint as string,
    stop: () => {
      front.close()
      back.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { endpoint } = await startProxy(process.argv[2] ?? "tcp://127.0.0.1:5571", process.argv[3] ?? "tcp://127.0.0.1:5570")
  console.log(`proxy: clients connect to ${endpoint}`)
}
