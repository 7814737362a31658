/**
 * Key functions from Node's OpenSSL (node:crypto), used only while the libsodium backend is
 * still loading (libsodium-wrappers is WebAssembly and becomes ready asynchronously), so that
 * curveKeyPair(), curvePublicKey(), Certificate and randomBytes() stay synchronous right after
 * `import "ironhouse"` without a top-level await (issue 7 defect 8, issue 15 item 2).
 *
 * X25519 here is OpenSSL's RFC 7748 implementation, which clamps the scalar exactly as
 * libsodium's crypto_scalarmult_base does, so both give the same public key for every secret
 * (test/crypto/openssl-keys.test.ts checks it against both libsodium backends). OpenSSL keeps
 * its own copy of the secret inside the KeyObject, which we cannot wipe; the DER buffer we
 * build is wiped. Once libsodium is ready it serves every call instead.
 */
import { createPrivateKey, createPublicKey, randomFillSync, timingSafeEqual } from "node:crypto"
import type { KeyBackend } from "./active-backend.js"

/** PKCS#8 DER prefix of an X25519 private key (RFC 8410): the 32-octet secret follows. */
const PKCS8_X25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
])
const KEY_SIZE = 32

export const opensslKeyBackend: KeyBackend = {
  randomBytes(n: number): Uint8Array {
    return randomFillSync(new Uint8Array(n))
  },

  scalarMultBase(secretKey: Uint8Array): Uint8Array {
    const der = Buffer.alloc(PKCS8_X25519_PREFIX.length + KEY_SIZE)
    der.set(PKCS8_X25519_PREFIX, 0)
    der.set(secretKey, PKCS8_X25519_PREFIX.length)
    try {
      const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" })
      const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" })
      // SubjectPublicKeyInfo ends with the 32-octet u-coordinate (RFC 8410).
      return new Uint8Array(spki.subarray(spki.length - KEY_SIZE))
    } finally {
      der.fill(0)
    }
  },

  wipe(buf: Uint8Array): void {
    buf.fill(0)
  },

  equal(a: Uint8Array, b: Uint8Array): boolean {
    return timingSafeEqual(a, b)
  },
}
