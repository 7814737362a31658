/**
 * BLAKE2b (libsodium's crypto_generichash): output 16..64 octets, optional key 16..64 octets.
 * Used by src/stream-access/ for message digests, key ids and key derivation (keyed BLAKE2b as
 * a PRF, as libsodium's crypto_kdf does).
 */
import { expectUint8Array } from "./check-bytes.js"
import { cryptoBackend } from "./index.js"

export const HASH_BYTES_MIN = 16
export const HASH_BYTES_MAX = 64
export const HASH_KEY_BYTES_MIN = 16
export const HASH_KEY_BYTES_MAX = 64

/** BLAKE2b of `message` (or of the concatenation of an array of parts), `outputLength` octets. */
export function genericHash(outputLength: number, message: Uint8Array | readonly Uint8Array[], key?: Uint8Array): Uint8Array {
  if (!Number.isInteger(outputLength) || outputLength < HASH_BYTES_MIN || outputLength > HASH_BYTES_MAX) {
    throw new RangeError(`genericHash: expected an output length from ${HASH_BYTES_MIN} to ${HASH_BYTES_MAX}, got ${outputLength}`)
  }
  const parts = message instanceof Uint8Array ? [message] : message
  if (!Array.isArray(parts) || parts.length === 0) throw new TypeError("genericHash: expected a Uint8Array or a non-empty array of them")
  for (const part of parts) expectUint8Array(part, "message part", "genericHash")
  if (key !== undefined) {
    expectUint8Array(key, "key", "genericHash")
    if (key.length < HASH_KEY_BYTES_MIN || key.length > HASH_KEY_BYTES_MAX) {
      throw new RangeError(`genericHash: expected a key of length ${HASH_KEY_BYTES_MIN} to ${HASH_KEY_BYTES_MAX}, got length ${key.length}`)
    }
  }
  return cryptoBackend().genericHash(outputLength, parts, key)
}
