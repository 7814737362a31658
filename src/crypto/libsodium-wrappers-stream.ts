/**
 * The stream-access primitives (issue 10) on libsodium-wrappers (WebAssembly). The library
 * returns fresh arrays; the *Into methods copy them into the caller's buffer. Spread into the
 * backend object by ./libsodium-wrappers-backend.ts. What both backends share (the method
 * list, failure as a value) is in ./backend.ts.
 */
import { orOnThrow, type StreamMethods } from "./backend.js"

type Sodium = typeof import("libsodium-wrappers").default

export function libsodiumWrappersStreamMethods(sodium: Sodium): StreamMethods {
  return {
    aeadEncryptInto(output, message, ad, nonce, key): void {
      output.set(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, null, nonce, key))
    },
    aeadDecryptInto(output, ciphertext, ad, nonce, key): boolean {
      // The library throws when the tag does not verify.
      const plain = orOnThrow(() => sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key), undefined)
      if (plain === undefined) return false
      output.set(plain)
      return true
    },
    signSeedKeyPair(seed) {
      const pair = sodium.crypto_sign_seed_keypair(seed)
      return { publicKey: pair.publicKey, secretKey: pair.privateKey }
    },
    signDetached(message, secretKey): Uint8Array {
      return sodium.crypto_sign_detached(message, secretKey)
    },
    verifyDetached(signature, message, publicKey): boolean {
      return orOnThrow(() => sodium.crypto_sign_verify_detached(signature, message, publicKey), false)
    },
    sealedBox(message, publicKey): Uint8Array {
      return sodium.crypto_box_seal(message, publicKey)
    },
    sealedBoxOpen(box, publicKey, secretKey): Uint8Array | undefined {
      return orOnThrow(() => sodium.crypto_box_seal_open(box, publicKey, secretKey), undefined)
    },
    genericHash(outputLength, parts, key): Uint8Array {
      if (parts.length === 1) return sodium.crypto_generichash(outputLength, parts[0] as Uint8Array, key ?? null)
      const state = sodium.crypto_generichash_init(key ?? null, outputLength)
      for (const part of parts) sodium.crypto_generichash_update(state, part)
      return sodium.crypto_generichash_final(state, outputLength)
    },
    genericHashInto(output, message): void {
      output.set(sodium.crypto_generichash(output.length, message, null))
    },
  }
}
