/**
 * CURVE (RFC 25, RFC 26): the handshake between CurveClient and CurveServer, exact sizes,
 * determinism, secrets, and every refusal, including our own ports of the failure cases in
 * libzmq tests/test_security_curve.cpp.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { generateKeyPair } from "../../src/crypto/index.js"
import { AuthError, ErrorCode } from "../../src/errors.js"
import { CurveClient } from "../../src/mechanism/curve-client.js"
import { CurveServer } from "../../src/mechanism/curve-server.js"
import { createMechanism } from "../../src/mechanism/index.js"
import type { AuthRequest, MechanismOutput } from "../../src/mechanism/mechanism.js"
import { decodeCommand, encodeCommand } from "../../src/wire/command.js"
import { encodeMetadata, getProperty, makeMetadata } from "../../src/wire/metadata.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../vectors/z85.js"
import {
  craftHello,
  craftInitiate,
  craftReady,
  craftWelcome,
  craftedClient,
  openReady,
  openWelcome,
  shortNonce,
} from "./curve-craft.js"
import { bytes, codeOf, hex, mechanismOptions, pump, testEnv, utf8, type TestEnv } from "./pump.js"

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b)
const CLIENT = { publicKey: LIBZMQ_CLIENT_KEYS.publicKey, secretKey: LIBZMQ_CLIENT_KEYS.secretKey }
const SERVER = { publicKey: LIBZMQ_SERVER_KEYS.publicKey, secretKey: LIBZMQ_SERVER_KEYS.secretKey }
const ZERO_KEY = new Uint8Array(32)

interface PairOptions {
  client?: { publicKey: Uint8Array; secretKey: Uint8Array }
  serverKey?: Uint8Array
  authenticate?: boolean
  clientEnv?: TestEnv
  serverEnv?: TestEnv
}

function pair(o: PairOptions = {}) {
  const clientEnv = o.clientEnv ?? testEnv(11)
  const serverEnv = o.serverEnv ?? testEnv(22)
  const keys = o.client ?? CLIENT
  const client = new CurveClient(
    { publicKey: keys.publicKey, secretKey: keys.secretKey, serverKey: o.serverKey ?? SERVER.publicKey },
    mechanismOptions({ env: clientEnv, metadata: makeMetadata({ "Socket-Type": "DEALER", Identity: "client-1" }) }),
  )
  const server = new CurveServer(
    { secretKey: SERVER.secretKey, publicKey: SERVER.publicKey },
    mechanismOptions({ env: serverEnv, metadata: makeMetadata({ "Socket-Type": "ROUTER", "X-Hello": "world" }), authenticate: o.authenticate ?? true }),
  )
  return { client, server, clientEnv, serverEnv }
}

/** libzmq test_security_curve.cpp's ZAP handler: only the valid client key gets 200. */
const zapHandler = (req: AuthRequest) =>
  hex(req.credentials[0] ?? bytes()) === hex(CLIENT.publicKey) ? { status: 200, userId: "anonymous" } : { status: 400 }

/** A server that has answered one HELLO from `client` (crafted), and the WELCOME it sent. */
function serverAfterHello(o: { helloNonce?: bigint; env?: TestEnv; authenticate?: boolean } = {}) {
  const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: o.env ?? testEnv(5), authenticate: o.authenticate ?? true }))
  const client = craftedClient()
  const out = server.receive(craftHello(client, SERVER.publicKey, { nonce: o.helloNonce ?? 1n }))
  const welcome = out[0]
  assert.ok(welcome?.type === "command" && welcome.command.name === "WELCOME")
  openWelcome(client, SERVER.publicKey, welcome.command.data)
  return { server, client }
}

function throwsCode(fn: () => unknown, code: string, message?: string): void {
  assert.throws(fn, (e) => codeOf(e) === code, message)
}

