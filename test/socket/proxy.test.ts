/**
 * Proxy (issue 8 item 1): the `zeromq` v6 shape and its errors, ROUTER↔DEALER with REQ clients
 * and REP workers from both implementations (Ironhouse and the `zeromq` package, libzmq
 * 4.3.5), a two-hop chain, XPUB↔XSUB with subscriptions reaching the publisher, PULL→PUSH,
 * pause/resume/terminate, the capture socket, back-pressure (queues stay within the
 * high-water marks while a worker does not read) and a CURVE front end with a NULL back end.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import {
  Dealer,
  Pair,
  Proxy,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  SocketError,
  XPublisher,
  XSubscriber,
  type PeerInfo,
} from "../../src/index.js"
import { SOCKET_ACCESS } from "../../src/socket/socket.js"
import { makeSocket, until, type AnySocket, type Impl } from "./helpers.js"

const LOCAL = "tcp://127.0.0.1:*"
const IMPLS: Impl[] = ["ironhouse", "zeromq"]

function code(c: string): (err: unknown) => boolean {
  return (err: unknown) => (err as { code?: unknown })?.code === c
}

async function bound<T extends { bind(a: string): Promise<void>; lastEndpoint: string | null }>(s: T): Promise<string> {
  await s.bind(LOCAL)
  return s.lastEndpoint as string
}

/** A ROUTER↔DEALER proxy bound on two ephemeral ports. */
async function queueProxy(
  front = new Router(),
  back = new Dealer(),
): Promise<{ proxy: Proxy<Router, Dealer>; frontAddress: string; backAddress: string; done: Promise<void> }> {
  const frontAddress = await bound(front)
  const backAddress = await bound(back)
  const proxy = new Proxy(front, back)
  const done = proxy.run()
  return { proxy, frontAddress, backAddress, done }
}

/** A REP worker that answers "<name>:<request>" until closed. */
function startWorker(rep: AnySocket, name: string): Promise<void> {
  return (async () => {
    try {
      for (;;) {
        const [request] = await rep.receive()
        await rep.send(`${name}:${String(request)}`)
      }
    } catch {
      // closed: the loop ends
    }
  })()
}

