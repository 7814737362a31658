/**
 * Wire constants: the one source of truth for every fixed byte, size and name on the wire.
 * Sources: RFC 23/37 (ZMTP 3.0/3.1), RFC 24 (PLAIN), RFC 25/26 (CURVE), RFC 27 (ZAP).
 */

// ---- Greeting (RFC 37 "Formal Grammar") ------------------------------------------------------
/** greeting = signature version mechanism as-server filler = 64 octets. */
export const GREETING_SIZE = 64
/** signature = %xFF padding %x7F (10 octets). */
export const SIGNATURE_SIZE = 10
export const SIGNATURE_FIRST = 0xff
export const SIGNATURE_LAST = 0x7f
/** Offsets inside the greeting. */
export const GREETING_MAJOR_OFFSET = 10
export const GREETING_MINOR_OFFSET = 11
export const GREETING_MECHANISM_OFFSET = 12
export const GREETING_MECHANISM_SIZE = 20
export const GREETING_AS_SERVER_OFFSET = 32
/** We speak ZMTP 3.1 and accept 3.0 (RFC 23) and any later 3.x or higher. */
export const ZMTP_MAJOR = 3
export const ZMTP_MINOR = 1

// ---- Framing (RFC 37 "Framing") ---------------------------------------------------------------
export const FLAG_MORE = 0x01
export const FLAG_LONG = 0x02
export const FLAG_COMMAND = 0x04
/** Bits 7-3 are reserved and SHALL be zero. */
export const FLAG_RESERVED_MASK = 0xf8
/** A short frame's size fits in one octet. */
export const SHORT_FRAME_MAX = 255

// ---- Mechanisms --------------------------------------------------------------------------------
export const Mechanism = {
  NULL: "NULL",
  PLAIN: "PLAIN",
  CURVE: "CURVE",
} as const
export type MechanismName = (typeof Mechanism)[keyof typeof Mechanism]

// ---- Command names ------------------------------------------------------------------------------
export const Command = {
  READY: "READY",
  ERROR: "ERROR",
  HELLO: "HELLO",
  WELCOME: "WELCOME",
  INITIATE: "INITIATE",
  MESSAGE: "MESSAGE",
  PING: "PING",
  PONG: "PONG",
  SUBSCRIBE: "SUBSCRIBE",
  CANCEL: "CANCEL",
} as const
export type CommandName = (typeof Command)[keyof typeof Command]

/** RFC 37: an ERROR reason is at most 255 octets (one-octet length). */
export const ERROR_REASON_MAX = 255
/** RFC 37 "Connection Heartbeating": PING context is at most 16 octets. */
export const PING_CONTEXT_MAX = 16

// ---- Metadata (RFC 37 "The NULL Security Mechanism" grammar) ------------------------------------
export const Property = {
  SOCKET_TYPE: "Socket-Type",
  IDENTITY: "Identity",
  RESOURCE: "Resource",
  /** Connection properties set locally (libzmq names, not sent on the wire). */
  USER_ID: "User-Id",
  PEER_ADDRESS: "Peer-Address",
} as const
/** name = OCTET 1*255name-char ; value = 4OCTET *OCTET, at most 2^31-1 octets. */
export const PROPERTY_NAME_MAX = 255
export const PROPERTY_VALUE_MAX = 0x7fffffff
/** name-char = ALPHA | DIGIT | "-" | "_" | "." | "+" */
export const PROPERTY_NAME_PATTERN = /^[A-Za-z0-9\-_.+]{1,255}$/

// ---- Socket types (RFC 37 "The Socket-Type Property") --------------------------------------------
export const SocketType = {
  PAIR: "PAIR",
  PUB: "PUB",
  SUB: "SUB",
  REQ: "REQ",
  REP: "REP",
  DEALER: "DEALER",
  ROUTER: "ROUTER",
  PULL: "PULL",
  PUSH: "PUSH",
  XPUB: "XPUB",
  XSUB: "XSUB",
} as const
export type SocketTypeName = (typeof SocketType)[keyof typeof SocketType]

