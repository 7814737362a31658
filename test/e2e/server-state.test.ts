/**
 * What the end-to-end server keeps: nothing before a valid INITIATE (RFC 26 cookie), a bounded
 * number of sessions shedding the least recently active first, idle expiry with a transparent
 * re-handshake, handshake deadlines, relay reconnects, and size limits checked first.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { generateKeyPair } from "../../src/crypto/index.js"
import { ErrorCode } from "../../src/errors.js"
import { E2eClientSession } from "../../src/e2e/client-session.js"
import { E2eCode } from "../../src/e2e/events.js"
import { E2eServerCore } from "../../src/e2e/server-sessions.js"
import { testEnv } from "../mechanism/pump.js"
import { Harness, codes, text } from "./harness.js"

describe("end-to-end server state", () => {
  it("10,000 HELLOs from distinct short-term keys get WELCOMEs and leave no session state", () => {
    const env = testEnv(11)
    const server = generateKeyPair()
    const core = new E2eServerCore({ secretKey: server.secretKey, env, authenticate: true })
    const client = generateKeyPair()
    let welcomes = 0
    for (let i = 0; i < 10_000; i++) {
      const c = new E2eClientSession({ serverKey: server.publicKey, ...client, env })
      const hello = c.start()[0]
      assert.ok(hello !== undefined && hello.type === "send")
      const out = core.receive([Uint8Array.of(0, i >> 8, i & 0xff)], hello.frame)
      if (out.length === 1 && out[0]?.type === "send" && out[0].frame[0] === 7) welcomes++
      c.close()
    }
    assert.equal(welcomes, 10_000)
    assert.equal(core.sessionCount, 0)
    assert.equal(core.replayGuardSize, 0)
    assert.equal(core.nextDeadline, undefined)
  })

  it("over maxSessions, the least recently active session is shed first", () => {
    const h = new Harness({ clients: 3, server: { maxSessions: 3 } })
    for (let i = 0; i < 3; i++) {
      h.env.clock += 10
      h.send(i, [`hello ${i}`])
    }
    h.env.clock += 10
    h.send(0, ["0 again"]) // client 1 is now the least recently active
    const i = h.addClient()
    h.send(i, ["newcomer"])
    assert.equal(h.server.sessionCount, 3)
    const shed = h.serverEvents.filter((e) => e.code === E2eCode.SHED)
    assert.equal(shed.length, 1)
    const peer1 = h.received.find((r) => text(r.frames)[0] === "hello 1")?.peer
    assert.equal(shed[0]?.peerId, peer1?.id)
    assert.throws(() => h.server.send(peer1 as NonNullable<typeof peer1>, ["to a shed peer"]), { name: "E2eError", code: E2eCode.UNKNOWN_SESSION })
    // The shed client's next message is refused, it re-handshakes by itself, and the one after arrives.
    h.send(1, ["lost"])
    h.send(1, ["after"])
    assert.ok(codes(h.clientEvents[1] ?? []).includes(E2eCode.SESSION_LOST))
    assert.ok(h.received.some((r) => text(r.frames)[0] === "after"))
    assert.ok(!h.received.some((r) => text(r.frames)[0] === "lost"))
  })

  it("a run of messages from one client, then another client: the LRU order still sheds the least recent", () => {
    // The server skips the LRU re-insertion for the session touched last and reuses the last
    // envelope's key: both shortcuts must leave the order exact when the clients interleave.
    const h = new Harness({ clients: 3, server: { maxSessions: 3 } })
    for (let i = 0; i < 3; i++) {
      h.env.clock += 10
      h.send(i, [`hello ${i}`])
    }
    for (const [client, message] of [[0, "0 a"], [0, "0 b"], [1, "1 a"], [0, "0 c"], [0, "0 d"]] as const) {
      h.env.clock += 10
      h.send(client, [message])
    }
    // Order of last activity now: 2, 1, 0.
    h.send(h.addClient(), ["newcomer"])
    const shed = h.serverEvents.filter((e) => e.code === E2eCode.SHED)
    assert.equal(shed.length, 1)
    assert.equal(shed[0]?.peerId, h.received.find((r) => text(r.frames)[0] === "hello 2")?.peer.id)
    h.send(h.addClient(), ["second newcomer"])
    const shedNext = h.serverEvents.filter((e) => e.code === E2eCode.SHED)
    assert.equal(shedNext.length, 2)
    assert.equal(shedNext[1]?.peerId, h.received.find((r) => text(r.frames)[0] === "1 a")?.peer.id)
    assert.deepEqual(
      h.received.map((r) => text(r.frames)[0]),
      ["hello 0", "hello 1", "hello 2", "0 a", "0 b", "1 a", "0 c", "0 d", "newcomer", "second newcomer"],
    )
  })

  it("expired sessions: the client re-handshakes before sending (no loss) when its idle timeout is shorter", () => {
    const h = new Harness({ server: { idleTimeoutMs: 60_000 }, client: { idleTimeoutMs: 50_000 } })
    h.send(0, ["one"])
    h.advance(61_000)
    assert.equal(h.server.sessionCount, 0)
    assert.ok(codes(h.serverEvents).includes(E2eCode.EXPIRED))
    h.send(0, ["two"])
    assert.deepEqual(h.received.map((r) => text(r.frames)), [["one"], ["two"]])
    assert.equal(h.clients[0]?.handshakes, 2)
    assert.deepEqual(codes(h.clientEvents[0]?.filter((e) => e.type === "rehandshake") ?? []), [E2eCode.EXPIRED])
  })

  it("a relay reconnect (new envelope): the message in flight is lost, the client re-handshakes, later ones arrive once", () => {
    const h = new Harness({ relays: 1 })
    h.send(0, ["before"])
    h.reconnectRelays()
    h.send(0, ["in flight"])
    h.send(0, ["after"])
    assert.deepEqual(h.received.map((r) => text(r.frames)), [["before"], ["after"]])
    assert.equal(h.clients[0]?.handshakes, 2)
    assert.ok(codes(h.serverEvents).includes(E2eCode.UNKNOWN_SESSION))
    // Both sessions prove the same client key.
    assert.deepEqual(Buffer.from(h.received[1]?.peer.publicKey as Uint8Array), Buffer.from(h.clientKeys[0]?.publicKey as Uint8Array))
  })

  it("the client's handshake deadline starts over with fresh keys; a lost WELCOME is survived", () => {
    const h = new Harness({ relays: 1, client: { handshakeTimeoutMs: 1000 } })
    // Fresh harness already ran the handshake; make a second client whose first WELCOME is lost.
    let drop = true
    h.tap = (c) => {
      if (c.direction === "down" && c.frame[0] === 7 && drop) {
        drop = false
        return []
      }
      return [c.frame]
    }
    const i = h.addClient({ handshakeTimeoutMs: 1000 })
    h.send(i, ["queued while handshaking"])
    assert.equal(h.received.length, 0)
    h.advance(1000)
    assert.deepEqual(h.received.map((r) => text(r.frames)), [["queued while handshaking"]])
    assert.deepEqual(codes(h.clientEvents[i]?.filter((e) => e.type === "rehandshake") ?? []), [E2eCode.HANDSHAKE_TIMEOUT])
  })

  it("handshakes waiting for authentication are bounded (BUSY) and never shed established sessions", () => {
    const h = new Harness({ clients: 2, server: { maxSessions: 2, maxPendingAuth: 1 } })
    h.send(0, ["a"])
    h.send(1, ["b"])
    assert.equal(h.server.sessionCount, 2)
    // Two more clients whose authentication is held: one waits, the other is refused.
    const held = new Harness({ holdAuth: true, clients: 0, server: { maxSessions: 2, maxPendingAuth: 1 } })
    held.addClient()
    held.addClient()
    assert.equal(held.pendingAuth.length, 1)
    assert.ok(codes(held.serverEvents).includes(E2eCode.BUSY))
    // In the first harness: a pending session does not shed; only its success does.
    const p = new Harness({ holdAuth: true, clients: 0, server: { maxSessions: 1, maxPendingAuth: 4 } })
    p.addClient()
    p.fromServer(p.server.authReply(p.pendingAuth[0]?.ticket as number, { status: 200 }))
    p.addClient()
    assert.ok(!codes(p.serverEvents).includes(E2eCode.SHED), "a session waiting for authentication sheds nothing")
    p.fromServer(p.server.authReply(p.pendingAuth[1]?.ticket as number, { status: 200 }))
    assert.ok(codes(p.serverEvents).includes(E2eCode.SHED))
    assert.equal(p.server.sessionCount, 1)
  })

  it("an authentication that never answers is dropped at the server's handshake deadline", () => {
    const h = new Harness({ holdAuth: true, server: { handshakeTimeoutMs: 500 } })
    assert.equal(h.server.sessionCount, 1)
    assert.equal(h.pendingAuth.length, 1)
    h.env.clock += 500
    h.fromServer(h.server.tick())
    assert.equal(h.server.sessionCount, 0)
    assert.ok(codes(h.serverEvents).includes(E2eCode.HANDSHAKE_TIMEOUT))
    // A late answer changes nothing.
    assert.deepEqual(h.server.authReply(h.pendingAuth[0]?.ticket as number, { status: 200 }), [])
  })

  it("a refused client (400) gets ERROR and fails for good; its sends throw", () => {
    const h = new Harness({ authenticate: () => ({ status: 400 }) })
    assert.equal(h.failed[0], true)
    assert.deepEqual(h.clientEvents[0]?.map((e) => [e.type, e.status]), [["auth-refused", 400]])
    assert.ok(codes(h.serverEvents).includes(ErrorCode.AUTH_FAILED))
    assert.throws(() => h.clients[0]?.send(["x"]), { name: "E2eError" })
    assert.equal(h.server.sessionCount, 0)
  })

  it("sizes are checked before anything else: an oversize command is dropped (MESSAGE_TOO_LARGE)", () => {
    const h = new Harness({ server: { maxMessageSize: 100 }, client: { maxMessageSize: 1000 } })
    h.send(0, ["x".repeat(101)])
    assert.equal(h.received.length, 0)
    assert.deepEqual(codes(h.serverEvents.filter((e) => e.type === "dropped")), [ErrorCode.MESSAGE_TOO_LARGE])
    // Multipart over the limit in total, each frame under it.
    h.send(0, ["a".repeat(60), "b".repeat(60)])
    h.send(0, ["fits"])
    assert.deepEqual(h.received.map((r) => text(r.frames)), [["fits"]])
    assert.throws(() => h.clients[0]?.send(["y".repeat(1001)]), RangeError)
    const big = new Uint8Array(10_000)
    big.set([7, ...Buffer.from("MESSAGE")])
    assert.deepEqual(h.server.receive([Uint8Array.of(1)], big).map((o) => o.type === "event" && o.event.code), [ErrorCode.MESSAGE_TOO_LARGE])
  })

  it("garbage frames never throw and leave no state", () => {
    const env = testEnv(5)
    const core = new E2eServerCore({ secretKey: generateKeyPair().secretKey, env })
    const samples = [new Uint8Array(0), Uint8Array.of(5), Uint8Array.from([5, ...Buffer.from("HELLO")]), Uint8Array.from([8, ...Buffer.from("INITIATE"), ...new Uint8Array(300)])]
    for (let i = 0; i < 200; i++) samples.push(Uint8Array.from({ length: i * 3 }, (_, k) => (k * 31 + i) & 0xff))
    for (const s of samples) {
      const out = core.receive([Uint8Array.of(1)], s)
      assert.ok(out.every((o) => o.type === "event" || (o.type === "send" && o.frame[0] === 5)))
    }
    assert.equal(core.sessionCount, 0)
  })
})
