import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode } from "../../src/errors.js"
import { PROPERTY_VALUE_MAX, Property } from "../../src/wire/constants.js"
import { decodeMetadata, encodeMetadata, getProperty, makeMetadata, metadataToRecord } from "../../src/wire/metadata.js"
import type { Metadata } from "../../src/wire/types.js"
import { codeOf, outcome } from "../helpers/chunking.js"
import { RFC37_DEALER_READY, ascii, concat, hex } from "./vectors.js"

/** The metadata part of the RFC 37 worked-example READY (after flags, size and "\x05READY"). */
const RFC_METADATA = RFC37_DEALER_READY.subarray(8)

function property(name: string, value: Uint8Array): Uint8Array {
  const n = value.length
  return concat(new Uint8Array([name.length]), ascii(name), new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]), value)
}

function codeFor(bytes: Uint8Array, code?: ErrorCode): ErrorCode {
  return codeOf(outcome(() => decodeMetadata(bytes, code)))
}

const nameChar = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+")
const arbitraryName = fc.array(nameChar, { minLength: 1, maxLength: 255 }).map((cs) => cs.join(""))

describe("encodeMetadata / decodeMetadata", () => {
  it("matches the RFC 37 worked example", () => {
    const md = makeMetadata({ "Socket-Type": "DEALER", Identity: "" })
    assert.deepEqual(encodeMetadata(md), RFC_METADATA)
    assert.deepEqual(decodeMetadata(RFC_METADATA), new Map([["Socket-Type", ascii("DEALER")], ["Identity", new Uint8Array(0)]]))
  })

  it("encodes and decodes nothing as nothing", () => {
    assert.deepEqual(encodeMetadata(new Map()), new Uint8Array(0))
    assert.deepEqual(decodeMetadata(new Uint8Array(0)), new Map())
  })

  it("keeps insertion order and the names' case", () => {
    const md = decodeMetadata(concat(property("b-Second", ascii("2")), property("A.first+", ascii("1"))))
    assert.deepEqual([...md.keys()], ["b-Second", "A.first+"])
  })

  it("returns values that are copies, not views of the input", () => {
    const bytes = property("X", ascii("abc"))
    const md = decodeMetadata(bytes)
    bytes.fill(0)
    assert.deepEqual(md.get("X"), ascii("abc"))
    assert.equal(Object.getPrototypeOf(md.get("X")), Uint8Array.prototype)
  })

  it("round-trips any valid metadata (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(arbitraryName, fc.uint8Array({ maxLength: 300 })), { maxLength: 6, selector: ([n]) => n.toLowerCase() }), (props) => {
        const md: Metadata = new Map(props)
        assert.deepEqual(decodeMetadata(encodeMetadata(md)), md)
      }),
      { numRuns: 200 },
    )
  })

  it("gives the same result or a ProtocolError for every truncation of valid metadata", () => {
    const bytes = concat(property("Socket-Type", ascii("ROUTER")), property("X-Long", new Uint8Array(300).fill(3)))
    for (let n = 0; n < bytes.length; n++) {
      const result = outcome(() => decodeMetadata(bytes.subarray(0, n)))
      if (n === 0 || n === 22) assert.equal(result.ok, true, `cut at ${n} is a property boundary`)
      else assert.equal(codeOf(result), ErrorCode.INVALID_METADATA, `cut at ${n}`)
    }
  })
})

describe("decodeMetadata errors (each uses the code passed in, default INVALID_METADATA)", () => {
  it("a name length of 0", () => {
    assert.equal(codeFor(hex("00 00 00 00 00")), ErrorCode.INVALID_METADATA)
    assert.equal(codeFor(hex("00 00 00 00 00"), ErrorCode.MALFORMED_COMMAND_READY), ErrorCode.MALFORMED_COMMAND_READY)
  })

  it("a name running past the end", () => {
    assert.equal(codeFor(hex("05 41 42")), ErrorCode.INVALID_METADATA)
    assert.equal(codeFor(hex("05 41 42"), ErrorCode.MALFORMED_COMMAND_INITIATE), ErrorCode.MALFORMED_COMMAND_INITIATE)
  })

  it("a name character outside ALPHA DIGIT - _ . +", () => {
    for (const bad of [0x00, 0x20, 0x2f, 0x3a, 0x7f, 0xe9]) {
      assert.equal(codeFor(concat(hex("02 41"), new Uint8Array([bad]), hex("00 00 00 00"))), ErrorCode.INVALID_METADATA, `0x${bad.toString(16)}`)
    }
    assert.equal(codeFor(hex("01 20 00 00 00 00"), ErrorCode.MALFORMED_COMMAND_READY), ErrorCode.MALFORMED_COMMAND_READY)
  })

  it("a value length truncated", () => {
    assert.equal(codeFor(hex("01 41 00 00 00")), ErrorCode.INVALID_METADATA)
    assert.equal(codeFor(hex("01 41"), ErrorCode.MALFORMED_COMMAND_READY), ErrorCode.MALFORMED_COMMAND_READY)
  })

  it("a value length over 2^31-1, even with nothing after it", () => {
    assert.equal(codeFor(hex("01 41 80 00 00 00")), ErrorCode.INVALID_METADATA)
    assert.equal(codeFor(hex("01 41 ff ff ff ff"), ErrorCode.MALFORMED_COMMAND_READY), ErrorCode.MALFORMED_COMMAND_READY)
  })

  it("a value running past the end", () => {
    assert.equal(codeFor(hex("01 41 00 00 00 02 61")), ErrorCode.INVALID_METADATA)
    assert.equal(codeFor(hex("01 41 7f ff ff ff 61"), ErrorCode.MALFORMED_COMMAND_READY), ErrorCode.MALFORMED_COMMAND_READY)
  })

  it("a name repeated, in any case", () => {
    assert.equal(codeFor(concat(property("Identity", ascii("a")), property("Identity", ascii("b")))), ErrorCode.INVALID_METADATA)
    assert.equal(
      codeFor(concat(property("Socket-Type", ascii("PUB")), property("socket-type", ascii("SUB"))), ErrorCode.MALFORMED_COMMAND_READY),
      ErrorCode.MALFORMED_COMMAND_READY,
    )
  })

  it("a single trailing octet after a good property", () => {
    assert.equal(codeFor(concat(property("A", ascii("1")), hex("01"))), ErrorCode.INVALID_METADATA)
  })
})

