/**
 * Socket-type semantics (RFC 28-31), Ironhouse to Ironhouse: routing, fair queuing,
 * REQ/REP state machines, ROUTER identities, PUB/SUB filtering and high-water marks.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import {
  Dealer,
  Pair,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  SocketError,
  Subscriber,
  XPublisher,
  XSubscriber,
} from "../../src/index.js"
import { until } from "./helpers.js"
import { connectEngine } from "../helpers/net-engine.js"

const str = (m: Buffer[]): string[] => m.map((f) => f.toString())

function code(c: string): (err: unknown) => boolean {
  return (err: unknown) => err instanceof SocketError && err.code === c
}

async function bound<T extends { bind(a: string): Promise<void>; lastEndpoint: string | null }>(s: T): Promise<string> {
  await s.bind("tcp://127.0.0.1:*")
  return s.lastEndpoint as string
}

/** Publish probes until the subscriber sees one (subscriptions travel asynchronously). */
async function settle(pub: { send(m: string[]): Promise<void> }, sub: { receive(): Promise<Buffer[]>; receiveTimeout: number }, topic: string): Promise<void> {
  sub.receiveTimeout = 20
  for (;;) {
    await pub.send([topic, "probe"])
    try {
      await sub.receive()
      break
    } catch (err) {
      if (!(err instanceof SocketError && err.code === "EAGAIN")) throw err
    }
  }
  sub.receiveTimeout = 0
  for (;;) {
    try {
      await sub.receive()
    } catch {
      break
    }
  }
  sub.receiveTimeout = -1
}

