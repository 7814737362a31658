/**
 * Where each field sits in the CURVE handshake commands (RFC 26 "High-level Grammar"), as
 * offsets into the command DATA, i.e. after the name-length octet and the name (a
 * CommandFrame's `data`). Sizes are derived from ../wire/constants.ts, which counts the whole
 * command including "\x05HELLO" etc. Pure.
 *
 *   hello    = %d5 "HELLO" version(2) padding(72) C'(32) short-nonce(8) Box[64 zeros](C'->S)(80)
 *   welcome  = %d7 "WELCOME" long-nonce(16) Box[S' + cookie](S->C')(144)
 *   cookie   = long-nonce(16) Box[C' + s'](K)(80)
 *   initiate = %d8 "INITIATE" cookie(96) short-nonce(8) Box[C + vouch + metadata](C'->S')(144+)
 *   vouch    = long-nonce(16) Box[C' + S](C->S')(80)
 *   ready    = %d5 "READY" short-nonce(8) Box[metadata](S'->C')(16+)
 */
import {
  MAC_BYTES,
  CURVE_HELLO_SIZE,
  CURVE_INITIATE_MIN_SIZE,
  CURVE_KEY_SIZE,
  CURVE_READY_MIN_SIZE,
  CURVE_WELCOME_SIZE,
  Command,
} from "../wire/constants.js"

/** Octets before the data: name-length octet + name. */
function nameSize(name: string): number {
  return 1 + name.length
}

export const SHORT_NONCE_SIZE = 8
export const LONG_NONCE_SIZE = 16

export const CurveVersion = { MAJOR: 1, MINOR: 0 } as const

export const Hello = {
  DATA_SIZE: CURVE_HELLO_SIZE - nameSize(Command.HELLO),
  VERSION_AT: 0,
  PADDING_AT: 2,
  PADDING_SIZE: 72,
  CLIENT_KEY_AT: 74,
  NONCE_AT: 106,
  BOX_AT: 114,
  /** The signature box holds 64 zero octets. */
  SIGNATURE_SIZE: 64,
} as const

export const Cookie = {
  SIZE: LONG_NONCE_SIZE + 2 * CURVE_KEY_SIZE + MAC_BYTES,
  NONCE_AT: 0,
  BOX_AT: LONG_NONCE_SIZE,
  /** Plaintext: C' then s'. */
  PLAINTEXT_SIZE: 2 * CURVE_KEY_SIZE,
} as const

export const Welcome = {
  DATA_SIZE: CURVE_WELCOME_SIZE - nameSize(Command.WELCOME),
  NONCE_AT: 0,
  BOX_AT: LONG_NONCE_SIZE,
  /** Plaintext: S' then the cookie. */
  PLAINTEXT_SIZE: CURVE_KEY_SIZE + Cookie.SIZE,
} as const

export const Vouch = {
  SIZE: LONG_NONCE_SIZE + 2 * CURVE_KEY_SIZE + MAC_BYTES,
  /** Plaintext: C' then S. */
  PLAINTEXT_SIZE: 2 * CURVE_KEY_SIZE,
} as const

export const Initiate = {
  MIN_DATA_SIZE: CURVE_INITIATE_MIN_SIZE - nameSize(Command.INITIATE),
  COOKIE_AT: 0,
  NONCE_AT: Cookie.SIZE,
  BOX_AT: Cookie.SIZE + SHORT_NONCE_SIZE,
  /** Offsets in the box plaintext: C, vouch nonce, vouch box, metadata. */
  CLIENT_KEY_AT: 0,
  VOUCH_NONCE_AT: CURVE_KEY_SIZE,
  VOUCH_BOX_AT: CURVE_KEY_SIZE + LONG_NONCE_SIZE,
  METADATA_AT: CURVE_KEY_SIZE + Vouch.SIZE,
} as const

export const Ready = {
  MIN_DATA_SIZE: CURVE_READY_MIN_SIZE - nameSize(Command.READY),
  NONCE_AT: 0,
  BOX_AT: SHORT_NONCE_SIZE,
} as const
