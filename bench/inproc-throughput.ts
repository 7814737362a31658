/**
 * The inproc row (h4-proxy, issue 8): PUSH→PULL over inproc:// in one process. The sender
 * awaits every send() for `durationMs`, then sends an empty end marker; the receiver awaits
 * receive() per message and reports (messages − 1) / (time from the first to the marker).
 * Both loops share the one thread (as a program using inproc does); default high-water marks.
 */
import { emit, need, runChild } from "./child.js"
import { isImplName, loadImpl } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const size = need(args.size, "size")
  const durationMs = need(args.durationMs, "durationMs")
  const pull = new impl.Pull()
  await pull.bind("inproc://bench")
  const push = new impl.Push()
  await push.connect("inproc://bench")
  emit("ready", { endpoint: "inproc://bench" })
  const payload = new Uint8Array(size).fill(0x61)
  const sending = (async () => {
    const deadline = performance.now() + durationMs
    let sent = 0
    for (;;) {
      await push.send(payload)
      if ((++sent & 255) === 0 && performance.now() >= deadline) break
    }
    await push.send(new Uint8Array(0))
  })()
  let count = 0
  let first = 0
  for (;;) {
    const [frame] = await pull.receive()
    if (frame === undefined || frame.length === 0) break
    if (count === 0) first = performance.now()
    count++
  }
  const seconds = (performance.now() - first) / 1000
  await sending
  await push.close()
  await pull.close()
  return { messages: count, seconds, msgPerSec: count > 1 ? (count - 1) / seconds : 0 }
})