describe("PUSH / PULL", () => {
  it("PUSH round-robins over its peers", async () => {
    const push = new Push({ linger: 0 })
    const pulls = [new Pull({ linger: 0 }), new Pull({ linger: 0 })]
    try {
      await push.bind("tcp://127.0.0.1:*")
      for (const p of pulls) p.connect(push.lastEndpoint as string)
      const handshakes = { n: 0 }
      const ev = push.events
      ev.on("handshake", () => handshakes.n++)
      await until(() => handshakes.n === 2, "both PULLs are connected")
      for (let i = 0; i < 10; i++) await push.send(String(i))
      const got = await Promise.all(pulls.map(async (p) => { const out: string[] = []; for (let i = 0; i < 5; i++) out.push(String((await p.receive())[0])); return out }))
      assert.deepEqual(got.flat().sort((x, y) => Number(x) - Number(y)), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
      // Alternation: each PULL got every other message.
      for (const list of got) assert.ok(list.every((v, i) => i === 0 || Number(v) - Number(list[i - 1]) === 2), `alternating: ${list}`)
    } finally {
      push.close()
      for (const p of pulls) p.close()
    }
  })

  it("PULL fair-queues: a busy peer does not starve a quiet one", async () => {
    const pull = new Pull({ linger: 0 })
    const busy = new Push({ linger: 0 })
    const quiet = new Push({ linger: 0 })
    try {
      const ep = await bound(pull)
      busy.connect(ep)
      quiet.connect(ep)
      for (let i = 0; i < 200; i++) await busy.send("busy")
      await quiet.send("quiet")
      // Let both arrive before reading anything.
      await until(() => pull.readable, "messages arrive")
      await new Promise((r) => setTimeout(r, 50))
      const order: string[] = []
      for (let i = 0; i < 201; i++) order.push(String((await pull.receive())[0]))
      const position = order.indexOf("quiet")
      assert.ok(position >= 0 && position < 5, `the quiet peer's message came at position ${position}`)
    } finally {
      pull.close()
      busy.close()
      quiet.close()
    }
  })

  it("PUSH waits at the high-water mark, queueing for a peer that is not there yet", async () => {
    const push = new Push({ linger: 0, sendHighWaterMark: 3, sendTimeout: 0 })
    const pull = new Pull({ linger: 0 })
    try {
      const ep = await bound(pull)
      const port = Number(ep.split(":").pop())
      pull.close()
      await pull.whenClosed
      push.connect(`tcp://127.0.0.1:${port}`) // nobody listens now
      for (const m of ["a", "b", "c"]) await push.send(m)
      await assert.rejects(push.send("d"), code("EAGAIN"))
      const late = new Pull({ linger: 0 })
      await late.bind(`tcp://127.0.0.1:${port}`)
      try {
        assert.deepEqual([str(await late.receive()), str(await late.receive()), str(await late.receive())], [["a"], ["b"], ["c"]])
      } finally {
        late.close()
      }
    } finally {
      push.close()
    }
  })

  it("PUSH waits when its connected peer stops reading (TCP back-pressure up to the high-water marks)", async () => {
    const pull = new Pull({ linger: 0, receiveHighWaterMark: 4 })
    const push = new Push({ linger: 0, sendHighWaterMark: 4, sendTimeout: 0 })
    try {
      let connected = false
      push.events.on("handshake", () => (connected = true))
      push.connect(await bound(pull))
      await until(() => connected, "the connection is up")
      const big = Buffer.alloc(256 * 1024)
      let sent = 0
      for (;;) {
        try {
          await push.send(big)
          sent++
        } catch (err) {
          if (!(err instanceof SocketError && err.code === "EAGAIN")) throw err
          // Full for now; let the transport move what it can, and stop once nothing moves.
          await new Promise((r) => setTimeout(r, 20))
          if (!push.writable) break
        }
        if (sent > 4000) break // 1 GiB: back-pressure would have failed
      }
      assert.ok(sent > 4, `more than the send queue went out (${sent})`)
      assert.ok(sent < 4000, `send() stopped after ${sent} messages of 256 KiB`)
      pull.receiveTimeout = 1000
      for (let i = 0; i < sent; i++) await pull.receive()
      push.sendTimeout = -1
      await push.send("room again")
      assert.deepEqual(str(await pull.receive()), ["room again"])
    } finally {
      push.close()
      pull.close()
    }
  })

  it("with immediate, nothing is queued for a connection that is not complete", async () => {
    const push = new Push({ linger: 0, immediate: true, sendTimeout: 0 })
    try {
      push.connect("tcp://127.0.0.1:1")
      await assert.rejects(push.send("x"), code("EAGAIN"))
    } finally {
      push.close()
    }
  })
})

describe("REQ / REP", () => {
  it("REQ alternates strictly; REP routes the reply back; EFSM on misuse", async () => {
    const rep = new Reply({ linger: 0 })
    const req = new Request({ linger: 0 })
    try {
      req.connect(await bound(rep))
      await assert.rejects(req.receive(), code("EFSM"))
      await assert.rejects(rep.send("no request yet"), code("EFSM"))
      await req.send(["q", ""])
      await assert.rejects(req.send("again"), code("EFSM"))
      assert.deepEqual(str(await rep.receive()), ["q", ""])
      await assert.rejects(rep.receive(), code("EFSM"))
      await rep.send("r")
      assert.deepEqual(str(await req.receive()), ["r"])
      await req.send("second")
      assert.deepEqual(str(await rep.receive()), ["second"])
      await rep.send("second reply")
      assert.deepEqual(str(await req.receive()), ["second reply"])
    } finally {
      rep.close()
      req.close()
    }
  })

  it("REP keeps the whole envelope of a request that came through a ROUTER/DEALER", async () => {
    const rep = new Reply({ linger: 0 })
    const dealer = new Dealer({ linger: 0 })
    try {
      dealer.connect(await bound(rep))
      await dealer.send(["hop2", "hop1", "", "body"])
      assert.deepEqual(str(await rep.receive()), ["body"])
      await rep.send("answer")
      assert.deepEqual(str(await dealer.receive()), ["hop2", "hop1", "", "answer"])
      // A request without a delimiter is malformed and dropped.
      await dealer.send(["no delimiter"])
      await dealer.send(["", "good"])
      assert.deepEqual(str(await rep.receive()), ["good"])
    } finally {
      rep.close()
      dealer.close()
    }
  })

  it("REQ drops replies from other peers and replies without the delimiter", async () => {
    const router = new Router({ linger: 0 })
    const req = new Request({ linger: 0, routingId: "req" })
    try {
      req.connect(await bound(router))
      await req.send("q")
      const [id] = await router.receive()
      await router.send([id as Buffer, "not a delimiter", "bad"])
      await router.send([id as Buffer, "", "good"])
      assert.deepEqual(str(await req.receive()), ["good"])
    } finally {
      router.close()
      req.close()
    }
  })

  it("relaxed + correlate: a new request may be sent, and only the reply to it is accepted", async () => {
    const router = new Router({ linger: 0 })
    const req = new Request({ linger: 0, relaxed: true, correlate: true })
    try {
      req.connect(await bound(router))
      await req.send("first")
      const first = await router.receive()
      assert.equal(first.length, 4, "id, request id, delimiter, body")
      await req.send("second") // allowed: relaxed
      const second = await router.receive()
      assert.notDeepEqual(first[1], second[1], "each request carries its own id")
      await router.send([first[0] as Buffer, first[1] as Buffer, "", "late reply to first"])
      await router.send([second[0] as Buffer, second[1] as Buffer, "", "reply to second"])
      assert.deepEqual(str(await req.receive()), ["reply to second"])
    } finally {
      router.close()
      req.close()
    }
  })
})

describe("DEALER / ROUTER", () => {
  it("ROUTER prefixes the peer's routing id (announced, or generated 0x00 + 4 octets)", async () => {
    const router = new Router({ linger: 0 })
    const named = new Dealer({ linger: 0, routingId: "named" })
    const anonymous = new Dealer({ linger: 0 })
    try {
      const ep = await bound(router)
      named.connect(ep)
      anonymous.connect(ep)
      await named.send("from named")
      await anonymous.send("from anonymous")
      const ids = new Map<string, Buffer>()
      for (let i = 0; i < 2; i++) {
        const [id, body] = await router.receive()
        ids.set(String(body), id as Buffer)
      }
      assert.equal(String(ids.get("from named")), "named")
      const generated = ids.get("from anonymous") as Buffer
      assert.equal(generated.length, 5)
      assert.equal(generated[0], 0)
      await router.send([generated, "to anonymous"])
      await router.send(["named", "to named"])
      assert.deepEqual(str(await anonymous.receive()), ["to anonymous"])
      assert.deepEqual(str(await named.receive()), ["to named"])
    } finally {
      router.close()
      named.close()
      anonymous.close()
    }
  })

  it("unroutable messages are dropped, or fail with EHOSTUNREACH when mandatory", async () => {
    const router = new Router({ linger: 0 })
    try {
      await router.send(["nobody", "dropped"]) // resolves: silently dropped
      router.mandatory = true
      await assert.rejects(router.send(["nobody", "x"]), code("EHOSTUNREACH"))
    } finally {
      router.close()
    }
  })

  it("connect(address, { routingId }) names the peer for routing", async () => {
    const server = new Router({ linger: 0, routingId: "server" })
    const client = new Router({ linger: 0 })
    try {
      client.connect(await bound(server), { routingId: "the-server" })
      client.mandatory = true
      client.sendTimeout = 2000
      // Mandatory: wait until the peer is known, then route to it by the name we gave it.
      await until(() => client.writable, "the ROUTER peer is up")
      for (;;) {
        try {
          await client.send(["the-server", "hello"])
          break
        } catch (err) {
          if (!(err instanceof SocketError && err.code === "EHOSTUNREACH")) throw err
          await new Promise((r) => setTimeout(r, 5))
        }
      }
      const [from, body] = await server.receive()
      assert.equal(String(body), "hello")
      await server.send([from as Buffer, "back"])
      assert.deepEqual(str(await client.receive()), ["the-server", "back"])
    } finally {
      server.close()
      client.close()
    }
  })

  it("a second peer with a routing id in use is ignored, unless handover", async () => {
    for (const handover of [false, true]) {
      const router = new Router({ linger: 0, handover })
      const first = new Dealer({ linger: 0, routingId: "dup" })
      const second = new Dealer({ linger: 0, routingId: "dup" })
      try {
        const ep = await bound(router)
        first.connect(ep)
        await first.send("first")
        assert.deepEqual(str(await router.receive()), ["dup", "first"])
        second.connect(ep)
        let handshakes = 0
        second.events.on("handshake", () => handshakes++)
        await until(() => handshakes > 0, "second peer's handshake")
        await second.send("second")
        await first.send("first again")
        await router.send(["dup", "who gets this?"])
        if (!handover) {
          assert.deepEqual(str(await router.receive()), ["dup", "first again"], "the duplicate is ignored")
          assert.deepEqual(str(await first.receive()), ["who gets this?"])
        } else {
          assert.deepEqual(str(await router.receive()), ["dup", "second"], "the newcomer took the id over")
          assert.deepEqual(str(await second.receive()), ["who gets this?"])
        }
      } finally {
        router.close()
        first.close()
        second.close()
      }
    }
  })
})

describe("PAIR", () => {
  it("is exclusive: a second peer is refused", async () => {
    const a = new Pair({ linger: 0 })
    const b = new Pair({ linger: 0 })
    const intruder = new Pair({ linger: 0, reconnectInterval: -1 })
    try {
      const ep = await bound(a)
      b.connect(ep)
      await b.send("from b")
      assert.deepEqual(str(await a.receive()), ["from b"])
      let disconnected = false
      intruder.events.on("disconnect", () => (disconnected = true))
      intruder.connect(ep)
      await until(() => disconnected, "the intruder is dropped")
      await a.send("to b")
      assert.deepEqual(str(await b.receive()), ["to b"])
    } finally {
      a.close()
      b.close()
      intruder.close()
    }
  })
})

describe("PUB / SUB", () => {
  it("SUB receives only what matches its prefixes; unsubscribe stops them; subscribe() takes all", async () => {
    const pub = new Publisher({ linger: 0 })
    const sub = new Subscriber({ linger: 0 })
    try {
      sub.connect(await bound(pub))
      sub.subscribe("weather.", "news")
      await settle(pub, sub, "news")
      await pub.send(["sport", "no"])
      await pub.send(["weather.paris", "sun"])
      await pub.send(["newsflash", "yes"])
      assert.deepEqual(str(await sub.receive()), ["weather.paris", "sun"])
      assert.deepEqual(str(await sub.receive()), ["newsflash", "yes"])
      sub.unsubscribe("news")
      sub.subscribe()
      await settle(pub, sub, "anything")
      await pub.send(["news", "now via the catch-all"])
      await pub.send(["sport", "too"])
      assert.deepEqual(str(await sub.receive()), ["news", "now via the catch-all"])
      assert.deepEqual(str(await sub.receive()), ["sport", "too"])
    } finally {
      pub.close()
      sub.close()
    }
  })

  it("PUB filters on its side: a peer that does not filter gets only what it subscribed to", async () => {
    const pub = new Publisher({ linger: 0 })
    try {
      const ep = await bound(pub)
      // A bare engine as SUB: it delivers whatever arrives, so any filtering is PUB's.
      const probe = await connectEngine(Number(ep.split(":").pop()), { socketType: "SUB", security: { mechanism: "NULL", asServer: false } })
      try {
        await probe.next("handshake")
        probe.conn?.engine.sendSubscription(true, Buffer.from("a"))
        probe.conn?.flush()
        // Until the subscription is in, nothing at all arrives; then only "a..." does.
        for (let i = 0; probe.events.every((e) => e.type !== "message"); i++) {
          await pub.send(["b-message", String(i)])
          await pub.send(["a-message", String(i)])
          await new Promise((r) => setTimeout(r, 5))
        }
        const topics = probe.events.filter((e) => e.type === "message").map((e) => (e.type === "message" ? Buffer.from(e.frames[0] as Uint8Array).toString() : ""))
        assert.ok(topics.length > 0 && topics.every((t) => t === "a-message"), `got ${topics.join(",")}`)
      } finally {
        probe.close()
      }
    } finally {
      pub.close()
    }
  })

  it("PUB never waits: a subscriber at its high-water mark misses messages", async () => {
    const pub = new Publisher({ linger: 0, sendHighWaterMark: 10 })
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: 10 })
    try {
      sub.connect(await bound(pub))
      sub.subscribe()
      await settle(pub, sub, "")
      const big = Buffer.alloc(64 * 1024)
      const total = 2000 // 128 MiB offered to a reader that reads nothing meanwhile
      for (let i = 0; i < total; i++) await pub.send(big)
      sub.receiveTimeout = 200
      let received = 0
      for (;;) {
        try {
          await sub.receive()
          received++
        } catch {
          break
        }
      }
      assert.ok(received < total, `the slow subscriber got ${received} of ${total}`)
    } finally {
      pub.close()
      sub.close()
    }
  })
})

