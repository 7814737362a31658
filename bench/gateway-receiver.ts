/**
 * PUSH→PULL throughput through one gateway (issue 12): the PULL application (Ironhouse, NULL)
 * binds, an `ironhouse gateway` process forwards CURVE from outside to it, and the usual
 * throughput-sender connects to the gateway with CURVE. Counted exactly as
 * throughput-receiver.ts counts (first message to the empty end marker).
 */
import { emit, runChild } from "./child.js"
import { startGateway } from "./gateway-process.js"
import { isImplName, loadImpl } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const pull = new impl.Pull({})
  await pull.bind("tcp://127.0.0.1:*")
  const gateway = await startGateway("push-pull", pull.lastEndpoint as string)
  emit("ready", { endpoint: gateway.endpoint, serverKey: gateway.serverKey })
  let count = 0
  let first = 0
  // warmupMs (the gateway rows): count from the first arrival at least that long after the
  // very first, so that the rate is the steady state, not the processes' cold start.
  const warmupMs = args.warmupMs ?? 0
  let arrived = -1
  let counting = warmupMs <= 0
  for (;;) {
    const [frame] = await pull.receive()
    if (frame === undefined || frame.length === 0) break
    if (!counting) {
      const t = performance.now()
      if (arrived < 0) arrived = t
      if (t - arrived < warmupMs) continue
      counting = true
    }
    if (count === 0) first = performance.now()
    count++
  }
  const seconds = (performance.now() - first) / 1000
  await pull.close()
  await gateway.stop()
  return { messages: count, seconds, msgPerSec: count > 1 ? (count - 1) / seconds : 0 }
})
