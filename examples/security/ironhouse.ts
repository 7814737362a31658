// Ironhouse: CURVE, and only clients whose public certificate is in a directory get in.
// Run: npm run build:test && node build/examples/security/ironhouse.js
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Authenticator, Certificate, Reply, Request } from "../../src/index.js"

const dir = await mkdtemp(join(tmpdir(), "ironhouse-"))
const serverCert = Certificate.generate({ name: "server" })
const clientCert = Certificate.generate({ name: "client" })
await clientCert.savePublic(join(dir, "client.key")) // like `ironhouse keygen client --dir DIR`

const auth = new Authenticator()
await auth.configureCurve({ certificates: dir }) // re-read when files change

const server = new Reply({ curveServer: true, curveSecretKey: serverCert.secretKey, authenticate: auth.authenticate })
await server.bind("tcp://127.0.0.1:*")

const client = new Request({
  curveServerKey: serverCert.publicKey,
  curvePublicKey: clientCert.publicKey,
  curveSecretKey: clientCert.secretKey,
})
client.connect(server.lastEndpoint as string)
await client.send("hello")

const { message, peer } = await server.receiveWithPeer()
console.log(`ironhouse: server got "${message}" from ${peer.publicKey} (User-Id "${peer.userId}")`)
await server.send("welcome")
console.log(`ironhouse: client got "${await client.receive()}"`)

client.close()
server.close()
auth.close()
await rm(dir, { recursive: true })
