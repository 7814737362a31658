/**
 * REQ/REP round trip, measuring side: after `warmup` round trips, one REQ socket sends a
 * `size`-byte request and awaits the reply, one at a time, for `durationMs`; each round trip
 * is timed with the monotonic clock. Reports the median, the 99th and the 99.9th percentile in µs.
 */
import { need, needText, runChild } from "./child.js"
import { clientSecurity, isImplName, loadImpl } from "./impl.js"
import { percentile } from "./stats.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const size = need(args.size, "size")
  const durationMs = need(args.durationMs, "durationMs")
  const warmup = need(args.warmup, "warmup")
  const request = new impl.Request({
    ...clientSecurity(impl, args.security, args.serverKey),
    linger: 0,
  })
  await request.connect(needText(args.endpoint, "endpoint"))
  const payload = new Uint8Array(size).fill(0x61)
  for (let i = 0; i < warmup; i++) {
    await request.send(payload)
    await request.receive()
  }
  let samples = new Float64Array(1 << 16)
  let count = 0
  const deadline = performance.now() + durationMs
  for (;;) {
    const start = performance.now()
    await request.send(payload)
    await request.receive()
    const end = performance.now()
    if (count === samples.length) {
      const grown = new Float64Array(samples.length * 2)
      grown.set(samples)
      samples = grown
    }
    samples[count++] = (end - start) * 1000
    if (end >= deadline) break
  }
  await request.close()
  const sorted = samples.subarray(0, count).sort()
  return {
    roundTrips: count,
    medianUs: percentile(sorted, 50),
    p99Us: percentile(sorted, 99),
    p999Us: percentile(sorted, 99.9),
  }
})
