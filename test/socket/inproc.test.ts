/**
 * inproc:// (issue 8 item 2): every socket pair in both bind orders (connect before bind
 * waits, as in libzmq 4.x), high-water marks (exactly sendHighWaterMark + receiveHighWaterMark
 * in flight, as libzmq's inproc pipe), peer metadata, frames passed without copies, events,
 * unbind/disconnect/close, one registry per context, and a Proxy with an inproc back end.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import {
  Context,
  Dealer,
  Pair,
  Proxy,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  Socket,
  SocketError,
  Subscriber,
  XPublisher,
  XSubscriber,
  curveKeyPair,
  type SocketEvent,
} from "../../src/index.js"
import { until } from "./helpers.js"

let counter = 0
const fresh = (): string => `inproc://test-${process.pid}-${++counter}`
const str = (m: Buffer[]): string[] => m.map((f) => f.toString())

/** What the tests use of any socket (the socket classes differ in which methods they have). */
interface Any {
  bind(a: string): Promise<void>
  connect(a: string): void
  close(): void
  send(m: string | Buffer | Array<string | Buffer>): Promise<void>
  receive(): Promise<Buffer[]>
  receiveTimeout: number
  subscribe?(...t: string[]): void
}
const any = (s: Socket): Any => s as unknown as Any

function code(c: string): (err: unknown) => boolean {
  return (err: unknown) => err instanceof SocketError && err.code === c
}

/** Publish until the subscriber sees a message (subscriptions reach the publisher asynchronously). */
async function publishUntilReceived(pub: Any, sub: Any, topic: string): Promise<Buffer[]> {
  sub.receiveTimeout = 10
  for (;;) {
    await pub.send([topic, "data"])
    try {
      const m = await sub.receive()
      sub.receiveTimeout = -1
      return m
    } catch (err) {
      if (!code("EAGAIN")(err)) throw err
    }
  }
}

type Exchange = (a: Any, b: Any) => Promise<void>

/** [connecting type, binding type, exchange(connecter, binder)] */
const PAIRS: Array<[string, () => Socket, () => Socket, Exchange]> = [
  [
    "PAIR↔PAIR",
    () => new Pair(),
    () => new Pair(),
    async (a, b) => {
      await a.send("ping")
      assert.deepEqual(str(await b.receive()), ["ping"])
      await b.send("pong")
      assert.deepEqual(str(await a.receive()), ["pong"])
    },
  ],
  [
    "PUSH→PULL",
    () => new Push(),
    () => new Pull(),
    async (a, b) => {
      for (let i = 0; i < 10; i++) await a.send(["m", String(i)])
      for (let i = 0; i < 10; i++) assert.deepEqual(str(await b.receive()), ["m", String(i)])
    },
  ],
  [
    "PULL←PUSH (PUSH binds)",
    () => new Pull(),
    () => new Push(),
    async (a, b) => {
      await b.send("x")
      assert.deepEqual(str(await a.receive()), ["x"])
    },
  ],
  [
    "REQ→REP",
    () => new Request(),
    () => new Reply(),
    async (a, b) => {
      for (let i = 0; i < 3; i++) {
        await a.send(`q${i}`)
        assert.deepEqual(str(await b.receive()), [`q${i}`])
        await b.send(`r${i}`)
        assert.deepEqual(str(await a.receive()), [`r${i}`])
      }
    },
  ],
  [
    "REQ→ROUTER",
    () => new Request({ routingId: "client-1" }),
    () => new Router(),
    async (a, b) => {
      await a.send("q")
      const [id, empty, body] = await b.receive()
      assert.equal(String(id), "client-1", "the REQ's routingId is its Identity over inproc too")
      assert.equal(empty?.length, 0)
      assert.equal(String(body), "q")
      await b.send([id as Buffer, "", "r"])
      assert.deepEqual(str(await a.receive()), ["r"])
    },
  ],
  [
    "DEALER→REP",
    () => new Dealer(),
    () => new Reply(),
    async (a, b) => {
      await a.send(["", "q"])
      assert.deepEqual(str(await b.receive()), ["q"])
      await b.send("r")
      assert.deepEqual(str(await a.receive()), ["", "r"])
    },
  ],
  [
    "DEALER→ROUTER",
    () => new Dealer(),
    () => new Router(),
    async (a, b) => {
      await a.send("q")
      const [id, body] = await b.receive()
      assert.equal(id?.length, 5, "a generated 5-octet routing id")
      assert.equal(String(body), "q")
      await b.send([id as Buffer, "r"])
      assert.deepEqual(str(await a.receive()), ["r"])
    },
  ],
  [
    "DEALER↔DEALER",
    () => new Dealer(),
    () => new Dealer(),
    async (a, b) => {
      await a.send("q")
      assert.deepEqual(str(await b.receive()), ["q"])
      await b.send("r")
      assert.deepEqual(str(await a.receive()), ["r"])
    },
  ],
  [
    "ROUTER→ROUTER",
    () => new Router({ routingId: "left" }),
    () => new Router({ routingId: "right" }),
    async (a, b) => {
      // The connecting ROUTER knows the peer by the peer's Identity; it can speak first.
      await until(() => (a as unknown as Router).writable, "the link is up")
      const send = (): Promise<void> => a.send(["right", "hello"])
      ;(a as unknown as Router).mandatory = true
      for (;;) {
        try {
          await send()
          break
        } catch (err) {
          if (!code("EHOSTUNREACH")(err)) throw err
          await new Promise((r) => setImmediate(r))
        }
      }
      assert.deepEqual(str(await b.receive()), ["left", "hello"])
    },
  ],
  [
    "SUB→PUB",
    () => new Subscriber(),
    () => new Publisher(),
    async (a, b) => {
      a.subscribe?.("t")
      assert.deepEqual(str(await publishUntilReceived(b, a, "t")), ["t", "data"])
    },
  ],
  [
    "XSUB→XPUB",
    () => new XSubscriber(),
    () => new XPublisher(),
    async (a, b) => {
      await a.send(Buffer.from("\x01t"))
      assert.deepEqual(await b.receive(), [Buffer.from("\x01t")], "XPUB receives the subscription")
      assert.deepEqual(str(await publishUntilReceived(b, a, "t")), ["t", "data"])
      await a.send(Buffer.from("\x00t"))
      assert.deepEqual(await b.receive(), [Buffer.from("\x00t")], "and the cancellation")
    },
  ],
  [
    "SUB→XPUB",
    () => new Subscriber(),
    () => new XPublisher(),
    async (a, b) => {
      a.subscribe?.("t")
      assert.deepEqual(await b.receive(), [Buffer.from("\x01t")])
      assert.deepEqual(str(await publishUntilReceived(b, a, "t")), ["t", "data"])
    },
  ],
  [
    "PUB←XSUB (PUB connects)",
    () => new Publisher(),
    () => new XSubscriber(),
    async (a, b) => {
      await b.send(Buffer.from("\x01"))
      assert.deepEqual(str(await publishUntilReceived(a, b, "any")), ["any", "data"])
    },
  ],
]

