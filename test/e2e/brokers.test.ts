/**
 * End-to-end sessions across brokers: the `zeromq` package's Proxy (ROUTER<->DEALER), a chain
 * of two, and a hand-made logging broker over Ironhouse sockets that records every frame it
 * forwards. The broker sees only ciphertext; what it replays or injects is dropped with an event;
 * 100 clients through one broker are each attributed to their own key; when the broker's
 * backend reconnects (the envelope changes), the client re-handshakes by itself: the message in
 * flight is lost, none is duplicated.
 */
import { describe, it, afterEach } from "node:test"
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import * as zmq from "zeromq"
import * as ih from "../../src/index.js"
import { generateKeyPair } from "../../src/crypto/index.js"
import { CurveZmqClient, CurveZmqServer, type MessageSocket } from "../../src/e2e/socket.js"
import { E2eCode, type E2eEvent } from "../../src/e2e/events.js"
import { ErrorCode } from "../../src/errors.js"
import { z85Encode } from "../../src/wire/z85.js"

zmq.context.blocky = false

interface Sock extends MessageSocket {
  bind(address: string): Promise<void>
  connect(address: string): void
  close(): void
  readonly lastEndpoint: string | null
}

const serverKeys = generateKeyPair()
// Each zeromq Proxy runs in a thread of libuv's pool (4 threads): stop them after every test.
const closers: (() => void)[] = []
afterEach(() => {
  for (const c of closers.splice(0).reverse()) c()
})

/** A worker: CurveZmqServer over a bound Router, echoing with the peer's key. */
async function worker(impl: "ironhouse" | "zeromq" = "ironhouse") {
  const sock = (impl === "ironhouse" ? new ih.Router() : new zmq.Router()) as unknown as Sock
  await sock.bind("tcp://127.0.0.1:*")
  const server = new CurveZmqServer(sock, { secretKey: serverKeys.secretKey })
  const events: E2eEvent[] = []
  const seen: string[] = []
  server.on("event", (e) => events.push(e))
  void (async () => {
    for await (const { message, peer } of server) {
      seen.push(Buffer.from(message[0] as Uint8Array).toString())
      await server.send(peer, [...message, z85Encode(peer.publicKey)]).catch(() => undefined)
    }
  })()
  closers.push(() => server.close())
  return { server, endpoint: sock.lastEndpoint as string, events, seen }
}

/** A Proxy (zeromq's, or Ironhouse's from issue 8): frontend Router bound, backend Dealer connected to `to`. */
async function proxy(to: string, kind: "zeromq" | "ironhouse" = "zeromq"): Promise<string> {
  if (kind === "ironhouse") {
    const front = new ih.Router()
    const back = new ih.Dealer()
    await front.bind("tcp://127.0.0.1:*")
    back.connect(to)
    const p = new ih.Proxy(front, back)
    p.run().catch(() => undefined)
    closers.push(() => p.terminate())
    return front.lastEndpoint as string
  }
  const front = new zmq.Router()
  const back = new zmq.Dealer()
  await front.bind("tcp://127.0.0.1:*")
  back.connect(to)
  const p = new zmq.Proxy(front, back)
  p.run().catch(() => undefined)
  closers.push(() => p.terminate())
  return front.lastEndpoint as string
}

function newClient(endpoint: string, keys = generateKeyPair()) {
  const sock = new ih.Dealer() as unknown as Sock
  sock.connect(endpoint)
  const c = new CurveZmqClient(sock, { serverKey: serverKeys.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey })
  const events: E2eEvent[] = []
  c.on("event", (e) => events.push(e))
  closers.push(() => c.close())
  return { c, keys, events }
}

const text = (m: Uint8Array[]): string[] => m.map((f) => Buffer.from(f).toString())

/** A ROUTER<->DEALER broker over Ironhouse sockets that logs every frame and can be told to misbehave. */
class LoggingBroker {
  readonly frontend = new ih.Router()
  backend: ih.Dealer
  readonly log: Buffer[] = []
  /** Called with each upward message; returns the messages to forward. */
  upward: (message: Buffer[]) => Buffer[][] = (m) => [m]
  readonly #to: string
  #closed = false

  constructor(to: string) {
    this.#to = to
    this.backend = this.#connectBackend()
  }

  async start(): Promise<string> {
    await this.frontend.bind("tcp://127.0.0.1:*")
    void this.#up()
    closers.push(() => this.close())
    return this.frontend.lastEndpoint as string
  }

