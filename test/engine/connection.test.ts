/**
 * The sans-IO connection engine in memory: two Connections wired back to back, a fake clock,
 * every mechanism, arbitrary chunking; timeouts, heartbeats, limits and hostile greetings.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { Connection, type ConnectionEvent, type ConnectionOptions } from "../../src/engine/connection.js"
import { generateKeyPair } from "../../src/crypto/index.js"
import type { AuthReply, AuthRequest } from "../../src/mechanism/mechanism.js"
import { AuthError } from "../../src/errors.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { FakeClock, concat, pump } from "../helpers/memory-pair.js"

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

const serverKeys = generateKeyPair()
const clientKeys = generateKeyPair()

function pair(
  mechanism: "NULL" | "PLAIN" | "CURVE",
  extra: { server?: Partial<ConnectionOptions>; client?: Partial<ConnectionOptions> } = {},
  clock = new FakeClock(),
): { client: Connection; server: Connection } {
  const security = {
    NULL: { server: { mechanism, asServer: true }, client: { mechanism, asServer: false } },
    PLAIN: {
      server: { mechanism, asServer: true },
      client: { mechanism, asServer: false, plainUsername: "alice", plainPassword: "pw" },
    },
    CURVE: {
      server: { mechanism, asServer: true, curvePublicKey: serverKeys.publicKey, curveSecretKey: serverKeys.secretKey },
      client: {
        mechanism,
        asServer: false,
        curvePublicKey: clientKeys.publicKey,
        curveSecretKey: clientKeys.secretKey,
        curveServerKey: serverKeys.publicKey,
      },
    },
  }[mechanism]
  const server = new Connection({
    socketType: "REP",
    security: security.server,
    authenticate: (r: AuthRequest): AuthReply => ({ status: 200, userId: `user-of-${r.mechanism}` }),
    peerAddress: "127.0.0.1",
    now: clock.now,
    ...extra.server,
  })
  const client = new Connection({ socketType: "REQ", security: security.client, now: clock.now, ...extra.client })
  return { client, server }
}

function only<T extends ConnectionEvent["type"]>(events: ConnectionEvent[], type: T): Extract<ConnectionEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type)
}

describe("Connection handshake in memory", () => {
  for (const mechanism of ["NULL", "PLAIN", "CURVE"] as const) {
    it(`${mechanism}: reaches traffic for any chunking and carries multipart messages both ways`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.nat(600), { maxLength: 6 }),
          fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }),
          async (cuts, frames) => {
            const { client, server } = pair(mechanism)
            await pump(client, server, () => cuts)
            const hsC = only(client.takeEvents(), "handshake")
            const hsS = only(server.takeEvents(), "handshake")
            assert.equal(hsC.length, 1)
            assert.equal(hsS.length, 1)
            assert.equal(hsS[0]?.peer.socketType, "REQ")
            assert.equal(hsC[0]?.peer.socketType, "REP")
            if (mechanism !== "NULL") assert.equal(hsS[0]?.peer.userId, `user-of-${mechanism}`)
            client.send(frames)
            server.send([...frames].reverse())
            await pump(client, server, () => cuts)
            const atServer = only(server.takeEvents(), "message")
            const atClient = only(client.takeEvents(), "message")
            assert.deepEqual(atServer.map((m) => m.frames.map((f) => [...f])), [frames.map((f) => [...f])])
            assert.deepEqual(atClient.map((m) => m.frames.map((f) => [...f])), [[...frames].reverse().map((f) => [...f])])
          },
        ),
        { numRuns: mechanism === "CURVE" ? 40 : 80 },
      )
    })
  }

  for (const mechanism of ["NULL", "CURVE"] as const) {
    it(`${mechanism}: messages delivered in one batch keep their own frames (h20: the assembly array is reused)`, async () => {
      const { client, server } = pair(mechanism)
      await pump(client, server)
      server.takeEvents()
      const sent = [
        [enc("a1"), enc("a2"), enc("a3")],
        [enc("b")],
        [enc(""), enc("c2")],
        Array.from({ length: 70 }, (_, i) => enc(`d${i}`)), // over the kept size: the array is dropped
        [enc("e1"), enc("e2")],
      ]
      for (const m of sent) client.send(m)
      await pump(client, server)
      const got = only(server.takeEvents(), "message").map((e) => e.frames)
      assert.deepEqual(got.map((m) => m.map(dec)), sent.map((m) => m.map(dec)))
      assert.equal(new Set(got).size, got.length, "no two messages share an array")
      assert.equal(server.partialMessageFrames, 0)
    })
  }

  it("CURVE: the server learns the client's long-term key, the client the server's", async () => {
    const { client, server } = pair("CURVE")
    await pump(client, server)
    const s = only(server.takeEvents(), "handshake")[0]
    const c = only(client.takeEvents(), "handshake")[0]
    assert.ok(s && c)
    assert.equal(s.peer.publicKey?.length, 40)
    assert.notEqual(s.peer.publicKey, c.peer.publicKey)
  })

  it("an asynchronous authenticate hook is awaited; frames arriving meanwhile are kept", async () => {
    let release: (r: AuthReply) => void = () => {}
    const { client, server } = pair("PLAIN", {
      server: { authenticate: () => new Promise<AuthReply>((r) => (release = r)) },
    })
    let woke = 0
    server.onWake = () => woke++
    await pump(client, server)
    assert.equal(only(server.takeEvents(), "handshake").length, 0)
    release({ status: 200, userId: "later" })
    await new Promise((r) => setImmediate(r))
    assert.equal(woke, 1)
    await pump(client, server)
    assert.equal(only(server.takeEvents(), "handshake")[0]?.peer.userId, "later")
    assert.equal(only(client.takeEvents(), "handshake").length, 1)
  })

  it("a refusal reaches the client as AuthError with the status, and nothing is delivered", async () => {
    const { client, server } = pair("PLAIN", { server: { authenticate: () => ({ status: 400 }) } })
    await pump(client, server)
    const sErr = only(server.takeEvents(), "error")[0]
    const cEvents = client.takeEvents()
    const cErr = only(cEvents, "error")[0]
    assert.ok(sErr?.error instanceof AuthError)
    assert.equal((sErr.error as AuthError).status, 400)
    assert.ok(cErr?.error instanceof AuthError)
    assert.equal((cErr.error as AuthError).status, 400)
    assert.equal(only(cEvents, "handshake").length, 0)
    assert.throws(() => client.send([enc("x")]))
  })

  it("bytes piling up while the hook is pending are bounded by the handshake limit", async () => {
    const { client, server } = pair("PLAIN", {
      server: { authenticate: () => new Promise<AuthReply>(() => {}), limits: { maxHandshakeCommandSize: 1024 } },
    })
    await pump(client, server)
    server.receiveData(new Uint8Array(512))
    assert.equal(only(server.takeEvents(), "error").length, 0)
    server.receiveData(new Uint8Array(1024))
    assert.equal(only(server.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_MESSAGE_TOO_LARGE")
    assert.ok(server.closed)
  })

  it("a throwing or rejecting hook counts as status 500", async () => {
    for (const authenticate of [
      () => {
        throw new Error("db down")
      },
      () => Promise.reject(new Error("db down")),
    ]) {
      const { client, server } = pair("PLAIN", { server: { authenticate } })
      await pump(client, server)
      const sErr = only(server.takeEvents(), "error")[0]
      assert.equal((sErr?.error as AuthError).status, 500)
    }
  })

  it("a PLAIN server without a hook refuses (never accepts credentials it cannot check)", async () => {
    const { client, server } = pair("PLAIN", { server: { authenticate: undefined } })
    await pump(client, server)
    assert.equal((only(server.takeEvents(), "error")[0]?.error as AuthError).status, 400)
  })

  it("NULL asks the hook only when a ZAP domain is set", async () => {
    const seen: AuthRequest[] = []
    const hook = (r: AuthRequest) => (seen.push(r), { status: 200 })
    let p = pair("NULL", { server: { authenticate: hook } })
    await pump(p.client, p.server)
    assert.equal(seen.length, 0)
    p = pair("NULL", { server: { authenticate: hook, zapDomain: "global" } })
    await pump(p.client, p.server)
    assert.equal(seen.length, 1)
    assert.equal(seen[0]?.domain, "global")
    assert.equal(seen[0]?.address, "127.0.0.1")
  })
})

describe("Connection pipelining", () => {
  const firstFlight = (o: Partial<ConnectionOptions> & Pick<ConnectionOptions, "security">) =>
    concat(new Connection({ socketType: "DEALER", ...o }).takeOutput()).length
  it("a CURVE client sends HELLO with its greeting (64 + 202 octets): one round trip saved", () => {
    const p = pair("CURVE")
    assert.equal(concat(p.client.takeOutput()).length, 64 + 202)
    assert.equal(concat(p.server.takeOutput()).length, 64)
  })
  it("a NULL peer sends READY with its greeting, unless it must authenticate first", () => {
    assert.ok(firstFlight({ security: { mechanism: "NULL", asServer: false } }) > 64)
    assert.equal(firstFlight({ security: { mechanism: "NULL", asServer: true }, zapDomain: "global" }), 64)
  })
  it("a PLAIN client waits for the server's greeting before sending its password", () => {
    const p = pair("PLAIN")
    assert.equal(concat(p.client.takeOutput()).length, 64)
  })
})

describe("Connection failures", () => {
  it("mechanism mismatch (PLAIN client, CURVE server) fails before any authentication", async () => {
    const seen: AuthRequest[] = []
    const server = new Connection({
      socketType: "REP",
      security: { mechanism: "CURVE", asServer: true, curvePublicKey: serverKeys.publicKey, curveSecretKey: serverKeys.secretKey },
      authenticate: (r) => (seen.push(r), { status: 200 }),
    })
    const client = new Connection({
      socketType: "REQ",
      security: { mechanism: "PLAIN", asServer: false, plainUsername: "a", plainPassword: "b" },
    })
    await pump(client, server)
    assert.equal(only(server.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_MECHANISM_MISMATCH")
    assert.equal(seen.length, 0)
  })

  it("incompatible socket types fail the handshake", async () => {
    const { client, server } = pair("NULL", { client: { socketType: "PUSH" } })
    await pump(client, server)
    assert.equal(only(server.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_SOCKET_TYPE_MISMATCH")
  })

  it("a ZMTP 1.0 or 2.0 greeting followed by a message is refused and nothing is delivered", () => {
    const zmtp10 = new Uint8Array([0x06, 0x00, ...enc("hello")]) // identity frame, then a message
    const zmtp20 = new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x05, 0, 0x01, 0x00, 0x02, ...enc("hi")])
    for (const bytes of [zmtp10, zmtp20]) {
      const server = new Connection({ socketType: "PULL", security: { mechanism: "NULL", asServer: false } })
      server.receiveData(bytes)
      const events = server.takeEvents()
      assert.equal(only(events, "error")[0]?.error.code, "ERR_ZMTP_BAD_GREETING")
      assert.equal(only(events, "message").length, 0)
      assert.ok(server.closed)
    }
  })

  it("the handshake times out on the injected clock", () => {
    const clock = new FakeClock()
    const conn = new Connection({
      socketType: "PAIR",
      security: { mechanism: "NULL", asServer: false },
      handshakeInterval: 5000,
      now: clock.now,
    })
    assert.equal(conn.nextDeadline, 6000)
    clock.t = 5999
    conn.tick()
    assert.equal(conn.takeEvents().length, 0)
    clock.t = 6000
    conn.tick()
    assert.equal(only(conn.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_HANDSHAKE_TIMEOUT")
  })

  it("a message larger than maxMessageSize closes the connection without delivering it", async () => {
    const { client, server } = pair("NULL", { server: { limits: { maxMessageSize: 1000 } } })
    await pump(client, server)
    server.takeEvents()
    client.send([new Uint8Array(600), new Uint8Array(600)])
    await pump(client, server)
    const events = server.takeEvents()
    assert.equal(only(events, "message").length, 0)
    assert.equal(only(events, "error")[0]?.error.code, "ERR_ZMTP_MESSAGE_TOO_LARGE")
  })

  it("a huge declared frame size during the handshake is refused after 9 octets", () => {
    const conn = new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false } })
    // Only the peer's greeting (a NULL peer pipelines its READY right behind it).
    const greeting = [concat(new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false } }).takeOutput()).subarray(0, 64)]
    conn.receiveData(concat(greeting))
    conn.receiveData(new Uint8Array([0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
    assert.equal(only(conn.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_MESSAGE_TOO_LARGE")
  })

  it("a message frame during the handshake is refused", () => {
    const conn = new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false } })
    // Only the peer's greeting (a NULL peer pipelines its READY right behind it).
    const greeting = [concat(new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false } }).takeOutput()).subarray(0, 64)]
    conn.receiveData(concat([...greeting, encodeFrame({ more: false, command: false, body: enc("early") })]))
    const events = conn.takeEvents()
    assert.equal(only(events, "error")[0]?.error.code, "ERR_ZMTP_UNEXPECTED_COMMAND")
    assert.equal(only(events, "message").length, 0)
  })
})

describe("Connection heartbeats", () => {
  it("PINGs an idle peer, which answers PONG; traffic keeps the connection alive", async () => {
    const clock = new FakeClock()
    const { client, server } = pair("CURVE", { client: { heartbeatInterval: 1000, heartbeatTimeout: 3000 } }, clock)
    await pump(client, server)
    client.takeEvents()
    server.takeEvents()
    for (let i = 0; i < 5; i++) {
      clock.t += 1000
      client.tick()
      server.tick()
      await pump(client, server)
    }
    assert.equal(only(server.takeEvents(), "ping").length, 5)
    const cEvents = client.takeEvents()
    assert.equal(only(cEvents, "pong").length, 5)
    assert.equal(only(cEvents, "error").length, 0)
    assert.ok(client.ready)
  })

  it("detects a silent peer within the heartbeat timeout", async () => {
    const clock = new FakeClock()
    const { client, server } = pair("NULL", { client: { heartbeatInterval: 1000, heartbeatTimeout: 2000 } }, clock)
    await pump(client, server)
    client.takeEvents()
    clock.t += 1000
    client.tick() // sends PING; the server never gets it
    client.takeOutput()
    clock.t += 1999
    client.tick()
    assert.equal(only(client.takeEvents(), "error").length, 0)
    clock.t += 1
    client.tick()
    assert.equal(only(client.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_HEARTBEAT_TIMEOUT")
  })

  it("honours the TTL a peer announces in its PING", async () => {
    const clock = new FakeClock()
    const { client, server } = pair(
      "NULL",
      { client: { heartbeatInterval: 1000, heartbeatTimeToLive: 5000, heartbeatTimeout: 60_000 } },
      clock,
    )
    await pump(client, server)
    clock.t += 1000
    client.tick()
    await pump(client, server) // server receives PING with TTL 50 ds
    server.takeEvents()
    clock.t += 5000 // the client goes silent
    server.tick()
    assert.equal(only(server.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_HEARTBEAT_TIMEOUT")
  })
})

describe("Connection subscriptions", () => {
  it("sends SUBSCRIBE/CANCEL commands to a 3.1 peer, delivered as subscription events", async () => {
    const { client, server } = pair("CURVE", { client: { socketType: "SUB" }, server: { socketType: "PUB" } })
    await pump(client, server)
    client.sendSubscription(true, enc("weather"))
    client.sendSubscription(false, enc("weather"))
    await pump(client, server)
    const subs = only(server.takeEvents(), "subscription")
    assert.deepEqual(
      subs.map((s) => [s.subscribe, dec(s.topic)]),
      [
        [true, "weather"],
        [false, "weather"],
      ],
    )
  })
})