describe("getProperty", () => {
  it("looks names up case-insensitively (RFC 37)", () => {
    const md = decodeMetadata(RFC_METADATA)
    assert.deepEqual(getProperty(md, Property.SOCKET_TYPE), ascii("DEALER"))
    assert.deepEqual(getProperty(md, "SOCKET-TYPE"), ascii("DEALER"))
    assert.deepEqual(getProperty(md, "identity"), new Uint8Array(0))
    assert.equal(getProperty(md, "Resource"), undefined)
  })
})

describe("makeMetadata", () => {
  it("UTF-8 encodes strings and copies byte values", () => {
    const bytes = ascii("raw")
    const md = makeMetadata({ "X-Text": "héllo", "X-Bytes": bytes })
    bytes.fill(0)
    assert.deepEqual(md.get("X-Text"), hex("68 c3 a9 6c 6c 6f"))
    assert.deepEqual(md.get("X-Bytes"), ascii("raw"))
  })

  it("refuses invalid and repeated names and bad values with TypeError", () => {
    assert.throws(() => makeMetadata({ "": "x" }), TypeError)
    assert.throws(() => makeMetadata({ "has space": "x" }), TypeError)
    assert.throws(() => makeMetadata({ "X:y": "x" }), TypeError)
    assert.throws(() => makeMetadata({ ["A".repeat(256)]: "x" }), TypeError)
    assert.throws(() => makeMetadata({ "X-a": "1", "x-A": "2" }), TypeError)
    assert.throws(() => makeMetadata({ "X-n": 5 as unknown as string }), TypeError)
    assert.throws(() => makeMetadata(null as unknown as Record<string, string>), TypeError)
  })

  it("accepts a 255-character name", () => {
    const name = "N".repeat(255)
    assert.deepEqual(decodeMetadata(encodeMetadata(makeMetadata({ [name]: "v" }))).get(name), ascii("v"))
  })
})

describe("encodeMetadata argument errors", () => {
  it("refuses invalid names, names repeated in any case, and non-byte values", () => {
    assert.throws(() => encodeMetadata(new Map([["bad name", new Uint8Array(0)]])), TypeError)
    assert.throws(() => encodeMetadata(new Map([["A", new Uint8Array(0)], ["a", new Uint8Array(0)]])), TypeError)
    assert.throws(() => encodeMetadata(new Map([["A", "x" as unknown as Uint8Array]])), TypeError)
  })

  it("never prints a value in its messages", () => {
    assert.throws(
      () => encodeMetadata(new Map([["X-Secret", "hunter2" as unknown as Uint8Array]])),
      (e: unknown) => e instanceof TypeError && e.message.includes("X-Secret") && !e.message.includes("hunter2"),
    )
  })

  it("knows the RFC 37 value limit of 2^31-1", () => {
    assert.equal(PROPERTY_VALUE_MAX, 2 ** 31 - 1)
  })
})

describe("metadataToRecord", () => {
  it("decodes values as UTF-8, with U+FFFD for invalid octets", () => {
    const md = decodeMetadata(concat(property("Socket-Type", ascii("PUB")), property("X-Bad", hex("ff 41"))))
    assert.deepEqual(metadataToRecord(md), { "Socket-Type": "PUB", "X-Bad": "\ufffdA" })
  })

  it("keeps a \"__proto__\" property as an own property instead of changing the prototype", () => {
    const md = decodeMetadata(property("__proto__", ascii("x")))
    const record = metadataToRecord(md)
    assert.equal(Object.getPrototypeOf(record), Object.prototype)
    assert.deepEqual(Object.keys(record), ["__proto__"])
    assert.equal(Object.getOwnPropertyDescriptor(record, "__proto__")?.value, "x")
    const back = makeMetadata(record)
    assert.deepEqual(back.get("__proto__"), ascii("x"))
  })
})
