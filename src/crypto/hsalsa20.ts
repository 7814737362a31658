/**
 * HSalsa20 with an all-zero 16-octet input: the second half of NaCl's crypto_box_beforenm
 * (`k = HSalsa20(X25519(s, P), 0)`), needed by the sodium-native backend because
 * sodium-native binds neither crypto_box_beforenm nor crypto_core_hsalsa20.
 *
 * The primitive itself comes from @noble/ciphers (audited); this file only lays out its
 * arguments. Source of the construction: NaCl crypto_box_curve25519xsalsa20poly1305 beforenm
 * ("Cryptography in NaCl", D. J. Bernstein, section 7), checked by the "firstkey" vector
 * (test/vectors/README.md).
 */
import { hsalsa } from "@noble/ciphers/salsa.js"

/** The 16-octet Salsa20 constant "expand 32-byte k" (sigma), as 32-bit words. */
const SIGMA_WORDS: Uint32Array = (() => {
  const words = new Uint32Array(4)
  new Uint8Array(words.buffer).set(new TextEncoder().encode("expand 32-byte k"))
  return words
})()
/** The all-zero HSalsa20 input used by crypto_box_beforenm. */
const ZERO_INPUT_WORDS = new Uint32Array(4)

/**
 * HSalsa20(key, 16 zero octets) -> 32 octets. `key` is not modified; scratch copies of it are
 * wiped before returning.
 */
export function hsalsa20ZeroInput(key: Uint8Array): Uint8Array {
  if (key.length !== 32) {
    throw new RangeError(`hsalsa20ZeroInput: expected key of length 32, got length ${key.length}`)
  }
  // noble's hsalsa works on native-endian 32-bit words of byte arrays: use aligned copies.
  // Explicit ArrayBuffers: off V8's moving heap, so the result and the key copy are never
  // copied by a garbage collection and the wipes below and in the caller erase them (issue 14).
  const keyWords = new Uint32Array(new ArrayBuffer(32))
  new Uint8Array(keyWords.buffer).set(key)
  const outWords = new Uint32Array(new ArrayBuffer(32))
  hsalsa(SIGMA_WORDS, keyWords, ZERO_INPUT_WORDS, outWords)
  keyWords.fill(0)
  return new Uint8Array(outWords.buffer)
}
