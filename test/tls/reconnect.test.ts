/**
 * Reconnects, the seed's failure: the same identity comes back after a clean close, after an
 * unclean end (no close_notify), and in the middle of a handshake. Each time the server starts
 * a fresh session for it, traffic resumes, and another client's session never notices. TLS 1.3
 * resumption: a reconnect with the kept ticket skips the certificate exchange.
 *
 * The ROUTERs use `handover` (ZMQ_ROUTER_HANDOVER): without it, libzmq ignores a new
 * connection that announces a routing id whose old connection it has not yet seen close, so
 * the reconnecting peer's messages would never reach TLS at all.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { TlsClient, TlsServer, type MessageSocket } from "../../src/index.js"
import {
  boundRouter,
  bystander,
  clientTls,
  dealer,
  mutualClient,
  mutualServer,
  request,
  serverTls,
  text,
  until,
  watch,
  type Lib,
} from "./helpers.js"

/** The first TLS bytes a client writes: a real ClientHello, captured without any server. */
async function captureClientHello(): Promise<Buffer> {
  let hello: Buffer | null = null
  const capture: MessageSocket = {
    send: async (m) => {
      const frames = Array.isArray(m) ? m : [m]
      hello = Buffer.from(frames[frames.length - 1]!)
    },
    receive: () => new Promise<Buffer[]>(() => undefined),
  }
  const client = new TlsClient(capture, { ...clientTls, envelope: "dealer", handshakeTimeout: 0 })
  void client.connect().catch(() => undefined)
  await until(() => hello !== null, "the ClientHello")
  return hello!
}

for (const lib of ["ironhouse", "zeromq"] as const satisfies readonly Lib[]) {
  describe(`TLS reconnects (${lib} sockets)`, () => {
    it("after a clean close: a fresh session, resumed with the ticket; the bystander's session untouched", async () => {
      const { socket, address } = await boundRouter(lib, true)
      const server = new TlsServer(socket, { ...serverTls, respond: (m) => m })
      const w = watch(server)
      const other = await bystander(lib, address)
      const firstSocket = dealer(lib, "alice")
      firstSocket.connect(address)
      const first = new TlsClient(firstSocket, clientTls)
      assert.equal((await first.connect()).sessionReused, false)
      await first.send("one")
      assert.deepEqual(text(await first.receive()), ["one"])
      await until(() => first.ticket !== undefined, "a session ticket")
      await first.close()
      await w.ended("alice", "closed")
      firstSocket.close()
      await other.check()

      const againSocket = dealer(lib, "alice")
      againSocket.connect(address)
      const again = new TlsClient(againSocket, { ...clientTls, session: first.ticket })
      const peer = await again.connect()
      assert.equal(peer.sessionReused, true, "TLS 1.3 resumption with the kept ticket")
      await again.send(["two", "frames"])
      assert.deepEqual(text(await again.receive()), ["two", "frames"])
      await other.check()
      assert.deepEqual(
        w.ends.map((e) => `${e.key}:${e.reason}`),
        ["alice:closed"],
        "only alice's first session ended",
      )
      await again.close()
      againSocket.close()
      await other.close()
      await server.close()
      socket.close()
    })

    it("after an unclean end (no close_notify): the new ClientHello replaces the old session", async () => {
      const { socket, address } = await boundRouter(lib, true)
      const server = new TlsServer(socket, { ...serverTls, respond: (m) => m })
      const w = watch(server)
      const other = await bystander(lib, address)
      const s1 = dealer(lib, "bob")
      s1.connect(address)
      const c1 = new TlsClient(s1, clientTls)
      await c1.send("before")
      assert.deepEqual(text(await c1.receive()), ["before"])
      s1.close() // gone without a word: the server still holds bob's session
      await until(() => server.sessionCount === 2, "two sessions")

      const s2 = dealer(lib, "bob")
      s2.connect(address)
      const c2 = new TlsClient(s2, clientTls)
      await c2.send("after")
      assert.deepEqual(text(await c2.receive()), ["after"])
      await w.ended("bob", "replaced")
      await other.check()
      assert.equal(server.sessionCount, 2)
      assert.deepEqual(w.ends.map((e) => `${e.key}:${e.reason}`), ["bob:replaced"])
      await c2.close()
      s2.close()
      await other.close()
      await server.close()
      socket.close()
    })

    it("in the middle of a handshake: the half-done session is replaced by a fresh one", async () => {
      const hello = await captureClientHello()
      const { socket, address } = await boundRouter(lib, true)
      const server = new TlsServer(socket, { ...serverTls, respond: (m) => m })
      const w = watch(server)
      const other = await bystander(lib, address)
      const raw = dealer(lib, "carol")
      raw.connect(address)
      await raw.send([Buffer.alloc(0), hello])
      const flight = await raw.receive() // ServerHello … Finished: the handshake is half done
      assert.equal(flight[1]![0], 22, "a handshake record came back")
      raw.close()

      const s2 = dealer(lib, "carol")
      s2.connect(address)
      const c2 = new TlsClient(s2, clientTls)
      await c2.send("finished this time")
      assert.deepEqual(text(await c2.receive()), ["finished this time"])
      await w.ended("carol", "replaced")
      await other.check()
      await c2.close()
      s2.close()
      await other.close()
      await server.close()
      socket.close()
    })

    it("reconnect() on the same socket, streaming and lockstep: fresh, resumed session each time", async () => {
      const { socket, address } = await boundRouter(lib, true)
      const streaming = new TlsServer(socket, { ...serverTls, respond: (m) => m })
      const w = watch(streaming)
      const d = dealer(lib, "dave")
      d.connect(address)
      const client = new TlsClient(d, clientTls)
      await client.send("1")
      assert.deepEqual(text(await client.receive()), ["1"])
      await until(() => client.ticket !== undefined, "a ticket")
      for (let i = 0; i < 3; i++) {
        const peer = await client.reconnect()
        assert.equal(peer.sessionReused, true)
        await client.send(`again ${i}`)
        assert.deepEqual(text(await client.receive()), [`again ${i}`])
      }
      await until(() => w.ends.length === 3, "three replaced sessions")
      assert.ok(w.ends.every((e) => e.key === "dave" && e.reason === "replaced"))
      await client.close()
      d.close()
      await streaming.close()
      socket.close()

      const b = await boundRouter(lib, true)
      const lockstep = new TlsServer(b.socket, { ...serverTls, lockstep: true, respond: (m) => m })
      const wl = watch(lockstep)
      const r = request(lib, "erin")
      r.connect(b.address)
      const lc = new TlsClient(r, clientTls)
      await lc.send("x")
      assert.deepEqual(text(await lc.receive()), ["x"])
      await until(() => lc.ticket !== undefined, "a ticket")
      const peer = await lc.reconnect()
      assert.equal(peer.sessionReused, true)
      await lc.send("y")
      assert.deepEqual(text(await lc.receive()), ["y"])
      await wl.ended("erin", "replaced")
      await lc.close()
      r.close()
      await lockstep.close()
      b.socket.close()
    })
  })
}