describe("CURVE handshake", () => {
  it("reaches ready on both sides with libzmq's test keys; each side learns the other's long-term key", () => {
    const { client, server } = pair()
    const r = pump(client, server, { authenticate: zapHandler })
    assert.ok(r.client.ready && r.server.ready)
    assert.ok(client.isReady && server.isReady)
    assert.equal(hex(r.server.ready.peerPublicKey ?? bytes()), hex(CLIENT.publicKey))
    assert.equal(hex(r.client.ready.peerPublicKey ?? bytes()), hex(SERVER.publicKey))
    assert.equal(r.server.ready.userId, "anonymous")
    assert.equal(text(getProperty(r.server.ready.peerMetadata, "identity")), "client-1")
    assert.equal(text(getProperty(r.client.ready.peerMetadata, "X-Hello")), "world")
    assert.equal(r.authRequests.length, 1)
    const req = r.authRequests[0] as AuthRequest
    assert.equal(req.mechanism, "CURVE")
    assert.equal(req.credentials.length, 1)
    assert.equal(req.credentials[0]?.length, 32)
    assert.equal(text(req.routingId), "client-1")
  })

  it("commands have RFC 26's exact sizes: HELLO 200, WELCOME 168, INITIATE 257 + metadata, READY 30 + metadata", () => {
    const { client, server } = pair()
    const r = pump(client, server)
    const names = r.transcript.map((t) => decodeCommand(t.body).name)
    assert.deepEqual(names, ["HELLO", "WELCOME", "INITIATE", "READY"])
    const sizes = r.transcript.map((t) => t.body.length)
    const clientMd = encodeMetadata(makeMetadata({ "Socket-Type": "DEALER", Identity: "client-1" })).length
    const serverMd = encodeMetadata(makeMetadata({ "Socket-Type": "ROUTER", "X-Hello": "world" })).length
    assert.deepEqual(sizes, [200, 168, 257 + clientMd, 30 + serverMd])
    const hello = r.transcript[0]?.body ?? bytes()
    assert.equal(hex(hello.subarray(0, 8)), "05" + hex(utf8("HELLO")) + "0100", "name and version 1.0")
    assert.equal(hex(hello.subarray(8, 80)), "00".repeat(72), "anti-amplification padding")
    assert.equal(hex(hello.subarray(112, 120)), "0000000000000001", "the client's first short nonce is 1")
    const initiate = r.transcript[2]?.body ?? bytes()
    assert.equal(hex(initiate.subarray(105, 113)), "0000000000000002")
    const ready = r.transcript[3]?.body ?? bytes()
    assert.equal(hex(ready.subarray(6, 14)), "0000000000000001", "the server's first short nonce is 1")
  })

  it("is deterministic with a fixed environment: the same bytes twice, other bytes with another seed", () => {
    const run = (seed: number) => {
      const { client, server } = pair({ clientEnv: testEnv(seed), serverEnv: testEnv(seed + 1) })
      return pump(client, server).transcript.map((t) => hex(t.body))
    }
    assert.deepEqual(run(7), run(7))
    assert.notDeepEqual(run(7), run(8))
  })

  it("traffic flows both ways; nonces continue from the handshake (client 3, server 2), as libzmq", () => {
    const { client, server } = pair()
    pump(client, server)
    const up = client.encode({ more: true, command: false, body: utf8("ping") })
    assert.equal(hex(up.body.subarray(8, 16)), "0000000000000003")
    assert.equal(up.command, false)
    const got = server.decode(up)
    assert.deepEqual({ more: got.more, command: got.command, body: text(got.body) }, { more: true, command: false, body: "ping" })
    const down = server.encode({ more: false, command: true, body: encodeCommand("PING", bytes(0, 0)) })
    assert.equal(hex(down.body.subarray(8, 16)), "0000000000000002")
    const back = client.decode(down)
    assert.equal(back.command, true)
    assert.equal(decodeCommand(back.body).name, "PING")
  })

  it("without `authenticate` the server accepts any client with a valid vouch and asks nobody (libzmq Stonehouse)", () => {
    const stranger = generateKeyPair()
    const { client, server } = pair({ client: stranger, authenticate: false })
    const r = pump(client, server, { authenticate: () => assert.fail("must not be asked") })
    assert.ok(r.client.ready && r.server.ready)
    assert.equal(r.server.ready.userId, "")
    assert.equal(hex(r.server.ready.peerPublicKey ?? bytes()), hex(stranger.publicKey))
  })

  it("createMechanism builds both roles, deriving the server's public key when it is not given", () => {
    const env = testEnv()
    const server = createMechanism({ mechanism: "CURVE", asServer: true, curveSecretKey: SERVER.secretKey }, mechanismOptions({ env }))
    const client = createMechanism(
      { mechanism: "CURVE", asServer: false, curvePublicKey: CLIENT.publicKey, curveSecretKey: CLIENT.secretKey, curveServerKey: SERVER.publicKey },
      mechanismOptions({ env: testEnv(3) }),
    )
    const r = pump(client, server)
    assert.ok(r.client.ready && r.server.ready)
  })
})

