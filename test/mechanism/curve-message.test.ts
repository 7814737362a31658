/**
 * CURVE MESSAGE encoding (RFC 26 "The MESSAGE Command", libzmq curve_mechanism_base.cpp) and the
 * short-nonce rules, on the codec directly, on every available crypto backend.
 */
import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import * as crypto from "../../src/crypto/index.js"
import { ErrorCode } from "../../src/errors.js"
import { CurveMessageCodec, ShortNonceCounter, ShortNonceWindow, nonceWith } from "../../src/mechanism/curve-message.js"
import type { Frame } from "../../src/wire/types.js"
import { FrameEncoder, PASS_THROUGH_MIN, encodeFrame } from "../../src/wire/frame-encoder.js"
import { availableBackends } from "../crypto/available-backends.js"
import { bytes, codeOf, hex, utf8 } from "./pump.js"

const backendNames = (await availableBackends()).map((b) => b.name)
const initialBackend = crypto.cryptoBackend().name
after(async () => {
  await crypto.useCryptoBackend(initialBackend)
})

/** A client and a server codec sharing one fresh key (as after a handshake, counters at 1). */
function codecPair(key = crypto.randomBytes(32)) {
  return {
    key,
    client: new CurveMessageCodec(key.slice(), false, new ShortNonceCounter(), new ShortNonceWindow()),
    server: new CurveMessageCodec(key.slice(), true, new ShortNonceCounter(), new ShortNonceWindow()),
  }
}

const frame = (body: Uint8Array, more = false, command = false): Frame => ({ more, command, body })
const copy = (f: Frame): Frame => ({ ...f, body: f.body.slice() })

for (const backend of backendNames) {
  describe(`CURVE MESSAGE on ${backend}`, () => {
    it("selects the backend", async () => {
      await crypto.useCryptoBackend(backend)
      assert.equal(crypto.cryptoBackend().name, backend)
    })

    it("encodes in place exactly what an out-of-place secretbox gives (layout and bytes)", () => {
      const { key, client } = codecPair()
      const payload = utf8("hello, world")
      const wire = client.encode(frame(payload, true, false))
      assert.equal(wire.more, false, "outer MORE is never set (libzmq)")
      assert.equal(wire.command, false, "outer COMMAND is never set (libzmq)")
      assert.equal(wire.body.length, 8 + 8 + 16 + 1 + payload.length)
      assert.equal(hex(wire.body.subarray(0, 8)), "07" + hex(utf8("MESSAGE")))
      assert.equal(hex(wire.body.subarray(8, 16)), "0000000000000001")
      const expected = crypto.seal(Uint8Array.from([0x01, ...payload]), nonceWith("CurveZMQMESSAGEC", wire.body.subarray(8, 16)), key)
      assert.equal(hex(wire.body.subarray(16)), hex(expected))
    })

    it("encodeInto() queues exactly the frame encode() gives, and it decodes (h18-gateway)", () => {
      const key = crypto.randomBytes(32)
      const viaEncode = codecPair(key)
      const viaInto = codecPair(key)
      const cases: Frame[] = [
        frame(bytes()),
        frame(utf8("a"), true),
        frame(utf8("\x04PING\x00\x00"), false, true),
        frame(new Uint8Array(256).fill(0x61)),
        frame(new Uint8Array(PASS_THROUGH_MIN - 34).fill(3), true), // the largest MESSAGE built in place
        frame(new Uint8Array(PASS_THROUGH_MIN).fill(4)), // through encode(): its own buffer
      ]
      const encoder = new FrameEncoder()
      const expected: Uint8Array[] = []
      for (const f of cases) {
        expected.push(encodeFrame(viaEncode.client.encode(copy(f))))
        viaInto.client.encodeInto(copy(f), encoder)
      }
      const wire = Buffer.concat(encoder.flush())
      assert.equal(hex(wire), hex(Buffer.concat(expected)))
      // and the server side opens them, in order, with their flags
      let at = 0
      for (const f of cases) {
        const long = (wire[at] as number) & 0x02
        const size = long ? Number(wire.readBigUInt64BE(at + 1)) : (wire[at + 1] as number)
        at += long ? 9 : 2
        const back = viaInto.server.decode({ more: false, command: false, body: new Uint8Array(wire.subarray(at, at + size)) })
        at += size
        assert.deepEqual({ ...back, body: hex(back.body) }, { ...f, body: hex(f.body) })
      }
      assert.equal(at, wire.length)
    })

    it("decodes in place and round-trips flags and payload both ways", () => {
      const { client, server } = codecPair()
      const cases: Frame[] = [frame(bytes()), frame(utf8("a"), true), frame(utf8("\x04PING\x00\x00"), false, true), frame(new Uint8Array(70_000).fill(9), true, true)]
      for (const f of cases) {
        const back = server.decode(client.encode(f))
        assert.deepEqual({ ...back, body: hex(back.body) }, { ...f, body: hex(f.body) })
        const fwd = client.decode(server.encode(f))
        assert.deepEqual({ ...fwd, body: hex(fwd.body) }, { ...f, body: hex(f.body) })
      }
    })

    it("property: arbitrary frames, in order, round-trip", () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ more: fc.boolean(), command: fc.boolean(), body: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 8 }),
          (frames) => {
            const { client, server } = codecPair()
            for (const f of frames) {
              const out = server.decode(client.encode(f))
              assert.equal(out.more, f.more)
              assert.equal(out.command, f.command)
              assert.equal(hex(out.body), hex(f.body))
            }
          },
        ),
        { numRuns: 100 },
      )
    })
  })
}

