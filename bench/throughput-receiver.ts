/**
 * PUSH→PULL throughput, receiving side (binds). Counts messages from the first arrival to the
 * sender's empty end marker and reports (count - 1) / elapsed: the rate at which messages came
 * out of `receive()`, awaited once per message as an application would.
 */
import { emit, runChild } from "./child.js"
import { isImplName, loadImpl, serverSecurity } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const { options, serverKey } = serverSecurity(impl, args.security)
  const pull = new impl.Pull(options)
  if (args.endpoint !== undefined) {
    // h4-proxy: the proxy row's receiver connects to the proxy's back end instead of binding.
    await pull.connect(args.endpoint)
  } else {
    await pull.bind("tcp://127.0.0.1:*")
    emit("ready", { endpoint: pull.lastEndpoint, serverKey })
  }
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
  return { messages: count, seconds, msgPerSec: count > 1 ? (count - 1) / seconds : 0 }
})
