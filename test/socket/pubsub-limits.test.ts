/**
 * Pub/sub under hostile or oversized subscriptions (issue 7 defects 1 and 6, issue 14 item 3):
 * long SUBSCRIBEs no longer crash a publisher when their peer leaves, a SUB may subscribe to
 * prefixes of any length, a peer's subscriptions are bounded (maxSubscriptionSize,
 * maxSubscriptions: over them it is dropped with a typed `disconnect` error), and what XPUB
 * receives goes through the per-peer receive high-water mark; CANCELs of prefixes never
 * subscribed are not reported.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as zmq from "zeromq"
import { ErrorCode, Publisher, Subscriber, XPublisher, curveKeyPair, type SocketEvent } from "../../src/index.js"
import { z85Decode } from "../../src/wire/z85.js"
import type { SecurityOptions } from "../../src/mechanism/index.js"
import type { ConnectionEvent as EngineEvent } from "../../src/engine/connection.js"
import { connectEngine, type EngineProbe } from "../helpers/net-engine.js"
import { delay, until } from "./helpers.js"

zmq.context.blocky = false

function gcFunction(): () => void {
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
}

async function bound<T extends { bind(a: string): Promise<void>; lastEndpoint: string | null }>(s: T): Promise<string> {
  await s.bind("tcp://127.0.0.1:*")
  return s.lastEndpoint as string
}

const portOf = (endpoint: string): number => Number(endpoint.split(":").pop())

/** A bare engine as SUB (the attacker: it sends whatever subscriptions the test wants). */
async function rawSubscriber(endpoint: string, security: SecurityOptions = { mechanism: "NULL", asServer: false }): Promise<EngineProbe> {
  const probe = await connectEngine(portOf(endpoint), { socketType: "SUB", security })
  await probe.next("handshake")
  return probe
}

/** Subscribe `sub` and publish probes until it receives one (subscriptions travel asynchronously). */
async function served(pub: { send(m: Array<string | Buffer>): Promise<void> }, sub: { receive(): Promise<Buffer[]>; receiveTimeout: number }, topic: string | Buffer): Promise<void> {
  sub.receiveTimeout = 20
  try {
    for (let i = 0; i < 500; i++) {
      await pub.send([topic, "probe"])
      try {
        const got = await sub.receive()
        if (Buffer.compare(got[0] as Buffer, Buffer.from(topic)) === 0) return // else an earlier probe
      } catch (err) {
        if ((err as { code?: string }).code !== "EAGAIN") throw err
      }
    }
    throw new Error("the subscriber was never served")
  } finally {
    sub.receiveTimeout = -1
  }
}

function disconnectErrors(events: SocketEvent[]): string[] {
  return events.flatMap((e) => (e.type === "disconnect" && e.error !== undefined ? [e.error.code] : []))
}

describe("long subscriptions (issue 7, defect 1)", () => {
  it("a libzmq SUB's 10 KB subscription, then its disconnect: the PUB process lives and serves the others", async () => {
    const pub = new Publisher({ linger: 0, maxSubscriptionSize: -1 })
    const long = new zmq.Subscriber({ linger: 0 })
    const other = new Subscriber({ linger: 0 })
    try {
      const ep = await bound(pub)
      const topic = Buffer.alloc(10 * 1024, "t")
      long.connect(ep)
      long.subscribe(topic)
      other.connect(ep)
      other.subscribe("news")
      await served(pub, long, topic)
      await served(pub, other, "news")
      let disconnected = false
      pub.events.on("disconnect", () => (disconnected = true))
      long.close() // Publisher.xdetach walks the 10 KB prefix: a stack overflow before the fix
      await until(() => disconnected, "the PUB sees the long subscriber leave")
      await served(pub, other, "news")
    } finally {
      pub.close()
      long.close()
      other.close()
    }
  })

  it("an XPUB reports a 10 KB subscription and its cancellation when the peer leaves", async () => {
    const xpub = new XPublisher({ linger: 0, maxSubscriptionSize: -1 })
    const long = new zmq.Subscriber({ linger: 0 })
    try {
      const ep = await bound(xpub)
      const topic = Buffer.alloc(10 * 1024, 0x7a)
      long.connect(ep)
      long.subscribe(topic)
      const [sub] = await xpub.receive()
      assert.deepEqual(sub, Buffer.concat([Buffer.from([1]), topic]))
      long.close()
      const [cancel] = await xpub.receive()
      assert.deepEqual(cancel, Buffer.concat([Buffer.from([0]), topic]))
    } finally {
      xpub.close()
      long.close()
    }
  })

  it("a SUB with an 8 KB subscribe() completes its handshakes and is served by libzmq and Ironhouse PUBs", async () => {
    const topic = Buffer.alloc(8 * 1024, "k")
    const libzmqPub = new zmq.Publisher({ linger: 0 })
    const ironPub = new Publisher({ linger: 0, maxSubscriptionSize: 16 * 1024 })
    const sub = new Subscriber({ linger: 0 })
    try {
      sub.subscribe(topic) // before connecting: sent in every handshake (the walk that overflowed)
      await libzmqPub.bind("tcp://127.0.0.1:*")
      sub.connect(libzmqPub.lastEndpoint as string)
      sub.connect(await bound(ironPub))
      await served(libzmqPub, sub, topic)
      await served(ironPub, sub, topic)
    } finally {
      libzmqPub.close()
      ironPub.close()
      sub.close()
    }
  })
})

