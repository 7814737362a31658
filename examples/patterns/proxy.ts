/**
 * A broker: CURVE-encrypted clients on TCP, workers in the same process over inproc://, and
 * a Proxy between them (ROUTER front end, DEALER back end). The front end authenticates; the
 * back end needs no security (inproc never leaves the process). Replies find their way back
 * through the ROUTER's routing ids.
 *
 *   npm run build:test && node build/examples/patterns/proxy.js
 */
import { Dealer, Proxy, Reply, Request, Router, curveKeyPair } from "../../src/index.js"

const brokerKeys = curveKeyPair()
const front = new Router({ curveServer: true, curveSecretKey: brokerKeys.secretKey })
await front.bind("tcp://127.0.0.1:*")
const back = new Dealer()
await back.bind("inproc://workers")

const proxy = new Proxy(front, back)
const running = proxy.run() // resolves after terminate(); both sockets are closed then

const workers = ["worker-a", "worker-b"].map((name) => {
  const rep = new Reply()
  rep.connect("inproc://workers")
  const loop = (async () => {
    for await (const [request] of rep) await rep.send(`${String(request).toUpperCase()} (by ${name})`)
  })()
  return { rep, loop }
})

const clients = ["alice", "bob"].map((name) => {
  const keys = curveKeyPair()
  const req = new Request({ curveServerKey: brokerKeys.publicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey })
  req.connect(front.lastEndpoint as string)
  return { name, req }
})

for (const { name, req } of clients) {
  for (let i = 1; i <= 2; i++) {
    await req.send(`job ${i} from ${name}`)
    console.log(`${name} got: ${String((await req.receive())[0])}`)
  }
}
const stats = proxy.statistics()
console.log(`proxy forwarded ${stats.backEnd.sent} requests and ${stats.frontEnd.sent} replies`)

proxy.terminate()
await running
for (const { req } of clients) req.close()
for (const { rep } of workers) rep.close()
await Promise.all(workers.map((w) => w.loop))
