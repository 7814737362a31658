/**
 * Ed25519 signatures (libsodium's crypto_sign_*): public key 32 octets, secret key 64 (seed ||
 * public key, libsodium's layout), detached signature 64. Used by src/stream-access/ for
 * publisher authenticity.
 */
import { expectBytes, expectUint8Array } from "./check-bytes.js"
import { cryptoBackend } from "./index.js"

export const SIGN_PUBLIC_KEY_BYTES = 32
export const SIGN_SECRET_KEY_BYTES = 64
export const SIGN_SEED_BYTES = 32
export const SIGNATURE_BYTES = 64

export interface SigningKeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** A new Ed25519 key pair; from `seed` (32 octets) when given (crypto_sign_seed_keypair). */
export function signKeyPair(seed?: Uint8Array): SigningKeyPair {
  const backend = cryptoBackend()
  if (seed === undefined) {
    const fresh = backend.randomBytes(SIGN_SEED_BYTES)
    try {
      return backend.signSeedKeyPair(fresh)
    } finally {
      backend.wipe(fresh)
    }
  }
  expectBytes(seed, SIGN_SEED_BYTES, "seed", "signKeyPair")
  return backend.signSeedKeyPair(seed)
}

/** The 64-octet detached signature of `message`. */
export function signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  expectUint8Array(message, "message", "signDetached")
  expectBytes(secretKey, SIGN_SECRET_KEY_BYTES, "secretKey", "signDetached")
  return cryptoBackend().signDetached(message, secretKey)
}

/** True when `signature` is a valid signature of `message` under `publicKey`. A signature of the wrong length is false. */
export function verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  expectUint8Array(signature, "signature", "verifyDetached")
  expectUint8Array(message, "message", "verifyDetached")
  expectBytes(publicKey, SIGN_PUBLIC_KEY_BYTES, "publicKey", "verifyDetached")
  if (signature.length !== SIGNATURE_BYTES) return false
  return cryptoBackend().verifyDetached(signature, message, publicKey)
}
