/**
 * PLAIN (RFC 24), client and server. Includes our own ports of libzmq
 * tests/test_security_plain.cpp (success, wrong credentials) and the libzmq PLAIN ERROR quirk.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { AuthError, ErrorCode, ProtocolError } from "../../src/errors.js"
import { PlainClient } from "../../src/mechanism/plain-client.js"
import { PlainServer } from "../../src/mechanism/plain-server.js"
import { createMechanism } from "../../src/mechanism/index.js"
import { decodeCommand, encodeCommand } from "../../src/wire/command.js"
import { getProperty, makeMetadata } from "../../src/wire/metadata.js"
import type { AuthRequest, MechanismOutput } from "../../src/mechanism/mechanism.js"
import { bytes, codeOf, hex, mechanismOptions, pump, testEnv, utf8 } from "./pump.js"

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b)

function pair(username = "admin", password = "password", serverOverrides: { authenticate?: boolean } = {}) {
  const env = testEnv()
  const client = new PlainClient(username, password, mechanismOptions({ env, metadata: makeMetadata({ "Socket-Type": "DEALER", Identity: "IDENT" }) }))
  const server = new PlainServer(mechanismOptions({ env, metadata: makeMetadata({ "Socket-Type": "DEALER" }), ...serverOverrides }))
  return { client, server }
}

/** libzmq tests/test_security_plain.cpp's zap_handler: admin/password gets 200, anyone else 400. */
const zapHandler = (req: AuthRequest) =>
  text(req.credentials[0]) === "admin" && text(req.credentials[1]) === "password"
    ? { status: 200, statusText: "OK", userId: "anonymous" }
    : { status: 400, statusText: "Invalid username or password" }

describe("PLAIN handshake", () => {
  it("HELLO, WELCOME, INITIATE, READY: both ready, the hook saw [username, password]", () => {
    const { client, server } = pair()
    let seen: string[] = []
    const r = pump(client, server, {
      authenticate: (request: AuthRequest) => {
        seen = request.credentials.map(text)
        return zapHandler(request)
      },
    })
    assert.ok(r.client.ready && r.server.ready)
    assert.deepEqual(
      r.transcript.map((t) => decodeCommand(t.body).name),
      ["HELLO", "WELCOME", "INITIATE", "READY"],
    )
    assert.equal(r.authRequests.length, 1)
    const req = r.authRequests[0] as AuthRequest
    assert.equal(req.mechanism, "PLAIN")
    assert.deepEqual(seen, ["admin", "password"])
    // Issue 14 item 5: once the authenticator answered, the password it was given is wiped.
    assert.deepEqual([...(req.credentials[1] as Uint8Array)], new Array("password".length).fill(0))
    assert.equal(text(req.credentials[0]), "admin", "the username is kept")
    assert.equal(req.domain, "test")
    assert.equal(r.server.ready.userId, "anonymous")
    assert.equal(text(getProperty(r.server.ready.peerMetadata, "Identity")), "IDENT")
    assert.equal(text(getProperty(r.client.ready.peerMetadata, "Socket-Type")), "DEALER")
  })

  it("HELLO and WELCOME are exactly the RFC 24 bytes", () => {
    const { client, server } = pair("u", "pw")
    const r = pump(client, server)
    assert.equal(hex(r.transcript[0]?.body ?? bytes()), "05" + hex(utf8("HELLO")) + "01" + hex(utf8("u")) + "02" + hex(utf8("pw")))
    assert.equal(hex(r.transcript[1]?.body ?? bytes()), "07" + hex(utf8("WELCOME")))
  })

  it("empty and 255-octet credentials travel intact; 256 octets is a RangeError that does not show them", () => {
    const long = "p".repeat(255)
    const { client, server } = pair("", long)
    const r = pump(client, server)
    assert.ok(r.server.ready)
    assert.deepEqual(r.authRequests[0]?.credentials.map((c) => c.length), [0, 255])
    assert.throws(
      () => new PlainClient("u", "s3cret".repeat(43), mechanismOptions({ env: testEnv() })),
      (e) => e instanceof RangeError && /at most 255 UTF-8 octets, got 258 octets/.test(e.message) && !e.message.includes("s3cret"),
    )
  })

  it("the server asks the hook even when `authenticate` is false (a PLAIN server never accepts unchecked)", () => {
    const { client, server } = pair("admin", "password", { authenticate: false })
    const r = pump(client, server, { authenticate: () => ({ status: 400 }) })
    assert.equal(r.authRequests.length, 1)
    assert.equal(r.server.ready, undefined)
    assert.equal(r.server.failed instanceof AuthError && r.server.failed.status, 400)
  })

  it("libzmq test_plain_wrong_credentials_fails: 400, ERROR \"400\" to the client, AuthError(400) on both sides", () => {
    const { client, server } = pair("wronguser", "wrongpass")
    const r = pump(client, server, { authenticate: zapHandler })
    assert.equal(r.server.failed instanceof AuthError && r.server.failed.status, 400)
    assert.equal(r.client.failed instanceof AuthError && r.client.failed.status, 400)
    assert.equal(hex(r.transcript.at(-1)?.body ?? bytes()), "05" + hex(utf8("ERROR")) + "03" + hex(utf8("400")))
    assert.equal(r.client.ready, undefined)
  })

  it("300 sends no ERROR; 500 sends ERROR \"500\"", () => {
    const t = pair()
    const r300 = pump(t.client, t.server, { authenticate: () => ({ status: 300 }) })
    assert.equal(r300.server.failed instanceof AuthError && r300.server.failed.status, 300)
    assert.deepEqual(r300.transcript.map((e) => decodeCommand(e.body).name), ["HELLO"])
    const f = pair()
    const r500 = pump(f.client, f.server, { authenticate: () => ({ status: 500 }) })
    assert.equal(r500.client.failed instanceof AuthError && r500.client.failed.status, 500)
  })

  it("an invalid hook status is ZAP_INVALID_STATUS_CODE", () => {
    const { client, server } = pair()
    const r = pump(client, server, { authenticate: () => ({ status: 201 }) })
    assert.equal(codeOf(r.server.thrown), ErrorCode.ZAP_INVALID_STATUS_CODE)
  })

  it("the password appears in no error message and no inspect output", () => {
    const secret = "hunter2-very-secret"
    const client = new PlainClient("admin", secret, mechanismOptions({ env: testEnv() }))
    assert.ok(!inspect(client, { showHidden: true, depth: 10 }).includes(secret))
    client.start()
    assert.ok(!inspect(client, { showHidden: true, depth: 10 }).includes(secret))
    const err = (() => {
      try {
        client.receive({ name: "READY", data: bytes() })
      } catch (e) {
        return e
      }
      return undefined
    })()
    assert.ok(err instanceof ProtocolError)
    assert.ok(!err.message.includes(secret))
  })
})

