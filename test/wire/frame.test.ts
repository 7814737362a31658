import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE } from "../../src/wire/constants.js"
import { FrameDecoder, type FrameLimits } from "../../src/wire/frame-decoder.js"
import { FrameEncoder, PASS_THROUGH_MIN, encodeFrame, frameHeaderSize, writeFrameHeader } from "../../src/wire/frame-encoder.js"
import type { Frame } from "../../src/wire/types.js"
import { codeOf, outcome, sameForAllChunkings, splitAt, valueOf } from "../helpers/chunking.js"
import { LIBZMQ_DEALER_STREAM, ascii, concat, hex } from "./vectors.js"

const BIG: FrameLimits = { maxFrameSize: 1 << 20, maxCommandSize: 1 << 20 }

/** Push each chunk and drain after every push (as the engine does). */
function decodeAll(chunks: readonly Uint8Array[], limits: FrameLimits = BIG): Frame[] {
  const decoder = new FrameDecoder(limits)
  const frames: Frame[] = []
  for (const chunk of chunks) {
    decoder.push(chunk)
    for (let f = decoder.next(); f !== undefined; f = decoder.next()) frames.push(f)
  }
  assert.equal(decoder.buffered, 0, "all input consumed")
  return frames
}

/** Frames in plain form (bodies as fresh Uint8Arrays) for deep comparison. */
function plain(frames: readonly Frame[]): Frame[] {
  return frames.map((f) => ({ more: f.more, command: f.command, body: new Uint8Array(f.body) }))
}

function errorCodeAfter(bytes: Uint8Array, limits: FrameLimits = BIG): ErrorCode {
  return codeOf(outcome(() => decodeAll([bytes], limits)))
}

function frame(more: boolean, command: boolean, body: Uint8Array): Frame {
  return { more, command, body }
}

describe("frame encoding", () => {
  it("sizes headers: 2 octets up to 255, 9 from 256", () => {
    assert.equal(frameHeaderSize(0), 2)
    assert.equal(frameHeaderSize(255), 2)
    assert.equal(frameHeaderSize(256), 9)
    assert.equal(frameHeaderSize(70000), 9)
  })

  it("encodes short, long, empty, MORE and COMMAND frames (RFC 37 Framing)", () => {
    assert.deepEqual(encodeFrame(frame(false, false, ascii("hi"))), hex("00 02 68 69"))
    assert.deepEqual(encodeFrame(frame(true, false, new Uint8Array(0))), hex("01 00"))
    assert.deepEqual(encodeFrame(frame(false, true, ascii("x"))), hex("04 01 78"))
    const long = encodeFrame(frame(true, false, new Uint8Array(256)))
    assert.deepEqual(long.subarray(0, 9), hex("03 00 00 00 00 00 00 01 00"))
    assert.equal(long.length, 9 + 256)
    assert.deepEqual(encodeFrame(frame(false, true, new Uint8Array(300))).subarray(0, 9), hex("06 00 00 00 00 00 00 01 2c"))
  })

  it("encodes libzmq 4.3.5's frames byte for byte", () => {
    const ours = concat(
      encodeFrame(frame(true, false, ascii("hello"))),
      encodeFrame(frame(false, false, ascii("x".repeat(300)))),
      encodeFrame(frame(false, true, hex("04 50 49 4e 47 00 1e"))),
    )
    assert.deepEqual(ours, LIBZMQ_DEALER_STREAM.subarray(46))
  })

  it("writeFrameHeader returns the new offset and can force the long form", () => {
    const out = new Uint8Array(20)
    assert.equal(writeFrameHeader(out, 3, FLAG_MORE, 5), 5)
    assert.deepEqual(out.subarray(3, 5), hex("01 05"))
    assert.equal(writeFrameHeader(out, 5, FLAG_LONG, 5), 14)
    assert.deepEqual(out.subarray(5, 14), hex("02 00 00 00 00 00 00 00 05"))
  })

  it("writeFrameHeader writes sizes above 2^32 as two halves", () => {
    const out = new Uint8Array(9)
    writeFrameHeader(out, 0, 0, 2 ** 40 + 0x01020304)
    assert.deepEqual(out, hex("02 00 00 01 00 01 02 03 04"))
    writeFrameHeader(out, 0, 0, Number.MAX_SAFE_INTEGER)
    assert.deepEqual(out, hex("02 00 1f ff ff ff ff ff ff"))
  })

  it("writeFrameHeader refuses reserved bits, MORE on a command, bad sizes and no room with RangeError", () => {
    const out = new Uint8Array(9)
    assert.throws(() => writeFrameHeader(out, 0, 0x08, 1), RangeError)
    assert.throws(() => writeFrameHeader(out, 0, FLAG_MORE | FLAG_COMMAND, 1), RangeError)
    assert.throws(() => writeFrameHeader(out, 0, 0, -1), RangeError)
    assert.throws(() => writeFrameHeader(out, 0, 0, 1.5), RangeError)
    assert.throws(() => writeFrameHeader(out, 0, 0, 2 ** 53), RangeError)
    assert.throws(() => writeFrameHeader(out, 1, 0, 256), RangeError)
    assert.throws(() => writeFrameHeader(out, 8, 0, 1), RangeError)
    assert.throws(() => encodeFrame(frame(true, true, new Uint8Array(1))), RangeError)
  })
})