describe("Proxy: API and errors (zeromq v6 shape)", () => {
  it("the constructor wants two distinct Ironhouse sockets", () => {
    const r = new Router()
    const d = new Dealer()
    const native = new zmq.Dealer()
    try {
      assert.throws(() => new Proxy({} as unknown as Router, d), TypeError)
      assert.throws(() => new Proxy(r, native as unknown as Dealer), /Back-end must be a socket object/)
      assert.throws(() => new Proxy(r, r), RangeError)
      assert.throws(() => new Proxy(r, d, { capture: r }), RangeError)
      assert.throws(() => new Proxy(r, d, { capture: new Pull() }), /can send/)
      assert.throws(() => new Proxy(r, d, { bogus: 1 } as unknown as { capture?: Router }), /unknown proxy option/)
      const p = new Proxy(r, d)
      assert.equal(p.frontEnd, r)
      assert.equal(p.backEnd, d)
      assert.equal(p.running, false)
    } finally {
      r.close()
      d.close()
      native.close()
    }
  })

  it("run() refuses sockets without endpoints (EINVAL) and closed sockets (EBADF); steering before run is EBADF", async () => {
    const r = new Router()
    const d = new Dealer()
    const p = new Proxy(r, d)
    assert.throws(() => p.pause(), code("EBADF"))
    assert.throws(() => p.resume(), code("EBADF"))
    assert.throws(() => p.terminate(), code("EBADF"))
    await assert.rejects(p.run(), (err: unknown) => err instanceof SocketError && err.code === "EINVAL" && /Front-end/.test(err.message))
    await r.bind(LOCAL)
    await assert.rejects(p.run(), (err: unknown) => err instanceof SocketError && err.code === "EINVAL" && /Back-end/.test(err.message))
    d.close()
    await assert.rejects(p.run(), code("EBADF"))
    r.close()
  })

  it("no direction possible (PUSH front, PUB back: neither receives) is EINVAL", async () => {
    const push = new Push()
    const pub = new Publisher()
    await bound(push)
    await bound(pub)
    await assert.rejects(new Proxy(push, pub).run(), code("EINVAL"))
    push.close()
    pub.close()
  })

  it("while running: run() again is EBUSY, the sockets' own send/receive are EBUSY; terminate closes both, run() resolves", async () => {
    const { proxy, done } = await queueProxy()
    assert.equal(proxy.running, true)
    await assert.rejects(proxy.run(), code("EBUSY"))
    // Thrown, not rejected, like every EBUSY of a socket (zeromq throws them synchronously).
    assert.throws(() => proxy.frontEnd.send(["x", "y"]), code("EBUSY"))
    assert.throws(() => proxy.backEnd.receive(), code("EBUSY"))
    const it = proxy.frontEnd[Symbol.asyncIterator]()
    await assert.rejects(it.next(), code("EBUSY"))
    // A second proxy cannot take a socket the first one holds.
    const other = new Dealer()
    await bound(other)
    await assert.rejects(new Proxy(proxy.frontEnd, other).run(), code("EBUSY"))
    other.close()
    proxy.terminate()
    await done
    assert.equal(proxy.running, false)
    assert.equal(proxy.frontEnd.closed, true)
    assert.equal(proxy.backEnd.closed, true)
    assert.throws(() => proxy.terminate(), code("EBADF"))
    await assert.rejects(proxy.run(), code("EBADF"))
  })

  it("a socket closed by the application stops the proxy: run() rejects EBADF and the other socket is closed", async () => {
    const { proxy, done } = await queueProxy()
    proxy.backEnd.close()
    await assert.rejects(done, (err: unknown) => err instanceof SocketError && err.code === "EBADF" && /Back-end/.test(err.message))
    assert.equal(proxy.frontEnd.closed, true)
  })

  it("closing the socket no loop waits on (PULL→PUSH, the PUSH) stops the proxy too", async () => {
    const pull = new Pull()
    const push = new Push()
    await bound(pull)
    await bound(push)
    const proxy = new Proxy(pull, push)
    const done = proxy.run()
    push.close()
    await assert.rejects(done, (err: unknown) => err instanceof SocketError && err.code === "EBADF" && /Back-end/.test(err.message))
    assert.equal(pull.closed, true)
  })

  it("the proxy ignores the sockets' timeouts (it waits for traffic, it does not fail)", async () => {
    const { proxy, frontAddress, backAddress, done } = await queueProxy(
      new Router({ receiveTimeout: 0, sendTimeout: 0 }),
      new Dealer({ receiveTimeout: 0, sendTimeout: 0 }),
    )
    const rep = new Reply()
    rep.connect(backAddress)
    const worker = startWorker(rep as unknown as AnySocket, "w")
    const req = new Request()
    req.connect(frontAddress)
    await req.send("hello")
    assert.deepEqual((await req.receive()).map(String), ["w:hello"])
    proxy.terminate()
    await done
    req.close()
    rep.close()
    await worker
  })
})

