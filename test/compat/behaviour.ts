/**
 * The compatibility promise, executable: one behavioural suite for the API Ironhouse shares
 * with the `zeromq` package (v6), run unchanged against both (zeromq.test.ts and
 * ironhouse.test.ts only pass a different module). Where `zeromq` throws synchronously and
 * Ironhouse returns a rejected promise, the calls are wrapped in `async () => ...` so both
 * count as a rejection, as they do for code that awaits.
 *
 * Known, documented differences are not tested here: maxMessageSize is finite by default in
 * Ironhouse; Ironhouse rejects EFSM / EHOSTUNREACH at once where `zeromq` first waits for
 * sendTimeout; PLAIN servers need an authenticator in both, set up differently.
 *
 * Not in the shared suite: "an unknown constructor option is a TypeError" holds for both, but
 * `zeromq` 6.8 leaks the half-built native socket when its constructor throws, which then
 * hangs (or crashes, SIGSEGV) the process at exit; Ironhouse's side of it is in
 * ../socket/options.test.ts.
 */
import { describe, it, after } from "node:test"
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { constants as osConstants, tmpdir } from "node:os"
import { join } from "node:path"

type Frame = string | Buffer | Uint8Array | null
type Message = Frame | Frame[]
type Options = Record<string, unknown>
type Ctor<T> = new (options?: Options) => T

interface Event {
  type: string
  address?: string
}
interface Events {
  [Symbol.asyncIterator](): AsyncIterator<Event, undefined>
}
interface Base {
  bind(address: string): Promise<void>
  unbind(address: string): Promise<void>
  connect(address: string): void
  disconnect(address: string): void
  close(): void
  readonly closed: boolean
  readonly lastEndpoint: string | null
  readonly events: Events
  readonly securityMechanism: string | null
  linger: number
}
interface Sender {
  send(message: Message): Promise<void>
  sendTimeout: number
  sendHighWaterMark: number
}
interface Receiver {
  receive(): Promise<Buffer[]>
  receiveTimeout: number
  receiveHighWaterMark: number
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined>
}
interface RoutingId {
  routingId: string | null
}

/** The part of the module API the suite uses (both `zeromq` and Ironhouse have it). */
export interface Impl {
  Pair: Ctor<Base & Sender & Receiver>
  Push: Ctor<Base & Sender>
  Pull: Ctor<Base & Receiver>
  Request: Ctor<Base & Sender & Receiver & RoutingId>
  Reply: Ctor<Base & Sender & Receiver>
  Dealer: Ctor<Base & Sender & Receiver & RoutingId>
  Router: Ctor<Base & Sender & Receiver & RoutingId & { mandatory: boolean }>
  Publisher: Ctor<Base & Sender>
  Subscriber: Ctor<Base & Receiver & { subscribe(...prefixes: Array<string | Buffer>): void; unsubscribe(...prefixes: Array<string | Buffer>): void }>
  XPublisher: Ctor<Base & Sender & Receiver>
  XSubscriber: Ctor<Base & Sender & Receiver>
  curveKeyPair(): { publicKey: string; secretKey: string }
  // h4-proxy (issue 8): Proxy and Stream. The constructor takes each package's own socket
  // class (so `never` here; the suite passes sockets it made with the same module).
  Proxy: new (frontEnd: never, backEnd: never) => {
    run(): Promise<void>
    terminate(): void
    readonly frontEnd: Base
    readonly backEnd: Base
  }
  Stream: Ctor<Base & Receiver & { send(message: [Frame, Frame]): Promise<void>; notify: boolean }>
}

const str = (m: Buffer[]): string[] => m.map((f) => f.toString())

function code(c: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, c, `expected code ${c}, got ${String(err)}`)
    return true
  }
}

function ipcEndpoint(): string {
  return `ipc://${join(tmpdir(), `ih-compat-${process.pid}-${randomBytes(4).toString("hex")}.sock`)}`
}

