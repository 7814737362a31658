// Strawhouse: NULL, but only clients from allowed IP addresses (ZAP checks the address).
// Run: npm run build:test && node build/examples/security/strawhouse.js
import { Authenticator, Reply, Request } from "../../src/index.js"

const auth = new Authenticator()
auth.allow("127.0.0.1", "::1") // a non-empty allow list denies every other address
auth.on("decision", (d) => console.log(`strawhouse: ${d.address} ${d.allowed ? "allowed" : "denied"} (${d.reason})`))

// A ZAP domain turns authentication on for NULL (RFC 27).
const server = new Reply({ zapDomain: "global", authenticate: auth.authenticate })
await server.bind("tcp://127.0.0.1:*")

const client = new Request()
client.connect(server.lastEndpoint as string)
await client.send("hello")

const { message, peer } = await server.receiveWithPeer()
console.log(`strawhouse: server got "${message}" from ${peer.address}`)
await server.send("welcome")
console.log(`strawhouse: client got "${await client.receive()}"`)

client.close()
server.close()
auth.close()