describe("Proxy: ROUTER↔DEALER with REQ clients and REP workers", () => {
  for (const clientImpl of IMPLS) {
    for (const workerImpl of IMPLS) {
      it(`${clientImpl} REQ clients, ${workerImpl} REP workers, Ironhouse proxy`, async () => {
        const { proxy, frontAddress, backAddress, done } = await queueProxy()
        const workers = ["w1", "w2"].map((name) => {
          const rep = makeSocket(workerImpl, "REP")
          rep.connect(backAddress)
          return { rep, loop: startWorker(rep, name) }
        })
        const clients = [0, 1, 2].map(() => {
          const req = makeSocket(clientImpl, "REQ")
          req.connect(frontAddress)
          return req
        })
        const seen = new Set<string>()
        await Promise.all(
          clients.map(async (req, c) => {
            for (let i = 0; i < 20; i++) {
              const request = `c${c}-${i}`
              await req.send(request)
              const [reply] = await req.receive()
              const [worker, echoed] = String(reply).split(":")
              assert.equal(echoed, request, "each client gets the reply to its own request")
              seen.add(worker as string)
            }
          }),
        )
        assert.deepEqual([...seen].sort(), ["w1", "w2"], "both workers served requests (DEALER round-robin)")
        const stats = proxy.statistics()
        assert.equal(stats.frontEnd.received, 60)
        assert.equal(stats.backEnd.sent, 60)
        assert.equal(stats.backEnd.received, 60)
        assert.equal(stats.frontEnd.sent, 60)
        proxy.terminate()
        await done
        for (const c of clients) c.close()
        for (const w of workers) w.rep.close()
        await Promise.all(workers.map((w) => w.loop))
      })
    }
  }

  it("a two-hop chain: client → proxy → proxy → worker, libzmq at both ends", async () => {
    const first = await queueProxy()
    const secondFront = new Router()
    const secondBack = new Dealer()
    secondFront.connect(first.backAddress) // the second proxy's front end connects to the first's back end
    const backAddress = await bound(secondBack)
    const second = new Proxy(secondFront, secondBack)
    const secondDone = second.run()
    const rep = new zmq.Reply()
    rep.connect(backAddress)
    const worker = startWorker(rep as unknown as AnySocket, "far")
    const req = new zmq.Request()
    req.connect(first.frontAddress)
    for (let i = 0; i < 10; i++) {
      await req.send(`q${i}`)
      assert.deepEqual((await req.receive()).map(String), [`far:q${i}`])
    }
    assert.equal(second.statistics().frontEnd.received, 10)
    first.proxy.terminate()
    second.terminate()
    await Promise.all([first.done, secondDone])
    req.close()
    rep.close()
    await worker
  })
})

describe("Proxy: XPUB↔XSUB forwarder", () => {
  for (const pubImpl of IMPLS) for (const subImpl of IMPLS) {
    it(`subscribe and unsubscribe from a ${subImpl} SUB reach a ${pubImpl} XPUB publisher through the proxy; messages flow down`, async () => {
      const publisher = makeSocket(pubImpl, "XPUB")
      const pubAddress = await bound(publisher)
      const xsub = new XSubscriber()
      xsub.connect(pubAddress)
      const xpub = new XPublisher()
      const subAddress = await bound(xpub)
      const proxy = new Proxy(xpub, xsub)
      const done = proxy.run()
      const sub = makeSocket(subImpl, "SUB") as AnySocket & { unsubscribe(...t: string[]): void }
      sub.connect(subAddress)
      sub.subscribe("weather")
      const [subscribe] = await publisher.receive()
      assert.deepEqual(subscribe, Buffer.from("\x01weather"), "the SUBSCRIBE reached the publisher")
      // Publish until the subscriber sees a message (the path is complete once one arrives).
      sub.receiveTimeout = 50
      let got: Buffer[] | undefined
      while (got === undefined) {
        await publisher.send(["weather", "sunny"])
        await publisher.send(["sports", "never delivered"])
        try {
          got = await sub.receive()
        } catch (err) {
          if (!code("EAGAIN")(err)) throw err
        }
      }
      assert.deepEqual(got.map(String), ["weather", "sunny"])
      sub.unsubscribe("weather")
      const [cancel] = await publisher.receive()
      assert.deepEqual(cancel, Buffer.from("\x00weather"), "the CANCEL reached the publisher")
      assert.ok(proxy.statistics().backEnd.received >= 1)
      proxy.terminate()
      await done
      sub.close()
      publisher.close()
    })
  }
})

