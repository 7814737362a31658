/**
 * Argument checks for the crypto module, in the shape of the error contract (../errors.ts):
 * TypeError for a wrong type, RangeError for a wrong length, "expected X, got Y", never the
 * contents (they may be secret).
 */
import { describeValue } from "../errors.js"

/** Throw unless `value` is a Uint8Array of exactly `length` octets. */
export function expectBytes(
  value: unknown,
  length: number,
  what: string,
  where: string,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(
      `${where}: expected ${what} as Uint8Array of length ${length}, got ${describeValue(value)}`,
    )
  }
  if (value.length !== length) {
    throw new RangeError(
      `${where}: expected ${what} of length ${length}, got length ${value.length}`,
    )
  }
}

/** Throw unless `value` is a Uint8Array (any length). */
export function expectUint8Array(
  value: unknown,
  what: string,
  where: string,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${where}: expected ${what} as Uint8Array, got ${describeValue(value)}`)
  }
}
