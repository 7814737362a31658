/**
 * Shared pieces of the end-to-end client and server: options checking, metadata for libcurve
 * peers, and the framing rule (zeromq/libcurve curve_client.c / curve_server.c): every CurveZMQ
 * command travels as one frame, as its own single-frame message — DEALER [command], ROUTER
 * [routing-id][command] — and an application message of n frames becomes n MESSAGE commands,
 * the inner flags octet's bit 0 (MORE) set on all but the last (RFC 26 "The MESSAGE Command").
 * Pure.
 */
import { argumentError, describeValue } from "../errors.js"
import { makeMetadata } from "../wire/metadata.js"
import { z85Decode } from "../wire/z85.js"
import type { Metadata } from "../wire/types.js"

/** "\x07MESSAGE" + nonce(8) + MAC(16) + flags(1). */
export const MESSAGE_OVERHEAD = 8 + 8 + 16 + 1
/** Short nonce offset inside a MESSAGE command body. */
export const MESSAGE_NONCE_AT = 8
export const HELLO_SIZE = 200
/** INITIATE without metadata (RFC 26). */
export const INITIATE_MIN_SIZE = 257
export const READY_NONCE_AT = 6
export const INITIATE_NONCE_AT = 9 + 96

export const DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  maxMessageSize: 1024 * 1024,
  maxMetadataSize: 8 * 1024,
  maxSessions: 10_000,
  /** Server: a session without traffic for 5 minutes is forgotten. */
  idleTimeoutMs: 300_000,
  /** Client: re-handshake before sending on a session idle this long (below the server's default). */
  clientIdleTimeoutMs: 240_000,
  maxQueuedMessages: 1_000,
  maxFrames: 1_000,
} as const

export function positiveInteger(value: unknown, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw argumentError(typeof value === "number" ? "range" : "type", `expected ${name} as an integer >= ${allowZero ? 0 : 1}, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Metadata to announce, ordered for libcurve's decoder (curve_codec.c s_decode_metadata). It
 * loops `while (needle < limit - 6)` and stops when `needle + name_len > limit - 5`, one octet
 * stricter than the 4 length octets need: so the LAST property is skipped whenever its value is
 * empty (which covers "a last property of 6 octets or fewer"). Properties with empty values go
 * first; if every value is empty, a libcurve peer misses the last one.
 */
export function announceMetadata(metadata: Metadata | Record<string, string | Uint8Array> | undefined): Metadata {
  const md = metadata === undefined ? new Map<string, Uint8Array>() : metadata instanceof Map ? new Map(metadata) : makeMetadata(metadata)
  const empty: [string, Uint8Array][] = []
  const rest: [string, Uint8Array][] = []
  for (const entry of md) (entry[1].length === 0 ? empty : rest).push(entry)
  return new Map([...empty, ...rest])
}

/** Message frames from the application, each a Uint8Array (strings UTF-8 encoded). */
export type MessageInput = ArrayLike<Uint8Array | string> | Uint8Array | string

const encoder = new TextEncoder()

export function messageFrames(message: MessageInput, maxMessageSize: number, maxFrames: number): Uint8Array[] {
  const list: ArrayLike<Uint8Array | string> = typeof message === "string" || message instanceof Uint8Array ? [message] : message
  if (list === null || typeof list !== "object" || typeof list.length !== "number") {
    throw argumentError("type", `expected a message as a Uint8Array, a string or an array of them, got ${describeValue(message)}`)
  }
  if (list.length === 0) throw argumentError("range", "expected a message of at least one frame, got none")
  if (list.length > maxFrames) throw argumentError("range", `expected a message of at most ${maxFrames} frames, got ${list.length}`)
  const frames: Uint8Array[] = []
  let size = 0
  for (let i = 0; i < list.length; i++) {
    const f = list[i]
    const bytes = typeof f === "string" ? encoder.encode(f) : f
    if (!(bytes instanceof Uint8Array)) {
      throw argumentError("type", `expected frame ${i} as a Uint8Array or a string, got ${describeValue(f)}`)
    }
    size += bytes.length
    frames.push(bytes)
  }
  if (size > maxMessageSize) throw argumentError("range", `expected a message of at most ${maxMessageSize} octets (maxMessageSize), got ${size}`)
  return frames
}

/** A 32-octet key argument, or its 40-character Z85 text (TypeError/RangeError otherwise, never printing it). */
export function keyOption(value: unknown, name: string): Uint8Array {
  if (typeof value === "string") {
    if (value.length !== 40) throw argumentError("range", `expected ${name} as 40 Z85 characters, got ${value.length}`)
    try {
      return z85Decode(value)
    } catch {
      throw argumentError("range", `expected ${name} as valid Z85 text`)
    }
  }
  if (!(value instanceof Uint8Array)) throw argumentError("type", `expected ${name} as a 32-octet Uint8Array, got ${describeValue(value)}`)
  if (value.length !== 32) throw argumentError("range", `expected ${name} of 32 octets, got ${value.length}`)
  return value
}

/** Whether a frame starts with "\x07MESSAGE" (a byte test for the per-message path). */
export function isMessageCommand(frame: Uint8Array): boolean {
  return (
    frame.length > 8 &&
    frame[0] === 7 &&
    frame[1] === 0x4d &&
    frame[2] === 0x45 &&
    frame[3] === 0x53 &&
    frame[4] === 0x53 &&
    frame[5] === 0x41 &&
    frame[6] === 0x47 &&
    frame[7] === 0x45
  )
}

/** Command name of a frame, if it looks like one ("\x05HELLO" ...), without throwing. */
export function commandName(frame: Uint8Array): string | undefined {
  const n = frame[0]
  if (n === undefined || n === 0 || n > 8 || frame.length < 1 + n) return undefined
  let name = ""
  for (let i = 1; i <= n; i++) {
    const c = frame[i] as number
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return undefined
    name += String.fromCharCode(c)
  }
  return name
}
