/**
 * ZAP message codec (RFC 27 "Message Format"). Pure functions over frames (Uint8Array[]).
 *
 * Request:  [""] "1.0" request-id domain address identity mechanism credentials...
 * Reply:    [""] "1.0" request-id status-code status-text user-id metadata
 *
 * The empty delimiter frame: RFC 27 puts it first "on the wire" (what a DEALER sends and what
 * libzmq's ZAP client sends and expects); a REQ or REP socket adds and strips it itself, so an
 * application reading from REQ/REP never sees it. So:
 * - the decoders accept both forms: with a leading empty frame and without one (the version
 *   frame "1.0" is never empty, so the two cannot be confused);
 * - the encoders write the delimiter unless `{ delimiter: false }` (for REQ/REP sockets).
 * A ROUTER handler receives routing-id frames before the delimiter; `splitZapEnvelope` separates
 * that envelope so it can be sent back in front of the reply (RFC 27 "Proxy Handlers").
 *
 * Decoding errors are ProtocolErrors with the ZAP codes of ../errors.ts; encoding errors are
 * TypeError/RangeError (application input). Credentials never appear in messages.
 */
import { ErrorCode, ProtocolError } from "../errors.js"
import { CURVE_KEY_SIZE, Mechanism, ZAP_VERSION, ZapStatus } from "../wire/constants.js"
import { decodeMetadata, encodeMetadata } from "../wire/metadata.js"
import type { Metadata } from "../wire/types.js"

export interface ZapRequest {
  /** Opaque; the reply echoes it. */
  requestId: Uint8Array
  domain: string
  /** Peer IP address ("" for ipc). */
  address: string
  /** The peer's Identity property (routing id), at most 255 octets. */
  identity: Uint8Array
  /** "NULL", "PLAIN", "CURVE", or another mechanism name. */
  mechanism: string
  /** NULL: none; PLAIN: username, password; CURVE: the 32-octet client public key. */
  credentials: Uint8Array[]
}

export type ZapStatusCode = (typeof ZapStatus)[keyof typeof ZapStatus]

export interface ZapReply {
  requestId: Uint8Array
  /** 200, 300, 400 or 500. */
  status: ZapStatusCode
  statusText: string
  /** Empty unless status is 200 (RFC 27). */
  userId: string
  metadata: Metadata
}

export interface ZapFraming {
  /** Write the empty delimiter frame first (default true: the wire/DEALER form). */
  delimiter?: boolean
}

/** RFC 27: "All string fields are at most 255 characters". */
export const ZAP_STRING_MAX = 255
/** RFC 27: identity "SHALL be a binary string no longer than 255 bytes". */
export const ZAP_IDENTITY_MAX = 255

const STATUS_CODES: readonly number[] = Object.values(ZapStatus)
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder("utf-8", { fatal: true })
const VERSION_BYTES = textEncoder.encode(ZAP_VERSION)
const EMPTY = new Uint8Array(0)

/** Credential frames each known mechanism sends (RFC 27 "The NULL/PLAIN/CURVE Mechanism"). */
const CREDENTIAL_COUNT: Readonly<Record<string, number>> = {
  [Mechanism.NULL]: 0,
  [Mechanism.PLAIN]: 2,
  [Mechanism.CURVE]: 1,
}

/** The text for each status code when the handler gives none. */
export const DEFAULT_STATUS_TEXT: Readonly<Record<ZapStatusCode, string>> = {
  200: "OK",
  300: "Temporary failure",
  400: "No access",
  500: "Internal error",
}

