import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import { GREETING_SIZE, Mechanism, type MechanismName } from "../../src/wire/constants.js"
import { checkGreetingPrefix, decodeGreeting, encodeGreeting, type Greeting } from "../../src/wire/greeting.js"
import { codeOf, outcome, sameForAllChunkings, valueOf } from "../helpers/chunking.js"
import { LIBZMQ_DEALER_GREETING, LIBZMQ_PLAIN_CLIENT, ascii, concat, hex } from "./vectors.js"

/** What the engine does: accumulate, check the prefix on every chunk, decode at 64 octets. */
function receiveGreeting(chunks: readonly Uint8Array[]): Greeting | undefined {
  const buf = new Uint8Array(GREETING_SIZE)
  let have = 0
  for (const chunk of chunks) {
    const take = Math.min(GREETING_SIZE - have, chunk.length)
    buf.set(chunk.subarray(0, take), have)
    have += take
    checkGreetingPrefix(buf.subarray(0, have))
    if (have === GREETING_SIZE) return decodeGreeting(buf)
  }
  return undefined
}

/** How many octets, fed one at a time, until checkGreetingPrefix/decodeGreeting refuses. */
function octetsUntilRefused(bytes: Uint8Array): { at: number; code: ErrorCode } {
  for (let n = 1; n <= bytes.length; n++) {
    const result = outcome(() => {
      checkGreetingPrefix(bytes.subarray(0, n))
      if (n === GREETING_SIZE) decodeGreeting(bytes)
    })
    if (!result.ok) return { at: n, code: result.code }
  }
  assert.fail("greeting was never refused")
}

function greeting(fields: { major?: number; minor?: number; mechanism?: Uint8Array; asServer?: number; padding?: number }): Uint8Array {
  const g = encodeGreeting(Mechanism.NULL, false)
  if (fields.major !== undefined) g[10] = fields.major
  if (fields.minor !== undefined) g[11] = fields.minor
  if (fields.mechanism !== undefined) {
    g.fill(0, 12, 32)
    g.set(fields.mechanism, 12)
  }
  if (fields.asServer !== undefined) g[32] = fields.asServer
  if (fields.padding !== undefined) g.fill(fields.padding, 1, 9)
  return g
}

describe("encodeGreeting", () => {
  it("writes the RFC 37 worked-example greeting for NULL", () => {
    const expected = concat(hex("ff 00 00 00 00 00 00 00 00 7f 03 01"), ascii("NULL"), new Uint8Array(16), hex("00"), new Uint8Array(31))
    assert.deepEqual(encodeGreeting(Mechanism.NULL, false), expected)
  })

  it("writes mechanism and as-server for PLAIN and CURVE", () => {
    const plain = encodeGreeting(Mechanism.PLAIN, true)
    assert.equal(plain.length, 64)
    assert.deepEqual(plain.subarray(12, 17), ascii("PLAIN"))
    assert.deepEqual(plain.subarray(17, 32), new Uint8Array(15))
    assert.equal(plain[32], 1)
    const curve = encodeGreeting(Mechanism.CURVE, false)
    assert.deepEqual(curve.subarray(12, 17), ascii("CURVE"))
    assert.equal(curve[32], 0)
  })

  it("matches libzmq 4.3.5's PLAIN client greeting except for the not-significant padding", () => {
    assert.deepEqual(encodeGreeting(Mechanism.PLAIN, false).subarray(9), LIBZMQ_PLAIN_CLIENT.subarray(9, 64))
  })

  it("always sends as-server 0 for NULL (RFC 37: MUST be zero)", () => {
    assert.equal(encodeGreeting(Mechanism.NULL, true)[32], 0)
  })

  it("refuses mechanism names the grammar does not allow", () => {
    assert.throws(() => encodeGreeting("" as MechanismName, false), RangeError)
    assert.throws(() => encodeGreeting("A".repeat(21) as MechanismName, false), RangeError)
    assert.throws(() => encodeGreeting("null" as MechanismName, false), RangeError)
    assert.throws(() => encodeGreeting(7 as unknown as MechanismName, false), TypeError)
  })
})