describe("FrameEncoder", () => {
  it("batches many small frames into one buffer equal to the frames encoded one by one", () => {
    const encoder = new FrameEncoder()
    const frames = Array.from({ length: 100 }, (_, i) => frame(i % 2 === 0, i % 7 === 0 && i % 2 !== 0, new Uint8Array(i * 3).fill(i)))
    for (const f of frames) encoder.add(f)
    const expected = concat(...frames.map(encodeFrame))
    assert.equal(encoder.pendingBytes, expected.length)
    const chunks = encoder.flush()
    assert.equal(chunks.length, 1)
    assert.deepEqual(concat(...chunks), expected)
    assert.equal(encoder.pendingBytes, 0)
    assert.deepEqual(encoder.flush(), [])
  })

  it("passes bodies of 32 KiB or more through as their own chunk, without copying", () => {
    const encoder = new FrameEncoder()
    const big = new Uint8Array(PASS_THROUGH_MIN).fill(7)
    encoder.add(frame(true, false, ascii("a")))
    encoder.add(frame(true, false, big))
    encoder.add(frame(false, false, ascii("b")))
    const chunks = encoder.flush()
    assert.equal(chunks.length, 3)
    assert.equal(chunks[1], big)
    assert.deepEqual(concat(...chunks), concat(encodeFrame(frame(true, false, ascii("a"))), encodeFrame(frame(true, false, big)), encodeFrame(frame(false, false, ascii("b")))))
  })

  it("copies a body just under 32 KiB", () => {
    const encoder = new FrameEncoder()
    const body = new Uint8Array(PASS_THROUGH_MIN - 1).fill(9)
    encoder.add(frame(false, false, body))
    const chunks = encoder.flush()
    assert.equal(chunks.length, 1)
    assert.notEqual(chunks[0]?.buffer, body.buffer)
    assert.deepEqual(chunks[0], encodeFrame(frame(false, false, body)))
  })

  it("never writes over a buffer already handed out by flush()", () => {
    const encoder = new FrameEncoder()
    encoder.add(frame(false, false, ascii("first")))
    const first = encoder.flush()
    const snapshot = first.map((c) => new Uint8Array(c))
    for (let i = 0; i < 5000; i++) encoder.add(frame(false, false, new Uint8Array(40).fill(0xee)))
    const second = encoder.flush()
    assert.deepEqual(first, snapshot)
    assert.ok(second.length >= 4, "over 64 KiB of small frames spans several scratch buffers")
    const one = encodeFrame(frame(false, false, new Uint8Array(40).fill(0xee)))
    assert.deepEqual(concat(...second), concat(...Array.from({ length: 5000 }, () => one)))
  })

  it("keeps frames in order across scratch buffers and pass-through bodies (property)", () => {
    fc.assert(
      fc.property(fc.array(arbitraryFrame(), { maxLength: 8 }), fc.integer({ min: 0, max: 8 }), (frames, flushAt) => {
        const encoder = new FrameEncoder()
        const out: Uint8Array[] = []
        frames.forEach((f, i) => {
          encoder.add(f)
          if (i === flushAt) out.push(...encoder.flush())
        })
        out.push(...encoder.flush())
        assert.deepEqual(concat(...out), concat(...frames.map(encodeFrame)))
      }),
      { numRuns: 100 },
    )
  })
})