describe("Proxy: PULL→PUSH streamer, capture, pause/resume", () => {
  it("PULL→PUSH forwards every message in order; the capture socket sees each one", async () => {
    const pull = new Pull()
    const push = new Push()
    const inAddress = await bound(pull)
    const outAddress = await bound(push)
    const capture = new Pair()
    const captureAddress = await bound(capture)
    const tap = new Pair()
    tap.connect(captureAddress)
    const proxy = new Proxy(pull, push, { capture })
    const done = proxy.run()
    assert.throws(() => capture.send("x"), code("EBUSY"), "the capture socket belongs to the proxy too")
    const producer = new zmq.Push()
    producer.connect(inAddress)
    const consumer = new zmq.Pull()
    consumer.connect(outAddress)
    for (let i = 0; i < 100; i++) await producer.send([`m${i}`, "body"])
    for (let i = 0; i < 100; i++) {
      assert.deepEqual((await consumer.receive()).map(String), [`m${i}`, "body"])
      assert.deepEqual((await tap.receive()).map(String), [`m${i}`, "body"])
    }
    proxy.terminate()
    await done
    assert.equal(capture.closed, false, "the capture socket stays the application's")
    capture.close()
    tap.close()
    producer.close()
    consumer.close()
  })

  it("pause() stops taking messages (they wait in the front end), resume() delivers them in order", async () => {
    const pull = new Pull()
    const push = new Push()
    const inAddress = await bound(pull)
    const outAddress = await bound(push)
    const proxy = new Proxy(pull, push)
    const done = proxy.run()
    const producer = new Push()
    producer.connect(inAddress)
    const consumer = new Pull()
    consumer.connect(outAddress)
    await producer.send("before")
    assert.deepEqual((await consumer.receive()).map(String), ["before"])
    proxy.pause()
    assert.equal(proxy.paused, true)
    proxy.pause() // idempotent
    for (let i = 0; i < 5; i++) await producer.send(`p${i}`)
    const access = pull[SOCKET_ACCESS]()
    await until(() => access.queued().inbound === 5, "the 5 messages wait in the proxy's front end")
    assert.equal(proxy.statistics().frontEnd.received, 1, "nothing was taken while paused")
    proxy.resume()
    assert.equal(proxy.paused, false)
    for (let i = 0; i < 5; i++) assert.deepEqual((await consumer.receive()).map(String), [`p${i}`])
    assert.equal(proxy.statistics().frontEnd.received, 6)
    proxy.terminate()
    await done
    producer.close()
    consumer.close()
  })

  it("a capture with no room holds the one message taken and takes no more; its room coming back lets all flow in order", async () => {
    const pull = new Pull()
    const push = new Push()
    const inAddress = await bound(pull)
    const outAddress = await bound(push)
    // A PUSH capture bound with no peer yet: it has no room at all (PUSH waits for a peer).
    const capture = new Push()
    const captureAddress = await bound(capture)
    const proxy = new Proxy(pull, push, { capture })
    const done = proxy.run()
    const producer = new Push()
    producer.connect(inAddress)
    const consumer = new Pull()
    consumer.connect(outAddress)
    for (let i = 0; i < 5; i++) await producer.send(`c${i}`)
    const access = pull[SOCKET_ACCESS]()
    await until(() => access.queued().inbound === 4, "one message taken by the proxy, four wait in its front end")
    assert.equal(proxy.statistics().frontEnd.received, 1)
    assert.equal(proxy.statistics().backEnd.sent, 0, "nothing goes on before the capture has its copy")
    const tap = new Pull()
    tap.connect(captureAddress)
    for (let i = 0; i < 5; i++) {
      assert.deepEqual((await tap.receive()).map(String), [`c${i}`])
      assert.deepEqual((await consumer.receive()).map(String), [`c${i}`])
    }
    assert.equal(proxy.statistics().backEnd.sent, 5)
    proxy.terminate()
    await done
    capture.close()
    tap.close()
    producer.close()
    consumer.close()
  })

  it("a message that arrives is passed on before the event loop takes another turn (no timer, no setImmediate between)", async () => {
    // Over inproc both ways: the only asynchrony left is the sockets' own microtasks.
    const pull = new Pull()
    const push = new Push()
    await pull.bind("inproc://proxy-same-turn-in")
    await push.bind("inproc://proxy-same-turn-out")
    const proxy = new Proxy(pull, push)
    const done = proxy.run()
    const producer = new Push()
    producer.connect("inproc://proxy-same-turn-in")
    const consumer = new Pull()
    consumer.connect("inproc://proxy-same-turn-out")
    await producer.send("warm-up")
    assert.deepEqual((await consumer.receive()).map(String), ["warm-up"])
    let turned = false
    const immediate = setImmediate(() => (turned = true))
    await producer.send("now")
    const [message] = await consumer.receive()
    assert.equal(String(message), "now")
    assert.equal(turned, false, "delivered through the proxy within the same event-loop turn")
    clearImmediate(immediate)
    proxy.terminate()
    await done
    producer.close()
    consumer.close()
  })

  it("terminate() while paused resolves run()", async () => {
    const { proxy, done } = await queueProxy()
    proxy.pause()
    proxy.terminate()
    await done
    assert.equal(proxy.frontEnd.closed, true)
  })
})