describe("CURVE secrets", () => {
  it("ephemeral secrets and the cookie key are wiped once used; the caller's key buffers are untouched", () => {
    const callerSecret = CLIENT.secretKey.slice()
    const clientEnv = testEnv(31)
    const serverEnv = testEnv(32)
    const client = new CurveClient({ ...CLIENT, secretKey: callerSecret, serverKey: SERVER.publicKey }, mechanismOptions({ env: clientEnv }))
    const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: serverEnv }))
    const r = pump(client, server)
    assert.ok(r.client.ready && r.server.ready)
    // client draws: c' (32), vouch nonce (16); server draws: s' (32), K (32), cookie nonce, welcome nonce
    assert.equal(hex(clientEnv.issued[0] ?? bytes(1)), "00".repeat(32), "c' wiped")
    assert.equal(hex(serverEnv.issued[0] ?? bytes(1)), "00".repeat(32), "s' wiped")
    assert.equal(hex(serverEnv.issued[1] ?? bytes(1)), "00".repeat(32), "cookie key wiped")
    assert.equal(hex(callerSecret), hex(CLIENT.secretKey), "the application's own key is not ours to wipe")
  })

  it("a failure wipes the secrets too", () => {
    const clientEnv = testEnv(41)
    const client = new CurveClient({ ...CLIENT, serverKey: SERVER.publicKey }, mechanismOptions({ env: clientEnv }))
    client.start()
    throwsCode(() => client.receive({ name: "WELCOME", data: new Uint8Array(160) }), ErrorCode.CRYPTOGRAPHIC)
    assert.equal(hex(clientEnv.issued[0] ?? bytes(1)), "00".repeat(32))
  })

  it("inspect shows no key material, before, during and after the handshake", () => {
    const { client, server } = pair()
    const secrets = [hex(CLIENT.secretKey), hex(SERVER.secretKey)]
    const shows = () => inspect(client, { showHidden: true, depth: 20 }) + inspect(server, { showHidden: true, depth: 20 })
    const bad = (s: string) => secrets.some((x) => s.includes(x)) || /Uint8Array|[0-9a-f]{64}/.test(s)
    assert.ok(!bad(shows()))
    pump(client, server)
    assert.ok(!bad(shows()))
    assert.match(inspect(client), /CurveClient \{ state: READY \}/)
  })

  it("destroy() wipes everything and makes the mechanism unusable", () => {
    const { client, clientEnv } = pair({ clientEnv: testEnv(51) })
    client.start()
    client.destroy()
    assert.equal(hex(clientEnv.issued[0] ?? bytes(1)), "00".repeat(32))
    const p = pair()
    pump(p.client, p.server)
    p.server.destroy()
    assert.equal(p.server.isReady, false)
    throwsCode(() => p.server.decode(p.client.encode({ more: false, command: false, body: bytes(1) })), ErrorCode.UNEXPECTED_COMMAND)
    assert.throws(() => p.server.encode({ more: false, command: false, body: bytes(1) }), Error)
  })

  it("key arguments of the wrong size are RangeErrors naming the option, never the key", () => {
    const env = testEnv()
    const long = new Uint8Array(33).fill(0xab)
    assert.throws(
      () => createMechanism({ mechanism: "CURVE", asServer: false, curvePublicKey: CLIENT.publicKey, curveSecretKey: long, curveServerKey: SERVER.publicKey }, mechanismOptions({ env })),
      (e) => e instanceof RangeError && /curveSecretKey of length 32, got length 33/.test(e.message) && !/ab/i.test(e.message.replace(/[a-z ]/gi, "")),
    )
    assert.throws(() => createMechanism({ mechanism: "CURVE", asServer: false, curveSecretKey: CLIENT.secretKey, curveServerKey: SERVER.publicKey }, mechanismOptions({ env })), TypeError)
    assert.throws(() => createMechanism({ mechanism: "CURVE", asServer: true }, mechanismOptions({ env })), TypeError)
    assert.throws(() => new CurveServer({ secretKey: "x" as unknown as Uint8Array }, mechanismOptions({ env })), TypeError)
  })
})

