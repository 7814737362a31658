/**
 * NULL (RFC 37 "The NULL Security Mechanism"), both roles, with and without authentication.
 * Includes our own ports of libzmq tests/test_security_null.cpp (no domain, wrong domain,
 * right domain).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { AuthError, ErrorCode, ProtocolError } from "../../src/errors.js"
import { NullMechanism } from "../../src/mechanism/null.js"
import { createMechanism } from "../../src/mechanism/index.js"
import { encodeCommand } from "../../src/wire/command.js"
import { getProperty, makeMetadata } from "../../src/wire/metadata.js"
import type { AuthRequest } from "../../src/mechanism/mechanism.js"
import { bytes, codeOf, hex, mechanismOptions, pump, testEnv, utf8 } from "./pump.js"

function pair(serverAuthenticates: boolean, domain = "test") {
  const env = testEnv()
  const client = new NullMechanism(false, mechanismOptions({ env, authenticate: false, metadata: makeMetadata({ "Socket-Type": "DEALER", Identity: "bob" }) }))
  const server = new NullMechanism(
    true,
    mechanismOptions({ env, authenticate: serverAuthenticates, zapDomain: domain, metadata: makeMetadata({ "Socket-Type": "ROUTER" }) }),
  )
  return { client, server }
}

describe("NULL handshake", () => {
  it("both sides send READY at once and become ready without authentication", () => {
    const { client, server } = pair(false)
    const r = pump(client, server)
    assert.ok(r.client.ready && r.server.ready)
    assert.equal(r.authRequests.length, 0)
    assert.deepEqual(
      r.transcript.map((t) => t.direction),
      ["toServer", "toClient"],
    )
    assert.equal(new TextDecoder().decode(getProperty(r.client.ready.peerMetadata, "socket-type")), "ROUTER")
    assert.equal(new TextDecoder().decode(getProperty(r.server.ready.peerMetadata, "Socket-Type")), "DEALER")
    assert.equal(r.server.ready.userId, "")
    assert.ok(client.isReady && server.isReady)
  })

  it("READY is exactly the RFC 37 bytes", () => {
    const env = testEnv()
    const client = new NullMechanism(false, mechanismOptions({ env, authenticate: false, metadata: makeMetadata({ "Socket-Type": "REQ" }) }))
    const out = client.start()
    assert.equal(out.length, 1)
    const first = out[0]
    assert.ok(first?.type === "command")
    // 05 READY, 0B Socket-Type, 00000003 REQ
    assert.equal(
      hex(encodeCommand(first.command.name, first.command.data)),
      "05" + hex(utf8("READY")) + "0b" + hex(utf8("Socket-Type")) + "00000003" + hex(utf8("REQ")),
    )
  })

  it("a server with authenticate waits for the client's READY, asks with its Identity, then answers", () => {
    const { client, server } = pair(true)
    assert.deepEqual(server.start(), [], "the server sends nothing before the answer")
    const requests: AuthRequest[] = []
    const r = pump(client, server, {
      authenticate: (req) => {
        requests.push(req)
        return { status: 200, userId: "anonymous", metadata: makeMetadata({ "X-Role": "admin" }) }
      },
    })
    // start() was already called once above; the pump's own start() call throws for the server.
    assert.ok(r.server.thrown instanceof Error)
    assert.equal(requests.length, 0)

    const fresh = pair(true)
    const r2 = pump(fresh.client, fresh.server, {
      authenticate: (req) => {
        requests.push(req)
        return { status: 200, userId: "anonymous", metadata: makeMetadata({ "X-Role": "admin" }) }
      },
    })
    assert.ok(r2.client.ready && r2.server.ready)
    assert.equal(requests.length, 1)
    const req = requests[0] as AuthRequest
    assert.equal(req.mechanism, "NULL")
    assert.equal(req.domain, "test")
    assert.equal(req.address, "192.0.2.1")
    assert.deepEqual(req.credentials, [])
    assert.equal(new TextDecoder().decode(req.routingId), "bob")
    assert.equal(r2.server.ready.userId, "anonymous")
    assert.equal(new TextDecoder().decode(getProperty(r2.server.ready.authMetadata, "X-Role")), "admin")
  })

  for (const status of [400, 500]) {
    it(`a refusal with ${status} sends ERROR "${status}" and both sides fail with AuthError(${status})`, () => {
      const { client, server } = pair(true)
      const r = pump(client, server, { authenticate: () => ({ status }) })
      assert.ok(r.server.failed instanceof AuthError)
      assert.equal(r.server.failed.status, status)
      assert.equal(r.server.failed.code, ErrorCode.AUTH_FAILED)
      const last = r.transcript.at(-1)
      assert.equal(last?.direction, "toClient")
      assert.equal(hex(last.body), "05" + hex(utf8("ERROR")) + "03" + hex(utf8(String(status))))
      assert.ok(r.client.failed instanceof AuthError)
      assert.equal(r.client.failed.status, status)
      assert.equal(client.isReady, false)
    })
  }

  it("a refusal with 300 (temporary) sends no ERROR: the server fails with AuthError(300), the client just sees the close", () => {
    const { client, server } = pair(true)
    const r = pump(client, server, { authenticate: () => ({ status: 300 }) })
    assert.ok(r.server.failed instanceof AuthError)
    assert.equal(r.server.failed.status, 300)
    assert.deepEqual(
      r.transcript.map((t) => t.direction),
      ["toServer"],
      "only the client's READY went on the wire",
    )
    assert.equal(r.client.failed, undefined)
    assert.equal(r.client.ready, undefined)
  })
})

describe("NULL: who authenticates", () => {
  it("`authenticate` applies whatever the role (like libzmq's zap_required): a non-server side asks at start(), routingId empty", () => {
    const env = testEnv()
    const binder = new NullMechanism(false, mechanismOptions({ env, authenticate: true }))
    const out = binder.start()
    assert.equal(out.length, 1)
    assert.ok(out[0]?.type === "authenticate")
    assert.equal(out[0].request.routingId.length, 0)
    const peer = new NullMechanism(false, mechanismOptions({ env, authenticate: false, metadata: makeMetadata({ "Socket-Type": "DEALER", Identity: "x" }) }))
    // The peer's READY may arrive before the answer; the answer then completes the handshake.
    const peerReady = peer.start()[0]
    assert.ok(peerReady?.type === "command")
    assert.deepEqual(binder.receive(peerReady.command), [])
    const done = binder.authReply({ status: 200, userId: "u" })
    assert.deepEqual(done.map((o) => o.type), ["command", "ready"])
    assert.equal(done[1]?.type === "ready" && done[1].userId, "u")
  })

  it("two peers that both authenticate do not wait for each other", () => {
    const env = testEnv()
    const a = new NullMechanism(false, mechanismOptions({ env, authenticate: true }))
    const b = new NullMechanism(true, mechanismOptions({ env, authenticate: true }))
    const r = pump(a, b)
    assert.ok(r.client.ready && r.server.ready)
    assert.equal(r.authRequests.length, 2)
  })

  it("a refusal on the side that asked at start() sends ERROR instead of READY", () => {
    const env = testEnv()
    const a = new NullMechanism(false, mechanismOptions({ env, authenticate: true }))
    const b = new NullMechanism(true, mechanismOptions({ env, authenticate: false }))
    const r = pump(a, b, { authenticate: () => ({ status: 400 }) })
    assert.equal(r.client.failed instanceof AuthError && r.client.failed.status, 400)
    assert.equal(r.server.failed instanceof AuthError && r.server.failed.status, 400)
    // The asking side refused at once, so its ERROR went out before the other side's READY.
    assert.deepEqual(
      r.transcript.map((t) => [t.direction, new TextDecoder().decode(t.body.subarray(1, 6))]),
      [
        ["toServer", "ERROR"],
        ["toClient", "READY"],
      ],
    )
  })
})

describe("NULL: libzmq tests/test_security_null.cpp, ported", () => {
  const zapHandler = (req: AuthRequest) => (req.domain === "TEST" ? { status: 200, userId: "anonymous" } : { status: 400, statusText: "BAD DOMAIN" })

  it("no domain: the hook is never asked and the connection succeeds", () => {
    const env = testEnv()
    const client = createMechanism({ mechanism: "NULL", asServer: false }, mechanismOptions({ env, authenticate: false }))
    const server = createMechanism({ mechanism: "NULL", asServer: true }, mechanismOptions({ env, authenticate: false, zapDomain: "" }))
    const r = pump(client, server, { authenticate: zapHandler })
    assert.ok(r.client.ready && r.server.ready)
    assert.equal(r.authRequests.length, 0)
  })

  it("wrong domain: the handler says 400 and the connection fails on both sides", () => {
    const { client, server } = pair(true, "WRONG")
    const r = pump(client, server, { authenticate: zapHandler })
    assert.equal(r.server.failed instanceof AuthError && r.server.failed.status, 400)
    assert.equal(r.client.failed instanceof AuthError && r.client.failed.status, 400)
  })

  it("right domain: the handler says 200 and the connection succeeds", () => {
    const { client, server } = pair(true, "TEST")
    const r = pump(client, server, { authenticate: zapHandler })
    assert.ok(r.client.ready && r.server.ready)
    assert.equal(r.server.ready.userId, "anonymous")
  })
})

describe("NULL: bad input", () => {
  function started(asServer = false): NullMechanism {
    const m = new NullMechanism(asServer, mechanismOptions({ env: testEnv(), authenticate: false }))
    m.start()
    return m
  }

  it("a command other than READY or ERROR is UNEXPECTED_COMMAND", () => {
    for (const name of ["HELLO", "READX", "ready", "PING"]) {
      assert.throws(() => started().receive({ name, data: new Uint8Array(0) }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
    }
  })

  it("a second READY is UNEXPECTED_COMMAND", () => {
    const m = started()
    m.receive({ name: "READY", data: new Uint8Array(0) })
    assert.equal(m.isReady, true)
    assert.throws(() => m.receive({ name: "READY", data: new Uint8Array(0) }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
  })

  it("READY with malformed metadata is INVALID_METADATA", () => {
    assert.throws(() => started().receive({ name: "READY", data: bytes(5, 0x41) }), (e) => codeOf(e) === ErrorCode.INVALID_METADATA)
  })

  it("ERROR whose length octet lies is MALFORMED_COMMAND_ERROR", () => {
    assert.throws(() => started().receive({ name: "ERROR", data: bytes(9, 0x34) }), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_ERROR)
    assert.throws(() => started().receive({ name: "ERROR", data: new Uint8Array(0) }), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_ERROR)
  })

  it("ERROR with a status reason fails with AuthError; with any other reason ProtocolError(UNSPECIFIED)", () => {
    const out = started().receive({ name: "ERROR", data: bytes(3, ...utf8("500")) })
    assert.equal(out.length, 1)
    const failed = out[0]
    assert.ok(failed?.type === "failed" && failed.error instanceof AuthError)
    assert.equal(failed.error.status, 500)

    const other = started().receive({ name: "ERROR", data: bytes(9, ...utf8("go away\x01!")).subarray(0, 10) })
    const f2 = other[0]
    assert.ok(f2?.type === "failed")
    assert.ok(!(f2.error instanceof AuthError))
    assert.equal(f2.error.code, ErrorCode.UNSPECIFIED)
    assert.match(f2.error.message, /go away\\\\x01!/)

    for (const reason of ["200", "401", "4000", "600"]) {
      const out2 = started().receive({ name: "ERROR", data: bytes(reason.length, ...utf8(reason)) })
      const f = out2[0]
      assert.ok(f?.type === "failed")
      assert.equal(f.error.code, ErrorCode.UNSPECIFIED, reason)
    }
  })

  it("an authenticate hook answering an invalid status is ZAP_INVALID_STATUS_CODE, and no ERROR is sent", () => {
    const { client, server } = pair(true)
    const r = pump(client, server, { authenticate: () => ({ status: 404 }) })
    assert.equal(codeOf(r.server.thrown), ErrorCode.ZAP_INVALID_STATUS_CODE)
    assert.deepEqual(r.transcript.map((t) => t.direction), ["toServer"])
  })

  it("encode and decode return the very same frame object", () => {
    const m = started()
    m.receive({ name: "READY", data: new Uint8Array(0) })
    const frame = { more: true, command: false, body: bytes(1, 2, 3) }
    assert.equal(m.encode(frame), frame)
    assert.equal(m.decode(frame), frame)
  })

  it("authReply when no answer is awaited is a usage Error, not a ProtocolError", () => {
    assert.throws(
      () => started().authReply({ status: 200 }),
      (e) => e instanceof Error && !(e instanceof ProtocolError),
    )
  })
})