/** Which peer socket types each socket type accepts (RFC 37, RFC 28-31). */
export const COMPATIBLE_PEERS: Readonly<Record<SocketTypeName, readonly SocketTypeName[]>> = {
  PAIR: ["PAIR"],
  PUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XPUB: ["SUB", "XSUB"],
  XSUB: ["PUB", "XPUB"],
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PUSH: ["PULL"],
  PULL: ["PUSH"],
}

// ---- PLAIN (RFC 24) ---------------------------------------------------------------------------------
/** username and password are each 0-255 octets (one-octet length). */
export const PLAIN_FIELD_MAX = 255

// ---- CURVE (RFC 25 / RFC 26) -------------------------------------------------------------------------
export const CURVE_KEY_SIZE = 32
/** NaCl sizes CurveZMQ builds on (RFC 26): every key is 32 octets. */
export const KEY_BYTES = CURVE_KEY_SIZE
/** crypto_box / crypto_secretbox nonce: a 16-octet prefix + 8-octet short nonce, or 8 + 16 long. */
export const NONCE_BYTES = 24
/** Poly1305 authenticator; a box is MAC || ciphertext. */
export const MAC_BYTES = 16
export const CURVE_Z85_KEY_SIZE = 40
/** Exact command sizes including the command name-length octet and name (RFC 26). */
export const CURVE_HELLO_SIZE = 200
export const CURVE_WELCOME_SIZE = 168
/** INITIATE is at least 257 octets (cookie 96, nonce 8, box >= 144+16) incl. "\x08INITIATE". */
export const CURVE_INITIATE_MIN_SIZE = 257
/** READY is at least 30 octets incl. "\x05READY" (short nonce 8 + MAC 16). */
export const CURVE_READY_MIN_SIZE = 30
/** MESSAGE is at least 33 octets incl. "\x07MESSAGE" (short nonce 8 + MAC 16 + flags 1). */
export const CURVE_MESSAGE_MIN_SIZE = 33
export const CURVE_NONCE_PREFIX = {
  HELLO: "CurveZMQHELLO---",
  WELCOME: "WELCOME-",
  INITIATE: "CurveZMQINITIATE",
  /** Vouch box nonce prefix, followed by 16 random octets. */
  VOUCH: "VOUCH---",
  /** Cookie box nonce prefix, followed by 16 random octets. */
  COOKIE: "COOKIE--",
  READY: "CurveZMQREADY---",
  MESSAGE_FROM_CLIENT: "CurveZMQMESSAGEC",
  MESSAGE_FROM_SERVER: "CurveZMQMESSAGES",
} as const
/** Flags octet inside an encrypted MESSAGE (RFC 26 / libzmq). */
export const CURVE_MESSAGE_FLAG_MORE = 0x01
export const CURVE_MESSAGE_FLAG_COMMAND = 0x02

// ---- ZAP (RFC 27) -----------------------------------------------------------------------------------
export const ZAP_VERSION = "1.0"
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01"
export const ZapStatus = {
  SUCCESS: 200,
  TEMPORARY_FAILURE: 300,
  AUTHENTICATION_FAILURE: 400,
  INTERNAL_ERROR: 500,
} as const

// ---- libzmq quirks (appended by the mechanisms engineer) -----------------------------------------
/**
 * libzmq (4.3.5 and later, src/plain_common.hpp) spells its PLAIN ERROR command name as the C
 * literal "\x05ERROR"; C reads "\x05E" as ONE hex escape (0x5E, "^"), so the command body a
 * libzmq PLAIN server sends is 5E 52 52 4F 52 ("^RROR"), reason length, reason: on the wire
 * `04 09 5E 52 52 4F 52 03 34 30 30` for status 400. Only the PLAIN client accepts this shape.
 */
export const LIBZMQ_PLAIN_ERROR_PREFIX: readonly number[] = Object.freeze([0x5e, 0x52, 0x52, 0x4f, 0x52])
/** RFC 26 "The WELCOME Command": the cookie key is discarded after a short interval, e.g. 60 s. */
export const CURVE_COOKIE_LIFETIME_MS = 60_000