describe("XPUB / XSUB", () => {
  it("XPUB reports first subscriptions and last cancellations (all with verbosity), and a leaving peer's", async () => {
    const xpub = new XPublisher({ linger: 0 })
    const s1 = new Subscriber({ linger: 0 })
    const s2 = new Subscriber({ linger: 0 })
    try {
      const ep = await bound(xpub)
      s1.connect(ep)
      s1.subscribe("t")
      assert.deepEqual([...(await xpub.receive())[0] as Buffer], [1, 0x74])
      s2.connect(ep)
      s2.subscribe("t") // not unique: not reported
      s2.subscribe("u")
      assert.deepEqual([...(await xpub.receive())[0] as Buffer], [1, 0x75])
      s1.unsubscribe("t") // s2 still has it: not reported
      s2.close() // last holder of "t" and "u" leaves
      const left = new Set<string>()
      for (let i = 0; i < 2; i++) left.add(Buffer.from((await xpub.receive())[0] as Buffer).toString("latin1"))
      assert.deepEqual(left, new Set(["\x00t", "\x00u"]))

      xpub.verbosity = "allSubsUnsubs"
      const s3 = new Subscriber({ linger: 0 })
      s3.connect(ep)
      s3.subscribe("v")
      assert.deepEqual([...(await xpub.receive())[0] as Buffer], [1, 0x76])
      s1.subscribe("v") // a duplicate, reported with verbosity
      assert.deepEqual([...(await xpub.receive())[0] as Buffer], [1, 0x76])
      s3.close()
    } finally {
      xpub.close()
      s1.close()
      s2.close()
    }
  })

  it("XSUB subscribes by message and sends other messages upstream; XPUB welcomes new subscribers", async () => {
    const xpub = new XPublisher({ linger: 0, welcomeMessage: "welcome" })
    const xsub = new XSubscriber({ linger: 0 })
    try {
      xsub.connect(await bound(xpub))
      await xsub.send(Buffer.from("\x01wel"))
      assert.deepEqual(str(await xsub.receive()), ["welcome"])
      assert.deepEqual(str(await xpub.receive()), ["\x01wel"])
      await xsub.send(["upstream", "data"])
      assert.deepEqual(str(await xpub.receive()), ["upstream", "data"])
    } finally {
      xpub.close()
      xsub.close()
    }
  })
})
