/**
 * A TLS-over-ZeroMQ server: one TLS 1.3 session per client over a ROUTER, mutual TLS, the
 * client's certificate subject on every message.
 *
 *   node build/examples/tls/server.js [bind-endpoint]     (default tcp://127.0.0.1:5570)
 */
import { Router, TlsServer } from "../../src/index.js"
import { pem } from "./certs.js"

export async function startServer(endpoint: string): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const router = new Router({ linger: 0 })
  await router.bind(endpoint)
  const server = new TlsServer(router, {
    key: pem("server.key"),
    cert: pem("server.crt"),
    ca: pem("ca.crt"),
    requestCert: true, // mutual TLS: clients need a certificate signed by ca.crt
    respond: (message, session) => {
      const who = session.peer?.subject?.CN ?? "?"
      console.log(`server: [${message.map(String).join(" | ")}] from ${who} (${session.peer?.protocol})`)
      return ["ok", ...message]
    },
  })
  server.on("session:end", ({ key, reason }) => console.log(`server: session ${key.toString("hex")} ended: ${reason}`))
  return {
    endpoint: router.lastEndpoint as string,
    stop: async () => {
      await server.close()
      router.close()
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { endpoint } = await startServer(process.argv[2] ?? "tcp://127.0.0.1:5570")
  console.log(`server: listening on ${endpoint}`)
}
