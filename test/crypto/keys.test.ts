import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { createRequire } from "node:module"
import { curveKeyPair, curvePublicKey, toKey } from "../../src/crypto/keys.js"
import { publicFromSecret } from "../../src/crypto/index.js"
import { z85Decode, z85Encode } from "../../src/wire/z85.js"
import { toHex } from "../vectors/hex.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../vectors/z85.js"

describe("toKey", () => {
  it("decodes a 40-character Z85 key", () => {
    assert.equal(toHex(toKey(LIBZMQ_SERVER_KEYS.publicZ85, "curveServerKey")), toHex(LIBZMQ_SERVER_KEYS.publicKey))
  })

  it("returns a copy of a 32-octet key, so wiping it leaves the caller's alone", () => {
    const original = LIBZMQ_CLIENT_KEYS.secretKey.slice()
    const key = toKey(original, "curveSecretKey")
    assert.notEqual(key, original)
    assert.equal(toHex(key), toHex(original))
    key.fill(0)
    assert.equal(toHex(original), toHex(LIBZMQ_CLIENT_KEYS.secretKey))
  })

  it("accepts a Buffer and returns a plain Uint8Array", () => {
    const key = toKey(Buffer.from(LIBZMQ_CLIENT_KEYS.publicKey), "curvePublicKey")
    assert.equal(key.constructor, Uint8Array)
    assert.equal(toHex(key), toHex(LIBZMQ_CLIENT_KEYS.publicKey))
  })

  it("throws RangeError naming the option and the length for a wrong-size array or string", () => {
    assert.throws(() => toKey(new Uint8Array(31), "curveSecretKey"), {
      name: "RangeError",
      message: /^curveSecretKey: expected 32 octets or a 40-character Z85 string, got Uint8Array of length 31$/,
    })
    assert.throws(() => toKey(LIBZMQ_CLIENT_KEYS.secretZ85.slice(0, 35), "curveSecretKey"), {
      name: "RangeError",
      message: /^curveSecretKey: expected .* got string of length 35$/,
    })
  })

  it("throws RangeError naming the option and position for a bad Z85 character, without the key", () => {
    const damaged = `${LIBZMQ_CLIENT_KEYS.secretZ85.slice(0, 20)} ${LIBZMQ_CLIENT_KEYS.secretZ85.slice(21)}`
    assert.throws(
      () => toKey(damaged, "curveSecretKey"),
      (err: unknown) => {
        assert.ok(err instanceof RangeError)
        assert.match(err.message, /^curveSecretKey: .*position 20/)
        for (let i = 0; i + 5 <= 40; i += 5) {
          assert.ok(!err.message.includes(damaged.slice(i, i + 5)), "message holds key text")
        }
        return true
      },
    )
  })

  it("throws TypeError for other types", () => {
    for (const value of [undefined, null, 42, [1, 2, 3], new Uint16Array(16)]) {
      assert.throws(() => toKey(value as unknown as string, "curveServerKey"), {
        name: "TypeError",
        message: /^curveServerKey: expected Uint8Array of length 32 or a 40-character Z85 string, got /,
      })
    }
  })
})

describe("curvePublicKey", () => {
  it("derives libzmq's documented public keys from their secret keys (zmq_curve_public)", () => {
    assert.equal(curvePublicKey(LIBZMQ_CLIENT_KEYS.secretZ85), LIBZMQ_CLIENT_KEYS.publicZ85)
    assert.equal(curvePublicKey(LIBZMQ_SERVER_KEYS.secretZ85), LIBZMQ_SERVER_KEYS.publicZ85)
  })

  it("accepts the secret key as 32 octets and leaves them unchanged", () => {
    const secret = LIBZMQ_SERVER_KEYS.secretKey.slice()
    assert.equal(curvePublicKey(secret), LIBZMQ_SERVER_KEYS.publicZ85)
    assert.equal(toHex(secret), toHex(LIBZMQ_SERVER_KEYS.secretKey))
  })
})

describe("curveKeyPair", () => {
  it("returns 40-character Z85 keys that belong together", () => {
    const pair = curveKeyPair()
    assert.equal(pair.publicKey.length, 40)
    assert.equal(pair.secretKey.length, 40)
    assert.equal(toHex(publicFromSecret(z85Decode(pair.secretKey))), toHex(z85Decode(pair.publicKey)))
  })

  it("returns a different pair each time", () => {
    assert.notEqual(curveKeyPair().secretKey, curveKeyPair().secretKey)
  })
})

describe("interop with libzmq (the zeromq package's curveKeyPair)", () => {
  const zmq = createRequire(import.meta.url)("zeromq") as {
    curveKeyPair(): { publicKey: string; secretKey: string }
  }

  it("derives libzmq's public key from libzmq's secret key, and round-trips its Z85", () => {
    for (let i = 0; i < 20; i++) {
      const pair = zmq.curveKeyPair()
      assert.equal(curvePublicKey(pair.secretKey), pair.publicKey)
      assert.equal(z85Encode(z85Decode(pair.secretKey)), pair.secretKey)
      assert.equal(z85Encode(z85Decode(pair.publicKey)), pair.publicKey)
    }
  })
})