describe("subscription limits (maxSubscriptionSize, maxSubscriptions)", () => {
  it("are options with documented defaults and checked values", () => {
    const pub = new Publisher()
    const xpub = new XPublisher()
    try {
      assert.equal(pub.maxSubscriptionSize, 1024)
      assert.equal(pub.maxSubscriptions, 10_000)
      assert.equal(xpub.maxSubscriptionSize, 1024)
      assert.equal(xpub.maxSubscriptions, 10_000)
      pub.maxSubscriptions = -1
      assert.equal(pub.maxSubscriptions, -1)
      assert.throws(() => (pub.maxSubscriptionSize = -2), RangeError)
      assert.throws(() => (pub.maxSubscriptions = 1.5), TypeError)
      assert.throws(() => new Subscriber({ maxSubscriptions: 5 } as never), TypeError)
    } finally {
      pub.close()
      xpub.close()
    }
  })

  it("a prefix over maxSubscriptionSize drops that peer with ERR_IRONHOUSE_SUBSCRIPTION_TOO_LARGE; one at the limit is kept", async () => {
    const pub = new Publisher({ linger: 0, maxSubscriptionSize: 8 })
    const events: SocketEvent[] = []
    pub.events.on("disconnect", (e) => events.push(e))
    const good = new zmq.Subscriber({ linger: 0 })
    try {
      const ep = await bound(pub)
      good.connect(ep)
      good.subscribe("12345678") // exactly 8 octets
      const bad = await rawSubscriber(ep)
      bad.conn?.engine.sendSubscription(true, Buffer.from("123456789"))
      bad.conn?.flush()
      await bad.untilClosed()
      await until(() => events.length === 1, "the disconnect event")
      assert.deepEqual(disconnectErrors(events), [ErrorCode.SUBSCRIPTION_TOO_LARGE])
      await served(pub, good, "12345678")
    } finally {
      pub.close()
      good.close()
    }
  })

  it("one prefix over maxSubscriptions drops that peer with ERR_IRONHOUSE_TOO_MANY_SUBSCRIPTIONS; repeats do not count", async () => {
    const pub = new Publisher({ linger: 0, maxSubscriptions: 3 })
    const events: SocketEvent[] = []
    pub.events.on("disconnect", (e) => events.push(e))
    const other = new Subscriber({ linger: 0 })
    try {
      const ep = await bound(pub)
      other.connect(ep)
      other.subscribe("a", "b", "c")
      const peer = await rawSubscriber(ep)
      for (const t of ["a", "a", "b", "b", "c", "c", "a"]) peer.conn?.engine.sendSubscription(true, Buffer.from(t))
      peer.conn?.flush()
      // Still connected: it is served (the engine probe delivers what PUB sends).
      let msg: Extract<EngineEvent, { type: "message" }> | undefined
      for (let i = 0; i < 200 && msg === undefined; i++) {
        await pub.send(["c", "1"])
        msg = await peer.next("message", 25).catch(() => undefined)
      }
      assert.equal(Buffer.from(msg?.frames[0] as Uint8Array).toString(), "c")
      assert.equal(peer.closed, false)
      peer.conn?.engine.sendSubscription(true, Buffer.from("d")) // a fourth distinct prefix
      peer.conn?.flush()
      await peer.untilClosed()
      await until(() => events.length === 1, "the disconnect event")
      assert.deepEqual(disconnectErrors(events), [ErrorCode.TOO_MANY_SUBSCRIPTIONS])
      await served(pub, other, "b")
    } finally {
      pub.close()
      other.close()
    }
  })

  for (const mechanism of ["NULL", "PLAIN", "CURVE"] as const) {
    it(`${mechanism === "NULL" ? "a NULL" : `an authenticated ${mechanism}`} peer flooding 100,000 distinct SUBSCRIBEs after its handshake is dropped at the default limit, memory bounded (issue 14 item 3)`, async () => {
      const gc = gcFunction()
      const server = curveKeyPair()
      const client = curveKeyPair()
      const accept = { authenticate: () => ({ status: 200, userId: "flooder" }) }
      const pub =
        mechanism === "NULL"
          ? new Publisher({ linger: 0 })
          : mechanism === "PLAIN"
            ? new Publisher({ linger: 0, plainServer: true, ...accept })
            : new Publisher({ linger: 0, curveServer: true, curveSecretKey: server.secretKey, ...accept })
      const events: SocketEvent[] = []
      pub.events.on("disconnect", (e) => events.push(e))
      const other = new Subscriber(
        mechanism === "NULL"
          ? { linger: 0 }
          : mechanism === "PLAIN"
            ? { linger: 0, plainUsername: "o", plainPassword: "p" }
            : { linger: 0, curveServerKey: server.publicKey, curveSecretKey: client.secretKey },
      )
      try {
        const ep = await bound(pub)
        other.connect(ep)
        other.subscribe("x")
        await served(pub, other, "x")
        gc()
        const before = process.memoryUsage().heapUsed
        const security: SecurityOptions =
          mechanism === "NULL"
            ? { mechanism, asServer: false }
            : mechanism === "PLAIN"
              ? { mechanism, asServer: false, plainUsername: "u", plainPassword: "p" }
              : {
                  mechanism,
                  asServer: false,
                  curveSecretKey: z85Decode(client.secretKey),
                  curvePublicKey: z85Decode(client.publicKey),
                  curveServerKey: z85Decode(server.publicKey),
                }
        const peer = await rawSubscriber(ep, security)
        for (let i = 0; i < 100_000 && !peer.closed; i++) {
          peer.conn?.engine.sendSubscription(true, Buffer.from(`topic-${i}-${"p".repeat(40)}`))
          if (i % 1000 === 999) {
            peer.conn?.flush()
            await new Promise((r) => setImmediate(r))
          }
        }
        peer.conn?.flush()
        await peer.untilClosed(20_000)
        await until(() => events.length > 0, "the disconnect event")
        assert.deepEqual(disconnectErrors(events), [ErrorCode.TOO_MANY_SUBSCRIPTIONS])
        gc()
        const grown = process.memoryUsage().heapUsed - before
        // 10,000 prefixes of ~50 octets held at most; all released once the peer is gone.
        assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`)
        await served(pub, other, "x")
      } finally {
        pub.close()
        other.close()
      }
    })
  }
})

describe("memory per subscribed octet", () => {
  it("an XPUB holding 5,000 distinct 1000-octet prefixes of one peer costs a few octets of heap per octet", async () => {
    const gc = gcFunction()
    const xpub = new XPublisher({ linger: 0 })
    try {
      const peer = await rawSubscriber(await bound(xpub))
      const count = 5000
      const size = 1000
      const topics = Array.from({ length: count }, (_, i) => Buffer.alloc(size, i % 251).fill(`${i}:`, 0, String(i).length + 1))
      gc()
      const before = process.memoryUsage().heapUsed
      for (const [i, t] of topics.entries()) {
        peer.conn?.engine.sendSubscription(true, t)
        if (i % 500 === 499) peer.conn?.flush()
      }
      peer.conn?.flush()
      for (let i = 0; i < count; i++) await xpub.receive() // every report read: only the tries remain
      gc()
      const perOctet = (process.memoryUsage().heapUsed - before) / (count * size)
      console.log(`# XPUB: ${perOctet.toFixed(2)} octets of heap per subscribed octet (the peer's trie and the socket's)`)
      // Before the radix trie: ~186 octets of heap per subscribed octet in the two tries.
      assert.ok(perOctet < 8, `${perOctet.toFixed(2)} octets of heap per subscribed octet`)
      peer.close()
    } finally {
      xpub.close()
    }
  })
})

describe("XPUB's inbox (issue 7, defect 6)", () => {
  it("a flood of CANCELs of prefixes never subscribed: nothing is reported, memory stays bounded", async () => {
    const gc = gcFunction()
    const xpub = new XPublisher({ linger: 0 })
    try {
      const ep = await bound(xpub)
      const peer = await rawSubscriber(ep)
      gc()
      const before = process.memoryUsage().heapUsed
      for (let i = 0; i < 200_000; i++) {
        peer.conn?.engine.sendSubscription(false, Buffer.from(`never-${i}`))
        if (i % 5000 === 4999) {
          peer.conn?.flush()
          await new Promise((r) => setImmediate(r))
        }
      }
      peer.conn?.engine.sendSubscription(true, Buffer.from("marker"))
      peer.conn?.flush()
      // The connection is ordered: once "marker" is reported, every CANCEL was handled.
      const [first] = await xpub.receive()
      assert.equal(Buffer.from(first as Buffer).toString("latin1"), "\x01marker")
      gc()
      const grown = process.memoryUsage().heapUsed - before
      assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`)
      // A CANCEL of what it did subscribe is still reported.
      peer.conn?.engine.sendSubscription(false, Buffer.from("marker"))
      peer.conn?.flush()
      const [cancel] = await xpub.receive()
      assert.equal(Buffer.from(cancel as Buffer).toString("latin1"), "\x00marker")
      assert.equal(xpub.readable, false)
      peer.close()
    } finally {
      xpub.close()
    }
  })

  it("what an XPUB receives counts against its receive high-water mark: reading from the peer pauses, nothing is lost", async () => {
    const xpub = new XPublisher({ linger: 0, receiveHighWaterMark: 10 })
    // A libzmq XSUB that queues without limit on its side (sendHighWaterMark 0).
    const xsub = new zmq.XSubscriber({ linger: 0, sendHighWaterMark: 0 })
    try {
      xsub.connect(await bound(xpub))
      await xsub.send(Buffer.from("\x01ready"))
      assert.equal(Buffer.from((await xpub.receive())[0] as Buffer).toString("latin1"), "\x01ready")
      const total = 2000
      const body = Buffer.alloc(16 * 1024, 0x55)
      for (let i = 0; i < total; i++) await xsub.send(["upstream", String(i), body])
      await until(() => xpub.readable, "the first upstream message")
      // No event says "the flood has been read as far as it will be"; give the transport time
      // to read on if it were going to (without the high-water mark it reads all 32 MiB).
      await delay(300)
      let waiting = 0
      xpub.receiveTimeout = 0
      const seen: number[] = []
      for (;;) {
        try {
          const m = await xpub.receive()
          seen.push(Number(String(m[1])))
          waiting++
        } catch {
          break
        }
      }
      assert.ok(waiting <= 10 + 16, `${waiting} messages were queued for a receive high-water mark of 10`)
      // Paused, not dropped: everything arrives, in order, once the application reads.
      xpub.receiveTimeout = 5000
      while (seen.length < total) seen.push(Number(String((await xpub.receive())[1])))
      assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i))
    } finally {
      xpub.close()
      xsub.close()
    }
  })
})

describe("no connection event throws out of the transport", () => {
  it("a close handler that throws is reported as a warning; the process goes on", async () => {
    const { createServer, connect } = await import("node:net")
    const { StreamConnection } = await import("../../src/transport/stream-connection.js")
    const server = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const port = (server.address() as { port: number }).port
      const warned = new Promise<Error>((resolve) => process.once("warning", resolve))
      const socket = connect({ port, host: "127.0.0.1" })
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
      new StreamConnection(socket, { socketType: "SUB", security: { mechanism: "NULL", asServer: false }, peerAddress: "127.0.0.1" }, {
        onEvent: () => {},
        onClose: () => {
          throw new RangeError("Maximum call stack size exceeded (simulated)")
        },
      })
      const warning = await warned // before the fix: an uncaught exception here
      assert.match(warning.message, /close failed: Maximum call stack size exceeded/)
      assert.equal((warning as Error & { code?: string }).code, "IRONHOUSE_EVENT_HANDLER_FAILED")
    } finally {
      server.close()
    }
  })
})
