/**
 * Connection metadata (RFC 37 "The NULL Security Mechanism" grammar, "Connection Metadata"),
 * used in NULL/PLAIN READY and INITIATE, and CURVE INITIATE/READY boxes:
 *
 *   metadata = *property          property = name value
 *   name = short-size 1*255name-char
 *   name-char = ALPHA | DIGIT | "-" | "_" | "." | "+"
 *   value = 4OCTET *OCTET         ; size in network byte order, 0 to 2^31-1 octets
 *
 * Names are case-insensitive (RFC 37). A name given twice (in any case) is refused: RFC 37 does
 * not define which copy wins (libzmq keeps the first, other stacks the last), and two readers
 * picking different copies of, say, Socket-Type is a confusion an attacker could use.
 * Decoded values are copies, so they do not pin the (possibly large) buffer they arrived in.
 * Pure: no node:* imports.
 */
import { ErrorCode, argumentError, describeValue, protocolError } from "../errors.js"
import { PROPERTY_NAME_MAX, PROPERTY_NAME_PATTERN, PROPERTY_VALUE_MAX } from "./constants.js"
import type { Metadata } from "./types.js"

const NAME_LENGTH_SIZE = 1
const VALUE_LENGTH_SIZE = 4

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder("utf-8")

function isNameChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2b // +
  )
}

/** Throws TypeError unless `name` matches the RFC 37 name grammar (never prints the name: it is app input of any size). */
function checkName(name: unknown): asserts name is string {
  if (typeof name !== "string") {
    throw argumentError("type", `expected a property name string, got ${describeValue(name)}`)
  }
  if (!PROPERTY_NAME_PATTERN.test(name)) {
    throw argumentError(
      "type",
      `expected a property name of 1 to ${PROPERTY_NAME_MAX} characters A-Z a-z 0-9 - _ . +, got ${
        name.length > 0 && name.length <= PROPERTY_NAME_MAX ? JSON.stringify(name) : `a string of length ${name.length}`
      }`,
    )
  }
}

/** Encode properties in insertion order. TypeError for a bad or repeated name, RangeError for a value over 2^31-1 octets. */
export function encodeMetadata(md: Metadata): Uint8Array {
  let size = 0
  const seen = new Set<string>()
  for (const [name, value] of md) {
    checkName(name)
    const key = name.toLowerCase()
    if (seen.has(key)) {
      throw argumentError("type", `expected unique property names (case-insensitive), got ${JSON.stringify(name)} twice`)
    }
    seen.add(key)
    if (!(value instanceof Uint8Array)) {
      throw argumentError("type", `expected property ${JSON.stringify(name)} to be a Uint8Array, got ${describeValue(value)}`)
    }
    if (value.length > PROPERTY_VALUE_MAX) {
      throw argumentError("range", `expected property ${JSON.stringify(name)} of at most ${PROPERTY_VALUE_MAX} octets, got ${value.length}`)
    }
    size += NAME_LENGTH_SIZE + name.length + VALUE_LENGTH_SIZE + value.length
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const [name, value] of md) {
    out[at++] = name.length
    for (let i = 0; i < name.length; i++) out[at++] = name.charCodeAt(i)
    const n = value.length
    out[at++] = n >>> 24
    out[at++] = (n >>> 16) & 0xff
    out[at++] = (n >>> 8) & 0xff
    out[at++] = n & 0xff
    out.set(value, at)
    at += n
  }
  return out
}

/**
 * Decode a metadata block. Every length is checked against what remains before anything is
 * sliced. Throws ProtocolError(`code`) — mechanisms pass the code libzmq reports for the
 * command that carried the metadata; default INVALID_METADATA — for: a truncated name length,
 * name or value length; a name of length 0 or with a character outside the grammar; a value
 * length over 2^31-1; a name repeated (case-insensitively).
 */
