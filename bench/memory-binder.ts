/**
 * Resident memory per idle connection, the BINDING side (the one measured): one ROUTER binds,
 * reads a settled RSS baseline, announces itself, then waits until `count` distinct DEALER
 * connections (from memory-connector processes) have each delivered one message, so every
 * connection is through its handshake and known by routing id. After a settle it reads RSS
 * again and reports (after - before) / count. The ROUTER is the usual server socket that holds
 * many clients; socket and listener costs fall in the baseline, so only connections count.
 */
import { emit, need, runChild, untilKilled } from "./child.js"
import { isImplName, loadImpl, serverSecurity } from "./impl.js"
import { settledRss } from "./rss.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const count = need(args.count, "count")
  const { options, serverKey } = serverSecurity(impl, args.security)
  const router = new impl.Router(options)
  await router.bind("tcp://127.0.0.1:*")
  const before = await settledRss(300)
  emit("ready", { endpoint: router.lastEndpoint, serverKey })
  const start = performance.now()
  for (let received = 0; received < count; received++) await router.receive()
  const connectSeconds = (performance.now() - start) / 1000
  const after = await settledRss(1000)
  emit("result", {
    connections: count,
    connectSeconds,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    bytesPerConnection: (after.rss - before.rss) / count,
  })
  return untilKilled()
})
