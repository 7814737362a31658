import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { z85Decode, z85Encode } from "../../src/wire/z85.js"
import { hex, toHex } from "../vectors/hex.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS, RFC32_HELLO_WORLD } from "../vectors/z85.js"

const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

/** The 10 printable ASCII characters that RFC 32 leaves out of the alphabet. */
const PRINTABLE_OUTSIDE_ALPHABET = [" ", '"', "'", ",", ";", "\\", "_", "`", "|", "~"]

describe("z85Encode / z85Decode: vectors", () => {
  it("encodes the RFC 32 test case to HelloWorld", () => {
    assert.equal(z85Encode(RFC32_HELLO_WORLD.bytes), RFC32_HELLO_WORLD.text)
  })

  it("decodes HelloWorld to the RFC 32 test case", () => {
    assert.equal(toHex(z85Decode(RFC32_HELLO_WORLD.text)), toHex(RFC32_HELLO_WORLD.bytes))
  })

  for (const [name, pair] of [
    ["client", LIBZMQ_CLIENT_KEYS],
    ["server", LIBZMQ_SERVER_KEYS],
  ] as const) {
    it(`matches libzmq's documented ${name} test key pair (hex <-> Z85)`, () => {
      assert.equal(z85Encode(pair.publicKey), pair.publicZ85)
      assert.equal(z85Encode(pair.secretKey), pair.secretZ85)
      assert.equal(toHex(z85Decode(pair.publicZ85)), toHex(pair.publicKey))
      assert.equal(toHex(z85Decode(pair.secretZ85)), toHex(pair.secretKey))
    })
  }

  it("maps the extremes like libzmq's tests: 0 -> 00000, 0xFFFFFFFF -> %nSc0", () => {
    assert.equal(z85Encode(hex("00000000")), "00000")
    assert.equal(z85Encode(hex("ffffffff")), "%nSc0")
    assert.equal(toHex(z85Decode("%nSc0")), "ffffffff")
    assert.equal(toHex(z85Decode("00000")), "00000000")
  })

  it("round-trips libzmq's 'regular' test string", () => {
    const text = "r^/rM9M=rMToK)63O8dCvd9D<PY<7iGlC+{BiSnG"
    assert.equal(z85Encode(z85Decode(text)), text)
  })

  it("maps each base-85 digit to its RFC 32 character in the last position", () => {
    for (let digit = 0; digit < 85; digit++) {
      const encoded = z85Encode(Uint8Array.of(0, 0, 0, digit))
      assert.equal(encoded, `0000${ALPHABET[digit]}`)
    }
  })

  it("encodes and decodes the empty frame as the empty string", () => {
    assert.equal(z85Encode(new Uint8Array(0)), "")
    assert.equal(z85Decode("").length, 0)
  })

  it("decodes a subarray view from its own offset", () => {
    const backing = new Uint8Array(12)
    backing.set(RFC32_HELLO_WORLD.bytes, 4)
    assert.equal(z85Encode(backing.subarray(4)), RFC32_HELLO_WORLD.text)
  })
})

describe("z85Encode: rejections", () => {
  for (const length of [1, 2, 3, 5, 31, 42]) {
    it(`throws RangeError for length ${length} (not divisible by 4)`, () => {
      assert.throws(() => z85Encode(new Uint8Array(length)), {
        name: "RangeError",
        message: new RegExp(`divisible by 4.*got length ${length}`),
      })
    })
  }

  it("throws TypeError for a non-Uint8Array", () => {
    assert.throws(() => z85Encode("abcd" as unknown as Uint8Array), {
      name: "TypeError",
      message: /expected Uint8Array, got string of length 4/,
    })
  })
})

describe("z85Decode: rejections", () => {
  for (const text of ["0", "01234567", "0000", "000000"]) {
    it(`throws RangeError for length ${text.length} (not divisible by 5)`, () => {
      assert.throws(() => z85Decode(text), {
        name: "RangeError",
        message: new RegExp(`divisible by 5.*got length ${text.length}`),
      })
    })
  }

  it("throws RangeError for a group above 0xFFFFFFFF (%nSc1, #####)", () => {
    for (const text of ["%nSc1", "#####", "00000%nSc1"]) {
      assert.throws(() => z85Decode(text), {
        name: "RangeError",
        message: /at most 0xFFFFFFFF/,
      })
    }
  })

  it("names the position of the overflowing group", () => {
    assert.throws(() => z85Decode("00000%nSc1"), { message: /group at position 5/ })
  })

  for (const char of PRINTABLE_OUTSIDE_ALPHABET) {
    it(`throws RangeError for the printable non-alphabet character ${JSON.stringify(char)}`, () => {
      assert.throws(() => z85Decode(`012${char}4`), {
        name: "RangeError",
        message: /outside the alphabet/,
      })
    })
  }

  it("throws RangeError for control, DEL, Latin-1 and astral characters", () => {
    for (const char of ["\u0000", "\u0004", "\u001f", "\u007f", "\u0080", "\u00e9", "\u{1F600}"]) {
      // Pad to a multiple of 5 code units (the emoji is two).
      const text = `${char}0000`.padEnd(Math.ceil((char.length + 4) / 5) * 5, "0")
      assert.throws(() => z85Decode(text), { name: "RangeError", message: /position 0/ })
    }
  })

  it("names the position of the bad character", () => {
    assert.throws(() => z85Decode("HelloWor~d"), { message: /at position 8/ })
  })

  it("never echoes the input in its messages (it may be a secret key)", () => {
    const secret = LIBZMQ_CLIENT_KEYS.secretZ85
    const damaged = `${secret.slice(0, 39)}~`
    try {
      z85Decode(damaged)
      assert.fail("expected a RangeError")
    } catch (err) {
      assert.ok(err instanceof RangeError)
      for (let i = 0; i + 5 <= 39; i += 5) {
        assert.ok(!err.message.includes(secret.slice(i, i + 5)), "message holds key text")
      }
    }
  })

  it("throws TypeError for a non-string", () => {
    assert.throws(() => z85Decode(new Uint8Array(5) as unknown as string), {
      name: "TypeError",
      message: /expected string, got Uint8Array of length 5/,
    })
  })
})

describe("z85: properties", () => {
  it("decode(encode(bytes)) === bytes for any length divisible by 4", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }).chain((words) =>
          fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }),
        ),
        (bytes) => {
          const text = z85Encode(bytes)
          assert.equal(text.length, (bytes.length / 4) * 5)
          assert.equal(toHex(z85Decode(text)), toHex(bytes))
        },
      ),
      { numRuns: 300 },
    )
  })

  it("any alphabet string of length 5n decodes and re-encodes to itself, or overflows", () => {
    const alphabetChar = fc.constantFrom(...ALPHABET.split(""))
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 16 }).chain((groups) =>
          fc.array(alphabetChar, { minLength: groups * 5, maxLength: groups * 5 }),
        ),
        (chars) => {
          const text = chars.join("")
          let bytes: Uint8Array
          try {
            bytes = z85Decode(text)
          } catch (err) {
            assert.ok(err instanceof RangeError && /0xFFFFFFFF/.test(err.message))
            return
          }
          assert.equal(z85Encode(bytes), text)
        },
      ),
      { numRuns: 300 },
    )
  })

  it("encoding uses only RFC 32 alphabet characters", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        for (const char of z85Encode(bytes)) assert.ok(ALPHABET.includes(char))
      }),
      { numRuns: 200 },
    )
  })
})