export function decodeMetadata(bytes: Uint8Array, code: ErrorCode = ErrorCode.INVALID_METADATA): Metadata {
  const md: Metadata = new Map()
  const seen = new Set<string>()
  const end = bytes.length
  let at = 0
  while (at < end) {
    const nameLength = bytes[at] as number
    at += NAME_LENGTH_SIZE
    if (nameLength === 0) {
      throw protocolError(code, `expected a property name of 1 to ${PROPERTY_NAME_MAX} octets, got length 0 at offset ${at - 1}`)
    }
    if (nameLength > end - at) {
      throw protocolError(code, `expected a property name of ${nameLength} octets at offset ${at}, got only ${end - at}`)
    }
    let name = ""
    for (let i = 0; i < nameLength; i++) {
      const c = bytes[at + i] as number
      if (!isNameChar(c)) {
        throw protocolError(code, `expected a property name character, got 0x${c.toString(16).padStart(2, "0")} at offset ${at + i}`)
      }
      name += String.fromCharCode(c)
    }
    at += nameLength
    const key = name.toLowerCase()
    if (seen.has(key)) {
      throw protocolError(code, `expected unique property names, got ${JSON.stringify(name)} twice`)
    }
    seen.add(key)
    if (VALUE_LENGTH_SIZE > end - at) {
      throw protocolError(code, `expected a 4-octet value length for property ${JSON.stringify(name)}, got only ${end - at} octets`)
    }
    const valueLength =
      (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0
    at += VALUE_LENGTH_SIZE
    if (valueLength > PROPERTY_VALUE_MAX) {
      throw protocolError(code, `expected a value of at most ${PROPERTY_VALUE_MAX} octets for property ${JSON.stringify(name)}, got length ${valueLength}`)
    }
    if (valueLength > end - at) {
      throw protocolError(code, `expected a value of ${valueLength} octets for property ${JSON.stringify(name)}, got only ${end - at}`)
    }
    // A copy (Buffer#slice would be a view), as a plain Uint8Array.
    md.set(name, new Uint8Array(bytes.subarray(at, at + valueLength)))
    at += valueLength
  }
  return md
}

/** The value of property `name`, compared case-insensitively (RFC 37), or undefined. */
export function getProperty(md: Metadata, name: string): Uint8Array | undefined {
  const exact = md.get(name)
  if (exact !== undefined) return exact
  const wanted = name.toLowerCase()
  for (const [key, value] of md) {
    if (key.toLowerCase() === wanted) return value
  }
  return undefined
}

/**
 * Build metadata from an object: string values are UTF-8 encoded, Uint8Array values copied.
 * TypeError for an invalid or repeated (case-insensitive) name or a value of another type.
 */
export function makeMetadata(props: Record<string, string | Uint8Array>): Metadata {
  if (typeof props !== "object" || props === null) {
    throw argumentError("type", `expected an object of properties, got ${describeValue(props)}`)
  }
  const md: Metadata = new Map()
  const seen = new Set<string>()
  for (const name of Object.keys(props)) {
    checkName(name)
    const key = name.toLowerCase()
    if (seen.has(key)) {
      throw argumentError("type", `expected unique property names (case-insensitive), got ${JSON.stringify(name)} twice`)
    }
    seen.add(key)
    const value: unknown = props[name]
    let bytes: Uint8Array
    if (typeof value === "string") bytes = textEncoder.encode(value)
    else if (value instanceof Uint8Array) bytes = new Uint8Array(value)
    else throw argumentError("type", `expected property ${JSON.stringify(name)} to be a string or Uint8Array, got ${describeValue(value)}`)
    if (bytes.length > PROPERTY_VALUE_MAX) {
      throw argumentError("range", `expected property ${JSON.stringify(name)} of at most ${PROPERTY_VALUE_MAX} octets, got ${bytes.length}`)
    }
    md.set(name, bytes)
  }
  return md
}

/**
 * Metadata as a plain object of UTF-8 decoded strings (invalid UTF-8 becomes U+FFFD). Every
 * name becomes an own property, including "__proto__" (a valid property name on the wire).
 */
export function metadataToRecord(md: Metadata): Record<string, string> {
  const record: Record<string, string> = {}
  for (const [name, value] of md) {
    Object.defineProperty(record, name, {
      value: textDecoder.decode(value),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return record
}
