/**
 * Command bodies (RFC 37 "Formal Grammar"):
 *
 *   command-body = command-name command-data
 *   command-name = short-size 1*255command-name-char      command-name-char = ALPHA
 *   command-data = *OCTET
 *
 * Pure: no node:* imports.
 */
import { ErrorCode, argumentError, protocolError } from "../errors.js"
import type { CommandFrame, Frame } from "./types.js"

const COMMAND_NAME_MAX = 255

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
}

/** A command body: name-length octet, name, data. TypeError/RangeError for a bad name. */
export function encodeCommand(name: string, data: Uint8Array): Uint8Array {
  if (typeof name !== "string") {
    throw argumentError("type", `expected a command name string, got ${typeof name}`)
  }
  if (!(data instanceof Uint8Array)) {
    throw argumentError("type", `expected command data as a Uint8Array, got ${data === null ? "null" : typeof data}`)
  }
  const n = name.length
  if (n === 0 || n > COMMAND_NAME_MAX) {
    throw argumentError("range", `expected a command name of 1 to ${COMMAND_NAME_MAX} letters, got length ${n}`)
  }
  const out = new Uint8Array(1 + n + data.length)
  out[0] = n
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i)
    if (!isAlpha(c)) {
      throw argumentError("range", `expected a command name of ASCII letters, got character code ${c} at position ${i}`)
    }
    out[1 + i] = c
  }
  out.set(data, 1 + n)
  return out
}

/** A command as a frame ready for the encoder (COMMAND set, MORE clear). */
export function commandFrame(name: string, data: Uint8Array): Frame {
  return { more: false, command: true, body: encodeCommand(name, data) }
}

/**
 * Split a command frame body into name and data. `data` is a view into `body` (no copy).
 * ProtocolError(MALFORMED_COMMAND_UNSPECIFIED) when the body is empty, the name length is 0
 * or runs past the body, or the name has a non-letter (RFC 37: command-name-char = ALPHA).
 */
export function decodeCommand(body: Uint8Array): CommandFrame {
  if (body.length === 0) {
    throw protocolError(ErrorCode.MALFORMED_COMMAND_UNSPECIFIED, "expected a command name length octet, got an empty command")
  }
  const n = body[0] as number
  if (n === 0) {
    throw protocolError(ErrorCode.MALFORMED_COMMAND_UNSPECIFIED, "expected a command name of 1 to 255 letters, got length 0")
  }
  if (n > body.length - 1) {
    throw protocolError(
      ErrorCode.MALFORMED_COMMAND_UNSPECIFIED,
      `expected a command name of ${n} octets, got only ${body.length - 1} octets after the length`,
    )
  }
  let name = ""
  for (let i = 1; i <= n; i++) {
    const c = body[i] as number
    if (!isAlpha(c)) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_UNSPECIFIED,
        `expected a command name of ASCII letters, got 0x${c.toString(16).padStart(2, "0")} at offset ${i}`,
      )
    }
    name += String.fromCharCode(c)
  }
  return { name, data: body.subarray(1 + n) }
}
