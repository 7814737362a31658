// Strawhouse: NULL security with an address allow list (RFC 27: a server may "filter bogus
// clients on the basis of IP address"). The server allows only 127.0.0.2; one client connects
// *from* 127.0.0.2 (`tcp://SOURCE;DEST`), another from 127.0.0.1.
// Run: npm run build:test && node build/examples/security/strawhouse.js
import { Authenticator, Pull, Push, type AuthDecision } from "../../src/index.js"

const auth = new Authenticator().allow("127.0.0.2")
auth.on("decision", (d: AuthDecision) => console.log(`strawhouse: ${d.address} ${d.allowed ? "admitted" : "refused"} (${d.reason})`))

// zapDomain turns ZAP on for NULL. (On a dual-stack listener, ipv6 with tcp://*, IPv4 peers are
// still reported as a.b.c.d, not ::ffff:a.b.c.d, so IPv4 rules match them.)
const server = new Pull({ zapDomain: "strawhouse", authenticate: auth.authenticate, linger: 0 })
await server.bind("tcp://127.0.0.1:*")
const port = (server.lastEndpoint as string).split(":").pop()

const admitted = new Push({ linger: 0 })
admitted.connect(`tcp://127.0.0.2:0;127.0.0.1:${port}`) // from 127.0.0.2, any local port
await admitted.send("hello from 127.0.0.2")
const { message, peer } = await server.receiveWithPeer()
console.log(`strawhouse: server got "${message}" from ${peer.address}`)

const refused = new Push({ linger: 0, reconnectInterval: -1 })
refused.connect(`tcp://127.0.0.1:${port}`) // from 127.0.0.1: not in the allow list
void refused.send("hello from 127.0.0.1").catch(() => undefined)
for await (const event of server.events) {
  if (event.type === "handshake:error:auth") {
    console.log(`strawhouse: refused a client with status ${event.error.status}; it got nothing through`)
    break
  }
}

admitted.close()
refused.close()
server.close()
auth.close()
