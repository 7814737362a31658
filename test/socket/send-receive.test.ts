/**
 * send()/receive() as in `zeromq`: one waiting call of each kind (EBUSY), timeouts (EAGAIN),
 * closed sockets (EBADF), close() while waiting (EAGAIN), AbortSignal, iteration, disposal,
 * message types in and Buffers out, and the per-message peer metadata API.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Pair, Pull, Push, Dealer, Router, SocketError, getProperty, makeMetadata, type PeerInfo } from "../../src/index.js"

async function pair(): Promise<{ a: Pair; b: Pair; close(): void }> {
  const a = new Pair({ linger: 0 })
  const b = new Pair({ linger: 0 })
  await a.bind("tcp://127.0.0.1:*")
  b.connect(a.lastEndpoint as string)
  return {
    a,
    b,
    close: () => {
      a.close()
      b.close()
    },
  }
}

function code(c: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof SocketError, `expected a SocketError, got ${String(err)}`)
    assert.equal(err.code, c)
    assert.equal(typeof err.errno, "number")
    return true
  }
}

describe("send() and receive()", () => {
  it("deliver multipart messages of every accepted frame type, received as Buffers", async () => {
    const { a, b, close } = await pair()
    try {
      const ab = new Uint8Array([1, 2, 3]).buffer
      await a.send(["text \u2713", Buffer.from("buf"), new Uint8Array([7, 8]), ab, null, 42, new Uint16Array([0x0102])])
      const got = await b.receive()
      assert.ok(got.every((f) => Buffer.isBuffer(f)))
      assert.deepEqual(
        got.map((f) => [...f]),
        [
          [...Buffer.from("text \u2713")],
          [...Buffer.from("buf")],
          [7, 8],
          [1, 2, 3],
          [],
          [...Buffer.from("42")],
          [...Buffer.from(new Uint16Array([0x0102]).buffer)],
        ],
      )
      await b.send("single")
      assert.deepEqual((await a.receive()).map(String), ["single"])
    } finally {
      close()
    }
  })

  it("a second receive() while one waits throws EBUSY (synchronously, as zeromq)", async () => {
    const { a, b, close } = await pair()
    try {
      const first = b.receive()
      assert.throws(() => b.receive(), code("EBUSY"))
      await a.send("x")
      assert.deepEqual((await first).map(String), ["x"])
    } finally {
      close()
    }
  })

  it("a second send() while one waits throws EBUSY (synchronously, as zeromq)", async () => {
    const push = new Push({ linger: 0 }) // no peer: send() waits
    try {
      const first = push.send("a")
      assert.throws(() => push.send("b"), code("EBUSY"))
      push.close()
      await assert.rejects(first, code("EAGAIN"))
    } finally {
      push.close()
    }
  })

  it("receiveTimeout and sendTimeout expire with EAGAIN; 0 fails at once", async () => {
    const pull = new Pull({ receiveTimeout: 30 })
    const push = new Push({ sendTimeout: 30 })
    try {
      await assert.rejects(pull.receive(), code("EAGAIN"))
      await assert.rejects(push.send("x"), code("EAGAIN"))
      pull.receiveTimeout = 0
      push.sendTimeout = 0
      await assert.rejects(pull.receive(), code("EAGAIN"))
      await assert.rejects(push.send("x"), code("EAGAIN"))
    } finally {
      pull.close()
      push.close()
    }
  })

  it("a closed socket throws EBADF (send/receive: synchronously, as zeromq); close() rejects the waiting calls with EAGAIN", async () => {
    const pull = new Pull()
    const waiting = pull.receive()
    pull.close()
    await assert.rejects(waiting, code("EAGAIN"))
    assert.equal(pull.closed, true)
    assert.throws(() => pull.receive(), code("EBADF"))
    await assert.rejects(async () => pull.receive(), code("EBADF")) // and for awaiting code, a rejection
    assert.throws(() => pull.bind("tcp://127.0.0.1:*"), code("EBADF"))
    assert.throws(() => pull.connect("tcp://127.0.0.1:5555"), code("EBADF"))
    pull.close() // a no-op
  })

  it("an AbortSignal aborts a waiting receive() and send(); an aborted send sends nothing", async () => {
    const { a, b, close } = await pair()
    try {
      const ac = new AbortController()
      const waiting = b.receive({ signal: ac.signal })
      ac.abort(new Error("stop waiting"))
      await assert.rejects(waiting, /stop waiting/)
      // Already aborted: rejects without taking a message.
      await assert.rejects(b.receive({ signal: AbortSignal.abort() }), { name: "AbortError" })

      const push = new Push({ linger: 0 })
      const pull = new Pull({ linger: 0 })
      await pull.bind("tcp://127.0.0.1:*")
      // No peer yet: send() waits. Aborted, the message must never go anywhere.
      const sc = new AbortController()
      const blocked = push.send("aborted", { signal: sc.signal })
      sc.abort()
      await assert.rejects(blocked, { name: "AbortError" })
      push.connect(pull.lastEndpoint as string)
      await push.send("after")
      assert.deepEqual((await pull.receive()).map(String), ["after"])
      push.close()
      pull.close()
    } finally {
      close()
    }
  })

  it("for await ends when the socket closes", async () => {
    const { a, b, close } = await pair()
    try {
      await a.send("1")
      await a.send("2")
      const seen: string[] = []
      for await (const [msg] of b) {
        seen.push(String(msg))
        if (seen.length === 2) setImmediate(() => b.close())
      }
      assert.deepEqual(seen, ["1", "2"])
    } finally {
      close()
    }
  })

  it("await using closes the socket; whenClosed resolves once everything is released", async () => {
    let kept: Pull | undefined
    {
      await using pull = new Pull()
      await pull.bind("tcp://127.0.0.1:*")
      kept = pull
    }
    assert.equal(kept?.closed, true)
    await kept?.whenClosed
  })

  it("receiveWithPeer() gives the message and its peer; peerOf() works with trackPeers", async () => {
    const router = new Router({ linger: 0, trackPeers: true })
    const dealer = new Dealer({ linger: 0, routingId: "dealer-1" })
    try {
      await router.bind("tcp://127.0.0.1:*")
      dealer.connect(router.lastEndpoint as string)
      await dealer.send("one")
      await dealer.send("two")
      const { message, peer } = await router.receiveWithPeer()
      assert.deepEqual(message.map(String), ["dealer-1", "one"])
      assert.equal(peer.socketType, "DEALER")
      assert.equal(Buffer.from(peer.routingId).toString(), "dealer-1")
      assert.equal(peer.mechanism, "NULL")
      assert.equal(peer.address, "127.0.0.1")
      const plain = await router.receive()
      assert.deepEqual(plain.map(String), ["dealer-1", "two"], "receive() stays zeromq-shaped: Buffer[]")
      const tracked = router.peerOf(plain) as PeerInfo
      assert.equal(tracked, peer, "the same frozen PeerInfo for every message of a connection")
      assert.equal(router.peerOf([Buffer.from("not received")]), undefined)
      assert.equal(dealer.peerOf([]), undefined, "without trackPeers there is nothing to look up")
    } finally {
      router.close()
      dealer.close()
    }
  })

  it("the peer carries User-Id and the properties the authenticator added, on every message", async () => {
    const server = new Pull({
      linger: 0,
      plainServer: true,
      authenticate: (req) => ({
        status: 200,
        userId: Buffer.from(req.credentials[0] ?? []).toString(),
        metadata: makeMetadata({ "X-Role": "auditor" }),
      }),
    })
    const client = new Push({ linger: 0, plainUsername: "carol", plainPassword: "pw" })
    try {
      await server.bind("tcp://127.0.0.1:*")
      client.connect(server.lastEndpoint as string)
      await client.send("one")
      await client.send("two")
      for (const expected of ["one", "two"]) {
        const { message, peer } = await server.receiveWithPeer()
        assert.deepEqual(message.map(String), [expected])
        assert.equal(peer.userId, "carol")
        assert.equal(peer.mechanism, "PLAIN")
        assert.equal(Buffer.from(getProperty(peer.properties, "x-role") ?? []).toString(), "auditor")
        assert.equal(Buffer.from(getProperty(peer.properties, "User-Id") ?? []).toString(), "carol")
        assert.equal(Buffer.from(getProperty(peer.properties, "socket-type") ?? []).toString(), "PUSH")
      }
    } finally {
      server.close()
      client.close()
    }
  })
})
