/**
 * Anonymous sealed boxes (libsodium's crypto_box_seal): encrypt to an X25519 public key (a
 * CURVE public key) with a fresh ephemeral key; only the holder of the secret key opens it.
 * Overhead 48 octets (ephemeral public key 32 + MAC 16). Used by src/stream-access/ to wrap
 * keys per reader.
 */
import { expectBytes, expectUint8Array } from "./check-bytes.js"
import { cryptoBackend, KEY_BYTES } from "./index.js"
import { isWeakPublicKey } from "./low-order-points.js"

export const SEAL_OVERHEAD_BYTES = 48

/** Seal `message` to `publicKey`. A low-order public key is refused with a RangeError. */
export function sealedBox(message: Uint8Array, publicKey: Uint8Array): Uint8Array {
  expectUint8Array(message, "message", "sealedBox")
  expectBytes(publicKey, KEY_BYTES, "publicKey", "sealedBox")
  if (isWeakPublicKey(publicKey)) throw new RangeError("sealedBox: expected a usable X25519 public key, got a low-order point")
  return cryptoBackend().sealedBox(message, publicKey)
}

/** Open a sealed box with the recipient's key pair; undefined when it does not open. */
export function sealedBoxOpen(box: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined {
  expectUint8Array(box, "box", "sealedBoxOpen")
  expectBytes(publicKey, KEY_BYTES, "publicKey", "sealedBoxOpen")
  expectBytes(secretKey, KEY_BYTES, "secretKey", "sealedBoxOpen")
  if (box.length < SEAL_OVERHEAD_BYTES) return undefined
  return cryptoBackend().sealedBoxOpen(box, publicKey, secretKey)
}
