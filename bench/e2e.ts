/**
 * End-to-end CurveZMQ bench roles (src/e2e), one process each, chosen by args.role:
 *   receiver   CurveZmqServer over a bound Router; counts messages up to an empty end marker.
 *   brokered-receiver
 *              zeromq's Proxy (ROUTER front, DEALER back) with the receiver connected behind it:
 *              only ciphertext passes the broker.
 *   sender     CurveZmqClient over a Dealer; sends `size`-byte messages for durationMs, each
 *              send awaited (as throughput-sender.ts), then the end marker.
 *   hs-server  CurveZmqServer over a bound Router, serving handshakes.
 *   hs-client  `concurrency` loops: new Dealer + CurveZmqClient, await the READY, close.
 *   memory     in-process: `count` idle sessions in one E2eServerCore (sans-IO, so only the
 *              session layer is counted, not the transport's per-connection state); growth of
 *              heap + ArrayBuffers per session after GC (the replay guard's entries included).
 * Wire security is NULL under every role: the end-to-end layer does the encryption.
 */
import { emit, need, needText, runChild, untilKilled } from "./child.js"
import { settledRss } from "./rss.js"

interface E2eArgs {
  role?: string
}

type Frames = Uint8Array[]
interface Sock {
  bind(e: string): Promise<void>
  connect(e: string): void
  send(m: Frames): Promise<void>
  receive(): Promise<Frames>
  close(): void
  readonly lastEndpoint: string | null
}

runChild(async (args) => {
  const ih = await import("../src/index.js")
  const { role } = args as unknown as E2eArgs
  const router = (): Sock => new ih.Router() as unknown as Sock
  const dealer = (): Sock => new ih.Dealer() as unknown as Sock

  const count = async (server: InstanceType<typeof ih.CurveZmqServer>) => {
    let n = 0
    let first = 0
    for (;;) {
      const { message } = await server.receive()
      if ((message[0] as Uint8Array).length === 0) break
      if (n === 0) first = performance.now()
      n++
    }
    const seconds = (performance.now() - first) / 1000
    return { messages: n, seconds, msgPerSec: n > 1 ? (n - 1) / seconds : 0 }
  }

  switch (role) {
    case "receiver": {
      const keys = ih.curveKeyPair()
      const sock = router()
      await sock.bind("tcp://127.0.0.1:*")
      const server = new ih.CurveZmqServer(sock, { secretKey: keys.secretKey })
      emit("ready", { endpoint: sock.lastEndpoint, serverKey: keys.publicKey })
      const result = await count(server)
      server.close()
      return result
    }
    case "brokered-receiver": {
      // zeromq's Proxy (native libzmq, on a libuv thread of its own: no JS in the path) with
      // the receiver behind it, in one process so that no key needs to leave it; the bytes
      // still cross two TCP hops, client -> broker -> receiver.
      const zmq = await import("zeromq")
      const f = new zmq.Router()
      const b = new zmq.Dealer()
      await f.bind("tcp://127.0.0.1:*")
      await b.bind("tcp://127.0.0.1:*")
      void new zmq.Proxy(f, b).run()
      const keys = ih.curveKeyPair()
      const sock = router()
      sock.connect(b.lastEndpoint as string)
      const server = new ih.CurveZmqServer(sock, { secretKey: keys.secretKey })
      emit("ready", { endpoint: f.lastEndpoint, serverKey: keys.publicKey })
      const result = await count(server)
      server.close()
      return result
    }
    case "sender": {
      const size = need(args.size, "size")
      const durationMs = need(args.durationMs, "durationMs")
      const sock = dealer()
      sock.connect(needText(args.endpoint, "endpoint"))
      const keys = ih.curveKeyPair()
      const client = new ih.CurveZmqClient(sock, { serverKey: needText(args.serverKey, "serverKey"), ...keys })
      await client.ready
      const payload = new Uint8Array(size).fill(0x61)
      const deadline = performance.now() + durationMs
      let sent = 0
      for (;;) {
        await client.send(payload)
        if ((++sent & 63) === 0 && performance.now() >= deadline) break
      }
      await client.send(new Uint8Array(0))
      emit("result", { sent })
      return untilKilled()
    }
    case "hs-server": {
      const keys = ih.curveKeyPair()
      const sock = router()
      await sock.bind("tcp://127.0.0.1:*")
      new ih.CurveZmqServer(sock, { secretKey: keys.secretKey })
      emit("ready", { endpoint: sock.lastEndpoint, serverKey: keys.publicKey })
      return untilKilled()
    }
    case "hs-client": {
      const durationMs = need(args.durationMs, "durationMs")
      const concurrency = need(args.concurrency, "concurrency")
      const endpoint = needText(args.endpoint, "endpoint")
      const serverKey = needText(args.serverKey, "serverKey")
      const keys = ih.curveKeyPair()
      let done = 0
      const start = performance.now()
      const deadline = start + durationMs
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < deadline) {
            const sock = dealer()
            sock.connect(endpoint)
            const client = new ih.CurveZmqClient(sock, { serverKey, ...keys })
            await client.ready
            client.close()
            done++
          }
        }),
      )
      return { handshakes: done, perSec: done / ((performance.now() - start) / 1000) }
    }
    case "memory": {
      const n = need(args.count, "count")
      const { E2eServerCore, E2eClientSession } = await import("../src/e2e/index.js")
      const { randomBytes } = await import("../src/crypto/index.js")
      const env = { randomBytes: (k: number) => randomBytes(k), now: () => performance.now() }
      const server = ih.curveKeyPair()
      const core = new E2eServerCore({ secretKey: server.secretKey, env })
      const clientKeys = ih.curveKeyPair()
      emit("ready", {})
      const before = await settledRss(300)
      const buffersBefore = process.memoryUsage().arrayBuffers
      for (let i = 0; i < n; i++) {
        const envelope = [Uint8Array.of(0, i >>> 16, (i >>> 8) & 0xff, i & 0xff)]
        const c = new E2eClientSession({ serverKey: server.publicKey, ...clientKeys, env })
        const pending = [...c.start()]
        while (pending.length > 0) {
          const o = pending.shift()
          if (o?.type !== "send") continue
          for (const s of core.receive(envelope, o.frame)) if (s.type === "send") pending.push(...c.receive(s.frame))
        }
        c.close()
      }
      if (core.sessionCount !== n) throw new Error(`expected ${n} sessions, got ${core.sessionCount}`)
      const after = await settledRss(500)
      const buffers = process.memoryUsage().arrayBuffers - buffersBefore
      return {
        sessions: n,
        heapBefore: before.heapUsed,
        heapAfter: after.heapUsed,
        rssDelta: after.rss - before.rss,
        // JS heap plus ArrayBuffer backing stores (small typed arrays live on the heap anyway).
        bytesPerSession: (after.heapUsed - before.heapUsed + buffers) / n,
        keep: core.sessionCount,
      }
    }
    default:
      throw new TypeError(`expected args.role, got ${String(role)}`)
  }
})
