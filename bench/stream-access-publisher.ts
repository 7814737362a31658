/**
 * Stream-access pub/sub throughput, publishing side (binds): PUB of `impl`, plain or through
 * SecurePublisher (AEAD per message, Ed25519 per batch of 64 digests). Publishes `size`-byte
 * bodies on topic "bench" as fast as send() resolves until killed. The PUB has `noDrop`
 * (ZMQ_XPUB_NODROP): send() waits for a subscriber at its high-water mark instead of dropping,
 * so the subscriber's count is the lossless rate the pair sustains (with drops, a lost digest
 * batch would cost a secure reader up to 128 messages and measure the drop pattern instead).
 * In secure mode it also serves keys on an Ironhouse CURVE ROUTER.
 */
import { emit, need, runChild } from "./child.js"
import { benchIdentity, benchSigningKey, pubSub, TOPIC, type StreamArgs } from "./stream-access-common.js"
import * as ironhouse from "../src/index.js"

runChild(async (raw) => {
  const args = raw as StreamArgs
  const size = need(args.size, "size")
  const { Publisher } = await pubSub(args.impl)
  const pub = new Publisher({ noDrop: true })
  await pub.bind("tcp://127.0.0.1:*")
  const payload = new Uint8Array(size).fill(0x61)
  if (args.mode !== "secure") {
    emit("ready", { endpoint: pub.lastEndpoint })
    for (;;) await pub.send([TOPIC, payload])
  }
  const service = benchIdentity("key service")
  const secure = new ironhouse.SecurePublisher({ socket: pub, signingKey: benchSigningKey(), readers: [benchIdentity("reader").publicKey] })
  const router = new ironhouse.Router({ curveServer: true, curveSecretKey: service.secretKey })
  await router.bind("tcp://127.0.0.1:*")
  void secure.serveKeys(router)
  emit("ready", { endpoint: pub.lastEndpoint, keyEndpoint: router.lastEndpoint, serverKey: service.publicKey })
  for (;;) await secure.send([TOPIC, payload])
})