/** Publish probes until the subscriber receives one (subscriptions propagate asynchronously). */
async function settle(pub: Sender, sub: Receiver, topic: string): Promise<void> {
  sub.receiveTimeout = 20
  for (;;) {
    await pub.send([topic, "probe"])
    try {
      await sub.receive()
      break
    } catch (err) {
      if ((err as { code?: unknown }).code !== "EAGAIN") throw err
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

export function behaviourSuite(name: string, zmq: Impl): void {
  const sockets: Base[] = []
  /** Track a socket so it is closed after the test, pass or fail. */
  function track<T extends Base>(s: T): T {
    sockets.push(s)
    s.linger = 0
    return s
  }
  after(() => {
    for (const s of sockets) s.close()
  })

  describe(`compatible behaviour: ${name}`, () => {
    it("PUSH/PULL over tcp with an ephemeral port: multipart messages with empty frames", async () => {
      const pull = track(new zmq.Pull())
      const push = track(new zmq.Push())
      await pull.bind("tcp://127.0.0.1:*")
      assert.match(pull.lastEndpoint ?? "", /^tcp:\/\/127\.0\.0\.1:\d+$/)
      assert.notEqual(pull.lastEndpoint, "tcp://127.0.0.1:0")
      push.connect(pull.lastEndpoint as string)
      await push.send(["a", "", Buffer.from([0, 1, 2])])
      await push.send("b")
      const first = await pull.receive()
      assert.ok(first.every((f) => Buffer.isBuffer(f)))
      assert.deepEqual(first.map((f) => [...f]), [[0x61], [], [0, 1, 2]])
      assert.deepEqual(str(await pull.receive()), ["b"])
    })

    it("PAIR over ipc, both directions, with string, Buffer, Uint8Array and null frames", async () => {
      const a = track(new zmq.Pair())
      const b = track(new zmq.Pair())
      const ep = ipcEndpoint()
      await a.bind(ep)
      assert.equal(a.lastEndpoint, ep)
      b.connect(ep)
      await b.send(["s", Buffer.from("b"), new Uint8Array([0x75]), null])
      assert.deepEqual(str(await a.receive()), ["s", "b", "u", ""])
      await a.send("back")
      assert.deepEqual(str(await b.receive()), ["back"])
    })

    it("REQ/REP: a round trip, then EFSM for a second request before the reply", async () => {
      const rep = track(new zmq.Reply())
      const req = track(new zmq.Request({ sendTimeout: 100, receiveTimeout: 2000 }))
      await rep.bind("tcp://127.0.0.1:*")
      req.connect(rep.lastEndpoint as string)
      await req.send(["question", ""])
      assert.deepEqual(str(await rep.receive()), ["question", ""])
      await assert.rejects(async () => req.send("too soon"), code("EFSM"))
      await rep.send("answer")
      assert.deepEqual(str(await req.receive()), ["answer"])
    })

    it("DEALER/ROUTER: the ROUTER sees the DEALER's routingId and routes the reply by it", async () => {
      const router = track(new zmq.Router())
      const dealer = track(new zmq.Dealer({ routingId: "worker-7" }))
      assert.equal(dealer.routingId, "worker-7")
      await router.bind("tcp://127.0.0.1:*")
      dealer.connect(router.lastEndpoint as string)
      await dealer.send(["job", ""])
      assert.deepEqual(str(await router.receive()), ["worker-7", "job", ""])
      await router.send(["worker-7", "done"])
      assert.deepEqual(str(await dealer.receive()), ["done"])
    })

    it("ROUTER with mandatory: an unknown routing id fails with EHOSTUNREACH", async () => {
      const router = track(new zmq.Router({ mandatory: true, sendTimeout: 50 }))
      await assert.rejects(async () => router.send(["nobody", "x"]), code("EHOSTUNREACH"))
    })

    it("PUB/SUB: prefix filtering and unsubscribe", async () => {
      const pub = track(new zmq.Publisher())
      const sub = track(new zmq.Subscriber())
      await pub.bind("tcp://127.0.0.1:*")
      sub.connect(pub.lastEndpoint as string)
      sub.subscribe("news")
      await settle(pub, sub, "news")
      await pub.send(["sport", "x"])
      await pub.send(["news.today", "y"])
      assert.deepEqual(str(await sub.receive()), ["news.today", "y"])
    })

    it("XPUB receives the subscription message 0x01 + prefix; XSUB subscribes by sending one", async () => {
      const xpub = track(new zmq.XPublisher())
      const xsub = track(new zmq.XSubscriber())
      await xpub.bind("tcp://127.0.0.1:*")
      xsub.connect(xpub.lastEndpoint as string)
      await xsub.send(Buffer.from([1, 0x74, 0x6f]))
      const received = xsub.receive() // keeps a libzmq socket processing its connection
      assert.deepEqual([...((await xpub.receive())[0] as Buffer)], [1, 0x74, 0x6f])
      await xpub.send(["to", "you"])
      assert.deepEqual(str(await received), ["to", "you"])
    })

    it("CURVE between two sockets of the same package, with keys from curveKeyPair()", async () => {
      const server = zmq.curveKeyPair()
      const client = zmq.curveKeyPair()
      assert.equal(server.publicKey.length, 40)
      const pull = track(new zmq.Pull({ curveServer: true, curveSecretKey: server.secretKey }))
      const push = track(
        new zmq.Push({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey }),
      )
      assert.equal(pull.securityMechanism, "curve")
      await pull.bind("tcp://127.0.0.1:*")
      push.connect(pull.lastEndpoint as string)
      await push.send("secret message")
      assert.deepEqual(str(await pull.receive()), ["secret message"])
    })

    it("defaults that both report", () => {
      const s = track(new zmq.Dealer())
      assert.equal(s.sendHighWaterMark, 1000)
      assert.equal(s.sendTimeout, -1)
      assert.equal(s.routingId, null)
      assert.equal(s.lastEndpoint, null)
      assert.equal(s.securityMechanism, null)
      assert.equal(s.closed, false)
    })

    it("receiveTimeout expires with EAGAIN; a second waiting receive() fails with EBUSY", async () => {
      const pull = track(new zmq.Pull({ receiveTimeout: 30 }))
      await assert.rejects(async () => pull.receive(), code("EAGAIN"))
      pull.receiveTimeout = -1
      const waiting = pull.receive()
      await assert.rejects(async () => pull.receive(), code("EBUSY"))
      pull.close()
      await assert.rejects(waiting, code("EAGAIN"))
    })

    it("close(): closed is true, iteration ends, later calls fail with EBADF", async () => {
      const pair = track(new zmq.Pair())
      const iteration = (async () => {
        const seen: Buffer[][] = []
        for await (const msg of pair) seen.push(msg)
        return seen
      })()
      await new Promise((r) => setTimeout(r, 10))
      pair.close()
      assert.deepEqual(await iteration, [])
      assert.equal(pair.closed, true)
      await assert.rejects(async () => pair.receive(), code("EBADF"))
      await assert.rejects(async () => pair.send("x"), code("EBADF"))
      pair.close() // no-op
    })

    it("endpoint errors: EINVAL for a malformed one, ENOENT for one not in use, EADDRINUSE when taken", async () => {
      const a = track(new zmq.Pull())
      const b = track(new zmq.Pull())
      assert.throws(() => a.connect("tcp://127.0.0.1"), code("EINVAL"))
      assert.throws(() => a.disconnect("tcp://127.0.0.1:5555"), code("ENOENT"))
      await assert.rejects(async () => a.unbind("tcp://127.0.0.1:5555"), code("ENOENT"))
      await a.bind("tcp://127.0.0.1:*")
      await assert.rejects(async () => b.bind(a.lastEndpoint as string), code("EADDRINUSE"))
      await a.unbind(a.lastEndpoint as string)
    })

    it("malformed endpoints: zeromq's code, errno and address; bind/unbind reject, connect/disconnect throw", async () => {
      const s = track(new zmq.Pull())
      const errno = osConstants.errno
      const is = (c: string, n: number, address: string) => (err: unknown) => {
        const e = err as { code?: unknown; errno?: unknown; address?: unknown }
        assert.deepEqual([e.code, e.errno, e.address], [c, n, address], String(err))
        return true
      }
      for (const address of ["tcp://127.0.0.1", "tcp://127.0.0.1:abc", "tcp:/x", "", "tcp://", "ipc://"]) {
        await assert.rejects(s.bind(address), is("EINVAL", errno.EINVAL, address))
        assert.throws(() => s.connect(address), is("EINVAL", errno.EINVAL, address))
      }
      await assert.rejects(s.bind("bogus://x"), is("EPROTONOSUPPORT", errno.EPROTONOSUPPORT, "bogus://x"))
      assert.throws(() => s.connect("bogus://x"), is("EPROTONOSUPPORT", errno.EPROTONOSUPPORT, "bogus://x"))
      // unbind()/disconnect() parse transport://address before looking the endpoint up...
      for (const address of ["tcp:/x", "", "tcp://", "ipc://"]) {
        await assert.rejects(s.unbind(address), is("EINVAL", errno.EINVAL, address))
        assert.throws(() => s.disconnect(address), is("EINVAL", errno.EINVAL, address))
      }
      await assert.rejects(s.unbind("bogus://x"), is("EPROTONOSUPPORT", errno.EPROTONOSUPPORT, "bogus://x"))
      assert.throws(() => s.disconnect("bogus://x"), is("EPROTONOSUPPORT", errno.EPROTONOSUPPORT, "bogus://x"))
      // ... and a well-formed URI that names nothing bound or connected is ENOENT.
      await assert.rejects(s.unbind("tcp://127.0.0.1:abc"), is("ENOENT", errno.ENOENT, "tcp://127.0.0.1:abc"))
      assert.throws(() => s.disconnect("tcp://127.0.0.1:abc"), is("ENOENT", errno.ENOENT, "tcp://127.0.0.1:abc"))
      // A non-string is a TypeError in both.
      assert.throws(() => s.connect(5 as never), TypeError)
      assert.throws(() => s.disconnect(null as never), TypeError)
    })

    it("a second bind()/unbind() while one is pending fails with EBUSY; the first completes", async () => {
      const s = track(new zmq.Pull())
      // zeromq throws EBUSY synchronously, Ironhouse rejects: `async () =>` counts both.
      const first = s.bind("tcp://127.0.0.1:*")
      await assert.rejects(async () => s.bind("tcp://127.0.0.1:*"), code("EBUSY"))
      await first
      const endpoint = s.lastEndpoint as string
      assert.match(endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/)
      const unbinding = s.unbind(endpoint)
      // Both started while the unbind is pending (before anything is awaited).
      const again = assert.rejects(async () => s.unbind(endpoint), code("EBUSY"))
      const bindMeanwhile = assert.rejects(async () => s.bind("tcp://127.0.0.1:*"), code("EBUSY"))
      await Promise.all([again, bindMeanwhile, unbinding])
      // Free again once the pending one settled.
      await s.bind("tcp://127.0.0.1:*")
    })

    it("events: bind, then accept and handshake when a peer connects, end after close", async () => {
      const pull = track(new zmq.Pull())
      const push = track(new zmq.Push())
      const seen: Event[] = []
      const watching = (async () => {
        for await (const event of pull.events) {
          seen.push(event)
          if (event.type === "handshake") break
        }
      })()
      await pull.bind("tcp://127.0.0.1:*")
      push.connect(pull.lastEndpoint as string)
      await watching
      const types = seen.map((e) => e.type)
      assert.deepEqual(types.filter((t) => ["bind", "accept", "handshake"].includes(t)), ["bind", "accept", "handshake"])
      assert.equal(seen.find((e) => e.type === "bind")?.address, pull.lastEndpoint)
    })

    // ---- h4-proxy (issue 8) ----------------------------------------------------------------
    it("inproc: a connect before the bind waits; messages flow once the name is bound", async () => {
      const name = `inproc://compat-${process.pid}-${randomBytes(4).toString("hex")}`
      const push = track(new zmq.Push())
      push.connect(name)
      const pull = track(new zmq.Pull())
      await pull.bind(name)
      await push.send(["over", "inproc"])
      assert.deepEqual(str(await pull.receive()), ["over", "inproc"])
      const router = track(new zmq.Router())
      const dealer = track(new zmq.Dealer({ routingId: "in-1" }))
      await router.bind(`${name}-router`)
      dealer.connect(`${name}-router`)
      await dealer.send("hi")
      assert.deepEqual(str(await router.receive()), ["in-1", "hi"])
    })

    it("Proxy: ROUTER↔DEALER between a REQ and a REP; terminate() resolves run() and closes both sockets", async () => {
      const name = `inproc://compat-proxy-${process.pid}-${randomBytes(4).toString("hex")}`
      const front = track(new zmq.Router())
      const back = track(new zmq.Dealer())
      await front.bind(`${name}-front`)
      await back.bind(`${name}-back`)
      const proxy = new zmq.Proxy(front as never, back as never)
      assert.equal(proxy.frontEnd, front)
      assert.equal(proxy.backEnd, back)
      const running = proxy.run()
      const rep = track(new zmq.Reply())
      rep.connect(`${name}-back`)
      const req = track(new zmq.Request())
      req.connect(`${name}-front`)
      await req.send("question")
      assert.deepEqual(str(await rep.receive()), ["question"])
      await rep.send("answer")
      assert.deepEqual(str(await req.receive()), ["answer"])
      proxy.terminate()
      await running
      assert.equal(front.closed, true)
      assert.equal(back.closed, true)
    })

    it("Stream: a raw TCP peer is announced as [id, ''], its bytes arrive as [id, data], replies go back by id", async () => {
      const { connect } = await import("node:net")
      const stream = track(new zmq.Stream())
      await stream.bind("tcp://127.0.0.1:*")
      const port = Number((stream.lastEndpoint as string).split(":").pop())
      const peer = connect(port, "127.0.0.1")
      try {
        const [id, hello] = await stream.receive()
        assert.equal(hello?.length, 0)
        peer.write("ping")
        let data = Buffer.alloc(0)
        while (data.length < 4) {
          const [from, chunk] = await stream.receive()
          assert.deepEqual(from, id)
          data = Buffer.concat([data, chunk as Buffer])
        }
        assert.equal(data.toString(), "ping")
        const got = new Promise<string>((resolve) => peer.once("data", (c: Buffer) => resolve(c.toString())))
        await stream.send([id as Buffer, "pong"])
        assert.equal(await got, "pong")
      } finally {
        peer.destroy()
      }
    })
  })
}
