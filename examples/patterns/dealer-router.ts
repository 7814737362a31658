/**
 * DEALER-ROUTER: asynchronous request-reply. The ROUTER sees each DEALER's routing id as the
 * first frame and uses it to address the reply; DEALERs may have several requests in flight.
 *
 *   npm run build:test && node build/examples/patterns/dealer-router.js
 */
import { Dealer, Router } from "../../src/index.js"

const router = new Router()
await router.bind("tcp://127.0.0.1:*")

const clients = ["alice", "bob"].map((name) => {
  const dealer = new Dealer({ routingId: name })
  dealer.connect(router.lastEndpoint as string)
  return dealer
})

const serving = (async () => {
  for (let i = 0; i < 4; i++) {
    const [id, request] = await router.receive()
    await router.send([id as Buffer, `${String(request)} done for ${String(id)}`])
  }
})()

for (const dealer of clients) {
  await dealer.send("job 1")
  await dealer.send("job 2") // no need to wait for the first reply
}
for (const dealer of clients) {
  for (let i = 0; i < 2; i++) console.log(String((await dealer.receive())[0]))
}
await serving
for (const dealer of clients) dealer.close()
router.close()
