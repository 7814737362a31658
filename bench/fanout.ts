/**
 * PUB→SUB fan-out (issue 13 item 6), one process per side, chosen by args.role:
 *   pub  binds a Publisher and sends `size`-byte messages in a loop until killed, each send
 *        awaited (PUB never waits for a subscriber: one at its high-water mark misses messages,
 *        in both implementations).
 *   sub  opens `count` Subscribers in one process, each connected to the publisher and
 *        subscribed to everything, each with its own receive loop; once every one has received a
 *        message, counts what all of them receive for `durationMs` (bench/window.ts) and reports
 *        the total messages delivered per second.
 */
import { emit, need, needText, runChild } from "./child.js"
import { isImplName, loadImpl, loadPubSub, type BenchSubscriber } from "./impl.js"
import { CountWindow } from "./window.js"

interface FanoutArgs {
  readonly role?: string
}

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const { Publisher, Subscriber } = await loadPubSub(args.impl)
  const { role } = args as unknown as FanoutArgs
  if (role === "pub") {
    const pub = new Publisher()
    await pub.bind("tcp://127.0.0.1:*")
    emit("ready", { endpoint: pub.lastEndpoint })
    const payload = new Uint8Array(need(args.size, "size")).fill(0x61)
    for (;;) await pub.send(payload)
  }
  if (role !== "sub") throw new TypeError(`expected args.role "pub" or "sub", got ${String(role)}`)
  const count = need(args.count, "count")
  const endpoint = needText(args.endpoint, "endpoint")
  impl.allowSockets(count + 16)
  const window = new CountWindow(count)
  const subscribers: BenchSubscriber[] = []
  for (let i = 0; i < count; i++) {
    const sub = new Subscriber({ linger: 0 })
    sub.subscribe("")
    await sub.connect(endpoint)
    subscribers.push(sub)
  }
  for (const sub of subscribers) {
    window.follow(() => sub.receive())
  }
  const result = await window.measure(need(args.durationMs, "durationMs"))
  return { ...result, subscribers: count }
})
