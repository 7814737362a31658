/**
 * The ZMTP 3.x greeting (RFC 37 "Formal Grammar", "Version Negotiation"; RFC 23 for 3.0).
 *
 *   greeting = signature version mechanism as-server filler        ; 64 octets
 *   signature = %xFF padding %x7F        padding = 8OCTET (not significant)
 *   version = %x03 %x01                  mechanism = 20mechanism-char
 *   as-server = %x00 | %x01              filler = 31%x00
 *
 * Ironhouse speaks only ZMTP 3.x and never downgrades: a ZMTP 1.0 or 2.0 peer is refused with
 * ProtocolError(BAD_GREETING), so a crafted old header cannot downgrade a connection
 * (RFC 37 "Security Considerations"). Pure: no node:* imports.
 */
import { ErrorCode, argumentError, protocolError } from "../errors.js"
import {
  GREETING_AS_SERVER_OFFSET,
  GREETING_MAJOR_OFFSET,
  GREETING_MECHANISM_OFFSET,
  GREETING_MECHANISM_SIZE,
  GREETING_MINOR_OFFSET,
  GREETING_SIZE,
  Mechanism,
  SIGNATURE_FIRST,
  SIGNATURE_LAST,
  SIGNATURE_SIZE,
  ZMTP_MAJOR,
  ZMTP_MINOR,
  type MechanismName,
} from "./constants.js"

/** What a peer's 64-octet greeting announces. */
export interface Greeting {
  major: number
  minor: number
  /** The mechanism name without its NUL padding, e.g. "CURVE". */
  mechanism: string
  asServer: boolean
}

/** RFC 37: mechanism-char = "A"-"Z" | DIGIT | "-" | "_" | "." | "+" (then %x0 padding). */
function isMechanismChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2b // +
  )
}

function hex(octet: number): string {
  return `0x${octet.toString(16).padStart(2, "0")}`
}

/**
 * Our full 64-octet greeting, version 3.1. Padding and filler are zero (RFC 37 "Version
 * Negotiation": a peer sending its whole greeting SHOULD zero the padding). For NULL the
 * as-server field is always 0 (RFC 37 "The NULL Security Mechanism": it MUST be zero).
 */
export function encodeGreeting(mechanism: MechanismName, asServer: boolean): Uint8Array {
  if (typeof mechanism !== "string") {
    throw argumentError("type", `expected a mechanism name string, got ${typeof mechanism}`)
  }
  if (mechanism.length === 0 || mechanism.length > GREETING_MECHANISM_SIZE) {
    throw argumentError(
      "range",
      `expected a mechanism name of 1 to ${GREETING_MECHANISM_SIZE} characters, got length ${mechanism.length}`,
    )
  }
  const out = new Uint8Array(GREETING_SIZE)
  out[0] = SIGNATURE_FIRST
  out[SIGNATURE_SIZE - 1] = SIGNATURE_LAST
  out[GREETING_MAJOR_OFFSET] = ZMTP_MAJOR
  out[GREETING_MINOR_OFFSET] = ZMTP_MINOR
  for (let i = 0; i < mechanism.length; i++) {
    const c = mechanism.charCodeAt(i)
    if (!isMechanismChar(c)) {
      throw argumentError(
        "range",
        `expected a mechanism name of A-Z, 0-9, "-", "_", ".", "+", got character code ${c} at position ${i}`,
      )
    }
    out[GREETING_MECHANISM_OFFSET + i] = c
  }
  out[GREETING_AS_SERVER_OFFSET] = asServer && mechanism !== Mechanism.NULL ? 1 : 0
  return out
}

/**
 * Validate whatever of the first 11 octets (signature and major version) are present, so the
 * engine can refuse an old or non-ZMTP peer as soon as the deciding octet arrives, before it
 * reveals anything more (RFC 37 "Backwards Interoperability" detection rules):
 * - octet 0 is not %xFF: a ZMTP 1.0 peer (a short identity length) or not ZMTP at all;
 * - octet 9 has its low bit clear: a ZMTP 1.0 peer (a long identity length). Like libzmq only
 *   the low bit is tested; octets 1-8 (padding) are never inspected (RFC 37: MUST NOT validate);
 * - octet 10 (major version) below 3: a ZMTP 1.0/2.0 peer. Higher majors are accepted
 *   (RFC 37: a peer MUST accept higher protocol versions).
 * Throws ProtocolError(BAD_GREETING). Octets past the 11th are ignored.
 */
