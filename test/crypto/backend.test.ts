/**
 * Each backend against the published vectors, and the backends against each other.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import { BACKEND_NAMES, loadBackend, type CryptoBackend } from "../../src/crypto/backend.js"
import { fastSecretbox, loadSodiumNative, type SodiumNative } from "../../src/crypto/sodium-native-backend.js"
import { createRequire } from "node:module"
import { LOW_ORDER_POINTS } from "../../src/crypto/low-order-points.js"
import { toHex } from "../vectors/hex.js"
import { NACL_BOX } from "../vectors/nacl.js"
import { RFC7748_DH } from "../vectors/x25519.js"
import { availableBackends, SODIUM_NATIVE_INSTALLED } from "./available-backends.js"

const backends = await availableBackends()

function isKeyExchangeError(err: unknown): boolean {
  return err instanceof ProtocolError && err.code === ErrorCode.KEY_EXCHANGE
}

describe("loadBackend", () => {
  it("loads libsodium-wrappers, and sodium-native whenever it is installed", async () => {
    const names = backends.map((b) => b.name)
    assert.ok(names.includes("libsodium-wrappers"))
    assert.equal(names.includes("sodium-native"), SODIUM_NATIVE_INSTALLED)
  })

  it("returns the same backend object on a second load", async () => {
    assert.equal(await loadBackend("libsodium-wrappers"), await loadBackend("libsodium-wrappers"))
  })

  it("rejects an unknown name with a RangeError listing the names", async () => {
    await assert.rejects(loadBackend("tweetnacl" as never), {
      name: "RangeError",
      message: new RegExp(BACKEND_NAMES.map((n) => `"${n}"`).join(", ")),
    })
  })

  it("reports an unloadable sodium-native with a clear Error and its cause", () => {
    const cause = new Error("No native build was found for platform=plan9")
    assert.throws(
      () =>
        loadSodiumNative(() => {
          throw cause
        }),
      (err: unknown) => {
        assert.ok(err instanceof Error)
        assert.match(err.message, /crypto backend "sodium-native" is not available: No native/)
        assert.equal(err.cause, cause)
        return true
      },
    )
  })

  it("refuses a module that lacks the functions it needs", () => {
    assert.throws(() => loadSodiumNative(() => ({ crypto_scalarmult: () => undefined })), {
      message: /"sodium-native" is not available: the module lacks one of/,
    })
  })
})

for (const backend of backends) {
  describe(`backend ${backend.name}: vectors`, () => {
    it("RFC 7748 6.1: scalarMultBase gives Alice's and Bob's public keys", () => {
      assert.equal(toHex(backend.scalarMultBase(RFC7748_DH.alicePrivate)), toHex(RFC7748_DH.alicePublic))
      assert.equal(toHex(backend.scalarMultBase(RFC7748_DH.bobPrivate)), toHex(RFC7748_DH.bobPublic))
    })

    it("NaCl box.c: precompute(bobpk, alicesk) = precompute(alicepk, bobsk) = firstkey", () => {
      // firstkey = HSalsa20(RFC 7748 shared secret, 0) (core1.c), so this also checks X25519.
      assert.equal(toHex(backend.precompute(NACL_BOX.bobPublic, NACL_BOX.aliceSecret)), toHex(NACL_BOX.firstKey))
      assert.equal(toHex(backend.precompute(NACL_BOX.alicePublic, NACL_BOX.bobSecret)), toHex(NACL_BOX.firstKey))
    })

    it("NaCl secretbox.c: sealInto(firstkey) gives the published MAC || ciphertext", () => {
      const output = new Uint8Array(NACL_BOX.message.length + 16)
      backend.sealInto(output, NACL_BOX.message, NACL_BOX.nonce, NACL_BOX.firstKey)
      assert.equal(toHex(output), toHex(NACL_BOX.box))
    })

    it("NaCl secretbox2.c: openInto(firstkey) recovers the message", () => {
      const output = new Uint8Array(NACL_BOX.box.length - 16)
      assert.equal(backend.openInto(output, NACL_BOX.box, NACL_BOX.nonce, NACL_BOX.firstKey), true)
      assert.equal(toHex(output), toHex(NACL_BOX.message))
    })

    it("openInto returns false for every single-bit flip of the box", () => {
      const output = new Uint8Array(NACL_BOX.box.length - 16)
      fc.assert(
        fc.property(fc.integer({ min: 0, max: NACL_BOX.box.length * 8 - 1 }), (bit) => {
          const box = NACL_BOX.box.slice()
          box[bit >> 3]! ^= 1 << (bit & 7)
          assert.equal(backend.openInto(output, box, NACL_BOX.nonce, NACL_BOX.firstKey), false)
        }),
        { numRuns: 100 },
      )
    })

    it("openInto returns false under a wrong nonce or key", () => {
      const output = new Uint8Array(NACL_BOX.box.length - 16)
      const nonce = NACL_BOX.nonce.slice()
      nonce[23]! ^= 0x80
      assert.equal(backend.openInto(output, NACL_BOX.box, nonce, NACL_BOX.firstKey), false)
      const key = NACL_BOX.firstKey.slice()
      key[0]! ^= 1
      assert.equal(backend.openInto(output, NACL_BOX.box, NACL_BOX.nonce, key), false)
    })

    it("seals and opens an empty message (box = MAC only)", () => {
      const box = new Uint8Array(16)
      backend.sealInto(box, new Uint8Array(0), NACL_BOX.nonce, NACL_BOX.firstKey)
      assert.notEqual(toHex(box), "00".repeat(16))
      assert.equal(backend.openInto(new Uint8Array(0), box, NACL_BOX.nonce, NACL_BOX.firstKey), true)
    })

    it("writes into subarray views without touching the bytes around them", () => {
      const backing = new Uint8Array(NACL_BOX.box.length + 20).fill(0xaa)
      const view = backing.subarray(10, 10 + NACL_BOX.box.length)
      backend.sealInto(view, NACL_BOX.message, NACL_BOX.nonce, NACL_BOX.firstKey)
      assert.equal(toHex(view), toHex(NACL_BOX.box))
      assert.ok(backing.subarray(0, 10).every((b) => b === 0xaa))
      assert.ok(backing.subarray(10 + NACL_BOX.box.length).every((b) => b === 0xaa))

      const plain = new Uint8Array(NACL_BOX.message.length + 8).fill(0x55)
      const plainView = plain.subarray(4, 4 + NACL_BOX.message.length)
      assert.equal(backend.openInto(plainView, view, NACL_BOX.nonce, NACL_BOX.firstKey), true)
      assert.equal(toHex(plainView), toHex(NACL_BOX.message))
      assert.ok(plain.subarray(0, 4).every((b) => b === 0x55))
      assert.ok(plain.subarray(4 + NACL_BOX.message.length).every((b) => b === 0x55))
    })

    it("precompute throws ProtocolError(KEY_EXCHANGE) for every low-order point, top bit clear or set", () => {
      for (const point of LOW_ORDER_POINTS) {
        const withTopBit = point.slice()
        withTopBit[31]! |= 0x80
        for (const publicKey of [point, withTopBit]) {
          assert.throws(() => backend.precompute(publicKey, RFC7748_DH.alicePrivate), isKeyExchangeError)
        }
      }
    })

    it("randomBytes returns the requested length, and two draws differ", () => {
      assert.equal(backend.randomBytes(0).length, 0)
      const a = backend.randomBytes(32)
      const b = backend.randomBytes(32)
      assert.equal(a.length, 32)
      assert.notEqual(toHex(a), toHex(b))
    })

    it("wipe zeroes exactly the view it is given", () => {
      const backing = new Uint8Array(16).fill(7)
      backend.wipe(backing.subarray(4, 12))
      assert.deepEqual([...backing], [7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7, 7])
    })

    it("equal compares contents of same-length buffers", () => {
      assert.ok(backend.equal !== undefined)
      assert.equal(backend.equal(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)), true)
      assert.equal(backend.equal(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)), false)
    })
  })
}

describe("backends agree with each other", () => {
  const pairs: [CryptoBackend, CryptoBackend][] = []
  for (const a of backends) for (const b of backends) if (a !== b) pairs.push([a, b])

  it("has two backends to compare when sodium-native is installed", () => {
    assert.equal(pairs.length, SODIUM_NATIVE_INSTALLED ? 2 : 0)
  })

  for (const [a, b] of pairs) {
    it(`${b.name} opens what ${a.name} sealed, with keys ${a.name} precomputed`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 24, maxLength: 24 }),
          fc.uint8Array({ maxLength: 300 }),
          (secretA, secretB, nonce, message) => {
            const publicA = a.scalarMultBase(secretA)
            const publicB = b.scalarMultBase(secretB)
            assert.equal(toHex(publicA), toHex(b.scalarMultBase(secretA)))
            const keyA = a.precompute(publicB, secretA)
            const keyB = b.precompute(publicA, secretB)
            assert.equal(toHex(keyA), toHex(keyB))
            const box = new Uint8Array(message.length + 16)
            a.sealInto(box, message, nonce, keyA)
            const opened = new Uint8Array(message.length)
            assert.equal(b.openInto(opened, box, nonce, keyB), true)
            assert.equal(toHex(opened), toHex(message))
          },
        ),
        { numRuns: 50 },
      )
    })
  }
})

describe("sodium-native: secretbox through the addon's own functions (h20)", () => {
  it("is used when sodium-native is installed (the exported functions forward as expected)", () => {
    if (!SODIUM_NATIVE_INSTALLED) {
      // Without the addon there is nothing to call directly; the backend tests above cover the rest.
      assert.equal(backends.some((b) => b.name === "sodium-native"), false)
      return
    }
    const require = createRequire(import.meta.url)
    const sodium = require("sodium-native") as SodiumNative
    assert.notEqual(fastSecretbox(sodium, require("sodium-native/binding.js")), undefined)
  })

  it("is not used for an addon whose exported functions do not forward their arguments unchanged", () => {
    if (!SODIUM_NATIVE_INSTALLED) return
    const require = createRequire(import.meta.url)
    const sodium = require("sodium-native") as SodiumNative
    const binding: unknown = require("sodium-native/binding.js")
    // A wrapper that passes (buffer, offset, length) triples, as sodium-native does for some functions.
    const reshaped = {
      ...sodium,
      crypto_secretbox_easy: (c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array) => {
        void [c, m, n, k]
        throw new Error("binding.crypto_secretbox_easy(c.buffer, c.byteOffset, c.byteLength)")
      },
    } as SodiumNative
    assert.equal(fastSecretbox(reshaped, binding), undefined)
    assert.equal(fastSecretbox(sodium, undefined), undefined)
    assert.equal(fastSecretbox(sodium, { crypto_secretbox_easy: () => 0 }), undefined)
  })

  it("is not used when the addon's results differ from the exported functions' (known-answer check)", () => {
    if (!SODIUM_NATIVE_INSTALLED) return
    const require = createRequire(import.meta.url)
    const sodium = require("sodium-native") as SodiumNative
    const wrong = {
      crypto_secretbox_easy: (c: Uint8Array) => {
        c.fill(1)
        return 0
      },
      crypto_secretbox_open_easy: () => true,
    }
    assert.equal(fastSecretbox(sodium, wrong), undefined)
    const acceptsForgery = {
      crypto_secretbox_easy: (c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array) => {
        sodium.crypto_secretbox_easy(c, m, n, k)
        return 0
      },
      crypto_secretbox_open_easy: (m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array) => {
        sodium.crypto_secretbox_open_easy(m, c, n, k)
        return true
      },
    }
    assert.equal(fastSecretbox(sodium, acceptsForgery), undefined)
  })

  // The addon aborts the whole process on an argument it does not expect: were these checks
  // missing, this test would crash the test run instead of failing.
  it("refuses wrong argument types and sizes with TypeError/RangeError instead of reaching the addon", () => {
    const backend = backends.find((b) => b.name === "sodium-native")
    if (backend === undefined) return // not installed: nothing native to protect
    const key = new Uint8Array(32)
    const nonce = new Uint8Array(24)
    const bad: [string, () => unknown][] = [
      ["short output", () => backend.sealInto(new Uint8Array(20), new Uint8Array(5), nonce, key)],
      ["long output", () => backend.sealInto(new Uint8Array(22), new Uint8Array(5), nonce, key)],
      ["short nonce", () => backend.sealInto(new Uint8Array(21), new Uint8Array(5), new Uint8Array(23), key)],
      ["short key", () => backend.sealInto(new Uint8Array(21), new Uint8Array(5), nonce, new Uint8Array(31))],
      ["box under 16", () => backend.openInto(new Uint8Array(0), new Uint8Array(15), nonce, key)],
      ["open output size", () => backend.openInto(new Uint8Array(3), new Uint8Array(20), nonce, key)],
      ["not a Uint8Array", () => backend.openInto([0, 0, 0, 0] as unknown as Uint8Array, new Uint8Array(20), nonce, key)],
    ]
    for (const [what, call] of bad) {
      assert.throws(call, (err: unknown) => err instanceof TypeError || err instanceof RangeError, what)
    }
    // and the right sizes still work
    const box = new Uint8Array(21)
    backend.sealInto(box, new Uint8Array(5).fill(7), nonce, key)
    const out = new Uint8Array(5)
    assert.equal(backend.openInto(out, box, nonce, key), true)
    assert.deepEqual(out, new Uint8Array(5).fill(7))
  })
})
