/**
 * A ROUTER sending round-robin to many DEALERs (issue 13 item 6), one process per side, chosen
 * by args.role:
 *   router   binds a Router, waits until `count` DEALERs have each sent one message (so it
 *            knows their routing ids), then sends `size`-byte messages to them in turn, each send
 *            awaited, until killed. A message for a peer at its high-water mark is dropped
 *            (ROUTER without `mandatory`, both implementations).
 *   dealers  opens `count` DEALERs in one process (batches of 50, `immediate`, as the memory
 *            row's connectors), each sending one greeting message and running its own receive
 *            loop; once every one has received a message, counts what all of them receive for
 *            `durationMs` and reports the total delivered per second.
 */
import { emit, need, needText, runChild } from "./child.js"
import { isImplName, loadImpl, type BenchMultipartSocket, type BenchSocket } from "./impl.js"
import { CountWindow } from "./window.js"

interface SpreadArgs {
  readonly role?: string
}

const BATCH = 50

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const { role } = args as unknown as SpreadArgs
  const count = need(args.count, "count")
  impl.allowSockets(count + 16)
  if (role === "router") {
    const router = new impl.Router() as BenchMultipartSocket
    await router.bind("tcp://127.0.0.1:*")
    emit("ready", { endpoint: router.lastEndpoint })
    const ids: Uint8Array[] = []
    while (ids.length < count) {
      const [id] = await router.receive()
      if (id !== undefined) ids.push(id)
    }
    const payload = new Uint8Array(need(args.size, "size")).fill(0x61)
    for (let i = 0; ; i = i + 1 === count ? 0 : i + 1) await router.send([ids[i] as Uint8Array, payload])
  }
  if (role !== "dealers") throw new TypeError(`expected args.role "router" or "dealers", got ${String(role)}`)
  const endpoint = needText(args.endpoint, "endpoint")
  const window = new CountWindow(count)
  const dealers: BenchSocket[] = []
  const hello = new Uint8Array([0x68])
  for (let opened = 0; opened < count; opened += BATCH) {
    const batch: Promise<void>[] = []
    for (let i = opened; i < Math.min(count, opened + BATCH); i++) {
      const dealer = new impl.Dealer({ linger: 0, immediate: true })
      dealers.push(dealer)
      await dealer.connect(endpoint)
      batch.push(dealer.send(hello))
    }
    await Promise.all(batch)
  }
  for (const dealer of dealers) {
    window.follow(() => dealer.receive())
  }
  const result = await window.measure(need(args.durationMs, "durationMs"))
  return { ...result, dealers: count }
})