export function isZapStatusCode(value: unknown): value is ZapStatusCode {
  return typeof value === "number" && STATUS_CODES.includes(value)
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Split a handler-side message into its address envelope (routing ids and the empty
 * delimiter, or nothing) and the ZAP body starting at the version frame. Without an empty
 * frame before the version, the envelope is empty (REP socket form).
 */
export function splitZapEnvelope(frames: readonly Uint8Array[]): { envelope: Uint8Array[]; body: Uint8Array[] } {
  if (frames.length > 0 && bytesEqual(frames[0] as Uint8Array, VERSION_BYTES)) return { envelope: [], body: [...frames] }
  const delimiter = frames.findIndex((frame) => frame.length === 0)
  if (delimiter === -1) return { envelope: [], body: [...frames] }
  return { envelope: frames.slice(0, delimiter + 1), body: frames.slice(delimiter + 1) }
}

/** Drop one leading empty delimiter frame, if present. */
function withoutDelimiter(frames: readonly Uint8Array[]): readonly Uint8Array[] {
  return frames.length > 0 && (frames[0] as Uint8Array).length === 0 ? frames.slice(1) : frames
}

function decodeString(frame: Uint8Array, field: string, code: ErrorCode): string {
  if (frame.length > ZAP_STRING_MAX) {
    throw new ProtocolError(code, `ZAP ${field}: expected at most ${ZAP_STRING_MAX} octets, got ${frame.length}`)
  }
  try {
    return textDecoder.decode(frame)
  } catch {
    throw new ProtocolError(code, `ZAP ${field}: expected UTF-8 text, got invalid UTF-8`)
  }
}

function encodeString(value: string, field: string): Uint8Array {
  if (typeof value !== "string") throw new TypeError(`ZAP ${field}: expected a string, got ${value === null ? "null" : typeof value}`)
  const bytes = textEncoder.encode(value)
  if (bytes.length > ZAP_STRING_MAX) {
    throw new RangeError(`ZAP ${field}: expected at most ${ZAP_STRING_MAX} octets, got ${bytes.length}`)
  }
  return bytes
}

function expectBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`ZAP ${field}: expected a Uint8Array, got ${value === null ? "null" : typeof value}`)
  return value
}

/** Frames of a ZAP request. TypeError/RangeError for fields ZAP cannot carry. */
export function encodeZapRequest(request: ZapRequest, framing: ZapFraming = {}): Uint8Array[] {
  const mechanism = encodeString(request.mechanism, "mechanism")
  if (mechanism.length === 0) throw new RangeError("ZAP mechanism: expected a non-empty name, got an empty string")
  const identity = expectBytes(request.identity, "identity")
  if (identity.length > ZAP_IDENTITY_MAX) {
    throw new RangeError(`ZAP identity: expected at most ${ZAP_IDENTITY_MAX} octets, got ${identity.length}`)
  }
  if (!Array.isArray(request.credentials)) throw new TypeError(`ZAP credentials: expected an array of Uint8Array, got ${typeof request.credentials}`)
  const frames = [
    VERSION_BYTES,
    expectBytes(request.requestId, "request id"),
    encodeString(request.domain, "domain"),
    encodeString(request.address, "address"),
    identity,
    mechanism,
    ...request.credentials.map((credential, i) => expectBytes(credential, `credential ${i}`)),
  ]
  return framing.delimiter === false ? frames : [EMPTY, ...frames]
}

/**
 * Decode a ZAP request, with or without the leading empty delimiter (not with routing ids:
 * use `splitZapEnvelope` first). ProtocolError(ZAP_BAD_VERSION) for a version other than "1.0",
 * ProtocolError(ZAP_MALFORMED_REQUEST) for anything else RFC 27 does not allow, including the
 * wrong number of credentials for NULL (0), PLAIN (2) or CURVE (1 frame of 32 octets).
 */
export function decodeZapRequest(frames: readonly Uint8Array[]): ZapRequest {
  const body = withoutDelimiter(frames)
  const code = ErrorCode.ZAP_MALFORMED_REQUEST
  if (body.length === 0) throw new ProtocolError(code, "ZAP request: expected at least 6 frames, got none")
  const version = body[0] as Uint8Array
  if (!bytesEqual(version, VERSION_BYTES)) {
    throw new ProtocolError(ErrorCode.ZAP_BAD_VERSION, `ZAP request: expected version "${ZAP_VERSION}", got ${version.length} octets of something else`)
  }
  if (body.length < 6) throw new ProtocolError(code, `ZAP request: expected at least 6 frames after the delimiter, got ${body.length}`)
  const identity = body[4] as Uint8Array
  if (identity.length > ZAP_IDENTITY_MAX) {
    throw new ProtocolError(code, `ZAP identity: expected at most ${ZAP_IDENTITY_MAX} octets, got ${identity.length}`)
  }
  const mechanism = decodeString(body[5] as Uint8Array, "mechanism", code)
  if (mechanism.length === 0) throw new ProtocolError(code, "ZAP mechanism: expected a non-empty name, got an empty frame")
  const credentials = body.slice(6)
  const expected = Object.hasOwn(CREDENTIAL_COUNT, mechanism) ? CREDENTIAL_COUNT[mechanism] : undefined
  if (expected !== undefined && credentials.length !== expected) {
    throw new ProtocolError(code, `ZAP ${mechanism} request: expected ${expected} credential frame(s), got ${credentials.length}`)
  }
  if (mechanism === Mechanism.CURVE && (credentials[0] as Uint8Array).length !== CURVE_KEY_SIZE) {
    throw new ProtocolError(code, `ZAP CURVE request: expected a ${CURVE_KEY_SIZE}-octet public key, got ${(credentials[0] as Uint8Array).length} octets`)
  }
  return {
    requestId: body[1] as Uint8Array,
    domain: decodeString(body[2] as Uint8Array, "domain", code),
    address: decodeString(body[3] as Uint8Array, "address", code),
    identity,
    mechanism,
    credentials: [...credentials],
  }
}