describe("TLS resumption with mutual TLS", () => {
  it("a mutual-TLS session resumes, and the resumed session still names the client's certificate", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, { ...mutualServer, respond: (m, s) => [s.peer!.subject?.CN ?? "-", ...m] })
    const d = dealer("ironhouse")
    d.connect(address)
    const client = new TlsClient(d, mutualClient)
    await client.send("a")
    assert.deepEqual(text(await client.receive()), ["test-client", "a"])
    await until(() => client.ticket !== undefined, "a ticket")
    const peer = await client.reconnect()
    assert.equal(peer.sessionReused, true)
    await client.send("b")
    assert.deepEqual(text(await client.receive()), ["test-client", "b"])
    await client.close()
    d.close()
    await server.close()
    socket.close()
  })
})

describe("TLS session table: idle expiry and the cap", () => {
  it("an idle session is reaped; the cap evicts the least recently active", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, { ...serverTls, respond: (m) => m, sessionIdleTimeout: 300, maxSessions: 2 })
    const w = watch(server)
    const make = async (id: string): Promise<{ c: TlsClient; s: ReturnType<typeof dealer> }> => {
      const s = dealer("ironhouse", id)
      s.connect(address)
      const c = new TlsClient(s, clientTls)
      await c.send(id)
      assert.deepEqual(text(await c.receive()), [id])
      return { c, s }
    }
    const a = await make("a")
    await w.ended("a", "idle")
    const b = await make("b")
    const c = await make("c")
    await b.c.send("b again") // c is now the least recently active
    await b.c.receive()
    const d = await make("d")
    await w.ended("c", "evicted")
    assert.equal(server.sessionCount, 2)
    await d.c.send("d still")
    assert.deepEqual(text(await d.c.receive()), ["d still"])
    for (const x of [a, b, c, d]) x.s.close()
    await server.close()
    socket.close()
  })
})