describe("FrameEncoder.reserveMessage (h18-gateway: a mechanism writes its frame in place)", () => {
  it("queues the header of a final frame and the room for its body, in order with add()", () => {
    const encoder = new FrameEncoder()
    encoder.add(frame(true, false, ascii("before")))
    for (const length of [0, 5, 255, 256, 3000]) {
      const body = new Uint8Array(length).map((_, i) => (i * 7 + length) & 0xff)
      const at = encoder.reserveMessage(length)
      encoder.scratch.set(body, at)
      assert.equal(encoder.scratch.buffer, encoder.scratchBuffer)
    }
    encoder.add(frame(false, true, ascii("after")))
    const expected = concat(
      encodeFrame(frame(true, false, ascii("before"))),
      ...[0, 5, 255, 256, 3000].map((length) => encodeFrame(frame(false, false, new Uint8Array(length).map((_, i) => (i * 7 + length) & 0xff)))),
      encodeFrame(frame(false, true, ascii("after"))),
    )
    assert.equal(encoder.pendingBytes, expected.length)
    assert.deepEqual(concat(...encoder.flush()), expected)
  })

  it("never reserves room in a region already handed out by flush()", () => {
    const encoder = new FrameEncoder()
    const handedOut: Uint8Array[] = []
    const snapshots: Uint8Array[] = []
    for (let round = 0; round < 300; round++) {
      const at = encoder.reserveMessage(400)
      encoder.scratch.fill(round & 0xff, at, at + 400)
      for (const c of encoder.flush()) {
        handedOut.push(c)
        snapshots.push(c.slice())
      }
    }
    assert.deepEqual(handedOut, snapshots)
  })

  it("release(): after it, the next frames are written from the start of the same buffer; not while frames wait", () => {
    const encoder = new FrameEncoder()
    encoder.add(frame(false, false, ascii("one")))
    const [first] = encoder.flush()
    encoder.release()
    encoder.add(frame(false, false, ascii("two")))
    const [second] = encoder.flush()
    assert.equal(second?.buffer, first?.buffer)
    assert.equal(second?.byteOffset, 0)
    assert.deepEqual(second, encodeFrame(frame(false, false, ascii("two"))))
    // frames added since the last flush keep their place: release() is then a no-op
    encoder.release()
    encoder.add(frame(false, false, ascii("three")))
    encoder.release()
    encoder.add(frame(false, false, ascii("four")))
    assert.deepEqual(concat(...encoder.flush()), concat(encodeFrame(frame(false, false, ascii("three"))), encodeFrame(frame(false, false, ascii("four")))))
    // without release(), a region handed out is never written again
    const [kept] = (encoder.add(frame(false, false, ascii("five"))), encoder.flush())
    const snapshot = kept?.slice()
    encoder.add(frame(false, false, ascii("six")))
    encoder.flush()
    assert.deepEqual(kept, snapshot)
  })

  it("refuses lengths that are not integers from 0 to below PASS_THROUGH_MIN with RangeError", () => {
    const encoder = new FrameEncoder()
    for (const bad of [-1, 1.5, Number.NaN, PASS_THROUGH_MIN, 2 ** 53]) {
      assert.throws(() => encoder.reserveMessage(bad), RangeError, String(bad))
    }
    assert.equal(encoder.pendingBytes, 0)
    assert.deepEqual(encoder.flush(), [])
  })

  it("add() still refuses MORE on a command with RangeError", () => {
    const encoder = new FrameEncoder()
    assert.throws(() => encoder.add({ more: true, command: true, body: ascii("x") }), RangeError)
    assert.equal(encoder.pendingBytes, 0)
  })
})

function arbitraryFrame(): fc.Arbitrary<Frame> {
  const size = fc.oneof(
    fc.integer({ min: 0, max: 300 }),
    fc.constantFrom(255, 256, PASS_THROUGH_MIN - 1, PASS_THROUGH_MIN),
    fc.integer({ min: 0, max: 70000 }),
  )
  return fc
    .tuple(fc.boolean(), fc.boolean(), size, fc.integer({ min: 0, max: 255 }))
    .map(([more, command, n, fill]) => frame(more && !command, command, new Uint8Array(n).fill(fill).map((b, i) => (b + i) & 0xff)))
}