export function checkGreetingPrefix(bytes: Uint8Array): void {
  const n = bytes.length
  if (n === 0) return
  const first = bytes[0] as number
  if (first !== SIGNATURE_FIRST) {
    throw protocolError(
      ErrorCode.BAD_GREETING,
      `expected greeting signature octet ${hex(SIGNATURE_FIRST)} at offset 0, got ${hex(first)} (ZMTP 1.0 peer or not ZMTP)`,
    )
  }
  if (n < SIGNATURE_SIZE) return
  const last = bytes[SIGNATURE_SIZE - 1] as number
  if ((last & 0x01) === 0) {
    throw protocolError(
      ErrorCode.BAD_GREETING,
      `expected greeting signature octet 9 with its low bit set, got ${hex(last)} (ZMTP 1.0 peer)`,
    )
  }
  if (n <= GREETING_MAJOR_OFFSET) return
  const major = bytes[GREETING_MAJOR_OFFSET] as number
  if (major < ZMTP_MAJOR) {
    throw protocolError(
      ErrorCode.BAD_GREETING,
      `expected ZMTP major version >= ${ZMTP_MAJOR}, got ${major} (no downgrade to ZMTP 1.0/2.0)`,
    )
  }
}

/**
 * Decode a peer's complete greeting (exactly 64 octets: a different length is a caller bug and
 * raises RangeError). Besides the prefix checks, the mechanism field must be 1-20 mechanism
 * characters followed only by NULs, and as-server must be 0 or 1 (RFC 37 "Formal Grammar").
 * The filler is not checked: like the padding it carries nothing, and a later 3.x minor
 * version may use it (RFC 37: MUST accept higher versions). Throws ProtocolError(BAD_GREETING).
 */
export function decodeGreeting(bytes: Uint8Array): Greeting {
  if (!(bytes instanceof Uint8Array) || bytes.length !== GREETING_SIZE) {
    throw argumentError(
      "range",
      `expected a greeting of ${GREETING_SIZE} octets, got ${bytes instanceof Uint8Array ? `length ${bytes.length}` : typeof bytes}`,
    )
  }
  checkGreetingPrefix(bytes)
  let mechanism = ""
  let i = 0
  for (; i < GREETING_MECHANISM_SIZE; i++) {
    const c = bytes[GREETING_MECHANISM_OFFSET + i] as number
    if (c === 0) break
    if (!isMechanismChar(c)) {
      throw protocolError(
        ErrorCode.BAD_GREETING,
        `expected a mechanism name character, got ${hex(c)} at greeting offset ${GREETING_MECHANISM_OFFSET + i}`,
      )
    }
    mechanism += String.fromCharCode(c)
  }
  if (mechanism.length === 0) {
    throw protocolError(ErrorCode.BAD_GREETING, "expected a mechanism name in the greeting, got none")
  }
  for (; i < GREETING_MECHANISM_SIZE; i++) {
    const c = bytes[GREETING_MECHANISM_OFFSET + i] as number
    if (c !== 0) {
      throw protocolError(
        ErrorCode.BAD_GREETING,
        `expected only NUL padding after the mechanism name, got ${hex(c)} at greeting offset ${GREETING_MECHANISM_OFFSET + i}`,
      )
    }
  }
  const asServer = bytes[GREETING_AS_SERVER_OFFSET] as number
  if (asServer > 1) {
    throw protocolError(ErrorCode.BAD_GREETING, `expected as-server 0 or 1, got ${asServer}`)
  }
  return {
    major: bytes[GREETING_MAJOR_OFFSET] as number,
    minor: bytes[GREETING_MINOR_OFFSET] as number,
    mechanism,
    asServer: asServer === 1,
  }
}
