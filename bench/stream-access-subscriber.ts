/**
 * Stream-access pub/sub throughput, subscribing side (connects, measures): SUB of `impl`,
 * plain or through SecureSubscriber (keys from the publisher's key service, one CURVE round
 * trip). Counts messages coming out of receive() for `durationMs` from the first one; in
 * secure mode only decrypted, signature-verified messages count.
 */
import { need, needText, runChild } from "./child.js"
import { benchIdentity, benchSigningKey, pubSub, TOPIC, type StreamArgs } from "./stream-access-common.js"
import * as ironhouse from "../src/index.js"

runChild(async (raw) => {
  const args = raw as StreamArgs
  const durationMs = need(args.durationMs, "durationMs")
  const { Subscriber } = await pubSub(args.impl)
  const sub = new Subscriber()
  sub.connect(needText(args.endpoint, "endpoint"))
  let receive: () => Promise<unknown>
  let rejected = 0
  if (args.mode === "secure" || args.mode === "secure-unpacked") {
    const reader = benchIdentity("reader")
    const secure = new ironhouse.SecureSubscriber({
      socket: sub,
      ...reader,
      publisherKey: benchSigningKey().publicKey,
      keyService: { endpoint: needText(args.keyEndpoint, "keyEndpoint"), serverKey: needText(args.serverKey, "serverKey") },
    })
    secure.on("rejected", () => rejected++)
    secure.subscribe(TOPIC)
    await secure.fetchKeys()
    if (!secure.reader.hasKeys) throw new Error("the key service gave no keys")
    receive = () => secure.receive()
  } else {
    sub.subscribe(TOPIC)
    receive = () => sub.receive()
  }
  await receive()
  const start = performance.now()
  const deadline = start + durationMs
  let count = 0
  for (;;) {
    await receive()
    if ((++count & 255) === 0 && performance.now() >= deadline) break
  }
  const seconds = (performance.now() - start) / 1000
  return { messages: count, seconds, msgPerSec: count / seconds, rejected }
})