describe("FrameDecoder", () => {
  it("decodes libzmq 4.3.5's READY, two-frame message and PING", () => {
    const frames = decodeAll([LIBZMQ_DEALER_STREAM])
    assert.equal(frames.length, 4)
    assert.deepEqual(plain(frames).map((f) => [f.more, f.command, f.body.length]), [
      [false, true, 44],
      [true, false, 5],
      [false, false, 300],
      [false, true, 7],
    ])
    assert.deepEqual(frames[1]?.body, ascii("hello"))
    assert.deepEqual(frames[3]?.body, hex("04 50 49 4e 47 00 1e"))
  })

  it("gives the same frames for libzmq's stream under every chunking", () => {
    const whole = plain(decodeAll([LIBZMQ_DEALER_STREAM]))
    const result = sameForAllChunkings(LIBZMQ_DEALER_STREAM, (chunks) => plain(decodeAll(chunks)), { emptyChunks: true })
    assert.deepEqual(valueOf(result), whole)
  })

  it("accepts a long size below 256 (RFC 37 SHOULD, libzmq accepts) and a zero-length frame", () => {
    const frames = decodeAll([hex("02 00 00 00 00 00 00 00 03 61 62 63 00 00 06 00 00 00 00 00 00 00 00")])
    assert.deepEqual(plain(frames), [frame(false, false, ascii("abc")), frame(false, false, new Uint8Array(0)), frame(false, true, new Uint8Array(0))])
  })

  it("returns undefined until a frame is complete, tracking buffered octets", () => {
    const decoder = new FrameDecoder(BIG)
    assert.equal(decoder.next(), undefined)
    decoder.push(hex("01"))
    assert.equal(decoder.next(), undefined)
    assert.equal(decoder.buffered, 0, "the flags octet is consumed by its step")
    decoder.push(hex("03 61"))
    assert.equal(decoder.next(), undefined)
    assert.equal(decoder.buffered, 1)
    decoder.push(hex("62 63 00"))
    assert.deepEqual(plain([decoder.next() as Frame]), [frame(true, false, ascii("abc"))])
    assert.equal(decoder.buffered, 1)
    assert.equal(decoder.next(), undefined)
  })

  it("returns views into the pushed chunk for bodies within one chunk", () => {
    const chunk = concat(...Array.from({ length: 1000 }, (_, i) => encodeFrame(frame(false, false, new Uint8Array([i & 0xff, 1, 2])))))
    const frames = decodeAll([chunk])
    assert.equal(frames.length, 1000)
    assert.ok(frames.every((f) => f.body.buffer === chunk.buffer && f.body.length === 3))
    assert.equal(frames[999]?.body.byteOffset, 999 * 5 + 2)
  })

  it("copies a body spread over chunks into one allocation of exactly its size", () => {
    const bytes = encodeFrame(frame(false, false, new Uint8Array(1000).fill(5)))
    const [body] = decodeAll(splitAt(bytes, [100, 500, 900])).map((f) => f.body)
    assert.ok(body !== undefined)
    assert.equal(body.buffer.byteLength, 1000)
    assert.deepEqual(body, new Uint8Array(1000).fill(5))
  })

  it("refuses each reserved flag bit with MALFORMED_FRAME", () => {
    for (const bit of [0x08, 0x10, 0x20, 0x40, 0x80]) {
      assert.equal(errorCodeAfter(new Uint8Array([bit, 0])), ErrorCode.MALFORMED_FRAME, `bit 0x${bit.toString(16)}`)
    }
  })

  it("refuses MORE on a command frame with MALFORMED_FRAME (RFC 37: SHALL be zero)", () => {
    assert.equal(errorCodeAfter(hex("05 00")), ErrorCode.MALFORMED_FRAME)
    assert.equal(errorCodeAfter(hex("07")), ErrorCode.MALFORMED_FRAME)
  })

  it("refuses on the flags octet alone, before the size arrives", () => {
    const decoder = new FrameDecoder(BIG)
    decoder.push(hex("ff"))
    assert.throws(() => decoder.next(), (err: unknown) => err instanceof ProtocolError && err.code === ErrorCode.MALFORMED_FRAME)
  })

  it("checks message frames against maxFrameSize and commands against maxCommandSize", () => {
    const limits = { maxFrameSize: 10, maxCommandSize: 5 }
    assert.equal(decodeAll([encodeFrame(frame(false, false, new Uint8Array(10)))], limits).length, 1)
    assert.equal(errorCodeAfter(encodeFrame(frame(false, false, new Uint8Array(11))), limits), ErrorCode.MESSAGE_TOO_LARGE)
    assert.equal(decodeAll([encodeFrame(frame(false, true, new Uint8Array(5)))], limits).length, 1)
    assert.equal(errorCodeAfter(encodeFrame(frame(false, true, new Uint8Array(6))), limits), ErrorCode.MESSAGE_TOO_LARGE)
  })

  it("refuses a declared size over the limit with only the header fed: 2^64-1, 2^63, 2^53, 2^32", () => {
    // `beyondSafe`: over 2^53-1, so refused even when the limits are Infinity.
    const sizes = [
      { octets: hex("ff ff ff ff ff ff ff ff"), beyondSafe: true },
      { octets: hex("80 00 00 00 00 00 00 00"), beyondSafe: true },
      { octets: hex("00 20 00 00 00 00 00 00"), beyondSafe: true },
      { octets: hex("00 00 00 01 00 00 00 00"), beyondSafe: false },
    ]
    for (const limits of [{ maxFrameSize: 64 << 20, maxCommandSize: 16384 }, { maxFrameSize: Infinity, maxCommandSize: Infinity }]) {
      for (const { octets, beyondSafe } of sizes) {
        for (const flags of [FLAG_LONG, FLAG_LONG | FLAG_COMMAND, FLAG_LONG | FLAG_MORE]) {
          const decoder = new FrameDecoder(limits)
          decoder.push(concat(new Uint8Array([flags]), octets))
          const result = outcome(() => decoder.next())
          if (limits.maxFrameSize === Infinity && !beyondSafe) {
            // 2^32 is under an unlimited limit: the decoder waits for the body, allocating nothing.
            assert.deepEqual(result, { ok: true, value: undefined })
            assert.equal(decoder.buffered, 0)
          } else {
            assert.equal(codeOf(result), ErrorCode.MESSAGE_TOO_LARGE)
          }
        }
      }
    }
  })

  it("refuses the size as soon as its 8th octet arrives (one octet at a time)", () => {
    const decoder = new FrameDecoder({ maxFrameSize: 1000, maxCommandSize: 1000 })
    const header = hex("02 00 00 00 00 00 00 03 e9")
    for (let i = 0; i < 8; i++) {
      decoder.push(header.subarray(i, i + 1))
      assert.equal(decoder.next(), undefined)
    }
    decoder.push(header.subarray(8))
    assert.equal(codeOf(outcome(() => decoder.next())), ErrorCode.MESSAGE_TOO_LARGE)
  })

  it("stays failed after an error: next() throws the same error again", () => {
    const decoder = new FrameDecoder(BIG)
    decoder.push(hex("08 00"))
    const first = outcome(() => decoder.next())
    decoder.push(hex("00 00"))
    assert.deepEqual(outcome(() => decoder.next()), first)
    assert.equal(codeOf(first), ErrorCode.MALFORMED_FRAME)
  })

  it("refuses invalid limits and chunks with RangeError/TypeError", () => {
    assert.throws(() => new FrameDecoder({ maxFrameSize: -1, maxCommandSize: 1 }), RangeError)
    assert.throws(() => new FrameDecoder({ maxFrameSize: 1, maxCommandSize: Number.NaN }), RangeError)
    assert.throws(() => new FrameDecoder({ maxFrameSize: 1.5, maxCommandSize: 1 }), RangeError)
    const decoder = new FrameDecoder(BIG)
    assert.throws(() => {
      decoder.maxCommandSize = -5
    }, RangeError)
    assert.throws(() => decoder.push("abc" as unknown as Uint8Array), TypeError)
  })

  it("applies a raised limit to the next frame", () => {
    const decoder = new FrameDecoder({ maxFrameSize: 2, maxCommandSize: 2 })
    decoder.push(encodeFrame(frame(false, false, ascii("ab"))))
    assert.deepEqual(decoder.next()?.body, ascii("ab"))
    decoder.maxFrameSize = 100
    assert.equal(decoder.maxFrameSize, 100)
    decoder.push(encodeFrame(frame(false, false, ascii("abcdef"))))
    assert.deepEqual(decoder.next()?.body, ascii("abcdef"))
  })

  it("handles many small chunks without quadratic work (100k one-octet chunks)", () => {
    const bytes = concat(...Array.from({ length: 20000 }, () => hex("01 03 61 62 63")))
    const decoder = new FrameDecoder(BIG)
    let count = 0
    for (let i = 0; i < bytes.length; i++) {
      decoder.push(bytes.subarray(i, i + 1))
      if (i % 1000 === 999) for (let f = decoder.next(); f !== undefined; f = decoder.next()) count++
    }
    for (let f = decoder.next(); f !== undefined; f = decoder.next()) count++
    assert.equal(count, 20000)
    assert.equal(decoder.buffered, 0)
  })
})

