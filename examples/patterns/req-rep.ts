/**
 * REQ-REP: a client asks, a server answers, strictly in turn. CURVE-encrypted; the server's
 * authenticate hook admits only known client keys, and the server sees who asked on every
 * request.
 *
 *   npm run build:test && node build/examples/patterns/req-rep.js
 */
import { Reply, Request, curveKeyPair, z85Encode } from "../../src/index.js"

const serverKeys = curveKeyPair()
const clientKeys = curveKeyPair()
const knownClients = new Map([[clientKeys.publicKey, "client-1"]])

const server = new Reply({
  curveServer: true,
  curveSecretKey: serverKeys.secretKey,
  // CURVE credentials: the client's long-term public key (32 octets).
  authenticate: ({ credentials: [key] }) => {
    const name = key === undefined ? undefined : knownClients.get(z85Encode(key))
    return name === undefined ? { status: 400, statusText: "unknown key" } : { status: 200, userId: name }
  },
})
await server.bind("tcp://127.0.0.1:*")

const client = new Request({
  curveServerKey: serverKeys.publicKey,
  curvePublicKey: clientKeys.publicKey,
  curveSecretKey: clientKeys.secretKey,
})
client.connect(server.lastEndpoint as string)

const serving = (async () => {
  for (let i = 0; i < 2; i++) {
    const { message, peer } = await server.receiveWithPeer()
    console.log(`server: "${message.join(" ")}" from ${peer.userId} over ${peer.mechanism}`)
    await server.send(`${String(message[0]).toUpperCase()}!`)
  }
})()

for (const question of ["hello", "how are you"]) {
  await client.send(question)
  const [answer] = await client.receive()
  console.log(`client: ${question} -> ${String(answer)}`)
}
await serving
client.close()
server.close()
