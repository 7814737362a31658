/**
 * Stream-access publisher-to-reader latency, one process (one clock): an Ironhouse PUB and SUB
 * over loopback TCP, plain or through SecurePublisher/SecureSubscriber: with the default
 * batchDelay (1 ms: a lone message waits that long for its batch signature), or batchDelay 0
 * (signed at the end of the event-loop turn: one signature per message at this rate). One message in
 * flight at a time: publish, await its delivery, repeat. Median and p99 in µs. Mode
 * "secure-sparse": the default batchDelay, with a 5 ms pause (not timed) before each message, as
 * on a quiet stream: a batch leaves at most once per batchDelay, so such a message is signed at
 * once instead of waiting batchDelay.
 */
import { emit, need, runChild } from "./child.js"
import { benchIdentity, benchSigningKey, TOPIC, type StreamArgs } from "./stream-access-common.js"
import * as ironhouse from "../src/index.js"
import { answerKeyRequest } from "../src/stream-access/key-service.js"

runChild(async (raw) => {
  const args = raw as StreamArgs
  const size = need(args.size, "size")
  const durationMs = need(args.durationMs, "durationMs")
  const warmup = need(args.warmup, "warmup")
  emit("ready", {})
  const pub = new ironhouse.Publisher()
  await pub.bind("tcp://127.0.0.1:*")
  const sub = new ironhouse.Subscriber()
  sub.connect(pub.lastEndpoint as string)
  const payload = new Uint8Array(size).fill(0x61)
  let send: () => Promise<void>
  let receive: () => Promise<Uint8Array[]>
  if (args.mode === "secure" || args.mode === "secure-immediate" || args.mode === "secure-sparse") {
    const reader = benchIdentity("reader")
    const secure = new ironhouse.SecurePublisher({
      socket: pub,
      signingKey: benchSigningKey(),
      readers: [reader.publicKey],
      ...(args.mode === "secure-immediate" ? { batchDelay: 0 } : {}),
    })
    const secureSub = new ironhouse.SecureSubscriber({
      socket: sub,
      ...reader,
      publisherKey: benchSigningKey().publicKey,
      // In-process key service: the same answer the ROUTER gives, without a second connection.
      keyService: async (request) => answerKeyRequest(secure.writer, reader.publicKey, request).reply,
    })
    secureSub.subscribe(TOPIC)
    await secureSub.fetchKeys()
    send = () => secure.send([TOPIC, payload])
    receive = () => secureSub.receive()
  } else {
    sub.subscribe(TOPIC)
    send = () => pub.send([TOPIC, payload])
    receive = () => sub.receive()
  }
  // Each message carries its number; a receive waits for the one just sent (warm-up
  // messages still in flight are skipped, never timed).
  const view = new DataView(payload.buffer)
  const numberOf = (frames: Uint8Array[]): number => {
    const body = frames[1] as Uint8Array
    return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0)
  }
  // Slow joiner: publish until the subscription has arrived.
  let pending = receive()
  view.setUint32(0, 0xffffffff)
  for (;;) {
    await send()
    if (await Promise.race([pending.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 20))])) break
  }
  const samples: number[] = []
  const deadline = performance.now() + durationMs
  for (let i = 0; ; i++) {
    if (args.mode === "secure-sparse") await new Promise((r) => setTimeout(r, 5))
    view.setUint32(0, i)
    const t0 = performance.now()
    await send()
    for (;;) {
      pending = receive()
      if (numberOf(await pending) === i) break
    }
    const us = (performance.now() - t0) * 1000
    if (i >= warmup) samples.push(us)
    if (i >= warmup && performance.now() >= deadline) break
  }
  samples.sort((a, b) => a - b)
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] as number
  return { medianUs: at(0.5), p99Us: at(0.99), samples: samples.length }
})
