/**
 * A TLS-over-ZeroMQ client over a DEALER: handshake, multipart messages, then a reconnect
 * that resumes the TLS 1.3 session with the ticket the server gave.
 *
 *   node build/examples/tls/client.js [endpoint]     (default tcp://127.0.0.1:5571, the proxy)
 */
import { Dealer, TlsClient } from "../../src/index.js"
import { pem } from "./certs.js"

export async function runClient(endpoint: string): Promise<void> {
  const dealer = new Dealer({ linger: 0 })
  dealer.connect(endpoint)
  const client = new TlsClient(dealer, {
    ca: pem("ca.crt"), // trust the server's CA
    servername: "localhost", // checked against the server certificate
    key: pem("client.key"), // our certificate, for mutual TLS
    cert: pem("client.crt"),
  })
  const peer = await client.connect()
  console.log(`client: ${peer.protocol} ${peer.cipher}, server ${peer.subject?.CN}`)
  await client.send(["hello", "multipart", "world"])
  console.log(`client: got [${(await client.receive()).map(String).join(" | ")}]`)

  const again = await client.reconnect()
  console.log(`client: reconnected, session resumed: ${again.sessionReused}`)
  await client.send("after the reconnect")
  console.log(`client: got [${(await client.receive()).map(String).join(" | ")}]`)
  await client.close()
  dealer.close()
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runClient(process.argv[2] ?? "tcp://127.0.0.1:5571")
}