describe("FrameDecoder allocate (issue 13 item 4: memory that is not zero-filled)", () => {
  /** An allocator that hands out memory full of stale octets and records each size asked. */
  function staleAllocator(): { allocate: (size: number) => Uint8Array; sizes: number[] } {
    const sizes: number[] = []
    return { sizes, allocate: (size) => (sizes.push(size), new Uint8Array(size).fill(0xee)) }
  }

  it("assembles a body spread over chunks in the allocator's memory, every stale octet overwritten", () => {
    const body = new Uint8Array(70_000).map((_, i) => i % 251)
    const wire = encodeFrame(frame(false, false, body))
    const { allocate, sizes } = staleAllocator()
    const decoder = new FrameDecoder(BIG, allocate)
    for (const part of splitAt(wire, [9, 40_000, 65_536])) decoder.push(part)
    const out = decoder.next()
    assert.deepEqual(sizes, [70_000])
    assert.deepEqual(out?.body, body)
    assert.equal(out?.body.indexOf(0xee), body.indexOf(0xee), "no stale octet survives")
  })

  it("is not asked for a body within one chunk, nor for one over the limit", () => {
    const { allocate, sizes } = staleAllocator()
    const decoder = new FrameDecoder({ maxFrameSize: 100, maxCommandSize: 100 }, allocate)
    decoder.push(encodeFrame(frame(false, false, ascii("whole"))))
    assert.deepEqual(decoder.next()?.body, ascii("whole"))
    const tooBig = encodeFrame(frame(false, false, new Uint8Array(101)))
    decoder.push(tooBig.subarray(0, 3))
    assert.equal(codeOf(outcome(() => decoder.next())), ErrorCode.MESSAGE_TOO_LARGE)
    assert.deepEqual(sizes, [])
  })

  it("refuses an allocator that is not a function, or returns the wrong size, with TypeError", () => {
    assert.throws(() => new FrameDecoder(BIG, "no" as unknown as (size: number) => Uint8Array), TypeError)
    const decoder = new FrameDecoder(BIG, (size) => new Uint8Array(size - 1))
    for (const part of splitAt(encodeFrame(frame(false, false, ascii("abcdef"))), [4])) decoder.push(part)
    assert.throws(() => decoder.next(), TypeError)
  })
})

