/**
 * Z85 (RFC 32/Z85): binary data as printable text, 4 octets <-> 5 characters.
 *
 * Used for CURVE keys (40 characters for a 32-octet key). Pure: no node:* imports.
 * Error messages name the length or the position of a bad character but never echo the input,
 * which may be a secret key.
 */
import { describeValue } from "../errors.js"

/** RFC 32 "Formal Specification": the representation of each base-85 value 0..84. */
const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

/** Character code for each base-85 value. */
const ENCODE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(85)
  for (let i = 0; i < 85; i++) table[i] = ALPHABET.charCodeAt(i)
  return table
})()

/** Marks a character code outside the alphabet in DECODE_TABLE. */
const INVALID = 0xff

/** Base-85 value for each character code 0..127, or INVALID. */
const DECODE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(128).fill(INVALID)
  for (let i = 0; i < 85; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

const MAX_UINT32 = 0xffffffff
/** Characters turned into a string at once (keeps String.fromCharCode's argument list short). */
const STRING_CHUNK = 8192

/**
 * Encode `data` as Z85. RFC 32: "The binary frame SHALL have a length that is divisible by 4";
 * each 4 octets are one big-endian unsigned 32-bit integer, output as 5 characters, most
 * significant first.
 */
export function z85Encode(data: Uint8Array): string {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`z85Encode: expected Uint8Array, got ${describeValue(data)}`)
  }
  if (data.length % 4 !== 0) {
    throw new RangeError(
      `z85Encode: expected a length divisible by 4 (RFC 32), got length ${data.length}`,
    )
  }
  const codes = new Uint8Array((data.length / 4) * 5)
  let out = 0
  for (let i = 0; i < data.length; i += 4) {
    // Four octets in network byte order; `>>> 0` keeps the value unsigned.
    let value =
      ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0
    // Fill the 5 characters from least to most significant.
    for (let j = 4; j >= 0; j--) {
      codes[out + j] = ENCODE_TABLE[value % 85]!
      value = Math.floor(value / 85)
    }
    out += 5
  }
  let text = ""
  for (let i = 0; i < codes.length; i += STRING_CHUNK) {
    text += String.fromCharCode(...codes.subarray(i, i + STRING_CHUNK))
  }
  return text
}

/**
 * Decode Z85 `text`. RFC 32: "The string frame SHALL have a length that is divisible by 5";
 * each 5 characters are base-85 digits, most significant first, accumulated by multiplication
 * by 85 into one big-endian unsigned 32-bit integer. A group whose value exceeds 0xFFFFFFFF
 * (possible: 85^5 > 2^32) is rejected, as libzmq's zmq_z85_decode does.
 */
export function z85Decode(text: string): Uint8Array {
  if (typeof text !== "string") {
    throw new TypeError(`z85Decode: expected string, got ${describeValue(text)}`)
  }
  if (text.length % 5 !== 0) {
    throw new RangeError(
      `z85Decode: expected a length divisible by 5 (RFC 32), got length ${text.length}`,
    )
  }
  const bytes = new Uint8Array((text.length / 5) * 4)
  let out = 0
  for (let i = 0; i < text.length; i += 5) {
    // 85^5 - 1 < 2^53, so plain number arithmetic is exact; the range check follows.
    let value = 0
    for (let j = i; j < i + 5; j++) {
      const code = text.charCodeAt(j)
      const digit = code < 128 ? DECODE_TABLE[code]! : INVALID
      if (digit === INVALID) {
        throw new RangeError(
          `z85Decode: expected a Z85 character (RFC 32 alphabet) at position ${j}, ` +
            `got a character outside the alphabet`,
        )
      }
      value = value * 85 + digit
    }
    if (value > MAX_UINT32) {
      throw new RangeError(
        `z85Decode: expected the 5-character group at position ${i} to encode at most ` +
          `0xFFFFFFFF, got a larger value`,
      )
    }
    bytes[out] = value >>> 24
    bytes[out + 1] = (value >>> 16) & 0xff
    bytes[out + 2] = (value >>> 8) & 0xff
    bytes[out + 3] = value & 0xff
    out += 4
  }
  return bytes
}
