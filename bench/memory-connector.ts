/**
 * Resident memory per idle connection, a CONNECTING side (not measured): opens `count` DEALER
 * sockets, each connected once to the binder and sending one 1-byte message, then holds them
 * idle until killed. One socket per connection because libzmq merges repeated connects of one
 * socket to the same endpoint; the orchestrator spreads the connections over several of these
 * processes to stay under the per-process file descriptor limit (a libzmq socket also holds an
 * eventfd).
 */
import { emit, need, needText, runChild, untilKilled } from "./child.js"
import { clientSecurity, isImplName, loadImpl, type BenchSocket } from "./impl.js"

/**
 * Connections opened at once per connecting process; the next batch waits for these to be up.
 * Small enough that two connectors stay under the binder's listen backlog (100 by default in
 * both libzmq and Ironhouse) and Ironhouse's cap on connections still in the handshake (4096).
 */
const BATCH = 50

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const count = need(args.count, "count")
  const endpoint = needText(args.endpoint, "endpoint")
  impl.allowSockets(count + 64)
  const pair = args.security === "CURVE" ? impl.curveKeyPair() : undefined
  // immediate: a send waits until its connection is up, so each batch paces the next one
  // (the binder's listen backlog would otherwise overflow into SYN retries).
  const options = { ...clientSecurity(impl, args.security, args.serverKey, pair), linger: 0, immediate: true }
  const sockets: BenchSocket[] = []
  const hello = new Uint8Array([0x61])
  for (let opened = 0; opened < count; opened += BATCH) {
    const batch: Promise<void>[] = []
    for (let i = opened; i < Math.min(count, opened + BATCH); i++) {
      const dealer = new impl.Dealer(options)
      sockets.push(dealer)
      await dealer.connect(endpoint)
      batch.push(dealer.send(hello))
    }
    await Promise.all(batch)
  }
  emit("result", { opened: sockets.length })
  return untilKilled()
})
