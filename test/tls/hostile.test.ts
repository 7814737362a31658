/**
 * Hostile input ends that one session, with an event saying why; the others keep exchanging
 * (the fuzzers' oracle: after the garbage, a good client still gets through). None of it may
 * surface as an 'error' event or an exception: the test process would die.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { TlsClient, TlsServer, TlsSessionError, type MessageSocket } from "../../src/index.js"
import {
  boundRouter,
  bystander,
  clientTls,
  dealer,
  mutualClient,
  mutualServer,
  pem,
  request,
  serverTls,
  text,
  until,
  watch,
} from "./helpers.js"

const EMPTY = Buffer.alloc(0)

async function setup(options: Partial<ConstructorParameters<typeof TlsServer>[1]> = {}) {
  const { socket, address } = await boundRouter("ironhouse", true)
  const server = new TlsServer(socket, { ...serverTls, respond: (m) => m, ...options })
  const w = watch(server)
  const other = await bystander("ironhouse", address, "bystander", options.requestCert === true ? mutualClient : clientTls)
  return {
    address,
    server,
    w,
    other,
    done: async () => {
      await other.close()
      await server.close()
      socket.close()
    },
  }
}

/** An established client whose Dealer the test can also write to directly (same session key). */
async function established(address: string, id: string) {
  const socket = dealer("ironhouse", id)
  socket.connect(address)
  const client = new TlsClient(socket, clientTls)
  const ends: string[] = []
  client.on("end", (e) => ends.push(e.reason))
  await client.send("hello")
  assert.deepEqual(text(await client.receive()), ["hello"])
  return { socket, client, ends }
}

