import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { hsalsa20ZeroInput } from "../../src/crypto/hsalsa20.js"
import { toHex } from "../vectors/hex.js"
import { NACL_BOX } from "../vectors/nacl.js"
import { RFC7748_DH } from "../vectors/x25519.js"

describe("hsalsa20ZeroInput", () => {
  it("NaCl core1.c: HSalsa20(RFC 7748 shared secret, 0) = firstkey", () => {
    assert.equal(toHex(hsalsa20ZeroInput(RFC7748_DH.shared)), toHex(NACL_BOX.firstKey))
  })

  it("reads a key from an unaligned subarray view and leaves it unchanged", () => {
    const backing = new Uint8Array(35)
    backing.set(RFC7748_DH.shared, 3)
    const key = backing.subarray(3)
    assert.equal(toHex(hsalsa20ZeroInput(key)), toHex(NACL_BOX.firstKey))
    assert.equal(toHex(key), toHex(RFC7748_DH.shared))
  })

  it("throws RangeError for a key that is not 32 octets", () => {
    assert.throws(() => hsalsa20ZeroInput(new Uint8Array(31)), {
      name: "RangeError",
      message: /expected key of length 32, got length 31/,
    })
  })
})