describe("inproc: every socket pair", () => {
  for (const [name, makeConnecter, makeBinder, exchange] of PAIRS) {
    for (const order of ["bind first", "connect first"] as const) {
      it(`${name}, ${order}`, async () => {
        const address = fresh()
        const connecter = makeConnecter()
        const binder = makeBinder()
        try {
          if (order === "bind first") {
            await binder.bind(address)
            connecter.connect(address)
          } else {
            connecter.connect(address)
            await binder.bind(address)
          }
          await exchange(any(connecter), any(binder))
        } finally {
          connecter.close()
          binder.close()
        }
      })
    }
  }

  it("PAIR stays exclusive: a second PAIR connecting to a bound PAIR is dropped, the first keeps talking", async () => {
    const address = fresh()
    const bound = new Pair()
    await bound.bind(address)
    const first = new Pair()
    first.connect(address)
    await first.send("one")
    assert.deepEqual(str(await bound.receive()), ["one"])
    const second = new Pair({ linger: 0 })
    const dropped = (async () => {
      for await (const e of second.events) if (e.type === "disconnect") return
    })()
    second.connect(address)
    await dropped
    await bound.send("still yours")
    assert.deepEqual(str(await first.receive()), ["still yours"])
    first.close()
    second.close()
    bound.close()
  })

  it("incompatible types (PUSH to PAIR) are refused like over ZMTP: handshake:error:protocol", async () => {
    const address = fresh()
    const pair = new Pair()
    await pair.bind(address)
    const push = new Push({ linger: 0 })
    const events: SocketEvent[] = []
    const seen = (async () => {
      for await (const e of push.events) {
        events.push(e)
        if (e.type === "handshake:error:protocol") break
      }
    })()
    push.connect(address)
    await seen
    const last = events[events.length - 1]
    assert.equal(last?.type, "handshake:error:protocol")
    assert.equal((last as { error?: { code?: string } }).error?.code, "ERR_ZMTP_SOCKET_TYPE_MISMATCH")
    push.close()
    pair.close()
  })
})