  #connectBackend(): ih.Dealer {
    const d = new ih.Dealer()
    d.connect(this.#to)
    void this.#down(d)
    return d
  }

  /** The backend hop reconnects: a new Dealer, so a new routing id at the worker. */
  reconnect(): void {
    const old = this.backend
    this.backend = this.#connectBackend()
    old.close()
  }

  async #up(): Promise<void> {
    for (;;) {
      let m: Buffer[]
      try {
        m = await this.frontend.receive()
      } catch {
        return
      }
      for (const f of m) this.log.push(Buffer.from(f))
      for (const out of this.upward(m)) await this.backend.send(out)
    }
  }

  async #down(d: ih.Dealer): Promise<void> {
    for (;;) {
      let m: Buffer[]
      try {
        m = await d.receive()
      } catch {
        return
      }
      for (const f of m) this.log.push(Buffer.from(f))
      if (!this.#closed) await this.frontend.send(m).catch(() => undefined)
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.frontend.close()
    this.backend.close()
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > 20_000) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe("end-to-end across brokers", () => {
  for (const [impl, kind] of [["ironhouse", "zeromq"], ["zeromq", "zeromq"], ["ironhouse", "ironhouse"], ["zeromq", "ironhouse"]] as const) {
    it(`through ${kind}'s Proxy to a ${impl} worker, and through a chain of two Proxies`, async () => {
      const w = await worker(impl)
      const one = await proxy(w.endpoint, kind)
      const two = await proxy(await proxy(w.endpoint, kind), kind)
      for (const endpoint of [one, two]) {
        const { c, keys } = newClient(endpoint)
        await c.send(["via proxy", "second frame"])
        assert.deepEqual(text(await c.receive()), ["via proxy", "second frame", z85Encode(keys.publicKey)])
        // A Request client too: its delimiter ends the envelope, each exchange is one message each way.
        const req = new zmq.Request()
        req.connect(endpoint)
        const rkeys = generateKeyPair()
        const rc = new CurveZmqClient(req, { serverKey: serverKeys.publicKey, ...rkeys })
        closers.push(() => rc.close())
        await rc.send(["req", "two"])
        assert.deepEqual(text(await rc.receive()), ["req", "two", z85Encode(rkeys.publicKey)])
      }
    })
  }

  it("a logging broker sees no plaintext: payloads, client metadata and keys are nowhere in its log", async () => {
    const w = await worker()
    const broker = new LoggingBroker(w.endpoint)
    const endpoint = await broker.start()
    const sock = new ih.Dealer() as unknown as Sock
    sock.connect(endpoint)
    const keys = generateKeyPair()
    const secretValue = `meta-${randomBytes(8).toString("hex")}`
    const c = new CurveZmqClient(sock, { serverKey: serverKeys.publicKey, ...keys, metadata: { "X-Secret": secretValue } })
    closers.push(() => c.close())
    const payloads = Array.from({ length: 20 }, (_, i) => Buffer.concat([Buffer.from(`payload-${i}-`), randomBytes(16 + i * 50)]))
    for (const p of payloads) {
      await c.send([p, p.subarray(0, 12)])
      const reply = await c.receive()
      assert.deepEqual(Buffer.from(reply[0] as Uint8Array), p)
    }
    assert.ok(broker.log.length >= 4 * payloads.length)
    const all = Buffer.concat(broker.log)
    for (const p of payloads) {
      assert.equal(all.indexOf(p.subarray(0, 12)), -1, "a payload prefix appears in the broker's log")
      assert.equal(all.indexOf(p.subarray(p.length - 16)), -1)
    }
    assert.equal(all.indexOf(Buffer.from(secretValue)), -1, "client metadata appears in the broker's log")
    assert.equal(all.indexOf(Buffer.from(keys.publicKey)), -1, "the client's long-term key appears in the broker's log")
    assert.equal(all.indexOf(Buffer.from(z85Encode(keys.publicKey))), -1)
  })

  it("what a broker replays, tampers with or injects is dropped with an event and never delivered", async () => {
    const w = await worker()
    const broker = new LoggingBroker(w.endpoint)
    const endpoint = await broker.start()
    let last: Buffer[] | undefined
    let mode: "replay" | "tamper" | "inject" | "pass" = "pass"
    broker.upward = (m) => {
      const isMessage = m[1]?.subarray(1, 8).toString() === "MESSAGE"
      if (!isMessage) return [m]
      const out: Buffer[][] = [m]
      if (mode === "replay" && last !== undefined) out.push(last)
      if (mode === "tamper") {
        const t = Buffer.from(m[1] as Buffer)
        t[t.length - 1] = (t[t.length - 1] as number) ^ 1
        out.unshift([m[0] as Buffer, t])
      }
      if (mode === "inject") out.unshift([m[0] as Buffer, Buffer.concat([m[1]?.subarray(0, 16) as Buffer, randomBytes(40)])])
      last = m
      return out
    }
    const { c } = newClient(endpoint)
    const expectDrop = async (code: string, n: number) => until(() => w.events.filter((e) => e.code === code).length >= n, code)
    await c.send("one")
    await c.receive()
    mode = "replay"
    await c.send("two")
    assert.deepEqual(text(await c.receive()).slice(0, 1), ["two"])
    await expectDrop(ErrorCode.INVALID_SEQUENCE, 1)
    mode = "tamper"
    await c.send("three")
    assert.deepEqual(text(await c.receive()).slice(0, 1), ["three"])
    await expectDrop(ErrorCode.CRYPTOGRAPHIC, 1)
    mode = "inject"
    await c.send("four")
    assert.deepEqual(text(await c.receive()).slice(0, 1), ["four"])
    // The injected copy reuses the genuine nonce, so it is refused as tampered; the genuine one passes.
    await expectDrop(ErrorCode.CRYPTOGRAPHIC, 2)
    assert.deepEqual(w.seen, ["one", "two", "three", "four"])
  })

  it("100 clients through one broker: every message attributed to its own key", async () => {
    const w = await worker()
    const endpoint = await proxy(w.endpoint)
    const clients = Array.from({ length: 100 }, () => newClient(endpoint))
    await Promise.all(
      clients.map(async ({ c, keys }, i) => {
        for (let k = 0; k < 3; k++) {
          await c.send([`client ${i} message ${k}`])
          assert.deepEqual(text(await c.receive()), [`client ${i} message ${k}`, z85Encode(keys.publicKey)])
        }
      }),
    )
    assert.equal(w.server.sessionCount, 100)
    assert.equal(w.seen.length, 300)
  })

  it("the broker's backend reconnects: the client re-handshakes by itself; the message in flight is lost, none duplicated", async () => {
    const w = await worker()
    const broker = new LoggingBroker(w.endpoint)
    const endpoint = await broker.start()
    const { c, events } = newClient(endpoint)
    await c.send("before")
    assert.deepEqual(text(await c.receive()).slice(0, 1), ["before"])
    broker.reconnect()
    await c.send("in flight")
    await until(() => events.some((e) => e.code === E2eCode.SESSION_LOST), "the client to notice")
    await c.send("after")
    assert.deepEqual(text(await c.receive()).slice(0, 1), ["after"])
    assert.equal(c.handshakes, 2)
    assert.deepEqual(w.seen, ["before", "after"])
    assert.ok(w.events.some((e) => e.code === E2eCode.UNKNOWN_SESSION))
  })

  it("server-side idle expiry over real sockets: the client, idle longer than its own timeout, re-handshakes before sending; nothing is lost", async () => {
    const sock = new ih.Router() as unknown as Sock
    await sock.bind("tcp://127.0.0.1:*")
    const server = new CurveZmqServer(sock, { secretKey: serverKeys.secretKey, idleTimeoutMs: 300, tickMs: 20 })
    closers.push(() => server.close())
    const events: E2eEvent[] = []
    server.on("event", (e) => events.push(e))
    const seen: string[] = []
    void (async () => {
      for await (const { message, peer } of server) {
        seen.push(Buffer.from(message[0] as Uint8Array).toString())
        await server.send(peer, message).catch(() => undefined)
      }
    })()
    const d = new ih.Dealer() as unknown as Sock
    d.connect(sock.lastEndpoint as string)
    const keys = generateKeyPair()
    const c = new CurveZmqClient(d, { serverKey: serverKeys.publicKey, ...keys, idleTimeoutMs: 200 })
    closers.push(() => c.close())
    await c.send("first")
    await c.receive()
    await until(() => events.some((e) => e.code === E2eCode.EXPIRED), "the server to expire the idle session")
    assert.equal(server.sessionCount, 0)
    await c.send("second")
    assert.deepEqual(text(await c.receive()), ["second"])
    assert.equal(c.handshakes, 2)
    assert.deepEqual(seen, ["first", "second"])
  })
})