describe("Proxy: back-pressure", () => {
  it("a worker that does not read never makes the proxy's queues grow past the high-water marks; nothing is lost", async () => {
    const HWM = 10
    const SIZE = 4096
    const { proxy, frontAddress, backAddress, done } = await queueProxy(
      new Router({ receiveHighWaterMark: HWM, sendHighWaterMark: HWM }),
      new Dealer({ receiveHighWaterMark: HWM, sendHighWaterMark: HWM }),
    )
    const worker = new Reply({ receiveHighWaterMark: HWM })
    worker.connect(backAddress)
    const client = new Dealer({ sendHighWaterMark: HWM, sendTimeout: 300 })
    client.connect(frontAddress)
    const body = Buffer.alloc(SIZE, 0x61)
    // Send until back-pressure reaches the client (its send() times out): the kernel buffers
    // on two TCP hops hold some megabytes, so the cap is far above what fits.
    const CAP = 60000
    let sent = 0
    for (; sent < CAP; sent++) {
      try {
        await client.send(["", String(sent), body])
      } catch (err) {
        if (!code("EAGAIN")(err)) throw err
        break
      }
    }
    assert.ok(sent < CAP, `back-pressure reached the client (it stopped after ${sent} messages)`)
    const front = proxy.frontEnd[SOCKET_ACCESS]().queued()
    const back = proxy.backEnd[SOCKET_ACCESS]().queued()
    // One read from TCP may hold up to 64 KiB of messages; the pause takes effect after it.
    const perRead = Math.ceil(65536 / SIZE) + 1
    assert.ok(front.inbound <= HWM + perRead, `front end holds ${front.inbound} received messages (HWM ${HWM})`)
    assert.ok(back.outbound <= HWM, `back end holds ${back.outbound} queued messages (HWM ${HWM})`)
    const stats = proxy.statistics()
    assert.ok(stats.frontEnd.received - stats.backEnd.sent <= 1, "at most one message in the proxy's hands")
    // Now the worker reads: every request arrives, in order, and is answered.
    client.sendTimeout = -1
    const served = (async () => {
      for (let i = 0; i < sent; i++) {
        const [id, payload] = await worker.receive()
        assert.equal(String(id), String(i))
        assert.equal(payload?.length, SIZE)
        await worker.send("ok")
      }
    })()
    for (let i = 0; i < sent; i++) {
      const reply = await client.receive()
      assert.deepEqual(reply.map(String), ["", "ok"])
    }
    await served
    proxy.terminate()
    await done
    client.close()
    worker.close()
  })
})

