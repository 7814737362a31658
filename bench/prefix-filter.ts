/**
 * A publisher holding 100,000 subscription prefixes (issue 13 item 6), one process per side,
 * chosen by args.role:
 *   pub  binds a Publisher and sends `size`-byte messages in a loop until killed, each send
 *        awaited. Message i starts with the topic "k" + (i mod count) in five digits, so each
 *        matches exactly one of the subscriber's prefixes; every 1000th message is "ready…".
 *   sub  one XSubscriber subscribes to the `count` prefixes "k00000", "k00001", … and then to
 *        "ready" (each a 0x01 + prefix message, each send awaited). Subscriptions are applied
 *        in order on one connection, so the first "ready" message shows the publisher holds
 *        all of them; from then on it counts the "k" messages it receives for `durationMs`
 *        and reports messages per second.
 * An XSubscriber with a send high-water mark of 0 (no limit), not a Subscriber: libzmq drops
 * most of the subscriptions otherwise (see below).
 * Both ends filter (the publisher to choose what to send, the subscriber again on receipt, as
 * libzmq does), each over a table of `count` + 1 prefixes.
 */
import { emit, need, needText, runChild } from "./child.js"
import { isImplName, loadImpl, loadPubSub } from "./impl.js"
import { CountWindow } from "./window.js"

interface PrefixArgs {
  readonly role?: string
}

const READY_EVERY = 1000

function topic(i: number): string {
  return `k${String(i).padStart(5, "0")}`
}

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const { Publisher, XSubscriber } = await loadPubSub(args.impl)
  const { role } = args as unknown as PrefixArgs
  const count = need(args.count, "count")
  if (count > 100_000) throw new RangeError(`expected at most 100000 prefixes (five digits), got ${count}`)
  if (role === "pub") {
    // Ironhouse caps what one peer may subscribe to at 10,000 prefixes by default
    // (maxSubscriptions; libzmq has no cap) and drops a peer that goes over: an application
    // holding this many prefixes raises it, and so does the bench. `zeromq` has no such option.
    const pub = new Publisher(args.impl === "ironhouse" ? { maxSubscriptions: count + 1 } : {})
    await pub.bind("tcp://127.0.0.1:*")
    emit("ready", { endpoint: pub.lastEndpoint })
    const size = need(args.size, "size")
    // Prepared up front so that the loop measures sending, not building messages.
    const messages = Array.from({ length: count }, (_, i) => {
      const m = new Uint8Array(size).fill(0x61)
      m.set(new TextEncoder().encode(topic(i)))
      return m
    })
    const ready = new Uint8Array(size).fill(0x61)
    ready.set(new TextEncoder().encode("ready"))
    for (let i = 0; ; i = i + 1 === count ? 0 : i + 1) {
      await pub.send(messages[i] as Uint8Array)
      if (i % READY_EVERY === 0) await pub.send(ready)
    }
  }
  if (role !== "sub") throw new TypeError(`expected args.role "pub" or "sub", got ${String(role)}`)
  impl.allowSockets(16)
  // libzmq drops a subscription that finds the SUB's outgoing pipe at its high-water mark
  // (xsub.cpp: "drop the subscription message instead"), and 100,000 subscriptions in a row
  // outrun its I/O thread. A Subscriber has no send high-water mark option in `zeromq`, an
  // XSubscriber does: with no limit on the way out every subscription reaches the publisher.
  // (Ironhouse sends subscriptions past the high-water mark anyway; the socket is the same for both.)
  const sub = new XSubscriber({ linger: 0, sendHighWaterMark: 0 })
  await sub.connect(needText(args.endpoint, "endpoint"))
  const subscribe = (prefix: string): Promise<void> => sub.send(Buffer.from(`\x01${prefix}`, "latin1"))
  for (let i = 0; i < count; i++) await subscribe(topic(i))
  await subscribe("ready")
  const window = new CountWindow(1)
  void (async () => {
    let live = false
    for (;;) {
      const [frame] = await sub.receive()
      if (frame?.[0] === 0x6b /* "k" */) {
        if (live) window.total++
      } else if (!live) {
        live = true
        window.markLive()
      }
    }
  })().catch(() => {})
  const result = await window.measure(need(args.durationMs, "durationMs"))
  return { ...result, prefixes: count }
})
