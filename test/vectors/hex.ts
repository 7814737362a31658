/** Parse a hex string (whitespace ignored) into octets; for typing vectors in tests. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "")
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new RangeError(`hex: expected an even number of hex digits, got ${digits.length}`)
  }
  const bytes = new Uint8Array(digits.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** Octets as lower-case hex, for readable assertion failures. */
export function toHex(bytes: Uint8Array): string {
  let text = ""
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0")
  return text
}
