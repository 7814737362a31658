import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { isWeakPublicKey, LOW_ORDER_POINTS } from "../../src/crypto/low-order-points.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../vectors/z85.js"
import { RFC7748_DH } from "../vectors/x25519.js"

describe("isWeakPublicKey", () => {
  it("lists libsodium's seven blocklisted points", () => {
    assert.equal(LOW_ORDER_POINTS.length, 7)
    assert.ok(LOW_ORDER_POINTS.every((p) => p.length === 32))
  })

  it("flags each low-order point, with the ignored top bit clear or set", () => {
    for (const point of LOW_ORDER_POINTS) {
      assert.equal(isWeakPublicKey(point), true)
      const withTopBit = point.slice()
      withTopBit[31]! |= 0x80
      assert.equal(isWeakPublicKey(withTopBit), true)
    }
  })

  it("flags the all-zero key", () => {
    assert.equal(isWeakPublicKey(new Uint8Array(32)), true)
  })

  it("passes real public keys", () => {
    for (const key of [
      RFC7748_DH.alicePublic,
      RFC7748_DH.bobPublic,
      LIBZMQ_CLIENT_KEYS.publicKey,
      LIBZMQ_SERVER_KEYS.publicKey,
    ]) {
      assert.equal(isWeakPublicKey(key), false)
    }
  })

  it("passes a point that differs from a listed one in a single bit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: LOW_ORDER_POINTS.length - 1 }),
        fc.integer({ min: 0, max: 254 }),
        (index, bit) => {
          const key = LOW_ORDER_POINTS[index]!.slice()
          key[bit >> 3]! ^= 1 << (bit & 7)
          const collides = LOW_ORDER_POINTS.some(
            (p) => p.every((b, i) => (i === 31 ? (key[i]! & 0x7f) === b : key[i] === b)),
          )
          assert.equal(isWeakPublicKey(key), collides)
        },
      ),
      { numRuns: 200 },
    )
  })

  it("throws TypeError / RangeError for a wrong argument", () => {
    assert.throws(() => isWeakPublicKey(new Uint8Array(31)), {
      name: "RangeError",
      message: /expected publicKey of length 32, got length 31/,
    })
    assert.throws(() => isWeakPublicKey("key" as unknown as Uint8Array), { name: "TypeError" })
  })
})