describe("inproc: connect before bind, HWM, metadata, copies", () => {
  it("messages sent before the bind wait in the connecting socket and arrive in order once it binds", async () => {
    const address = fresh()
    const push = new Push()
    push.connect(address)
    for (let i = 0; i < 5; i++) await push.send(String(i))
    const pull = new Pull()
    await pull.bind(address)
    for (let i = 0; i < 5; i++) assert.deepEqual(str(await pull.receive()), [String(i)])
    push.close()
    pull.close()
  })

  for (const [sndhwm, rcvhwm] of [
    [5, 7],
    [1, 1],
    [100, 30],
  ] as const) {
    it(`exactly sendHighWaterMark + receiveHighWaterMark (${sndhwm} + ${rcvhwm}) messages are in flight; then send() waits`, async () => {
      const address = fresh()
      const pull = new Pull({ receiveHighWaterMark: rcvhwm })
      await pull.bind(address)
      const push = new Push({ sendHighWaterMark: sndhwm, sendTimeout: 0 })
      push.connect(address)
      await until(() => push.writable, "the inproc link is up")
      let sent = 0
      for (;;) {
        try {
          await push.send(String(sent))
          sent++
        } catch (err) {
          if (!code("EAGAIN")(err)) throw err
          break
        }
        assert.ok(sent <= sndhwm + rcvhwm, "never more than the two high-water marks")
      }
      assert.equal(sent, sndhwm + rcvhwm)
      // Reading lets the rest through, in order, and makes room for more.
      push.sendTimeout = -1
      const more = (async () => {
        for (let i = 0; i < 50; i++) await push.send(String(sent + i))
      })()
      for (let i = 0; i < sent + 50; i++) assert.deepEqual(str(await pull.receive()), [String(i)])
      await more
      push.close()
      pull.close()
    })
  }

  it("receiveWithPeer: Socket-Type, Identity, mechanism NULL, Peer-Address = the endpoint", async () => {
    const address = fresh()
    const router = new Router()
    await router.bind(address)
    const dealer = new Dealer({ routingId: "worker-7" })
    dealer.connect(address)
    await dealer.send("hi")
    const { message, peer } = await router.receiveWithPeer()
    assert.deepEqual(str(message), ["worker-7", "hi"])
    assert.equal(peer.socketType, "DEALER")
    assert.equal(Buffer.from(peer.routingId).toString(), "worker-7")
    assert.equal(peer.mechanism, "NULL")
    assert.equal(peer.address, address)
    assert.equal(peer.userId, "")
    assert.equal(Buffer.from(peer.properties.get("Peer-Address") ?? []).toString(), address)
    await router.send(["worker-7", "back"])
    const back = await dealer.receiveWithPeer()
    assert.equal(back.peer.socketType, "ROUTER")
    dealer.close()
    router.close()
  })

  it("frames are not copied: the receiver gets the sender's bytes", async () => {
    const address = fresh()
    const pull = new Pull()
    await pull.bind(address)
    const push = new Push()
    push.connect(address)
    const frame = Buffer.from("zero-copy payload")
    await push.send([frame, "second"])
    const [got] = await pull.receive()
    assert.equal(got?.buffer, frame.buffer, "same underlying memory")
    assert.equal(got?.byteOffset, frame.byteOffset)
    push.close()
    pull.close()
  })

  it("security options do not apply (as in libzmq): a CURVE server talks NULL to an inproc peer", async () => {
    const address = fresh()
    const server = new Pull({ curveServer: true, curveSecretKey: curveKeyPair().secretKey })
    await server.bind(address)
    const client = new Push()
    client.connect(address)
    await client.send("plain")
    const { message, peer } = await server.receiveWithPeer()
    assert.deepEqual(str(message), ["plain"])
    assert.equal(peer.mechanism, "NULL")
    client.close()
    server.close()
  })
})