describe("CURVE: libzmq tests/test_security_curve.cpp, ported", () => {
  it("test_curve_security_with_bogus_client_credentials: unknown client key denied by the hook with 400", () => {
    const { client, server } = pair({ client: generateKeyPair() })
    const r = pump(client, server, { authenticate: zapHandler })
    assert.equal(r.server.failed instanceof AuthError && r.server.failed.status, 400)
    assert.equal(r.client.failed instanceof AuthError && r.client.failed.status, 400)
    assert.equal(hex(r.transcript.at(-1)?.body ?? bytes()), "05" + hex(utf8("ERROR")) + "03" + hex(utf8("400")), "ERROR travels in clear")
  })

  it("test_curve_security_with_{null,plain}_client_credentials: a PLAIN HELLO or a NULL READY fails without asking the hook", () => {
    // The engine refuses these from the greeting (MECHANISM_MISMATCH); the server must fail anyway.
    const plainHello = { name: "HELLO", data: bytes(5, ...utf8("admin"), 8, ...utf8("password")) }
    const s1 = serverAfterHello().server
    const fresh = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    let outputs: MechanismOutput[] = []
    throwsCode(() => (outputs = fresh.receive(plainHello)), ErrorCode.MALFORMED_COMMAND_HELLO)
    assert.equal(outputs.length, 0)
    const fresh2 = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => fresh2.receive({ name: "READY", data: encodeMetadata(makeMetadata({ "Socket-Type": "DEALER" })) }), ErrorCode.UNEXPECTED_COMMAND)
    throwsCode(() => s1.receive(plainHello), ErrorCode.UNEXPECTED_COMMAND)
  })

  it("test_curve_security_invalid_hello_wrong_length: \"\\x05HELLO\" alone is MALFORMED_COMMAND_HELLO", () => {
    const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server.receive(decodeCommand(bytes(5, ...utf8("HELLO")))), ErrorCode.MALFORMED_COMMAND_HELLO)
    const longer = craftHello(craftedClient(), SERVER.publicKey)
    const server2 = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server2.receive({ name: "HELLO", data: Uint8Array.from([...longer.data, 0]) }), ErrorCode.MALFORMED_COMMAND_HELLO)
  })

  it("test_curve_security_invalid_hello_command_name: hello[5] = 'X' is UNEXPECTED_COMMAND", () => {
    const body = encodeCommand("HELLO", craftHello(craftedClient(), SERVER.publicKey, { nonce: 0n }).data)
    body[5] = 0x58
    const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server.receive(decodeCommand(body)), ErrorCode.UNEXPECTED_COMMAND)
  })

  it("test_curve_security_invalid_hello_version: hello[6] = 2 is MALFORMED_COMMAND_HELLO", () => {
    const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server.receive(craftHello(craftedClient(), SERVER.publicKey, { nonce: 0n, version: [2, 0] })), ErrorCode.MALFORMED_COMMAND_HELLO)
    const server2 = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server2.receive(craftHello(craftedClient(), SERVER.publicKey, { version: [1, 1] })), ErrorCode.MALFORMED_COMMAND_HELLO)
  })

  it("libzmq's test client numbers HELLO 0 and INITIATE 1: accepted", () => {
    const { server, client } = serverAfterHello({ helloNonce: 0n })
    const out = server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { nonce: 1n }))
    assert.equal(out[0]?.type, "authenticate")
  })

  it("test_curve_security_invalid_initiate_wrong_length: \"\\x08INITIATE\" alone is MALFORMED_COMMAND_INITIATE", () => {
    const { server } = serverAfterHello()
    throwsCode(() => server.receive(decodeCommand(bytes(8, ...utf8("INITIATE")))), ErrorCode.MALFORMED_COMMAND_INITIATE)
    const { server: s2, client: c2 } = serverAfterHello()
    const ok = craftInitiate(c2, { ...CLIENT, serverKey: SERVER.publicKey }, { rawMetadata: bytes() })
    throwsCode(() => s2.receive({ name: "INITIATE", data: ok.data.subarray(0, ok.data.length - 1) }), ErrorCode.MALFORMED_COMMAND_INITIATE, "256 octets")
  })

  it("test_curve_security_invalid_initiate_command_name: initiate[5] = 'X' is UNEXPECTED_COMMAND", () => {
    const { server, client } = serverAfterHello()
    const body = encodeCommand("INITIATE", craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { rawMetadata: bytes() }).data)
    body[5] = 0x58
    throwsCode(() => server.receive(decodeCommand(body)), ErrorCode.UNEXPECTED_COMMAND)
  })

  it("test_curve_security_invalid_initiate_command_encrypted_cookie: initiate[30] garbled is CRYPTOGRAPHIC", () => {
    const { server, client } = serverAfterHello()
    const body = encodeCommand("INITIATE", craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { rawMetadata: bytes() }).data)
    body[30] = body[30] === 0 ? 1 : 0
    throwsCode(() => server.receive(decodeCommand(body)), ErrorCode.CRYPTOGRAPHIC)
  })

  it("test_curve_security_invalid_initiate_command_encrypted_content: initiate[150] garbled is CRYPTOGRAPHIC, no hook asked", () => {
    const { server, client } = serverAfterHello()
    const body = encodeCommand("INITIATE", craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { rawMetadata: bytes() }).data)
    body[150] = body[150] === 0 ? 1 : 0
    let out: MechanismOutput[] = []
    throwsCode(() => (out = server.receive(decodeCommand(body))), ErrorCode.CRYPTOGRAPHIC)
    assert.equal(out.length, 0)
  })

  it("test_null_server_key: a client configured with an all-zero server key refuses to start (KEY_EXCHANGE)", () => {
    const { client } = pair({ serverKey: ZERO_KEY })
    throwsCode(() => client.start(), ErrorCode.KEY_EXCHANGE)
  })

  it("a client that boxes HELLO to another server key: CRYPTOGRAPHIC at the server", () => {
    const other = generateKeyPair()
    const { client, server } = pair({ serverKey: other.publicKey })
    const r = pump(client, server)
    assert.equal(codeOf(r.server.thrown), ErrorCode.CRYPTOGRAPHIC)
    assert.equal(r.authRequests.length, 0)
  })

  it("test_null_client_public_key: C = 0 is refused by the server (KEY_EXCHANGE) before the hook", () => {
    const { client, server } = pair({ client: { publicKey: ZERO_KEY, secretKey: CLIENT.secretKey } })
    const r = pump(client, server, { authenticate: zapHandler })
    assert.equal(codeOf(r.server.thrown), ErrorCode.KEY_EXCHANGE)
    assert.equal(r.authRequests.length, 0)
  })

  it("test_null_client_secret_key: c = 0 gives a vouch that does not open under C (CRYPTOGRAPHIC) before the hook", () => {
    const { client, server } = pair({ client: { publicKey: CLIENT.publicKey, secretKey: ZERO_KEY } })
    const r = pump(client, server, { authenticate: zapHandler })
    assert.equal(codeOf(r.server.thrown), ErrorCode.CRYPTOGRAPHIC)
    assert.equal(r.authRequests.length, 0)
  })
})