describe("Proxy: unroutable replies and in-process back-pressure", () => {
  it("a reply for a client that left is dropped and counted (ROUTER mandatory); the proxy keeps serving", async () => {
    const { proxy, frontAddress, backAddress, done } = await queueProxy(new Router({ mandatory: true }), new Dealer())
    const worker = new Reply()
    worker.connect(backAddress)
    const leaving = new Dealer({ linger: 0 })
    leaving.connect(frontAddress)
    await leaving.send(["", "question"])
    const [question] = await worker.receive()
    assert.equal(String(question), "question")
    const gone = (async () => {
      for await (const e of proxy.frontEnd.events) if (e.type === "disconnect") return
    })()
    leaving.close()
    await gone
    await worker.send("answer nobody hears")
    await until(() => proxy.statistics().dropped === 1, "the unroutable reply is counted")
    assert.equal(proxy.running, true)
    const staying = new Request()
    staying.connect(frontAddress)
    const serve = (async () => {
      const [q] = await worker.receive()
      await worker.send(`re:${String(q)}`)
    })()
    await staying.send("still there?")
    assert.deepEqual((await staying.receive()).map(String), ["re:still there?"])
    await serve
    proxy.terminate()
    await done
    staying.close()
    worker.close()
  })

  it("over inproc on both sides, a worker that does not read bounds what is in flight by the high-water marks", async () => {
    const HWM = 8
    const frontAddress = `inproc://proxy-bp-front-${process.pid}`
    const backAddress = `inproc://proxy-bp-back-${process.pid}`
    const front = new Router({ sendHighWaterMark: HWM, receiveHighWaterMark: HWM })
    const back = new Dealer({ sendHighWaterMark: HWM, receiveHighWaterMark: HWM })
    await front.bind(frontAddress)
    await back.bind(backAddress)
    const proxy = new Proxy(front, back)
    const done = proxy.run()
    const worker = new Reply({ receiveHighWaterMark: HWM })
    worker.connect(backAddress)
    const client = new Dealer({ sendHighWaterMark: HWM, sendTimeout: 200 })
    client.connect(frontAddress)
    let sent = 0
    const CAP = 10_000
    for (; sent < CAP; sent++) {
      try {
        await client.send(["", String(sent)])
      } catch (err) {
        if (!code("EAGAIN")(err)) throw err
        break
      }
    }
    // client SNDHWM + front RCVHWM + one in the proxy's hands + back SNDHWM + worker RCVHWM.
    assert.ok(sent <= 4 * HWM + 1, `at most ${4 * HWM + 1} in flight, got ${sent}`)
    assert.ok(sent >= 2 * HWM, `the pipes filled (${sent} sent)`)
    assert.ok(proxy.frontEnd[SOCKET_ACCESS]().queued().inbound <= HWM)
    assert.ok(proxy.backEnd[SOCKET_ACCESS]().queued().outbound <= HWM)
    client.sendTimeout = -1
    for (let i = 0; i < sent; i++) {
      const [n] = await worker.receive()
      assert.equal(String(n), String(i))
      await worker.send("ok")
      assert.deepEqual((await client.receive()).map(String), ["", "ok"])
    }
    proxy.terminate()
    await done
    client.close()
    worker.close()
  })
})

describe("Proxy: mechanisms per side", () => {
  it("a CURVE front end (libzmq clients) and a NULL back end (Ironhouse worker)", async () => {
    const server = zmq.curveKeyPair()
    const clientKeys = zmq.curveKeyPair()
    const front = new Router({ curveServer: true, curveSecretKey: server.secretKey })
    const handshakes: PeerInfo[] = []
    const events = (async () => {
      for await (const e of front.events) if (e.type === "handshake") handshakes.push(e.peer)
    })()
    const { proxy, frontAddress, backAddress, done } = await queueProxy(front, new Dealer())
    const worker = new Reply()
    worker.connect(backAddress)
    const client = new zmq.Request({
      curveServerKey: server.publicKey,
      curvePublicKey: clientKeys.publicKey,
      curveSecretKey: clientKeys.secretKey,
    })
    client.connect(frontAddress)
    await client.send("secret question")
    const { message, peer } = await worker.receiveWithPeer()
    assert.deepEqual(message.map(String), ["secret question"])
    assert.equal(peer.mechanism, "NULL", "the back end speaks NULL")
    await worker.send("answer")
    assert.deepEqual((await client.receive()).map(String), ["answer"])
    assert.equal(handshakes[0]?.mechanism, "CURVE", "the front end speaks CURVE")
    assert.equal(handshakes[0]?.publicKey, clientKeys.publicKey)
    proxy.terminate()
    await done
    await events
    client.close()
    worker.close()
  })

  it("a plain NULL client cannot reach the CURVE front end", async () => {
    const server = zmq.curveKeyPair()
    const { proxy, frontAddress, backAddress, done } = await queueProxy(
      new Router({ curveServer: true, curveSecretKey: server.secretKey }),
      new Dealer(),
    )
    const worker = new Reply()
    worker.connect(backAddress)
    const client = new Request({ sendTimeout: 100, linger: 0 })
    client.connect(frontAddress)
    await client.send("hi").catch(() => undefined) // queued (or EAGAIN): never delivered
    const errors: string[] = []
    const it = proxy.frontEnd.events
    for await (const e of it) {
      if (e.type.startsWith("handshake:error")) {
        errors.push(e.type)
        break
      }
    }
    assert.equal(errors.length, 1, "the front end refused the NULL handshake")
    assert.equal(proxy.statistics().frontEnd.received, 0)
    proxy.terminate()
    await done
    client.close()
    worker.close()
  })
})