describe("inproc: endpoints, events, contexts", () => {
  it("a second bind of a name is EADDRINUSE; another context has its own names", async () => {
    const address = fresh()
    const a = new Pull()
    const b = new Pull()
    const other = new Pull({ context: new Context() })
    await a.bind(address)
    await assert.rejects(b.bind(address), code("EADDRINUSE"))
    await other.bind(address) // separate registry
    assert.throws(() => b.connect("inproc://"), RangeError)
    a.close()
    b.close()
    other.close()
  })

  it("a name is free again after unbind/close; unbind disconnects its peers", async () => {
    const address = fresh()
    const pull = new Pull()
    await pull.bind(address)
    const push = new Push()
    const events: string[] = []
    const watch = (async () => {
      for await (const e of push.events) {
        events.push(e.type)
        if (e.type === "disconnect") break
      }
    })()
    push.connect(address)
    await push.send("one")
    assert.deepEqual(str(await pull.receive()), ["one"])
    await pull.unbind(address)
    await watch
    assert.deepEqual(events, ["connect", "handshake", "disconnect"])
    const again = new Pull()
    await again.bind(address)
    again.close()
    pull.close()
    push.close()
    const third = new Pull()
    await third.bind(address)
    third.close()
  })

  it("bind-side events: bind, accept, handshake (with the peer), disconnect when the peer disconnects", async () => {
    const address = fresh()
    const pull = new Pull()
    const events: SocketEvent[] = []
    const watch = (async () => {
      for await (const e of pull.events) {
        events.push(e)
        if (e.type === "disconnect") break
      }
    })()
    await pull.bind(address)
    const push = new Push()
    push.connect(address)
    await push.send("x")
    await pull.receive()
    push.disconnect(address)
    assert.throws(() => push.disconnect(address), code("ENOENT"))
    await watch
    assert.deepEqual(
      events.map((e) => e.type),
      ["bind", "accept", "handshake", "disconnect"],
    )
    const hs = events[2] as Extract<SocketEvent, { type: "handshake" }>
    assert.equal(hs.peer.socketType, "PUSH")
    push.close()
    pull.close()
  })

  it("closing the connecting socket before the bind cancels its wait; close with linger delivers", async () => {
    const address = fresh()
    const gone = new Push({ linger: 0 })
    gone.connect(address)
    gone.close()
    const lingering = new Push() // linger -1: delivers after close, once the peer binds
    lingering.connect(address)
    await lingering.send("after close")
    lingering.close()
    const pull = new Pull()
    const accepts: string[] = []
    const watch = (async () => {
      for await (const e of pull.events) {
        if (e.type === "accept") accepts.push(e.type)
        if (e.type === "handshake") break
      }
    })()
    await pull.bind(address)
    assert.deepEqual(str(await pull.receive()), ["after close"])
    await watch
    assert.equal(accepts.length, 1, "only the lingering socket connected")
    await lingering.whenClosed
    pull.close()
  })
})

describe("inproc: a Proxy with an inproc back end", () => {
  it("a back end that only connects to inproc counts as connected (run() does not refuse it)", async () => {
    const address = fresh()
    const front = new Pull()
    await front.bind("tcp://127.0.0.1:*")
    const back = new Push()
    back.connect(address) // before the consumer binds
    const proxy = new Proxy(front, back)
    const done = proxy.run()
    const consumer = new Pull()
    await consumer.bind(address)
    const producer = new Push()
    producer.connect(front.lastEndpoint as string)
    await producer.send("through")
    assert.deepEqual(str(await consumer.receive()), ["through"])
    proxy.terminate()
    await done
    producer.close()
    consumer.close()
  })

  it("the proxy forwards frames without copying them (inproc on both sides: the consumer gets the producer's bytes)", async () => {
    const inAddress = fresh()
    const outAddress = fresh()
    const front = new Pull()
    await front.bind(inAddress)
    const back = new Push()
    await back.bind(outAddress)
    const proxy = new Proxy(front, back)
    const done = proxy.run()
    const producer = new Push()
    producer.connect(inAddress)
    const consumer = new Pull()
    consumer.connect(outAddress)
    const frames = [Buffer.from("first frame"), Buffer.from("second frame")]
    await producer.send(frames)
    const got = await consumer.receive()
    assert.equal(got.length, 2)
    for (let i = 0; i < 2; i++) {
      assert.equal(got[i]?.buffer, frames[i]?.buffer, `frame ${i}: same memory`)
      assert.equal(got[i]?.byteOffset, frames[i]?.byteOffset)
    }
    proxy.terminate()
    await done
    producer.close()
    consumer.close()
  })

  it("tcp ROUTER front, inproc DEALER back, inproc REP workers", async () => {
    const front = new Router()
    await front.bind("tcp://127.0.0.1:*")
    const back = new Dealer()
    const address = fresh()
    await back.bind(address)
    const proxy = new Proxy(front, back)
    const done = proxy.run()
    const worker = new Reply()
    worker.connect(address)
    const serve = (async () => {
      for await (const [q] of worker) await worker.send(`done:${String(q)}`)
    })()
    const client = new Request()
    client.connect(front.lastEndpoint as string)
    for (let i = 0; i < 5; i++) {
      await client.send(`job${i}`)
      assert.deepEqual(str(await client.receive()), [`done:job${i}`])
    }
    proxy.terminate()
    await done
    client.close()
    worker.close()
    await serve
  })
})