describe("FrameDecoder.nextInPlace (h20: the CURVE receive path)", () => {
  /** Drain with nextInPlace(), copying each body out of frameBytes as it is found. */
  function decodeInPlace(chunks: readonly Uint8Array[]): { frames: Frame[]; decoder: FrameDecoder } {
    const decoder = new FrameDecoder({ maxFrameSize: 70000, maxCommandSize: 70000 })
    const frames: Frame[] = []
    for (const chunk of chunks) {
      decoder.push(chunk)
      for (let flags = decoder.nextInPlace(); flags >= 0; flags = decoder.nextInPlace()) {
        assert.equal(flags & ~(FLAG_MORE | FLAG_COMMAND), 0, "only MORE and COMMAND come back")
        const at = decoder.frameOffset
        frames.push({
          more: (flags & FLAG_MORE) !== 0,
          command: (flags & FLAG_COMMAND) !== 0,
          body: decoder.frameBytes.slice(at, at + decoder.frameSize),
        })
      }
    }
    return { frames, decoder }
  }

  it("finds what next() finds, under a random chunking (property)", () => {
    fc.assert(
      fc.property(fc.array(arbitraryFrame(), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (frames, rawCuts) => {
        const bytes = concat(...frames.map(encodeFrame))
        const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
        const { frames: found, decoder } = decodeInPlace(splitAt(bytes, cuts))
        assert.deepEqual(plain(found), plain(frames))
        assert.equal(decoder.buffered, 0)
      }),
      { numRuns: 150 },
    )
  })

  it("points into the pushed chunk for a body within it, and at an exact copy for one spread over chunks", () => {
    const decoder = new FrameDecoder(BIG)
    const chunk = concat(encodeFrame(frame(false, false, ascii("abc"))), encodeFrame(frame(true, false, new Uint8Array(300).fill(7))).subarray(0, 100))
    decoder.push(chunk)
    assert.equal(decoder.nextInPlace(), 0)
    assert.equal(decoder.frameBytes, chunk)
    assert.equal(decoder.frameOffset, 2)
    assert.equal(decoder.frameSize, 3)
    assert.equal(decoder.nextInPlace(), -1)
    decoder.push(encodeFrame(frame(true, false, new Uint8Array(300).fill(7))).subarray(100))
    assert.equal(decoder.nextInPlace(), FLAG_MORE)
    assert.notEqual(decoder.frameBytes.buffer, chunk.buffer)
    assert.equal(decoder.frameBytes.length, 300)
    assert.equal(decoder.frameOffset, 0)
    assert.deepEqual(decoder.frameBytes, new Uint8Array(300).fill(7))
  })

  it("lets go of the last chunk once it returns -1, so an idle connection pins no read buffer", () => {
    const decoder = new FrameDecoder(BIG)
    const chunk = encodeFrame(frame(false, false, ascii("abc")))
    decoder.push(chunk)
    assert.equal(decoder.nextInPlace(), 0)
    assert.equal(decoder.frameBytes, chunk)
    assert.equal(decoder.nextInPlace(), -1)
    assert.equal(decoder.frameBytes.length, 0)
    assert.equal(decoder.frameSize, 0)
  })

  it("refuses as next() does, and stays failed", () => {
    const decoder = new FrameDecoder(BIG)
    decoder.push(hex("08"))
    assert.throws(() => decoder.nextInPlace(), (err: unknown) => err instanceof ProtocolError && err.code === ErrorCode.MALFORMED_FRAME)
    assert.throws(() => decoder.nextInPlace(), (err: unknown) => err instanceof ProtocolError && err.code === ErrorCode.MALFORMED_FRAME)
    assert.throws(() => decoder.next(), (err: unknown) => err instanceof ProtocolError && err.code === ErrorCode.MALFORMED_FRAME)
  })
})

describe("frame round trips (properties)", () => {
  it("decodes what encodeFrame wrote, under a random chunking", () => {
    fc.assert(
      fc.property(fc.array(arbitraryFrame(), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (frames, rawCuts) => {
        const bytes = concat(...frames.map(encodeFrame))
        const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
        assert.deepEqual(plain(decodeAll(splitAt(bytes, cuts), { maxFrameSize: 70000, maxCommandSize: 70000 })), plain(frames))
      }),
      { numRuns: 150 },
    )
  })

  it("decodes what FrameEncoder batched, whatever the flushes", () => {
    fc.assert(
      fc.property(fc.array(arbitraryFrame(), { minLength: 1, maxLength: 6 }), (frames) => {
        const encoder = new FrameEncoder()
        const chunks: Uint8Array[] = []
        for (const f of frames) {
          encoder.add(f)
          if (f.body.length % 3 === 0) chunks.push(...encoder.flush())
        }
        chunks.push(...encoder.flush())
        assert.deepEqual(plain(decodeAll(chunks, { maxFrameSize: 70000, maxCommandSize: 70000 })), plain(frames))
      }),
      { numRuns: 100 },
    )
  })

  it("gives the same frames split at every offset around the 255/256 boundary", () => {
    const bytes = concat(
      encodeFrame(frame(true, false, new Uint8Array(255).fill(1))),
      encodeFrame(frame(false, true, new Uint8Array(256).fill(2))),
      encodeFrame(frame(false, false, new Uint8Array(0))),
    )
    const result = sameForAllChunkings(bytes, (chunks) => plain(decodeAll(chunks)))
    assert.deepEqual(valueOf(result).map((f) => f.body.length), [255, 256, 0])
  })

  it("gives the same MESSAGE_TOO_LARGE under every chunking, after the same good frames", () => {
    const bytes = concat(encodeFrame(frame(false, false, ascii("ok"))), hex("02 ff ff ff ff ff ff ff ff"), new Uint8Array(20))
    const result = sameForAllChunkings(bytes, (chunks) => {
      const decoder = new FrameDecoder(BIG)
      const seen: number[] = []
      for (const chunk of chunks) {
        decoder.push(chunk)
        const got = outcome(() => {
          for (let f = decoder.next(); f !== undefined; f = decoder.next()) seen.push(f.body.length)
        })
        if (!got.ok) return { seen, code: got.code }
      }
      return { seen, code: undefined }
    })
    assert.deepEqual(valueOf(result), { seen: [2], code: ErrorCode.MESSAGE_TOO_LARGE })
  })
})
