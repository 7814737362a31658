// Grasslands: no authentication, no encryption (NULL). Anyone who can reach the port gets in.
// Run: npm run build:test && node build/examples/security/grasslands.js
import { Reply, Request } from "../../src/index.js"

const server = new Reply()
await server.bind("tcp://127.0.0.1:*")

const client = new Request()
client.connect(server.lastEndpoint as string)
await client.send("hello")

const { message, peer } = await server.receiveWithPeer()
console.log(`grasslands: server got "${message}" over ${peer.mechanism}, User-Id "${peer.userId}"`)
await server.send("welcome")
console.log(`grasslands: client got "${await client.receive()}"`)

client.close()
server.close()
