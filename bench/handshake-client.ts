/**
 * CURVE handshakes per second, connecting side. `concurrency` loops run for `durationMs`; each
 * iteration creates a CURVE REQ socket, connects (TCP connect + CURVE handshake), sends one
 * `size`-byte request, awaits the reply, and closes the socket (linger 0). The client keeps one
 * long-term key pair, as a real client does; every connection still gets fresh short-term keys.
 * `warmup` handshakes (over the same `concurrency` loops) come first and are not timed, as the
 * latency rows warm up: the rate is the steady state of a server that has been serving a while,
 * not the first second of a fresh process (issue 13; both columns alike).
 */
import { need, needText, runChild } from "./child.js"
import { clientSecurity, isImplName, loadImpl } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const size = need(args.size, "size")
  const durationMs = need(args.durationMs, "durationMs")
  const concurrency = need(args.concurrency, "concurrency")
  const endpoint = needText(args.endpoint, "endpoint")
  const options = { ...clientSecurity(impl, args.security, args.serverKey), linger: 0 }
  const warmup = args.warmup ?? 0
  const payload = new Uint8Array(size).fill(0x61)
  const once = async (): Promise<void> => {
    const request = new impl.Request(options)
    await request.connect(endpoint)
    await request.send(payload)
    await request.receive()
    await request.close()
  }
  let warmupLeft = warmup
  const warm = async (): Promise<void> => {
    while (warmupLeft-- > 0) await once()
  }
  await Promise.all(Array.from({ length: concurrency }, warm))
  let completed = 0
  const start = performance.now()
  const deadline = start + durationMs
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await once()
      completed++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  const seconds = (performance.now() - start) / 1000
  return { handshakes: completed, seconds, perSec: completed / seconds }
})