describe("CURVE server: HELLO and INITIATE checks", () => {
  it("non-zero anti-amplification padding is MALFORMED_COMMAND_HELLO", () => {
    const hello = craftHello(craftedClient(), SERVER.publicKey)
    hello.data[40] = 1
    const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server.receive(hello), ErrorCode.MALFORMED_COMMAND_HELLO)
  })

  it("an all-zero client transient key C' is KEY_EXCHANGE", () => {
    const hello = craftHello(craftedClient(), SERVER.publicKey)
    hello.data.fill(0, 74, 106)
    const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server.receive(hello), ErrorCode.KEY_EXCHANGE)
  })

  it("a signature box that opens but does not hold 64 zeros is CRYPTOGRAPHIC", async () => {
    const { boxSeal } = await import("../../src/crypto/index.js")
    const c = craftedClient()
    const hello = craftHello(c, SERVER.publicKey)
    const n = hello.data.subarray(106, 114)
    const box = boxSeal(new Uint8Array(64).fill(1), Uint8Array.from([...utf8("CurveZMQHELLO---"), ...n]), SERVER.publicKey, c.transientSecret)
    hello.data.set(box, 114)
    const server = new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => server.receive(hello), ErrorCode.CRYPTOGRAPHIC)
  })

  it("a vouch naming another C' is KEY_EXCHANGE", () => {
    const { server, client } = serverAfterHello()
    throwsCode(
      () => server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { vouchTransient: generateKeyPair().publicKey })),
      ErrorCode.KEY_EXCHANGE,
    )
  })

  it("a vouch naming another server S is KEY_EXCHANGE", () => {
    const { server, client } = serverAfterHello()
    throwsCode(
      () => server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { vouchServerKey: generateKeyPair().publicKey })),
      ErrorCode.KEY_EXCHANGE,
    )
  })

  it("claiming another client's key C (vouch signed by our own c) is CRYPTOGRAPHIC", () => {
    const { server, client } = serverAfterHello()
    throwsCode(
      () => server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { claimedPublicKey: generateKeyPair().publicKey })),
      ErrorCode.CRYPTOGRAPHIC,
    )
  })

  it("a cookie from another connection is CRYPTOGRAPHIC", () => {
    const a = serverAfterHello({ env: testEnv(1) })
    const b = serverAfterHello({ env: testEnv(2) })
    throwsCode(() => a.server.receive(craftInitiate(a.client, { ...CLIENT, serverKey: SERVER.publicKey }, { cookie: b.client.cookie })), ErrorCode.CRYPTOGRAPHIC)
  })

  it("the cookie key lives 60 s: INITIATE at 60 000 ms passes, at 60 001 ms is CRYPTOGRAPHIC", () => {
    const env1 = testEnv(9)
    const ok = serverAfterHello({ env: env1 })
    env1.clock += 60_000
    assert.equal(ok.server.receive(craftInitiate(ok.client, { ...CLIENT, serverKey: SERVER.publicKey }))[0]?.type, "authenticate")
    const env2 = testEnv(9)
    const late = serverAfterHello({ env: env2 })
    env2.clock += 60_001
    throwsCode(() => late.server.receive(craftInitiate(late.client, { ...CLIENT, serverKey: SERVER.publicKey })), ErrorCode.CRYPTOGRAPHIC)
  })

  it("an INITIATE short nonce not above HELLO's is INVALID_SEQUENCE", () => {
    for (const n of [5n, 4n, 0n]) {
      const { server, client } = serverAfterHello({ helloNonce: 5n })
      throwsCode(() => server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { nonce: n })), ErrorCode.INVALID_SEQUENCE, String(n))
    }
  })

  it("INITIATE metadata that does not parse is INVALID_METADATA, and the hook is not asked", () => {
    const { server, client } = serverAfterHello()
    let out: MechanismOutput[] = []
    throwsCode(() => (out = server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }, { rawMetadata: bytes(0) }))), ErrorCode.INVALID_METADATA)
    assert.equal(out.length, 0)
  })

  it("the READY it sends opens under the transient keys and carries its metadata", () => {
    const { server, client } = serverAfterHello()
    server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }))
    const out = server.authReply({ status: 200, userId: "u" })
    const ready = out[0]
    assert.ok(ready?.type === "command" && ready.command.name === "READY")
    const md = openReady(client, ready.command.data)
    assert.ok(md !== undefined)
    assert.equal(hex(md), hex(encodeMetadata(makeMetadata({ "Socket-Type": "DEALER" }))))
    assert.equal(out[1]?.type === "ready" && out[1].userId, "u")
  })

  it("a command out of order, or ERROR from a client, is UNEXPECTED_COMMAND", () => {
    const fresh = () => new CurveServer({ secretKey: SERVER.secretKey }, mechanismOptions({ env: testEnv() }))
    throwsCode(() => fresh().receive({ name: "INITIATE", data: new Uint8Array(300) }), ErrorCode.UNEXPECTED_COMMAND)
    throwsCode(() => fresh().receive({ name: "ERROR", data: bytes(3, ...utf8("400")) }), ErrorCode.UNEXPECTED_COMMAND)
    const { server } = serverAfterHello()
    throwsCode(() => server.receive(craftHello(craftedClient(), SERVER.publicKey)), ErrorCode.UNEXPECTED_COMMAND)
    const waiting = serverAfterHello()
    waiting.server.receive(craftInitiate(waiting.client, { ...CLIENT, serverKey: SERVER.publicKey }))
    throwsCode(() => waiting.server.receive({ name: "INITIATE", data: new Uint8Array(300) }), ErrorCode.UNEXPECTED_COMMAND)
  })

  it("refusals: 300 sends nothing, 500 sends ERROR \"500\", an invalid status is ZAP_INVALID_STATUS_CODE", () => {
    for (const [status, sent] of [
      [300, []],
      [500, ["ERROR"]],
    ] as const) {
      const { server, client } = serverAfterHello()
      server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }))
      const out = server.authReply({ status })
      assert.deepEqual(out.filter((o) => o.type === "command").map((o) => (o.type === "command" ? o.command.name : "")), sent)
      const failed = out.at(-1)
      assert.ok(failed?.type === "failed" && failed.error instanceof AuthError && failed.error.status === status)
      assert.equal(server.isReady, false)
    }
    const { server, client } = serverAfterHello()
    server.receive(craftInitiate(client, { ...CLIENT, serverKey: SERVER.publicKey }))
    throwsCode(() => server.authReply({ status: 250 }), ErrorCode.ZAP_INVALID_STATUS_CODE)
  })
})

