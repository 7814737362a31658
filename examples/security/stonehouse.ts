// Stonehouse: CURVE encryption; the client must know the server's public key, any client key
// is accepted. Run: npm run build:test && node build/examples/security/stonehouse.js
import { Authenticator, Reply, Request, curveKeyPair } from "../../src/index.js"

const serverKeys = curveKeyPair()
const auth = new Authenticator()
await auth.configureCurve({ allowAny: true })

const server = new Reply({ curveServer: true, curveSecretKey: serverKeys.secretKey, authenticate: auth.authenticate })
await server.bind("tcp://127.0.0.1:*")

const clientKeys = curveKeyPair() // any key pair will do
const client = new Request({ curveServerKey: serverKeys.publicKey, ...curveKeysOf(clientKeys) })
client.connect(server.lastEndpoint as string)
await client.send("hello")

const { message, peer } = await server.receiveWithPeer()
console.log(`stonehouse: server got "${message}" from client key ${peer.publicKey}`)
await server.send("welcome")
console.log(`stonehouse: client got "${await client.receive()}"`)

client.close()
server.close()
auth.close()

function curveKeysOf(keys: { publicKey: string; secretKey: string }) {
  return { curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey }
}
