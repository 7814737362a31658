/**
 * Command data (what follows the command name) of the NULL handshake and traffic commands
 * (RFC 37 "The NULL Security Mechanism", "Connection Heartbeating", "The Publish-Subscribe
 * Pattern"; RFC 23 for the ZMTP 3.0 subscription message). Build a whole command with
 * `commandFrame(Command.PING, encodePing(...))` from ./command.ts.
 *
 * Views: decodePing's context, decodePong's result and parseSubscriptionMessage's topic are
 * views into the input (no copy). Pure: no node:* imports.
 */
import { ErrorCode, argumentError, describeValue, protocolError } from "../errors.js"
import { ERROR_REASON_MAX, PING_CONTEXT_MAX } from "./constants.js"
import { decodeMetadata, encodeMetadata } from "./metadata.js"
import type { Metadata } from "./types.js"

const PING_TTL_SIZE = 2
const PING_TTL_MAX = 0xffff
const SUBSCRIBE_OCTET = 0x01
const CANCEL_OCTET = 0x00

function checkBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw argumentError("type", `expected ${what} as a Uint8Array, got ${describeValue(value)}`)
  }
}

// ---- READY (RFC 37: ready = command-size %d5 "READY" metadata) -------------------------------

/** READY command data: the metadata. */
export function encodeReady(md: Metadata): Uint8Array {
  return encodeMetadata(md)
}

/**
 * Metadata from READY command data. ProtocolError(`code`, default INVALID_METADATA — what
 * libzmq reports for a READY it cannot parse) for malformed metadata.
 */
export function decodeReady(data: Uint8Array, code: ErrorCode = ErrorCode.INVALID_METADATA): Metadata {
  return decodeMetadata(data, code)
}

// ---- ERROR (RFC 37: error = command-size %d5 "ERROR" error-reason) ----------------------------
// error-reason = short-size 0*255VCHAR

/**
 * ERROR command data. The reason is 0-255 printable ASCII characters (0x20-0x7E: RFC 37's
 * VCHAR plus space, as libzmq's status texts use). RangeError otherwise.
 */
export function encodeError(reason: string): Uint8Array {
  if (typeof reason !== "string") {
    throw argumentError("type", `expected an error reason string, got ${describeValue(reason)}`)
  }
  if (reason.length > ERROR_REASON_MAX) {
    throw argumentError("range", `expected an error reason of at most ${ERROR_REASON_MAX} characters, got length ${reason.length}`)
  }
  const out = new Uint8Array(1 + reason.length)
  out[0] = reason.length
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) {
      throw argumentError("range", `expected an error reason of printable ASCII, got character code ${c} at position ${i}`)
    }
    out[1 + i] = c
  }
  return out
}

/**
 * The reason from ERROR command data, whose length octet must match the data exactly.
 * Octets outside printable ASCII are rendered as "\xNN" so the reason is always safe to log.
 * ProtocolError(MALFORMED_COMMAND_ERROR) when the data is empty or the length does not match.
 */