describe("TLS hostile input", () => {
  it("garbage from an unknown identity: dropped, answered with a fatal alert; others unaffected", async () => {
    const t = await setup()
    const raw = dealer("ironhouse", "mallory")
    raw.connect(t.address)
    await raw.send([EMPTY, randomBytes(300)])
    const [, alert] = await raw.receive()
    assert.deepEqual([...alert!], [21, 3, 3, 0, 2, 2, 10], "fatal unexpected_message alert")
    await until(() => t.w.drops.some((d) => d.key === "mallory" && d.reason === "no session"), "a drop event")
    // Malformed envelopes: no delimiter (the frames are all envelope), two payload frames.
    await raw.send([Buffer.from("no"), Buffer.from("delimiter")])
    await raw.send([EMPTY, Buffer.from("a"), Buffer.from("b")])
    await raw.send([EMPTY, EMPTY])
    await until(() => t.w.drops.length === 4, "four drops")
    assert.deepEqual(
      t.w.drops.slice(1).map((d) => d.reason),
      [
        "no empty delimiter frame after the envelope",
        "not exactly one payload frame after the delimiter",
        "an empty payload frame",
      ],
    )
    assert.equal(t.server.sessionCount, 1)
    await t.other.check()
    raw.close()
    await t.done()
  })

  it("garbage inside an established session: that session ends (tls-error), the others go on", async () => {
    const t = await setup()
    const victim = await established(t.address, "victim")
    await victim.socket.send([EMPTY, Buffer.concat([Buffer.of(23, 3, 3, 0, 64), randomBytes(64)])])
    await t.w.ended("victim", "tls-error")
    await until(() => victim.ends.length > 0, "the client sees its session end")
    await t.other.check()
    await assert.rejects(victim.client.receive(), TlsSessionError, "receive() reports the end")
    // send() on an ended client handshakes afresh (the same key: a new session on the server).
    await victim.client.send("after")
    assert.deepEqual(text(await victim.client.receive()), ["after"])
    assert.equal(t.server.sessionCount, 2)
    victim.socket.close()
    await t.done()
  })

  it("a truncated record: the session ends when the next bytes do not complete it", async () => {
    const t = await setup()
    const victim = await established(t.address, "victim")
    // A record header promising 1000 octets, then 10: OpenSSL waits for the rest…
    await victim.socket.send([EMPTY, Buffer.concat([Buffer.of(23, 3, 3, 0x03, 0xe8), randomBytes(10)])])
    // …and the client's next real record becomes the middle of a forged one: bad MAC.
    await victim.client.send("this completes the truncated record").catch(() => undefined)
    await victim.client.send(Buffer.alloc(2000)).catch(() => undefined)
    await t.w.ended("victim", "tls-error")
    await t.other.check()
    victim.socket.close()
    await t.done()
  })

  it("a truncated record in lockstep: a fatal alert, and the session ends", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, { ...serverTls, lockstep: true, respond: (m) => m })
    const w = watch(server)
    const good = request("ironhouse", "good")
    good.connect(address)
    const goodClient = new TlsClient(good, clientTls)
    await goodClient.send("first")
    assert.deepEqual(text(await goodClient.receive()), ["first"])
    const r = request("ironhouse", "victim")
    r.connect(address)
    const c = new TlsClient(r, clientTls)
    await c.send("x")
    await c.receive()
    // The REQ socket is idle (lockstep answered); speak on it directly.
    await r.send([Buffer.of(23, 3, 3, 0x03, 0xe8, 1, 2, 3)])
    const [reply] = await r.receive()
    assert.deepEqual([...reply!], [21, 3, 3, 0, 2, 2, 10])
    await w.ended("victim", "tls-error")
    await goodClient.send("still here")
    assert.deepEqual(text(await goodClient.receive()), ["still here"])
    await goodClient.close()
    good.close()
    r.close()
    await server.close()
    socket.close()
  })

  it("a client certificate from the wrong CA: refused (unauthorized), the others go on", async () => {
    const t = await setup({ ...mutualServer })
    const sock = dealer("ironhouse", "stranger")
    sock.connect(t.address)
    const stranger = new TlsClient(sock, { ca: pem.ca, key: pem.strangerKey, cert: pem.strangerCert })
    await stranger.connect().catch(() => undefined) // TLS 1.3: the client finishes before the server judges
    await t.w.ended("stranger", "unauthorized")
    assert.match(t.w.ends.find((e) => e.key === "stranger")!.error ?? "", /refused/)
    await assert.rejects(
      (async () => {
        await stranger.send("let me in")
        await stranger.receive()
      })(),
      TlsSessionError,
    )
    sock.close()
    // A client without any certificate fares the same.
    const none = dealer("ironhouse", "anonymous")
    none.connect(t.address)
    const anon = new TlsClient(none, clientTls)
    await anon.connect().catch(() => undefined)
    await t.w.ended("anonymous", "unauthorized")
    none.close()
    await t.other.check()
    await t.done()
  })

  it("a server certificate the client does not trust: the client's connect() fails with unauthorized", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, { key: pem.otherServerKey, cert: pem.otherServerCert, respond: (m) => m })
    const w = watch(server)
    const d = dealer("ironhouse")
    d.connect(address)
    const client = new TlsClient(d, clientTls)
    await assert.rejects(client.connect(), (e: unknown) => e instanceof TlsSessionError && e.reason === "unauthorized")
    await until(() => w.ends.length === 1, "the server's session ends too")
    d.close()
    await server.close()
    socket.close()
  })

  it("a client that never finishes its handshake: handshake-timeout, the others go on", async () => {
    const t = await setup({ handshakeTimeout: 300 })
    let hello: Buffer | null = null
    const capture: MessageSocket = {
      send: async (m) => {
        hello = Buffer.from((Array.isArray(m) ? m : [m])[1]!)
      },
      receive: () => new Promise<Buffer[]>(() => undefined),
    }
    void new TlsClient(capture, { ...clientTls, envelope: "dealer", handshakeTimeout: 0 }).connect().catch(() => undefined)
    await until(() => hello !== null, "a ClientHello")
    const raw = dealer("ironhouse", "slowpoke")
    raw.connect(t.address)
    await raw.send([EMPTY, hello!])
    await raw.receive() // the server's flight; we never answer it
    await t.w.ended("slowpoke", "handshake-timeout")
    assert.equal(t.server.sessionCount, 1)
    await t.other.check()
    raw.close()
    await t.done()
  })

  it("plaintext that breaks the framing (a frame larger than maxMessageSize): the session ends (framing)", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, { ...serverTls, lockstep: true, respond: (m) => m, maxMessageSize: 1024 })
    const w = watch(server)
    const r = request("ironhouse", "big")
    r.connect(address)
    // A raw-framing client writes whatever bytes it is given: a header claiming a 4 GiB frame.
    const c = new TlsClient(r, { ...clientTls, framing: "raw" })
    await c.send(Buffer.of(0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff)).catch(() => undefined)
    await w.ended("big", "framing")
    assert.match(w.ends[0]!.error ?? "", /exceeds maxMessageSize \(1024\)/)
    r.close()
    await server.close()
    socket.close()
  })
})

describe("TLS argument errors", () => {
  it("throws TypeError/RangeError for bad options", async () => {
    const { socket } = await boundRouter("ironhouse")
    assert.throws(() => new TlsServer(socket, { ...serverTls, lockstep: true }), /lockstep needs a respond/)
    assert.throws(() => new TlsServer(socket, { ...serverTls, framing: "raw" }), /needs lockstep/)
    assert.throws(() => new TlsServer(socket, { ...serverTls, maxSessions: 0 }), RangeError)
    assert.throws(() => new TlsServer(socket, { ...serverTls, maxMessageSize: 1.5 }), RangeError)
    assert.throws(() => new TlsServer({} as MessageSocket, serverTls), TypeError)
    const r = request("ironhouse")
    assert.throws(() => new TlsClient(r, { ...clientTls, lockstep: false }), /lockstep by nature/)
    const shapeless: MessageSocket = { send: async () => undefined, receive: async () => [] }
    assert.throws(() => new TlsClient(shapeless, clientTls), /envelope: "dealer" or "request"/)
    r.close()
    socket.close()
  })
})