describe("PLAIN client: libzmq's ERROR command quirk", () => {
  // What a libzmq 4.3.5 PLAIN server writes for a 400 (plain_common.hpp "\x05ERROR" = 5E "RROR").
  const LIBZMQ_ERROR_FRAME = bytes(0x04, 0x09, 0x5e, 0x52, 0x52, 0x4f, 0x52, 0x03, 0x34, 0x30, 0x30)

  function waitingClient(): PlainClient {
    const c = new PlainClient("admin", "password", mechanismOptions({ env: testEnv() }))
    c.start()
    return c
  }

  it("the generic command parser refuses the frame body (and stays strict)", () => {
    assert.throws(() => decodeCommand(LIBZMQ_ERROR_FRAME.subarray(2)), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })

  it("the PLAIN client takes it as ERROR \"400\": AuthError(400), in either waiting state", () => {
    for (const toReady of [false, true]) {
      const c = waitingClient()
      if (toReady) c.receive({ name: "WELCOME", data: bytes() })
      const command = c.decodeHandshakeCommand(LIBZMQ_ERROR_FRAME.subarray(2))
      assert.equal(command.name, "ERROR")
      const out = c.receive(command)
      const failed = out[0] as MechanismOutput
      assert.ok(failed.type === "failed" && failed.error instanceof AuthError)
      assert.equal(failed.error.status, 400)
    }
  })

  it("only that exact shape: other lengths or reason lengths still go to the generic parser", () => {
    const c = waitingClient()
    const body = LIBZMQ_ERROR_FRAME.subarray(2)
    const longer = Uint8Array.from([...body, 0x30])
    assert.throws(() => c.decodeHandshakeCommand(longer), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    const wrongLength = body.slice()
    wrongLength[5] = 2
    assert.throws(() => c.decodeHandshakeCommand(wrongLength), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    // A normal command still parses normally.
    assert.deepEqual(c.decodeHandshakeCommand(encodeCommand("WELCOME", bytes())).name, "WELCOME")
  })

  it("the RFC form of ERROR works too", () => {
    const c = waitingClient()
    const out = c.receive(c.decodeHandshakeCommand(encodeCommand("ERROR", bytes(3, ...utf8("400")))))
    assert.ok(out[0]?.type === "failed" && out[0].error instanceof AuthError)
  })
})

describe("PLAIN: bad input", () => {
  function helloTo(data: Uint8Array): () => MechanismOutput[] {
    const server = new PlainServer(mechanismOptions({ env: testEnv() }))
    server.start()
    return () => server.receive({ name: "HELLO", data })
  }

  it("malformed HELLO (libzmq's four cases, plus trailing data) is MALFORMED_COMMAND_HELLO and never asks the hook", () => {
    const cases: [string, Uint8Array][] = [
      ["no username length", bytes()],
      ["username runs past the end", bytes(5, ...utf8("adm"))],
      ["no password length", bytes(1, 0x61)],
      ["password runs past the end", bytes(1, 0x61, 4, 0x62)],
      ["extraneous data after the password", bytes(1, 0x61, 1, 0x62, 0x63)],
    ]
    for (const [what, data] of cases) {
      assert.throws(helloTo(data), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_HELLO, what)
    }
  })

  it("misspelt or out-of-order commands are UNEXPECTED_COMMAND", () => {
    assert.throws(() => new PlainServer(mechanismOptions({ env: testEnv() })).receive({ name: "HELLX", data: bytes(0, 0) }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
    assert.throws(() => new PlainServer(mechanismOptions({ env: testEnv() })).receive({ name: "INITIATE", data: bytes() }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
    assert.throws(() => new PlainServer(mechanismOptions({ env: testEnv() })).receive({ name: "ERROR", data: bytes(0) }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
    const c = new PlainClient("a", "b", mechanismOptions({ env: testEnv() }))
    c.start()
    assert.throws(() => c.receive({ name: "READY", data: bytes() }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
    const c2 = new PlainClient("a", "b", mechanismOptions({ env: testEnv() }))
    c2.start()
    assert.throws(() => c2.receive({ name: "WELCOMX", data: bytes() }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
  })

  it("a server waiting for its hook's answer refuses any command", () => {
    const server = new PlainServer(mechanismOptions({ env: testEnv() }))
    server.receive({ name: "HELLO", data: bytes(0, 0) })
    assert.throws(() => server.receive({ name: "INITIATE", data: bytes() }), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
  })

  it("WELCOME with data is MALFORMED_COMMAND_WELCOME", () => {
    const c = new PlainClient("a", "b", mechanismOptions({ env: testEnv() }))
    c.start()
    assert.throws(() => c.receive({ name: "WELCOME", data: bytes(0) }), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_WELCOME)
  })

  it("bad metadata in INITIATE or READY is INVALID_METADATA", () => {
    const server = new PlainServer(mechanismOptions({ env: testEnv() }))
    server.receive({ name: "HELLO", data: bytes(0, 0) })
    server.authReply({ status: 200 })
    assert.throws(() => server.receive({ name: "INITIATE", data: bytes(3, 0x41) }), (e) => codeOf(e) === ErrorCode.INVALID_METADATA)
    const c = new PlainClient("a", "b", mechanismOptions({ env: testEnv() }))
    c.start()
    c.receive({ name: "WELCOME", data: bytes() })
    assert.throws(() => c.receive({ name: "READY", data: bytes(0) }), (e) => codeOf(e) === ErrorCode.INVALID_METADATA)
  })

  it("createMechanism picks PlainClient / PlainServer by role", () => {
    const env = testEnv()
    assert.ok(createMechanism({ mechanism: "PLAIN", asServer: false, plainUsername: "a", plainPassword: "b" }, mechanismOptions({ env })) instanceof PlainClient)
    assert.ok(createMechanism({ mechanism: "PLAIN", asServer: true }, mechanismOptions({ env })) instanceof PlainServer)
  })

  it("encode and decode return the very same frame object", () => {
    const server = new PlainServer(mechanismOptions({ env: testEnv() }))
    const frame = { more: false, command: false, body: bytes(9) }
    assert.equal(server.encode(frame), frame)
    assert.equal(server.decode(frame), frame)
  })
})