export function decodeError(data: Uint8Array): string {
  if (data.length === 0) {
    throw protocolError(ErrorCode.MALFORMED_COMMAND_ERROR, "expected an ERROR reason length octet, got no data")
  }
  const n = data[0] as number
  if (n !== data.length - 1) {
    throw protocolError(
      ErrorCode.MALFORMED_COMMAND_ERROR,
      `expected an ERROR reason of ${n} octets, got ${data.length - 1}`,
    )
  }
  let reason = ""
  for (let i = 1; i <= n; i++) {
    const c = data[i] as number
    reason += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`
  }
  return reason
}

// ---- PING / PONG (RFC 37 "Connection Heartbeating") -------------------------------------------
// ping = command-size %d4 "PING" ping-ttl ping-context ; ping-ttl = 2OCTET ; ping-context = 0*16OCTET
// pong = command-size %d4 "PONG" ping-context

function checkContext(context: unknown): asserts context is Uint8Array {
  checkBytes(context, "a ping context")
  if (context.length > PING_CONTEXT_MAX) {
    throw argumentError("range", `expected a ping context of at most ${PING_CONTEXT_MAX} octets, got length ${context.length}`)
  }
}

/** PING command data: TTL in tenths of a second (0-65535, 0 = none), then the context (0-16 octets). */
export function encodePing(ttlDeciseconds: number, context: Uint8Array): Uint8Array {
  if (!Number.isInteger(ttlDeciseconds) || ttlDeciseconds < 0 || ttlDeciseconds > PING_TTL_MAX) {
    throw argumentError("range", `expected a ping TTL of 0 to ${PING_TTL_MAX} deciseconds, got ${String(ttlDeciseconds)}`)
  }
  checkContext(context)
  const out = new Uint8Array(PING_TTL_SIZE + context.length)
  out[0] = ttlDeciseconds >>> 8
  out[1] = ttlDeciseconds & 0xff
  out.set(context, PING_TTL_SIZE)
  return out
}

/**
 * TTL (deciseconds) and context from PING command data. ProtocolError(MALFORMED_COMMAND_UNSPECIFIED)
 * for fewer than 2 octets or a context over 16 octets (RFC 37: MUST NOT exceed 16; libzmq
 * would truncate it, but the RFC forbids it, so we refuse).
 */
export function decodePing(data: Uint8Array): { ttl: number; context: Uint8Array } {
  if (data.length < PING_TTL_SIZE) {
    throw protocolError(ErrorCode.MALFORMED_COMMAND_UNSPECIFIED, `expected a 2-octet PING TTL, got ${data.length} octets`)
  }
  if (data.length - PING_TTL_SIZE > PING_CONTEXT_MAX) {
    throw protocolError(
      ErrorCode.MALFORMED_COMMAND_UNSPECIFIED,
      `expected a PING context of at most ${PING_CONTEXT_MAX} octets, got ${data.length - PING_TTL_SIZE}`,
    )
  }
  return {
    ttl: ((data[0] as number) << 8) | (data[1] as number),
    context: data.subarray(PING_TTL_SIZE),
  }
}

/** PONG command data: the context of the PING it answers. */
export function encodePong(context: Uint8Array): Uint8Array {
  checkContext(context)
  return new Uint8Array(context)
}

/** Context from PONG command data. ProtocolError(MALFORMED_COMMAND_UNSPECIFIED) over 16 octets. */
export function decodePong(data: Uint8Array): Uint8Array {
  if (data.length > PING_CONTEXT_MAX) {
    throw protocolError(
      ErrorCode.MALFORMED_COMMAND_UNSPECIFIED,
      `expected a PONG context of at most ${PING_CONTEXT_MAX} octets, got ${data.length}`,
    )
  }
  return data
}

// ---- Subscriptions -----------------------------------------------------------------------------
// ZMTP 3.1 (RFC 37): SUBSCRIBE / CANCEL commands whose data is the raw topic.
// ZMTP 3.0 (RFC 23, and libzmq toward 3.0 peers): a one-frame message, %x01 (subscribe) or
// %x00 (cancel) followed by the topic.

/** The ZMTP 3.0 subscription message body: 0x01 (subscribe) or 0x00 (cancel), then the topic. */
export function subscriptionMessage(subscribe: boolean, topic: Uint8Array): Uint8Array {
  checkBytes(topic, "a topic")
  const out = new Uint8Array(1 + topic.length)
  out[0] = subscribe ? SUBSCRIBE_OCTET : CANCEL_OCTET
  out.set(topic, 1)
  return out
}

/**
 * A ZMTP 3.0 subscription message, or undefined when `body` is not one (empty, or a first
 * octet other than 0x00/0x01: libzmq's XPUB passes such messages on rather than failing).
 */
export function parseSubscriptionMessage(body: Uint8Array): { subscribe: boolean; topic: Uint8Array } | undefined {
  if (body.length === 0) return undefined
  const first = body[0] as number
  if (first !== SUBSCRIBE_OCTET && first !== CANCEL_OCTET) return undefined
  return { subscribe: first === SUBSCRIBE_OCTET, topic: body.subarray(1) }
}