/** Frames of a ZAP reply. RangeError for an unknown status code or over-long strings. */
export function encodeZapReply(reply: ZapReply, framing: ZapFraming = {}): Uint8Array[] {
  if (!isZapStatusCode(reply.status)) {
    throw new RangeError(`ZAP status: expected one of ${STATUS_CODES.join(", ")}, got ${String(reply.status)}`)
  }
  if (!(reply.metadata instanceof Map)) throw new TypeError(`ZAP metadata: expected a Metadata map, got ${typeof reply.metadata}`)
  const frames = [
    VERSION_BYTES,
    expectBytes(reply.requestId, "request id"),
    textEncoder.encode(String(reply.status)),
    encodeString(reply.statusText, "status text"),
    encodeString(reply.userId, "user id"),
    encodeMetadata(reply.metadata),
  ]
  return framing.delimiter === false ? frames : [EMPTY, ...frames]
}

/**
 * Decode a ZAP reply (with or without the leading delimiter) and check it answers
 * `expectedRequestId`. Checks in libzmq's order (zap_client.cpp): frame count and delimiter
 * (ZAP_MALFORMED_REPLY), version (ZAP_BAD_VERSION), request id (ZAP_BAD_REQUEST_ID), status code
 * (ZAP_INVALID_STATUS_CODE), then metadata (ZAP_INVALID_METADATA).
 */
export function decodeZapReply(frames: readonly Uint8Array[], expectedRequestId: Uint8Array): ZapReply {
  const body = withoutDelimiter(frames)
  if (body.length !== 6) {
    const what = body.length === frames.length && frames.length === 7 ? "a non-empty first frame where the delimiter belongs" : `${frames.length} frames`
    throw new ProtocolError(ErrorCode.ZAP_MALFORMED_REPLY, `ZAP reply: expected 6 frames (7 with the empty delimiter), got ${what}`)
  }
  const version = body[0] as Uint8Array
  if (!bytesEqual(version, VERSION_BYTES)) {
    throw new ProtocolError(ErrorCode.ZAP_BAD_VERSION, `ZAP reply: expected version "${ZAP_VERSION}", got ${version.length} octets of something else`)
  }
  const requestId = body[1] as Uint8Array
  if (!bytesEqual(requestId, expectedRequestId)) {
    throw new ProtocolError(ErrorCode.ZAP_BAD_REQUEST_ID, `ZAP reply: expected the request id of the request (${expectedRequestId.length} octets), got a different one`)
  }
  const statusFrame = body[2] as Uint8Array
  const statusText = statusFrame.length === 3 ? String.fromCharCode(...statusFrame) : ""
  const status = /^[0-9]{3}$/.test(statusText) ? Number(statusText) : Number.NaN
  if (!isZapStatusCode(status)) {
    throw new ProtocolError(ErrorCode.ZAP_INVALID_STATUS_CODE, `ZAP reply: expected status code "200", "300", "400" or "500", got a ${statusFrame.length}-octet frame that is none of them`)
  }
  const text = decodeString(body[3] as Uint8Array, "status text", ErrorCode.ZAP_MALFORMED_REPLY)
  const userId = decodeString(body[4] as Uint8Array, "user id", ErrorCode.ZAP_MALFORMED_REPLY)
  const metadata = decodeMetadata(body[5] as Uint8Array, ErrorCode.ZAP_INVALID_METADATA)
  return { requestId, status, statusText: text, userId, metadata }
}
