/**
 * PUSH→PULL throughput, sending side (connects). Sends `size`-byte messages for `durationMs`,
 * awaiting each send() as an application must with `zeromq` v6 (it allows one pending send per
 * socket and rejects a second with EBUSY), then an empty end marker. Then it stays up until
 * the orchestrator kills it, so the last messages leave whatever linger does at exit.
 * High-water marks are the defaults (1000) on both sides for both implementations.
 */
import { emit, need, needText, runChild, untilKilled } from "./child.js"
import { clientSecurity, isImplName, loadImpl } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const size = need(args.size, "size")
  const durationMs = need(args.durationMs, "durationMs")
  const push = new impl.Push(clientSecurity(impl, args.security, args.serverKey))
  await push.connect(needText(args.endpoint, "endpoint"))
  const payload = new Uint8Array(size).fill(0x61)
  const deadline = performance.now() + durationMs
  let sent = 0
  for (;;) {
    await push.send(payload)
    // Read the clock every 256 messages only: at millions of messages a second it shows.
    if ((++sent & 255) === 0 && performance.now() >= deadline) break
  }
  await push.send(new Uint8Array(0))
  emit("result", { sent })
  return untilKilled()
})
