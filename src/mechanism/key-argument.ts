/**
 * CURVE key arguments given to a mechanism: checked, then copied so the mechanism owns (and
 * may wipe) its copy. Errors name the option and the length that came, never the key. Pure.
 */
import { argumentError, describeValue } from "../errors.js"
import { CURVE_KEY_SIZE } from "../wire/constants.js"
import { secretBytes } from "../crypto/nacl.js"

/** A private copy of `value`, which must be a Uint8Array of 32 octets. TypeError/RangeError otherwise. */
export function keyArgument(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw argumentError("type", `expected ${what} as a Uint8Array of length ${CURVE_KEY_SIZE}, got ${describeValue(value)}`)
  }
  if (value.length !== CURVE_KEY_SIZE) {
    throw argumentError("range", `expected ${what} of length ${CURVE_KEY_SIZE}, got length ${value.length}`)
  }
  // Off V8's moving heap, so the mechanism's wipe erases its only copy (secretBytes, issue 14).
  const copy = secretBytes(CURVE_KEY_SIZE)
  copy.set(value)
  return copy
}
