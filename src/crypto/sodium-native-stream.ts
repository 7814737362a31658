/**
 * The stream-access primitives (issue 10) on sodium-native: XChaCha20-Poly1305-IETF, Ed25519,
 * sealed boxes and BLAKE2b, all writing into caller buffers. Spread into the backend object by
 * ./sodium-native-backend.ts. What both backends share (the method list, the sealed-box
 * overhead, failure as a value) is in ./backend.ts.
 */
import { backendUnavailable, BackendName, orOnThrow, SEALED_BOX_OVERHEAD, type StreamMethods } from "./backend.js"

/** The part of sodium-native's API these primitives use (it ships no type declarations). */
interface SodiumNativeStream {
  crypto_aead_xchacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number
  /** Throws when the tag does not verify. */
  crypto_aead_xchacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean
  crypto_box_seal(c: Uint8Array, m: Uint8Array, pk: Uint8Array): void
  crypto_box_seal_open(m: Uint8Array, c: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean
  crypto_generichash(out: Uint8Array, m: Uint8Array, key?: Uint8Array): void
  crypto_generichash_batch(out: Uint8Array, batch: Uint8Array[], key?: Uint8Array): void
}

const STREAM_FUNCTIONS: readonly (keyof SodiumNativeStream)[] = [
  "crypto_aead_xchacha20poly1305_ietf_encrypt",
  "crypto_aead_xchacha20poly1305_ietf_decrypt",
  "crypto_sign_seed_keypair",
  "crypto_sign_detached",
  "crypto_sign_verify_detached",
  "crypto_box_seal",
  "crypto_box_seal_open",
  "crypto_generichash",
  "crypto_generichash_batch",
]

/** The stream-access methods over the loaded sodium-native module; throws when it lacks one. */
export function sodiumNativeStreamMethods(mod: unknown): StreamMethods {
  const record = mod as Record<string, unknown>
  const missing = STREAM_FUNCTIONS.filter((name) => typeof record[name] !== "function")
  if (missing.length > 0) {
    throw backendUnavailable(BackendName.SODIUM_NATIVE, new Error(`the module lacks ${missing.join(", ")}`))
  }
  const sodium = mod as SodiumNativeStream
  return {
    aeadEncryptInto(output, message, ad, nonce, key): void {
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(output, message, ad, null, nonce, key)
    },
    aeadDecryptInto(output, ciphertext, ad, nonce, key): boolean {
      // sodium-native throws when the tag does not verify (lengths were checked).
      try {
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(output, null, ciphertext, ad, nonce, key)
        return true
      } catch {
        return false
      }
    },
    signSeedKeyPair(seed) {
      const publicKey = new Uint8Array(32)
      const secretKey = new Uint8Array(64)
      sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed)
      return { publicKey, secretKey }
    },
    signDetached(message, secretKey): Uint8Array {
      const signature = new Uint8Array(64)
      sodium.crypto_sign_detached(signature, message, secretKey)
      return signature
    },
    verifyDetached(signature, message, publicKey): boolean {
      return sodium.crypto_sign_verify_detached(signature, message, publicKey)
    },
    sealedBox(message, publicKey): Uint8Array {
      const box = new Uint8Array(message.length + SEALED_BOX_OVERHEAD)
      sodium.crypto_box_seal(box, message, publicKey)
      return box
    },
    sealedBoxOpen(box, publicKey, secretKey): Uint8Array | undefined {
      const message = new Uint8Array(box.length - SEALED_BOX_OVERHEAD)
      // A low-order ephemeral key makes libsodium fail (a throw here): not openable.
      return orOnThrow(() => sodium.crypto_box_seal_open(message, box, publicKey, secretKey), false) ? message : undefined
    },
    genericHash(outputLength, parts, key): Uint8Array {
      const out = new Uint8Array(outputLength)
      if (parts.length === 1) {
        if (key === undefined) sodium.crypto_generichash(out, parts[0] as Uint8Array)
        else sodium.crypto_generichash(out, parts[0] as Uint8Array, key)
      } else if (key === undefined) sodium.crypto_generichash_batch(out, parts as Uint8Array[])
      else sodium.crypto_generichash_batch(out, parts as Uint8Array[], key)
      return out
    },
    genericHashInto(output, message): void {
      sodium.crypto_generichash(output, message)
    },
  }
}
