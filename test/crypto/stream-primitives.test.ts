/**
 * The stream-access primitives (issue 10) on every available backend: published vectors,
 * independent implementations (node:crypto's OpenSSL for Ed25519 and BLAKE2b, @noble/ciphers
 * for XChaCha20-Poly1305), and each backend opening what the other produced.
 */
import { describe, it, after } from "node:test"
import assert from "node:assert/strict"
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto"
import fc from "fast-check"
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js"
import * as crypto from "../../src/crypto/index.js"
import { aeadDecrypt, aeadEncrypt, aeadDecryptInto } from "../../src/crypto/aead.js"
import { signDetached, signKeyPair, verifyDetached } from "../../src/crypto/sign.js"
import { sealedBox, sealedBoxOpen } from "../../src/crypto/seal.js"
import { genericHash } from "../../src/crypto/hash.js"
import { LOW_ORDER_POINTS } from "../../src/crypto/low-order-points.js"
import { toHex } from "../vectors/hex.js"
import { RFC7693_BLAKE2B_ABC, RFC8032_ED25519, XCHACHA_DRAFT_A31 } from "../vectors/stream-access.js"
import { availableBackends } from "./available-backends.js"

const backends = await availableBackends()
const initial = crypto.cryptoBackend().name
after(async () => crypto.useCryptoBackend(initial))

function flip(bytes: Uint8Array, at: number, bit = 1): void {
  bytes[at] = (bytes[at] ?? 0) ^ bit
}

async function each(fn: (name: string) => void | Promise<void>): Promise<void> {
  for (const backend of backends) {
    await crypto.useCryptoBackend(backend.name)
    await fn(backend.name)
  }
}

/** An Ed25519 public key as node:crypto's KeyObject (SPKI DER prefix for Ed25519 + 32 octets). */
function nodeEd25519Public(raw: Uint8Array) {
  const prefix = Buffer.from("302a300506032b6570032100", "hex")
  return createPublicKey({ key: Buffer.concat([prefix, raw]), format: "der", type: "spki" })
}
function nodeEd25519Private(seed: Uint8Array) {
  const prefix = Buffer.from("302e020100300506032b657004220420", "hex")
  return createPrivateKey({ key: Buffer.concat([prefix, seed]), format: "der", type: "pkcs8" })
}

describe("XChaCha20-Poly1305-IETF", () => {
  it("matches draft-irtf-cfrg-xchacha-03 A.3.1 on every backend", async () => {
    await each((name) => {
      const v = XCHACHA_DRAFT_A31
      assert.equal(toHex(aeadEncrypt(v.plaintext, v.ad, v.nonce, v.key)), toHex(v.ciphertextAndTag), name)
      assert.deepEqual(aeadDecrypt(v.ciphertextAndTag, v.ad, v.nonce, v.key), v.plaintext)
    })
  })

  it("agrees with @noble/ciphers and across backends for random inputs", async () => {
    const cases = fc.sample(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.uint8Array({ minLength: 32, maxLength: 32 })), 50)
    const outputs: string[][] = []
    await each(() => {
      outputs.push(cases.map(([m, ad, n, k]) => toHex(aeadEncrypt(m, ad, n, k))))
    })
    for (const out of outputs) {
      assert.deepEqual(out, cases.map(([m, ad, n, k]) => toHex(xchacha20poly1305(k, n, ad).encrypt(m))))
    }
  })

  it("refuses a flipped bit, a wrong AD, a short input; checks arguments", async () => {
    await each(() => {
      const v = XCHACHA_DRAFT_A31
      const bad = new Uint8Array(v.ciphertextAndTag)
      flip(bad, 5)
      assert.equal(aeadDecrypt(bad, v.ad, v.nonce, v.key), undefined)
      assert.equal(aeadDecrypt(v.ciphertextAndTag, new Uint8Array(0), v.nonce, v.key), undefined)
      assert.equal(aeadDecrypt(new Uint8Array(15), v.ad, v.nonce, v.key), undefined)
      assert.throws(() => aeadEncrypt(v.plaintext, v.ad, new Uint8Array(12), v.key), { name: "RangeError", message: /nonce of length 24, got length 12/ })
      assert.throws(() => aeadDecryptInto(new Uint8Array(3), v.ciphertextAndTag, v.ad, v.nonce, v.key), { name: "RangeError" })
    })
  })
})

