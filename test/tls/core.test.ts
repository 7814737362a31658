/**
 * The pure core of src/tls/: the message framing inside the TLS stream (round trips, split at
 * every offset, byte by byte, limits checked from the header alone), ClientHello detection,
 * the ROUTER envelope, and the session table.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import {
  FrameDecoder,
  FramingError,
  encodeMessage,
  isClientHello,
  isServerHello,
  fatalAlert,
  parseRequest,
  replyFrames,
  RequestProblem,
  SessionTable,
} from "../../src/tls/index.js"

const frameArb = fc.uint8Array({ maxLength: 300 })
const messageArb = fc.array(frameArb, { minLength: 1, maxLength: 6 })
const limits = { maxMessageSize: 1 << 20, maxFrames: 64 }

function decodeAll(chunks: Uint8Array[]): Uint8Array[][] {
  const d = new FrameDecoder(limits)
  const out: Uint8Array[][] = []
  for (const c of chunks) out.push(...d.push(c))
  assert.equal(d.idle, true)
  return out
}

const norm = (ms: Uint8Array[][]): number[][][] => ms.map((m) => m.map((f) => [...f]))

describe("TLS message framing", () => {
  it("round-trips any messages, whole, byte by byte and split at every offset", () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 4 }), (messages) => {
        const stream = Buffer.concat(messages.map((m) => encodeMessage(m)))
        assert.deepEqual(norm(decodeAll([stream])), norm(messages))
        assert.deepEqual(norm(decodeAll([...stream].map((b) => Uint8Array.of(b)))), norm(messages))
        for (let at = 0; at <= stream.length; at += Math.max(1, Math.floor(stream.length / 40))) {
          assert.deepEqual(norm(decodeAll([stream.subarray(0, at), stream.subarray(at)])), norm(messages))
        }
      }),
      { numRuns: 60 },
    )
  })

  it("encodes [count][len][bytes]… big-endian", () => {
    assert.deepEqual([...encodeMessage([Uint8Array.of(7), new Uint8Array(0)])], [0, 0, 0, 2, 0, 0, 0, 1, 7, 0, 0, 0, 0])
    assert.throws(() => encodeMessage([]), RangeError)
  })

  it("refuses a frame over maxMessageSize from its 8 header octets, before any body arrives", () => {
    const d = new FrameDecoder({ maxMessageSize: 1000, maxFrames: 4 })
    assert.throws(() => d.push(Uint8Array.of(0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff)), (e: unknown) => {
      return e instanceof FramingError && e.code === "ERR_IRONHOUSE_TLS_FRAMING" && /maxMessageSize \(1000\)/.test(e.message)
    })
    // The sum of frames counts, not each frame alone.
    const sum = new FrameDecoder({ maxMessageSize: 1000, maxFrames: 4 })
    sum.push(Uint8Array.of(0, 0, 0, 2, 0, 0, 0x01, 0xf4)) // 500
    assert.deepEqual(sum.push(new Uint8Array(500)), [])
    assert.throws(() => sum.push(Uint8Array.of(0, 0, 0x01, 0xf5)), FramingError) // 500 + 501 > 1000
  })

  it("skips a no-op (frame count 0) and refuses a count over maxFrames", () => {
    const d = new FrameDecoder(limits)
    assert.deepEqual(norm(d.push(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 9, 0, 0, 0, 0))), [[[9]]])
    assert.equal(d.idle, true)
    assert.throws(() => new FrameDecoder(limits).push(Uint8Array.of(0, 0, 0, 65)), /maxFrames \(64\)/)
  })
})

describe("TLS record sniffing", () => {
  // A ClientHello header as OpenSSL writes it: record 22/0x0301, handshake type 1, version 0x0303.
  const hello = Buffer.concat([Buffer.of(22, 3, 1, 0x01, 0x00, 1, 0, 0, 0xfc, 3, 3), Buffer.alloc(252)])
  it("recognises a ClientHello and a ServerHello, nothing else", () => {
    assert.equal(isClientHello(hello), true)
    assert.equal(isServerHello(hello), false)
    const serverHello = Buffer.from(hello)
    serverHello[5] = 2
    assert.equal(isServerHello(serverHello), true)
    assert.equal(isClientHello(Buffer.from(fatalAlert(10))), false)
    const appData = Buffer.from(hello)
    appData[0] = 23
    assert.equal(isClientHello(appData), false)
    assert.equal(isClientHello(hello.subarray(0, 8)), false)
  })

  it("TLS 1.3 encrypted records (outer type 23) never look like a ClientHello", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 80 }), (body) => {
        assert.equal(isClientHello(Buffer.concat([Buffer.of(23, 3, 3, 0, body.length), body])), false)
      }),
    )
  })
})

describe("TLS ROUTER envelope", () => {
  const b = (s: string): Buffer => Buffer.from(s)
  it("keys by the last non-empty envelope frame (direct, and behind a proxy)", () => {
    const direct = parseRequest([b("client"), b(""), b("tls")])
    assert.ok(typeof direct !== "string")
    assert.equal(Buffer.from(direct.key).toString(), "client")
    const proxied = parseRequest([b("proxy"), b("client"), b(""), b("tls")])
    assert.ok(typeof proxied !== "string")
    assert.equal(Buffer.from(proxied.key).toString(), "client")
    assert.deepEqual(replyFrames(proxied.envelope, b("out")).map((f) => Buffer.from(f).toString()), ["proxy", "client", "", "out"])
  })
  it("names what is wrong with a malformed request", () => {
    assert.equal(parseRequest([b("x"), b("tls")]), RequestProblem.NO_DELIMITER)
    assert.equal(parseRequest([b(""), b("tls")]), RequestProblem.NO_IDENTITY)
    assert.equal(parseRequest([b("x"), b(""), b("a"), b("b")]), RequestProblem.NOT_ONE_PAYLOAD)
    assert.equal(parseRequest([b("x"), b("")]), RequestProblem.NOT_ONE_PAYLOAD)
    assert.equal(parseRequest([b("x"), b(""), b("")]), RequestProblem.EMPTY_PAYLOAD)
  })
})

describe("TLS session table", () => {
  it("idle() lists sessions idle long enough, least recent first; oldest() is the LRU", () => {
    const t = new SessionTable<string>()
    t.set("a", "A", 0)
    t.set("b", "B", 10)
    t.set("c", "C", 20)
    t.touch("a", 30)
    assert.deepEqual(t.idle(40, 25).map(([k]) => k), ["b"])
    assert.deepEqual(t.oldest(), ["b", "B"])
    assert.equal(t.set("b", "B2", 50), "B", "set returns the replaced session")
    assert.equal(t.delete("b", "B"), false, "a replaced session cannot remove its successor")
    assert.equal(t.get("b"), "B2")
    assert.equal(t.delete("b", "B2"), true)
    assert.equal(t.size, 2)
  })
})
