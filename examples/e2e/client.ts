/**
 * End-to-end example, the client: a CurveZmqClient over a DEALER connected to the broker's
 * frontend. It knows only the worker's public key; the broker in between sees ciphertext.
 *
 *   node build/examples/e2e/client.js <worker-public-key-z85> [frontend]
 */
import { pathToFileURL } from "node:url"
import { CurveZmqClient, Dealer, curveKeyPair } from "../../src/index.js"

export async function runClient(
  frontend: string,
  serverKey: string,
  messages: readonly string[][],
  keys = curveKeyPair(),
  log: (line: string) => void = console.log,
): Promise<void> {
  const dealer = new Dealer()
  dealer.connect(frontend)
  const client = new CurveZmqClient(dealer, { serverKey, publicKey: keys.publicKey, secretKey: keys.secretKey })
  client.on("event", (e) => {
    if (e.type !== "session-opened") log(`client event: ${e.type} ${e.code ?? ""} ${e.status ?? ""}`)
  })
  try {
    for (const m of messages) {
      await client.send(m)
      const reply = await client.receive()
      log(`client: ${JSON.stringify(m)} -> ${JSON.stringify(reply.map((f) => Buffer.from(f).toString()))}`)
    }
  } catch (err) {
    log(`client: refused (${err instanceof Error ? err.message : String(err)})`)
  } finally {
    client.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const serverKey = process.argv[2]
  if (serverKey === undefined) {
    console.error("usage: node build/examples/e2e/client.js <worker-public-key-z85> [frontend]")
    process.exit(2)
  }
  await runClient(process.argv[3] ?? "tcp://127.0.0.1:5555", serverKey, [["hello", "through the broker"], ["bye"]])
}