describe("Ed25519", () => {
  it("matches RFC 8032 §7.1 and node:crypto on every backend", async () => {
    await each((name) => {
      for (const v of RFC8032_ED25519) {
        const pair = signKeyPair(v.seed)
        assert.equal(toHex(pair.publicKey), toHex(v.publicKey), name)
        assert.equal(toHex(signDetached(v.message, pair.secretKey)), toHex(v.signature))
        assert.ok(verifyDetached(v.signature, v.message, v.publicKey))
      }
      const pair = signKeyPair()
      const message = crypto.randomBytes(100)
      const signature = signDetached(message, pair.secretKey)
      assert.ok(nodeVerify(null, message, nodeEd25519Public(pair.publicKey), signature))
      const seed = pair.secretKey.subarray(0, 32)
      assert.equal(toHex(nodeSign(null, message, nodeEd25519Private(seed))), toHex(signature))
    })
  })

  it("refuses a changed message, a changed signature, a wrong length, another key", async () => {
    await each(() => {
      const pair = signKeyPair()
      const other = signKeyPair()
      const message = new Uint8Array([1, 2, 3])
      const signature = signDetached(message, pair.secretKey)
      assert.ok(verifyDetached(signature, message, pair.publicKey))
      assert.equal(verifyDetached(signature, new Uint8Array([1, 2, 4]), pair.publicKey), false)
      const bad = new Uint8Array(signature)
      flip(bad, 0, 0x80)
      assert.equal(verifyDetached(bad, message, pair.publicKey), false)
      assert.equal(verifyDetached(signature.subarray(0, 63), message, pair.publicKey), false)
      assert.equal(verifyDetached(signature, message, other.publicKey), false)
      assert.throws(() => signDetached(message, new Uint8Array(32)), { name: "RangeError" })
    })
  })

  it("signatures made on one backend verify on the other", async () => {
    const made: { pk: Uint8Array; m: Uint8Array; s: Uint8Array }[] = []
    await each(() => {
      const pair = signKeyPair()
      const m = crypto.randomBytes(64)
      made.push({ pk: pair.publicKey, m, s: signDetached(m, pair.secretKey) })
    })
    await each(() => {
      for (const { pk, m, s } of made) assert.ok(verifyDetached(s, m, pk))
    })
  })
})

describe("sealed boxes", () => {
  it("open across backends only with the recipient's key; refuse tampering and low-order keys", async () => {
    const recipient = crypto.generateKeyPair()
    const stranger = crypto.generateKeyPair()
    const boxes: Uint8Array[] = []
    const message = new TextEncoder().encode("epoch key")
    await each(() => {
      const box = sealedBox(message, recipient.publicKey)
      assert.equal(box.length, message.length + 48)
      boxes.push(box)
    })
    await each(() => {
      for (const box of boxes) {
        assert.deepEqual(sealedBoxOpen(box, recipient.publicKey, recipient.secretKey), message)
        assert.equal(sealedBoxOpen(box, stranger.publicKey, stranger.secretKey), undefined)
        const bad = new Uint8Array(box)
        flip(bad, 40)
        assert.equal(sealedBoxOpen(bad, recipient.publicKey, recipient.secretKey), undefined)
        assert.equal(sealedBoxOpen(box.subarray(0, 47), recipient.publicKey, recipient.secretKey), undefined)
      }
      assert.throws(() => sealedBox(message, LOW_ORDER_POINTS[0] as Uint8Array), { name: "RangeError", message: /low-order/ })
    })
  })
})

describe("BLAKE2b", () => {
  it("matches RFC 7693 Appendix A and node:crypto (blake2b512); parts hash as their concatenation", async () => {
    await each((name) => {
      assert.equal(toHex(genericHash(64, new TextEncoder().encode("abc"))), toHex(RFC7693_BLAKE2B_ABC), name)
      const data = crypto.randomBytes(333)
      assert.equal(toHex(genericHash(64, data)), createHash("blake2b512").update(data).digest("hex"))
      const key = crypto.randomBytes(32)
      assert.equal(toHex(genericHash(32, [data.subarray(0, 10), data.subarray(10)], key)), toHex(genericHash(32, data, key)))
      assert.notEqual(toHex(genericHash(32, data, key)), toHex(genericHash(32, data)))
      assert.throws(() => genericHash(8, data), { name: "RangeError" })
      assert.throws(() => genericHash(32, data, new Uint8Array(8)), { name: "RangeError" })
    })
  })

  it("genericHashInto (the per-message digest) writes BLAKE2b of the output's length into a view, nothing around it", async () => {
    await each((name) => {
      const data = crypto.randomBytes(303)
      const block = new Uint8Array(96).fill(0xee)
      crypto.cryptoBackend().genericHashInto(block.subarray(32, 64), data)
      assert.equal(toHex(block.subarray(32, 64)), toHex(genericHash(32, data)), name)
      assert.ok(block.subarray(0, 32).every((b) => b === 0xee) && block.subarray(64).every((b) => b === 0xee), name)
      const out64 = new Uint8Array(64)
      crypto.cryptoBackend().genericHashInto(out64, data)
      assert.equal(toHex(out64), createHash("blake2b512").update(data).digest("hex"), name)
    })
  })
})