describe("decodeGreeting", () => {
  it("round-trips every mechanism and role", () => {
    for (const mechanism of Object.values(Mechanism)) {
      for (const asServer of [false, true]) {
        assert.deepEqual(decodeGreeting(encodeGreeting(mechanism, asServer)), {
          major: 3,
          minor: 1,
          mechanism,
          asServer: asServer && mechanism !== Mechanism.NULL,
        })
      }
    }
  })

  it("decodes libzmq 4.3.5's greetings (padding carrying the identity-length trick)", () => {
    assert.deepEqual(decodeGreeting(LIBZMQ_DEALER_GREETING), { major: 3, minor: 1, mechanism: "NULL", asServer: false })
    assert.deepEqual(decodeGreeting(LIBZMQ_PLAIN_CLIENT.subarray(0, 64)), { major: 3, minor: 1, mechanism: "PLAIN", asServer: false })
  })

  it("accepts ZMTP 3.0 and any higher version (RFC 37: MUST accept higher versions)", () => {
    assert.equal(decodeGreeting(greeting({ minor: 0 })).minor, 0)
    assert.deepEqual(decodeGreeting(greeting({ major: 4, minor: 7 })), { major: 4, minor: 7, mechanism: "NULL", asServer: false })
    assert.equal(decodeGreeting(greeting({ major: 255, minor: 255 })).major, 255)
  })

  it("never validates the padding nor the filler", () => {
    assert.equal(decodeGreeting(greeting({ padding: 0xaa })).mechanism, "NULL")
    const g = greeting({})
    g.fill(0x55, 33, 64)
    assert.equal(decodeGreeting(g).mechanism, "NULL")
  })

  it("accepts a 20-character mechanism and every mechanism-char", () => {
    assert.equal(decodeGreeting(greeting({ mechanism: ascii("A-Z_0.9+BCDEFGHIJKLM") })).mechanism, "A-Z_0.9+BCDEFGHIJKLM")
  })

  it("refuses a mechanism character outside the grammar with BAD_GREETING", () => {
    for (const bad of ["null", "NU LL", "NULL\x01", "\xffNULL"]) {
      assert.throws(() => decodeGreeting(greeting({ mechanism: ascii(bad) })), ProtocolError)
      assert.equal(codeOf(outcome(() => decodeGreeting(greeting({ mechanism: ascii(bad) })))), ErrorCode.BAD_GREETING, bad)
    }
  })

  it("refuses a name character after the NUL padding started with BAD_GREETING", () => {
    assert.equal(codeOf(outcome(() => decodeGreeting(greeting({ mechanism: ascii("NULL\0X") })))), ErrorCode.BAD_GREETING)
  })

  it("refuses an empty mechanism with BAD_GREETING", () => {
    assert.equal(codeOf(outcome(() => decodeGreeting(greeting({ mechanism: new Uint8Array(0) })))), ErrorCode.BAD_GREETING)
  })

  it("refuses as-server other than 0 or 1 with BAD_GREETING", () => {
    assert.equal(decodeGreeting(greeting({ asServer: 1 })).asServer, true)
    assert.equal(codeOf(outcome(() => decodeGreeting(greeting({ asServer: 2 })))), ErrorCode.BAD_GREETING)
  })

  it("raises RangeError for anything but 64 octets (a caller bug, not network input)", () => {
    assert.throws(() => decodeGreeting(new Uint8Array(63)), RangeError)
    assert.throws(() => decodeGreeting(new Uint8Array(65)), RangeError)
  })
})

describe("checkGreetingPrefix", () => {
  it("accepts every prefix of a valid greeting, including the empty one", () => {
    const g = LIBZMQ_DEALER_GREETING
    for (let n = 0; n <= 64; n++) checkGreetingPrefix(g.subarray(0, n))
  })

  it("refuses a ZMTP 1.0 short identity (octet 0 not 0xFF) after one octet", () => {
    assert.deepEqual(octetsUntilRefused(concat(hex("06 00"), ascii("hello"), new Uint8Array(57))), { at: 1, code: ErrorCode.BAD_GREETING })
  })

  it("refuses a ZMTP 1.0 long identity (octet 9 low bit clear) at octet 10", () => {
    const g = greeting({})
    g[9] = 0x7e
    assert.deepEqual(octetsUntilRefused(g), { at: 10, code: ErrorCode.BAD_GREETING })
  })

  it("refuses ZMTP 2.0 (major 1 or 2) at octet 11: there is no downgrade", () => {
    assert.deepEqual(octetsUntilRefused(greeting({ major: 1 })), { at: 11, code: ErrorCode.BAD_GREETING })
    assert.deepEqual(octetsUntilRefused(greeting({ major: 2 })), { at: 11, code: ErrorCode.BAD_GREETING })
    assert.deepEqual(octetsUntilRefused(greeting({ major: 0 })), { at: 11, code: ErrorCode.BAD_GREETING })
  })

  it("refuses a bad mechanism only once the whole greeting is in", () => {
    assert.deepEqual(octetsUntilRefused(greeting({ mechanism: ascii("bad") })), { at: 64, code: ErrorCode.BAD_GREETING })
  })

  it("tests only the low bit of octet 9, like libzmq", () => {
    const g = greeting({})
    g[9] = 0x01
    checkGreetingPrefix(g)
    assert.equal(decodeGreeting(g).mechanism, "NULL")
  })

  it("accepts any padding and any major >= 3 (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.integer({ min: 3, max: 255 }), fc.integer({ min: 0, max: 11 }), (padding, major, n) => {
        const g = greeting({ major })
        g.set(padding, 1)
        checkGreetingPrefix(g.subarray(0, n))
        assert.equal(decodeGreeting(g).major, major)
      }),
      { numRuns: 200 },
    )
  })
})

describe("greeting under every chunking", () => {
  it("gives the same greeting however libzmq's bytes are cut", () => {
    const result = sameForAllChunkings(LIBZMQ_DEALER_GREETING, receiveGreeting)
    assert.deepEqual(valueOf(result), { major: 3, minor: 1, mechanism: "NULL", asServer: false })
  })

  it("gives the same BAD_GREETING however a ZMTP 2.0 greeting is cut", () => {
    assert.equal(codeOf(sameForAllChunkings(greeting({ major: 2 }), receiveGreeting)), ErrorCode.BAD_GREETING)
  })

  it("gives the same BAD_GREETING however a bad as-server greeting is cut", () => {
    assert.equal(codeOf(sameForAllChunkings(greeting({ asServer: 9 }), receiveGreeting)), ErrorCode.BAD_GREETING)
  })
})
