/**
 * Stream-access pub/sub throughput, publishing side (binds): PUB of `impl`, plain or through
 * SecurePublisher (AEAD per message or per pack, Ed25519 per batch of digests; mode
 * "secure-unpacked": packBytes 0, every message sealed and sent alone). Publishes `size`-byte
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
  const socket = new Publisher({ noDrop: true })
  await socket.bind("tcp://127.0.0.1:*")
  // The zeromq package's noDrop PUB rejects a send at the high-water mark (EAGAIN) instead of
  // waiting, as Ironhouse's does; retry it after a turn of the event loop, for both modes.
  const pub = {
    lastEndpoint: socket.lastEndpoint,
    async send(message: Uint8Array[]): Promise<void> {
      for (;;) {
        try {
          return await socket.send(message)
        } catch (error) {
          if (args.impl !== "zeromq") throw error
          await new Promise((resolve) => setImmediate(resolve))
        }
      }
    },
  }
  const payload = new Uint8Array(size).fill(0x61)
  if (args.mode !== "secure" && args.mode !== "secure-unpacked") {
    emit("ready", { endpoint: pub.lastEndpoint })
    for (;;) await pub.send([TOPIC, payload])
  }
  const service = benchIdentity("key service")
  const secure = new ironhouse.SecurePublisher({ socket: pub, signingKey: benchSigningKey(), readers: [benchIdentity("reader").publicKey], ...(args.mode === "secure-unpacked" ? { packBytes: 0 } : {}) })
  const router = new ironhouse.Router({ curveServer: true, curveSecretKey: service.secretKey })
  await router.bind("tcp://127.0.0.1:*")
  void secure.serveKeys(router)
  emit("ready", { endpoint: pub.lastEndpoint, keyEndpoint: router.lastEndpoint, serverKey: service.publicKey })
  for (;;) await secure.send([TOPIC, payload])
})
