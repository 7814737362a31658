/**
 * The stream-access primitives (issue 10) on libsodium-wrappers (WebAssembly). The library
 * returns fresh arrays; the *Into methods copy them into the caller's buffer. Spread into the
 * backend object by ./libsodium-wrappers-backend.ts.
 */
import type { CryptoBackend } from "./backend.js"

type Sodium = typeof import("libsodium-wrappers").default

type StreamMethods = Pick<
  CryptoBackend,
  | "aeadEncryptInto"
  | "aeadDecryptInto"
  | "signSeedKeyPair"
  | "signDetached"
  | "verifyDetached"
  | "sealedBox"
  | "sealedBoxOpen"
  | "genericHash"
>

export function libsodiumWrappersStreamMethods(sodium: Sodium): StreamMethods {
  return {
    aeadEncryptInto(output, message, ad, nonce, key): void {
      output.set(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, null, nonce, key))
    },
    aeadDecryptInto(output, ciphertext, ad, nonce, key): boolean {
      let plain: Uint8Array
      try {
        plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key)
      } catch {
        return false // the library throws when the tag does not verify
      }
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
      try {
        return sodium.crypto_sign_verify_detached(signature, message, publicKey)
      } catch {
        return false
      }
    },
    sealedBox(message, publicKey): Uint8Array {
      return sodium.crypto_box_seal(message, publicKey)
    },
    sealedBoxOpen(box, publicKey, secretKey): Uint8Array | undefined {
      try {
        return sodium.crypto_box_seal_open(box, publicKey, secretKey)
      } catch {
        return undefined
      }
    },
    genericHash(outputLength, parts, key): Uint8Array {
      if (parts.length === 1) return sodium.crypto_generichash(outputLength, parts[0] as Uint8Array, key ?? null)
      const state = sodium.crypto_generichash_init(key ?? null, outputLength)
      for (const part of parts) sodium.crypto_generichash_update(state, part)
      return sodium.crypto_generichash_final(state, outputLength)
    },
  }
}