describe("CURVE client: WELCOME, READY and ERROR checks", () => {
  function clientAwaitingWelcome(env = testEnv(61)) {
    const client = new CurveClient({ ...CLIENT, serverKey: SERVER.publicKey }, mechanismOptions({ env }))
    const out = client.start()
    const hello = out[0]
    assert.ok(hello?.type === "command")
    return { client, hello: hello.command }
  }

  function clientAwaitingReady() {
    const { client, hello } = clientAwaitingWelcome()
    const w = craftWelcome(SERVER.secretKey, hello.data)
    const out = client.receive({ name: "WELCOME", data: w.data })
    assert.equal(out[0]?.type === "command" && out[0].command.name, "INITIATE")
    return { client, server: w.server }
  }

  it("a WELCOME of the wrong size is MALFORMED_COMMAND_WELCOME", () => {
    throwsCode(() => clientAwaitingWelcome().client.receive({ name: "WELCOME", data: new Uint8Array(159) }), ErrorCode.MALFORMED_COMMAND_WELCOME)
    throwsCode(() => clientAwaitingWelcome().client.receive({ name: "WELCOME", data: new Uint8Array(161) }), ErrorCode.MALFORMED_COMMAND_WELCOME)
  })

  it("a WELCOME from an impostor (not boxed by S) is CRYPTOGRAPHIC", () => {
    const { client, hello } = clientAwaitingWelcome()
    throwsCode(() => client.receive({ name: "WELCOME", data: craftWelcome(generateKeyPair().secretKey, hello.data).data }), ErrorCode.CRYPTOGRAPHIC)
  })

  it("a WELCOME whose S' is all-zero is KEY_EXCHANGE", () => {
    const { client, hello } = clientAwaitingWelcome()
    throwsCode(() => client.receive({ name: "WELCOME", data: craftWelcome(SERVER.secretKey, hello.data, { serverTransient: ZERO_KEY }).data }), ErrorCode.KEY_EXCHANGE)
  })

  it("a READY under 30 octets is MALFORMED_COMMAND_READY", () => {
    throwsCode(() => clientAwaitingReady().client.receive({ name: "READY", data: new Uint8Array(23) }), ErrorCode.MALFORMED_COMMAND_READY)
  })

  it("a READY whose metadata does not parse is INVALID_METADATA; a valid one makes the client ready", () => {
    const a = clientAwaitingReady()
    throwsCode(() => a.client.receive({ name: "READY", data: craftReady(a.server, bytes(1, 0x41)) }), ErrorCode.INVALID_METADATA)
    const b = clientAwaitingReady()
    const out = b.client.receive({ name: "READY", data: craftReady(b.server, encodeMetadata(makeMetadata({ "Socket-Type": "ROUTER" })), 77n) })
    assert.equal(out[0]?.type, "ready")
  })

  it("a READY under the wrong keys is CRYPTOGRAPHIC", () => {
    const a = clientAwaitingReady()
    const b = clientAwaitingReady()
    throwsCode(() => a.client.receive({ name: "READY", data: craftReady({ ...b.server, transientSecret: generateKeyPair().secretKey }, bytes()) }), ErrorCode.CRYPTOGRAPHIC)
  })

  it("ERROR while waiting for WELCOME or READY fails with AuthError; malformed ERROR is MALFORMED_COMMAND_ERROR", () => {
    const out = clientAwaitingWelcome().client.receive({ name: "ERROR", data: bytes(3, ...utf8("400")) })
    assert.ok(out[0]?.type === "failed" && out[0].error instanceof AuthError && out[0].error.status === 400)
    const out2 = clientAwaitingReady().client.receive({ name: "ERROR", data: bytes(3, ...utf8("500")) })
    assert.ok(out2[0]?.type === "failed" && out2[0].error instanceof AuthError && out2[0].error.status === 500)
    throwsCode(() => clientAwaitingWelcome().client.receive({ name: "ERROR", data: bytes(4, 0x34) }), ErrorCode.MALFORMED_COMMAND_ERROR)
  })

  it("commands out of order are UNEXPECTED_COMMAND; MESSAGE before READY likewise", () => {
    throwsCode(() => clientAwaitingWelcome().client.receive({ name: "READY", data: new Uint8Array(40) }), ErrorCode.UNEXPECTED_COMMAND)
    throwsCode(() => clientAwaitingReady().client.receive({ name: "WELCOME", data: new Uint8Array(160) }), ErrorCode.UNEXPECTED_COMMAND)
    throwsCode(() => clientAwaitingWelcome().client.receive({ name: "HELLO", data: new Uint8Array(194) }), ErrorCode.UNEXPECTED_COMMAND)
    throwsCode(() => clientAwaitingReady().client.decode({ more: false, command: false, body: new Uint8Array(40) }), ErrorCode.UNEXPECTED_COMMAND)
  })

  it("the vouch in INITIATE names our C' and S, and the INITIATE box carries C and our metadata", async () => {
    const { boxOpen } = await import("../../src/crypto/index.js")
    const env = testEnv(71)
    const client = new CurveClient({ ...CLIENT, serverKey: SERVER.publicKey }, mechanismOptions({ env }))
    const hello = client.start()[0]
    assert.ok(hello?.type === "command")
    const clientTransient = hello.command.data.slice(74, 106)
    const w = craftWelcome(SERVER.secretKey, hello.command.data)
    const init = client.receive({ name: "WELCOME", data: w.data })[0]
    assert.ok(init?.type === "command")
    const data = init.command.data
    assert.equal(hex(data.subarray(0, 96)), hex(new Uint8Array(96).fill(0x5a)), "the cookie is echoed")
    const plain = boxOpen(
      data.subarray(104),
      Uint8Array.from([...utf8("CurveZMQINITIATE"), ...data.subarray(96, 104)]),
      clientTransient,
      w.server.transientSecret,
    )
    assert.ok(plain !== undefined)
    assert.equal(hex(plain.subarray(0, 32)), hex(CLIENT.publicKey))
    const vouch = boxOpen(plain.subarray(48, 128), Uint8Array.from([...utf8("VOUCH---"), ...plain.subarray(32, 48)]), CLIENT.publicKey, w.server.transientSecret)
    assert.ok(vouch !== undefined)
    assert.equal(hex(vouch), hex(clientTransient) + hex(SERVER.publicKey))
    assert.equal(hex(plain.subarray(128)), hex(encodeMetadata(makeMetadata({ "Socket-Type": "DEALER" }))))
    assert.equal(hex(shortNonce(2n)), hex(data.subarray(96, 104)))
  })
})
