/**
 * CURVE keys as applications hold them: 32 octets or 40 Z85 characters (RFC 32; libzmq's
 * zmq_curve_keypair / zmq_curve_public and the `zeromq` package use the Z85 form).
 */
import { describeValue } from "../errors.js"
import { CURVE_KEY_SIZE, CURVE_Z85_KEY_SIZE } from "../wire/constants.js"
import { z85Decode, z85Encode } from "../wire/z85.js"
import { generateKeyPair, publicFromSecret, wipe } from "./index.js"

/**
 * A key option as 32 octets. Accepts a Uint8Array of 32 octets or a 40-character Z85 string.
 * Always returns a NEW array, so whoever holds it may wipe it without touching the caller's.
 * Errors name `what` and the length that came, never the key.
 */
export function toKey(key: Uint8Array | string, what: string): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== CURVE_KEY_SIZE) {
      throw new RangeError(
        `${what}: expected ${CURVE_KEY_SIZE} octets or a ${CURVE_Z85_KEY_SIZE}-character ` +
          `Z85 string, got Uint8Array of length ${key.length}`,
      )
    }
    return new Uint8Array(key)
  }
  if (typeof key === "string") {
    if (key.length !== CURVE_Z85_KEY_SIZE) {
      throw new RangeError(
        `${what}: expected ${CURVE_KEY_SIZE} octets or a ${CURVE_Z85_KEY_SIZE}-character ` +
          `Z85 string, got string of length ${key.length}`,
      )
    }
    try {
      return z85Decode(key)
    } catch (err) {
      // z85Decode's messages carry a position, never the text.
      throw new RangeError(`${what}: ${err instanceof Error ? err.message : "invalid Z85"}`)
    }
  }
  throw new TypeError(
    `${what}: expected Uint8Array of length ${CURVE_KEY_SIZE} or a ` +
      `${CURVE_Z85_KEY_SIZE}-character Z85 string, got ${describeValue(key)}`,
  )
}

/** A new CURVE key pair in Z85, like zmq_curve_keypair and `zeromq`'s curveKeyPair(). */
export function curveKeyPair(): { publicKey: string; secretKey: string } {
  const pair = generateKeyPair()
  const result = { publicKey: z85Encode(pair.publicKey), secretKey: z85Encode(pair.secretKey) }
  wipe(pair.secretKey)
  return result
}

/** The Z85 public key for a secret key (Z85 or 32 octets), like zmq_curve_public. */
export function curvePublicKey(secretKey: string | Uint8Array): string {
  const secret = toKey(secretKey, "secretKey")
  try {
    return z85Encode(publicFromSecret(secret))
  } finally {
    wipe(secret)
  }
}
