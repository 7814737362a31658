// Woodhouse: PLAIN user names and passwords (sent in clear: use on trusted networks only).
// Run: npm run build:test && node build/examples/security/woodhouse.js
import { Authenticator, Reply, Request } from "../../src/index.js"

const auth = new Authenticator()
await auth.configurePlain({ passwords: { admin: "s3cret" } }) // or { passwordFile: "passwords" }

const server = new Reply({ plainServer: true, authenticate: auth.authenticate })
await server.bind("tcp://127.0.0.1:*")

const client = new Request({ plainUsername: "admin", plainPassword: "s3cret" })
client.connect(server.lastEndpoint as string)
await client.send("hello")

const { message, peer } = await server.receiveWithPeer()
console.log(`woodhouse: server got "${message}" from User-Id "${peer.userId}"`)
await server.send("welcome")
console.log(`woodhouse: client got "${await client.receive()}"`)

client.close()
server.close()
auth.close()
