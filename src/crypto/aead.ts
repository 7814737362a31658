/**
 * XChaCha20-Poly1305-IETF (libsodium's crypto_aead_xchacha20poly1305_ietf_*): 32-octet key,
 * 24-octet nonce (large enough to draw at random), 16-octet tag appended to the ciphertext,
 * associated data authenticated but not encrypted. Used by src/stream-access/.
 */
import { expectBytes, expectUint8Array } from "./check-bytes.js"
import { cryptoBackend } from "./index.js"

export const AEAD_KEY_BYTES = 32
export const AEAD_NONCE_BYTES = 24
export const AEAD_TAG_BYTES = 16

const EMPTY = new Uint8Array(0)

function check(where: string, output: Uint8Array, input: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
  expectUint8Array(output, "output", where)
  expectUint8Array(input, "input", where)
  expectUint8Array(ad, "associated data", where)
  expectBytes(nonce, AEAD_NONCE_BYTES, "nonce", where)
  expectBytes(key, AEAD_KEY_BYTES, "key", where)
}

/** Encrypt `message` into `output` (length message.length + 16): ciphertext || tag. */
export function aeadEncryptInto(output: Uint8Array, message: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
  check("aeadEncryptInto", output, message, ad, nonce, key)
  if (output.length !== message.length + AEAD_TAG_BYTES) {
    throw new RangeError(`aeadEncryptInto: expected output of length ${message.length + AEAD_TAG_BYTES} (message + ${AEAD_TAG_BYTES}), got length ${output.length}`)
  }
  cryptoBackend().aeadEncryptInto(output, message, ad, nonce, key)
}

/** Encrypt `message`: returns ciphertext || tag. */
export function aeadEncrypt(message: Uint8Array, ad: Uint8Array | undefined, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  expectUint8Array(message, "message", "aeadEncrypt")
  const output = new Uint8Array(message.length + AEAD_TAG_BYTES)
  aeadEncryptInto(output, message, ad ?? EMPTY, nonce, key)
  return output
}

/**
 * Decrypt into `output` (length ciphertext.length - 16). False when it does not verify,
 * including a ciphertext shorter than the tag (network input never throws here).
 */
export function aeadDecryptInto(output: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean {
  check("aeadDecryptInto", output, ciphertext, ad, nonce, key)
  if (ciphertext.length < AEAD_TAG_BYTES) return false
  if (output.length !== ciphertext.length - AEAD_TAG_BYTES) {
    throw new RangeError(`aeadDecryptInto: expected output of length ${ciphertext.length - AEAD_TAG_BYTES} (ciphertext - ${AEAD_TAG_BYTES}), got length ${output.length}`)
  }
  return cryptoBackend().aeadDecryptInto(output, ciphertext, ad, nonce, key)
}

/** Decrypt; undefined when it does not verify. */
export function aeadDecrypt(ciphertext: Uint8Array, ad: Uint8Array | undefined, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  expectUint8Array(ciphertext, "ciphertext", "aeadDecrypt")
  if (ciphertext.length < AEAD_TAG_BYTES) return undefined
  const output = new Uint8Array(ciphertext.length - AEAD_TAG_BYTES)
  return aeadDecryptInto(output, ciphertext, ad ?? EMPTY, nonce, key) ? output : undefined
}