describe("CURVE MESSAGE: receiving", () => {
  it("ignores the outer frame flags: MORE and COMMAND come from the authenticated flags octet", () => {
    const { client, server } = codecPair()
    const wire = client.encode(frame(utf8("x"), false, false))
    const out = server.decode({ more: true, command: true, body: wire.body })
    assert.equal(out.more, false)
    assert.equal(out.command, false)
  })

  it("masks reserved inner flag bits like libzmq (0xFD reads as MORE|no COMMAND)", () => {
    const { key, server } = codecPair()
    const n = bytes(0, 0, 0, 0, 0, 0, 0, 5)
    const box = crypto.seal(bytes(0xfd, 0x41), nonceWith("CurveZMQMESSAGEC", n), key)
    const out = server.decode(frame(Uint8Array.from([7, ...utf8("MESSAGE"), ...n, ...box])))
    assert.equal(out.more, true)
    assert.equal(out.command, false)
    assert.equal(hex(out.body), "41")
  })

  it("a replayed MESSAGE is INVALID_SEQUENCE; the connection's next MESSAGE still opens", () => {
    const { client, server } = codecPair()
    const first = client.encode(frame(utf8("one")))
    const replay = copy(first)
    server.decode(first)
    assert.throws(() => server.decode(replay), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
    assert.equal(new TextDecoder().decode(server.decode(client.encode(frame(utf8("two")))).body), "two")
  })

  it("reordered MESSAGEs: the older one is INVALID_SEQUENCE", () => {
    const { client, server } = codecPair()
    const a = client.encode(frame(utf8("a")))
    const b = client.encode(frame(utf8("b")))
    server.decode(b)
    assert.throws(() => server.decode(a), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
  })

  it("a skipped nonce is fine (strictly greater, not consecutive)", () => {
    const { client, server } = codecPair()
    client.encode(frame(utf8("lost")))
    assert.equal(new TextDecoder().decode(server.decode(client.encode(frame(utf8("next")))).body), "next")
  })

  it("a box that fails does not advance the window (its nonce may still come, genuinely)", () => {
    const { client, server } = codecPair()
    const good = client.encode(frame(utf8("good")))
    const bad = copy(good)
    bad.body[30] = (bad.body[30] as number) ^ 1
    assert.throws(() => server.decode(bad), (e) => codeOf(e) === ErrorCode.CRYPTOGRAPHIC)
    assert.equal(new TextDecoder().decode(server.decode(good).body), "good")
  })

  it("sizes and names: MALFORMED_COMMAND_UNSPECIFIED, UNEXPECTED_COMMAND, MALFORMED_COMMAND_MESSAGE", () => {
    const { server } = codecPair()
    assert.throws(() => server.decode(frame(bytes())), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    assert.throws(() => server.decode(frame(bytes(7))), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    assert.throws(() => server.decode(frame(bytes(40, 1, 2))), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    assert.throws(() => server.decode(frame(Uint8Array.from([7, ...utf8("MESSAGX"), ...new Uint8Array(30)]))), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
    assert.throws(() => server.decode(frame(Uint8Array.from([4, ...utf8("PING"), 0, 0]))), (e) => codeOf(e) === ErrorCode.UNEXPECTED_COMMAND)
    // 32 octets: one short of "\x07MESSAGE" + nonce + MAC + flags
    assert.throws(() => server.decode(frame(Uint8Array.from([7, ...utf8("MESSAGE"), ...new Uint8Array(24)]))), (e) => codeOf(e) === ErrorCode.MALFORMED_COMMAND_MESSAGE)
    // 33 octets of garbage: the right size, the box does not open
    assert.throws(() => server.decode(frame(Uint8Array.from([7, ...utf8("MESSAGE"), ...new Uint8Array(25)]))), (e) => codeOf(e) === ErrorCode.CRYPTOGRAPHIC)
  })

  it("a MESSAGE under another key is CRYPTOGRAPHIC", () => {
    const a = codecPair()
    const b = codecPair()
    assert.throws(() => b.server.decode(a.client.encode(frame(utf8("x")))), (e) => codeOf(e) === ErrorCode.CRYPTOGRAPHIC)
  })

  it("a MESSAGE from our own direction (wrong nonce prefix) is CRYPTOGRAPHIC", () => {
    const { key } = codecPair()
    const c1 = new CurveMessageCodec(key.slice(), false, new ShortNonceCounter(), new ShortNonceWindow())
    const c2 = new CurveMessageCodec(key.slice(), false, new ShortNonceCounter(), new ShortNonceWindow())
    assert.throws(() => c2.decode(c1.encode(frame(utf8("reflected")))), (e) => codeOf(e) === ErrorCode.CRYPTOGRAPHIC)
  })

  it("after destroy(), decode is ProtocolError(UNSPECIFIED) and the key is wiped", () => {
    const key = crypto.randomBytes(32)
    const codec = new CurveMessageCodec(key, true, new ShortNonceCounter(), new ShortNonceWindow())
    codec.destroy()
    assert.equal(hex(key), "00".repeat(32))
    assert.throws(() => codec.decode(frame(new Uint8Array(40))), (e) => codeOf(e) === ErrorCode.UNSPECIFIED)
    assert.throws(() => codec.encode(frame(bytes())), Error)
  })
})

describe("CURVE MESSAGE: decodeInPlace (h20: opened where it lies in the read buffer)", () => {
  /** `n` MESSAGEs laid end to end in one buffer after `lead` octets, with their offsets. */
  function packed(client: CurveMessageCodec, bodies: Uint8Array[], lead = 5): { buffer: Uint8Array; spans: [number, number][] } {
    const wires = bodies.map((b, i) => client.encode(frame(b, i % 2 === 0, false)).body)
    const buffer = new Uint8Array(lead + wires.reduce((n, w) => n + w.length, 0))
    const spans: [number, number][] = []
    let at = lead
    for (const w of wires) {
      buffer.set(w, at)
      spans.push([at, w.length])
      at += w.length
    }
    return { buffer, spans }
  }

  for (const backend of backendNames) {
    it(`${backend}: opens each MESSAGE in place, touching only its own octets`, async () => {
      await crypto.useCryptoBackend(backend)
      const { client, server } = codecPair()
      const bodies = [utf8("first"), bytes(), new Uint8Array(300).fill(0x61), utf8("last")]
      const { buffer, spans } = packed(client, bodies)
      for (let i = 0; i < spans.length; i++) {
        const [at, size] = spans[i] as [number, number]
        const before = buffer.slice()
        const out = server.decodeInPlace(buffer, at, size)
        assert.equal(out.more, i % 2 === 0)
        assert.equal(out.command, false)
        assert.equal(hex(out.body), hex(bodies[i] as Uint8Array))
        if (size > 33) {
          assert.equal(out.body.buffer, buffer.buffer, "a view, not a copy")
          assert.equal(out.body.byteOffset, at + 33)
        }
        // only this MESSAGE's flags and payload octets (at + 32 ..) were written
        assert.equal(hex(buffer.subarray(0, at + 32)), hex(before.subarray(0, at + 32)))
        assert.equal(hex(buffer.subarray(at + size)), hex(before.subarray(at + size)))
      }
    })

    it(`${backend}: a tampered MESSAGE is CRYPTOGRAPHIC, leaves its ciphertext untouched (no plaintext anywhere) and does not advance the window`, async () => {
      await crypto.useCryptoBackend(backend)
      const { client, server } = codecPair()
      const secret = utf8("attack at dawn, attack at dawn")
      const { buffer, spans } = packed(client, [secret])
      const [at, size] = spans[0] as [number, number]
      for (const flip of [at + 16, at + 31, at + 32, at + size - 1]) {
        // MAC octets (16..31) and ciphertext octets (32..): every flipped bit is refused
        buffer[flip] = (buffer[flip] as number) ^ 0x10
        const tampered = buffer.slice()
        assert.throws(() => server.decodeInPlace(buffer, at, size), (e) => codeOf(e) === ErrorCode.CRYPTOGRAPHIC)
        assert.equal(hex(buffer), hex(tampered), "nothing was written")
        assert.ok(!Buffer.from(buffer).includes(Buffer.from(secret)), "no plaintext visible")
        buffer[flip] = (buffer[flip] as number) ^ 0x10
      }
      const out = server.decodeInPlace(buffer, at, size)
      assert.equal(hex(out.body), hex(secret), "the genuine MESSAGE still opens: failures did not advance the window")
    })
  }

  for (const backend of backendNames) {
    it(`${backend}: property: encodeInto() and decodeInPlace() round-trip frames of every small size, interleaved (staged and in place)`, async () => {
      await crypto.useCryptoBackend(backend)
      fc.assert(
        fc.property(
          fc.array(fc.record({ more: fc.boolean(), command: fc.boolean(), body: fc.uint8Array({ maxLength: 120 }) }), { minLength: 1, maxLength: 12 }),
          (frames) => {
            const key = crypto.randomBytes(32)
            const { client, server } = codecPair(key)
            const reference = codecPair(key)
            const encoder = new FrameEncoder()
            for (const f of frames) client.encodeInto(copy(f), encoder)
            const wire = Buffer.concat(encoder.flush())
            let at = 0
            for (const f of frames) {
              const size = wire[at + 1] as number // every MESSAGE here is under 256 octets: short frames
              assert.equal(wire[at], 0, "outer flags 0")
              // decode() of a copy, by a second codec under the same key, agrees
              const expected = reference.server.decode({ more: false, command: false, body: new Uint8Array(wire.subarray(at + 2, at + 2 + size)) })
              const out = server.decodeInPlace(wire, at + 2, size)
              assert.equal(out.more, f.more)
              assert.equal(out.command, f.command)
              assert.equal(hex(out.body), hex(f.body))
              assert.equal(hex(expected.body), hex(f.body))
              at += 2 + size
            }
            assert.equal(at, wire.length)
          },
        ),
        { numRuns: 100 },
      )
    })
  }

  it("refuses a replay and every malformed MESSAGE with the codes of decode()", () => {
    const { client, server } = codecPair()
    const { buffer, spans } = packed(client, [utf8("one")])
    const [at, size] = spans[0] as [number, number]
    const replay = buffer.slice()
    server.decodeInPlace(buffer, at, size)
    assert.throws(() => server.decodeInPlace(replay, at, size), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
    const lead = (body: Uint8Array) => Uint8Array.from([9, 9, ...body, 9])
    const cases: [Uint8Array, ErrorCode][] = [
      [bytes(), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED],
      [bytes(40, 1, 2), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED],
      [Uint8Array.from([7, ...utf8("MESSAGX"), ...new Uint8Array(30)]), ErrorCode.UNEXPECTED_COMMAND],
      [Uint8Array.from([7, ...utf8("MESSAGE"), ...new Uint8Array(24)]), ErrorCode.MALFORMED_COMMAND_MESSAGE],
      [Uint8Array.from([7, ...utf8("MESSAGE"), 255, 255, 255, 255, 255, 255, 255, 255, ...new Uint8Array(17)]), ErrorCode.CRYPTOGRAPHIC],
    ]
    for (const [body, code] of cases) {
      assert.throws(() => server.decodeInPlace(lead(body), 2, body.length), (e) => codeOf(e) === code, `expected ${code}`)
    }
  })

  it("after destroy(), decodeInPlace is ProtocolError(UNSPECIFIED)", () => {
    const { client, server } = codecPair()
    const { buffer, spans } = packed(client, [utf8("x")])
    server.destroy()
    const [at, size] = spans[0] as [number, number]
    assert.throws(() => server.decodeInPlace(buffer, at, size), (e) => codeOf(e) === ErrorCode.UNSPECIFIED)
  })
})

describe("short nonces", () => {
  it("the counter counts 1, 2, 3 big-endian and carries into the high word", () => {
    const c = new ShortNonceCounter({ hi: 0, lo: 0xfffffffe })
    const out = new Uint8Array(24)
    c.writeNext(out, 0)
    c.writeNext(out, 8)
    c.writeNext(out, 16)
    assert.equal(hex(out), "00000000fffffffe" + "00000000ffffffff" + "0000000100000000")
    const d = new ShortNonceCounter()
    d.writeNext(out, 0)
    assert.equal(hex(out.subarray(0, 8)), "0000000000000001")
  })

  it("sending past 2^64-1 is INVALID_SEQUENCE (the connection must close), and stays so", () => {
    const c = new ShortNonceCounter({ hi: 0xffffffff, lo: 0xfffffffe })
    const out = new Uint8Array(8)
    c.writeNext(out, 0)
    c.writeNext(out, 0)
    assert.equal(hex(out), "ffffffffffffffff")
    assert.throws(() => c.writeNext(out, 0), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
    assert.throws(() => c.writeNext(out, 0), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
    assert.throws(() => new ShortNonceCounter({ hi: 0, lo: 0 }), RangeError)
    assert.throws(() => new ShortNonceCounter({ hi: 2 ** 32, lo: 1 }), RangeError)
  })

  it("a codec whose counter is exhausted refuses to encode", () => {
    const key = crypto.randomBytes(32)
    const codec = new CurveMessageCodec(key, false, new ShortNonceCounter({ hi: 0xffffffff, lo: 0xffffffff }), new ShortNonceWindow())
    codec.encode(frame(bytes(1)))
    assert.throws(() => codec.encode(frame(bytes(2))), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
  })

  it("encodeInto() with an exhausted counter throws before queuing anything", () => {
    const key = crypto.randomBytes(32)
    const codec = new CurveMessageCodec(key, false, new ShortNonceCounter({ hi: 0xffffffff, lo: 0xffffffff }), new ShortNonceWindow())
    const encoder = new FrameEncoder()
    codec.encodeInto(frame(bytes(1)), encoder)
    const pending = encoder.pendingBytes
    assert.throws(() => codec.encodeInto(frame(bytes(2)), encoder), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
    assert.equal(encoder.pendingBytes, pending)
    assert.equal(encoder.flush().reduce((n, c) => n + c.length, 0), pending)
  })

  it("the window accepts any first nonce (even 0), then only strictly greater ones, compared as 64-bit", () => {
    const w = new ShortNonceWindow()
    const n = (hi: number, lo: number) => Uint8Array.from([hi >>> 24, (hi >>> 16) & 255, (hi >>> 8) & 255, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255])
    w.check(n(0, 0), 0)
    w.commit(n(0, 0), 0)
    assert.throws(() => w.check(n(0, 0), 0), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE)
    w.check(n(0, 1), 0)
    w.commit(n(1, 0), 0)
    assert.throws(() => w.check(n(0, 0xffffffff), 0), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE, "a larger low word does not beat a smaller high word")
    w.check(n(1, 1), 0)
    w.commit(n(0xffffffff, 0xffffffff), 0)
    assert.throws(() => w.check(n(0xffffffff, 0xffffffff), 0), (e) => codeOf(e) === ErrorCode.INVALID_SEQUENCE, "after 2^64-1 nothing is acceptable")
  })
})
