import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import {
  decodeZapReply,
  decodeZapRequest,
  encodeZapReply,
  encodeZapRequest,
  splitZapEnvelope,
  type ZapReply,
  type ZapRequest,
} from "../../src/auth/zap.js"
import { answerZapRequest } from "../../src/auth/zap-handler.js"
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import type { AuthRequest } from "../../src/mechanism/mechanism.js"
import { encodeMetadata, makeMetadata } from "../../src/wire/metadata.js"

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array): string => new TextDecoder().decode(b)
const EMPTY = new Uint8Array(0)
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1)

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${String(error)}`)
    assert.equal(error.code, code)
    return true
  })
}

/** A request as libzmq's zap_client.cpp sends it: delimiter, "1.0", id "1", domain, address, routing id, mechanism, credentials. */
const libzmqCurveRequest = (): Uint8Array[] => [EMPTY, text("1.0"), text("1"), text("global"), text("127.0.0.1"), text("client-id"), text("CURVE"), KEY]

const reply = (over: Partial<ZapReply> = {}): ZapReply => ({
  requestId: text("1"),
  status: 200,
  statusText: "OK",
  userId: "joe",
  metadata: new Map(),
  ...over,
})

describe("ZAP request codec (RFC 27)", () => {
  it("decodes the frames libzmq sends, with the leading empty delimiter", () => {
    const request = decodeZapRequest(libzmqCurveRequest())
    assert.equal(str(request.requestId), "1")
    assert.equal(request.domain, "global")
    assert.equal(request.address, "127.0.0.1")
    assert.equal(str(request.identity), "client-id")
    assert.equal(request.mechanism, "CURVE")
    assert.deepEqual(request.credentials, [KEY])
  })

  it("decodes the same request without the delimiter (as read from a REP socket)", () => {
    assert.deepEqual(decodeZapRequest(libzmqCurveRequest().slice(1)), decodeZapRequest(libzmqCurveRequest()))
  })

  it("encodes with the delimiter by default and without it for REQ sockets", () => {
    const request: ZapRequest = { requestId: text("0001"), domain: "test", address: "192.168.55.1", identity: text("BOB"), mechanism: "PLAIN", credentials: [text("admin"), text("secret")] }
    const wire = encodeZapRequest(request)
    assert.deepEqual(wire.map(str), ["", "1.0", "0001", "test", "192.168.55.1", "BOB", "PLAIN", "admin", "secret"])
    assert.deepEqual(encodeZapRequest(request, { delimiter: false }), wire.slice(1))
    assert.deepEqual(decodeZapRequest(wire), request)
  })

  it("round-trips any valid request (property)", () => {
    const short = fc.string({ maxLength: 40 })
    const blob = fc.uint8Array({ maxLength: 40 })
    const request = fc.oneof(
      fc.record({ mechanism: fc.constant("NULL"), credentials: fc.constant([] as Uint8Array[]) }),
      fc.record({ mechanism: fc.constant("PLAIN"), credentials: fc.tuple(blob, blob).map((t) => [...t]) }),
      fc.record({ mechanism: fc.constant("CURVE"), credentials: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => [k]) }),
      fc.record({ mechanism: fc.constant("GSSAPI"), credentials: fc.array(blob, { maxLength: 3 }) }),
    )
    fc.assert(
      fc.property(blob, short, short, blob, request, fc.boolean(), (requestId, domain, address, identity, rest, delimiter) => {
        const value: ZapRequest = { requestId, domain, address, identity, ...rest }
        assert.deepEqual(decodeZapRequest(encodeZapRequest(value, { delimiter })), value)
      }),
      { numRuns: 200 },
    )
  })

  it("ZAP_BAD_VERSION: a request whose version is not 1.0", () => {
    const frames = libzmqCurveRequest()
    frames[1] = text("2.0")
    throwsCode(() => decodeZapRequest(frames), ErrorCode.ZAP_BAD_VERSION)
  })

  it("ZAP_MALFORMED_REQUEST: too few frames, empty mechanism, wrong credentials, over-long fields", () => {
    const base = libzmqCurveRequest()
    const variants: Uint8Array[][] = [
      [],
      [EMPTY],
      base.slice(0, 6),
      [...base.slice(0, 6), EMPTY, KEY],
      [...base.slice(0, 6), text("CURVE"), KEY.subarray(1)],
      [...base.slice(0, 6), text("CURVE")],
      [...base.slice(0, 6), text("PLAIN"), text("admin")],
      [...base.slice(0, 6), text("NULL"), text("extra")],
      [EMPTY, text("1.0"), text("1"), new Uint8Array(256).fill(0x61), text("a"), EMPTY, text("NULL")],
      [EMPTY, text("1.0"), text("1"), text("d"), text("a"), new Uint8Array(256), text("NULL")],
      [EMPTY, text("1.0"), text("1"), Uint8Array.of(0xff, 0xfe), text("a"), EMPTY, text("NULL")],
    ]
    for (const frames of variants) throwsCode(() => decodeZapRequest(frames), ErrorCode.ZAP_MALFORMED_REQUEST)
  })

  it("refuses to encode what ZAP cannot carry (application errors, not protocol errors)", () => {
    const request: ZapRequest = { requestId: EMPTY, domain: "", address: "", identity: EMPTY, mechanism: "NULL", credentials: [] }
    assert.throws(() => encodeZapRequest({ ...request, mechanism: "" }), RangeError)
    assert.throws(() => encodeZapRequest({ ...request, domain: "x".repeat(256) }), RangeError)
    assert.throws(() => encodeZapRequest({ ...request, identity: new Uint8Array(256) }), RangeError)
    assert.throws(() => encodeZapRequest({ ...request, credentials: ["x" as unknown as Uint8Array] }), TypeError)
  })
})

describe("ZAP reply codec (RFC 27)", () => {
  it("round-trips a reply with metadata, with and without the delimiter", () => {
    const value = reply({ metadata: makeMetadata({ Hello: "World", "X-Role": "admin" }) })
    const wire = encodeZapReply(value)
    assert.equal(wire.length, 7)
    assert.equal(wire[0]?.length, 0)
    assert.deepEqual(wire.slice(1, 5).map(str), ["1.0", "1", "200", "OK"])
    assert.deepEqual(decodeZapReply(wire, text("1")), value)
    assert.deepEqual(decodeZapReply(encodeZapReply(value, { delimiter: false }), text("1")), value)
  })

  it("accepts every RFC 27 status code", () => {
    for (const status of [200, 300, 400, 500] as const) {
      assert.equal(decodeZapReply(encodeZapReply(reply({ status, userId: "" })), text("1")).status, status)
    }
  })

  it("ZAP_MALFORMED_REPLY: wrong frame count, non-empty delimiter, over-long user id", () => {
    const wire = encodeZapReply(reply())
    throwsCode(() => decodeZapReply(wire.slice(0, 6), text("1")), ErrorCode.ZAP_MALFORMED_REPLY)
    throwsCode(() => decodeZapReply([...wire, EMPTY], text("1")), ErrorCode.ZAP_MALFORMED_REPLY)
    throwsCode(() => decodeZapReply([text("x"), ...wire.slice(1)], text("1")), ErrorCode.ZAP_MALFORMED_REPLY)
    throwsCode(() => decodeZapReply([], text("1")), ErrorCode.ZAP_MALFORMED_REPLY)
    const longUser = [...wire]
    longUser[5] = new Uint8Array(256).fill(0x61)
    throwsCode(() => decodeZapReply(longUser, text("1")), ErrorCode.ZAP_MALFORMED_REPLY)
  })

  it("ZAP_BAD_VERSION: a reply whose version is not 1.0", () => {
    const wire = encodeZapReply(reply())
    wire[1] = text("1.1")
    throwsCode(() => decodeZapReply(wire, text("1")), ErrorCode.ZAP_BAD_VERSION)
  })

  it("ZAP_BAD_REQUEST_ID: a reply to another request", () => {
    throwsCode(() => decodeZapReply(encodeZapReply(reply({ requestId: text("2") })), text("1")), ErrorCode.ZAP_BAD_REQUEST_ID)
  })

  it("ZAP_INVALID_STATUS_CODE: anything but 200/300/400/500", () => {
    for (const status of ["100", "201", "600", "20", "2000", "abc", ""]) {
      const wire = encodeZapReply(reply())
      wire[3] = text(status)
      throwsCode(() => decodeZapReply(wire, text("1")), ErrorCode.ZAP_INVALID_STATUS_CODE)
    }
  })

  it("ZAP_INVALID_METADATA: metadata whose lengths do not add up", () => {
    const wire = encodeZapReply(reply())
    const good = encodeMetadata(makeMetadata({ Name: "value" }))
    wire[6] = good.subarray(0, good.length - 1)
    throwsCode(() => decodeZapReply(wire, text("1")), ErrorCode.ZAP_INVALID_METADATA)
    wire[6] = Uint8Array.of(0)
    throwsCode(() => decodeZapReply(wire, text("1")), ErrorCode.ZAP_INVALID_METADATA)
  })

  it("checks in libzmq's order: version before request id before status", () => {
    const wire = encodeZapReply(reply({ requestId: text("9") }))
    wire[1] = text("0.9")
    wire[3] = text("999")
    throwsCode(() => decodeZapReply(wire, text("1")), ErrorCode.ZAP_BAD_VERSION)
    wire[1] = text("1.0")
    throwsCode(() => decodeZapReply(wire, text("1")), ErrorCode.ZAP_BAD_REQUEST_ID)
  })

  it("refuses to encode an unknown status or over-long strings", () => {
    assert.throws(() => encodeZapReply(reply({ status: 201 as 200 })), RangeError)
    assert.throws(() => encodeZapReply(reply({ statusText: "x".repeat(256) })), RangeError)
  })
})

describe("splitZapEnvelope and answerZapRequest", () => {
  it("separates routing ids and the delimiter (ROUTER), or nothing (REP)", () => {
    const routed = [text("router-id"), text("hop2"), ...libzmqCurveRequest()]
    const { envelope, body } = splitZapEnvelope(routed)
    assert.deepEqual(envelope.map(str), ["router-id", "hop2", ""])
    assert.equal(str(body[0] as Uint8Array), "1.0")
    assert.deepEqual(splitZapEnvelope(libzmqCurveRequest().slice(1)).envelope, [])
  })

  it("answers through a hook and echoes the envelope and request id", async () => {
    const seen: AuthRequest[] = []
    const out = await answerZapRequest([text("rid"), ...libzmqCurveRequest()], (request) => {
      seen.push(request)
      return { status: 200, userId: "client", metadata: makeMetadata({ Role: "x" }) }
    })
    assert.equal(str(out[0] as Uint8Array), "rid")
    const decoded = decodeZapReply(out.slice(1), text("1"))
    assert.equal(decoded.status, 200)
    assert.equal(decoded.statusText, "OK")
    assert.equal(decoded.userId, "client")
    assert.equal(str(decoded.metadata.get("Role") as Uint8Array), "x")
    assert.equal(seen[0]?.mechanism, "CURVE")
    assert.equal(str(seen[0]?.routingId as Uint8Array), "client-id")
  })

  it("answers 500 when the hook throws, and empties the user id of a refusal", async () => {
    const failed = await answerZapRequest(libzmqCurveRequest(), () => {
      throw new Error("boom")
    })
    assert.equal(decodeZapReply(failed, text("1")).status, 500)
    const refused = decodeZapReply(await answerZapRequest(libzmqCurveRequest(), () => ({ status: 400, userId: "leak" })), text("1"))
    assert.equal(refused.status, 400)
    assert.equal(refused.userId, "")
  })

  it("answers 400 to a mechanism it does not know, and rejects a malformed request", async () => {
    const gssapi = [EMPTY, text("1.0"), text("7"), text("d"), text("a"), EMPTY, text("GSSAPI"), text("token")]
    assert.equal(decodeZapReply(await answerZapRequest(gssapi, () => ({ status: 200 })), text("7")).status, 400)
    await assert.rejects(answerZapRequest([EMPTY, text("9.9")], () => ({ status: 200 })), { code: ErrorCode.ZAP_BAD_VERSION })
  })
})
