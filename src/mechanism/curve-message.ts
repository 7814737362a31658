/**
 * CURVE short nonces and the MESSAGE command, shared by CurveClient and CurveServer
 * (RFC 26 "The MESSAGE Command"; wire behaviour of libzmq curve_mechanism_base.cpp).
 *
 *   message       = %d7 "MESSAGE" message-nonce message-box     ; 33+ octets
 *   message-nonce = 8OCTET        ; short nonce, prefixed by "CurveZMQMESSAGEC" / "...S"
 *   message-box   = 17*OCTET      ; Box [payload-flags payload-data](sender' -> recipient')
 *
 * Short nonces (RFC 26 "The HELLO Command", "The READY Command"): each side numbers every
 * command it sends under its transient key (client: HELLO, INITIATE, MESSAGE...; server:
 * READY, MESSAGE...) 1, 2, 3, ... as a 64-bit big-endian integer, and each side refuses a
 * short nonce that is not strictly greater than the last one it accepted from the peer
 * (ProtocolError(INVALID_SEQUENCE): replay or reorder, CVE-2014-7203). The first short nonce
 * received may be anything (libzmq's own tests send a HELLO with nonce 0). Counters are kept as
 * two 32-bit halves, so all 2^64 - 1 values are exact; sending past 2^64 - 1 throws
 * ProtocolError(INVALID_SEQUENCE) and the connection must close ("SHALL NOT send more than
 * 2^64-1 commands").
 *
 * Payload flags (libzmq): 0x01 MORE, 0x02 COMMAND; so PING/SUBSCRIBE/... travel encrypted
 * after the handshake. libzmq masks other bits on receipt; so do we (they are authenticated).
 *
 * Outer frame flags: libzmq puts every MESSAGE on the wire as a plain final message frame
 * (flags 0x00, or 0x02 long): curve_encoding_t::encode replaces the msg_t with a freshly
 * init_size()d one, whose flags are 0, so neither MORE nor COMMAND is set outside. We do the
 * same. On receipt the outer flags are ignored — libzmq runs every traffic frame through
 * decode whatever its flags — and MORE/COMMAND come only from the authenticated inner octet.
 *
 * Allocation: encode makes exactly one buffer ("\x07MESSAGE" + nonce + MAC + flags + payload)
 * and seals it in place; decode opens the box in place inside the received frame body (the
 * plaintext lands where the ciphertext was) and returns a view. libsodium supports both
 * overlaps (secretbox "c and m can overlap"); test/mechanism/curve-message.test.ts checks it on
 * each crypto backend. Pure.
 */
import { ErrorCode, protocolError } from "../errors.js"
import { MAC_BYTES, NONCE_BYTES, cryptoBackend, wipe } from "../crypto/nacl.js"
import type { CryptoBackend } from "../crypto/backend.js"
import { allocateUnfilled } from "../wire/slab.js"
import {
  CURVE_MESSAGE_FLAG_COMMAND,
  CURVE_MESSAGE_FLAG_MORE,
  CURVE_MESSAGE_MIN_SIZE,
  CURVE_NONCE_PREFIX,
  Command,
} from "../wire/constants.js"
import type { Frame } from "../wire/types.js"
import { SHORT_NONCE_SIZE } from "./curve-layout.js"

const PREFIX_BYTES = NONCE_BYTES - SHORT_NONCE_SIZE

/** "\x07MESSAGE" */
const MESSAGE_NAME = Uint8Array.from([Command.MESSAGE.length, ...Array.from(Command.MESSAGE, (c) => c.charCodeAt(0))])
const NONCE_AT = MESSAGE_NAME.length
const BOX_AT = NONCE_AT + SHORT_NONCE_SIZE
const PLAINTEXT_AT = BOX_AT + MAC_BYTES
const PAYLOAD_AT = PLAINTEXT_AT + 1

const textEncoder = new TextEncoder()

/**
 * A 24-octet nonce: `prefix` (ASCII, 16 characters before a short nonce, 8 before a long one),
 * then `tail` when given (else zeros, to be filled in place).
 */
export function nonceWith(prefix: string, tail?: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES)
  nonce.set(textEncoder.encode(prefix))
  if (tail !== undefined) nonce.set(tail, prefix.length)
  return nonce
}

/** Read the big-endian 32-bit word at `at`. */
function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  )
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24
  bytes[at + 1] = (value >>> 16) & 0xff
  bytes[at + 2] = (value >>> 8) & 0xff
  bytes[at + 3] = value & 0xff
}

/** Our sending short nonce: 1, 2, 3, ... up to 2^64 - 1. */
export class ShortNonceCounter {
  #hi = 0
  #lo = 1
  #exhausted = false

  /**
   * Start at `hi * 2^32 + lo` instead of 1 (tests use this to reach the end of the space).
   * RangeError for halves outside 0..2^32-1 or a start of 0.
   */
  constructor(start: { hi: number; lo: number } = { hi: 0, lo: 1 }) {
    const { hi, lo } = start
    for (const [what, v] of [["hi", hi], ["lo", lo]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new RangeError(`expected ${what} as an integer 0..2^32-1, got ${String(v)}`)
      }
    }
    if (hi === 0 && lo === 0) throw new RangeError("expected a start nonce of at least 1, got 0")
    this.#hi = hi
    this.#lo = lo
  }

  /** Write the next short nonce big-endian at `out[at..at+8]` and advance. */
  writeNext(out: Uint8Array, at: number): void {
    if (this.#exhausted) {
      throw protocolError(ErrorCode.INVALID_SEQUENCE, "CURVE short nonces exhausted (2^64-1 commands sent); the connection must close")
    }
    writeU32(out, at, this.#hi)
    writeU32(out, at + 4, this.#lo)
    if (this.#lo === 0xffffffff) {
      this.#lo = 0
      if (this.#hi === 0xffffffff) this.#exhausted = true
      else this.#hi++
    } else {
      this.#lo++
    }
  }
}

/** The last short nonce accepted from the peer; the next must be strictly greater. */
export class ShortNonceWindow {
  #seen = false
  #hi = 0
  #lo = 0

  /** Throw ProtocolError(INVALID_SEQUENCE) unless the nonce at `bytes[at..at+8]` is acceptable. */
  check(bytes: Uint8Array, at: number): void {
    if (!this.#seen) return
    const hi = readU32(bytes, at)
    const lo = readU32(bytes, at + 4)
    if (hi > this.#hi || (hi === this.#hi && lo > this.#lo)) return
    throw protocolError(
      ErrorCode.INVALID_SEQUENCE,
      "CURVE short nonce not greater than the previous one (replayed or reordered command)",
    )
  }

  /** Accept the nonce at `bytes[at..at+8]` (call after check() and after the box opened). */
  commit(bytes: Uint8Array, at: number): void {
    this.#hi = readU32(bytes, at)
    this.#lo = readU32(bytes, at + 4)
    this.#seen = true
  }
}

/**
 * MESSAGE encoding and decoding for one connection after the handshake, under the shared key
 * precomputed from the two transient keys. Owns `key` and wipes it in destroy().
 */
export class CurveMessageCodec {
  readonly #key: Uint8Array
  #destroyed = false
  readonly #sendCounter: ShortNonceCounter
  readonly #receiveWindow: ShortNonceWindow
  readonly #sendNonce: Uint8Array
  readonly #receiveNonce: Uint8Array
  /**
   * The backend of this connection, called directly on the hot path: every size is fixed by
   * construction here, so the argument checks of ../crypto/nacl.ts would only cost time.
   */
  readonly #crypto: CryptoBackend = cryptoBackend()

  constructor(
    key: Uint8Array,
    asServer: boolean,
    sendCounter: ShortNonceCounter,
    receiveWindow: ShortNonceWindow,
  ) {
    this.#key = key
    this.#sendCounter = sendCounter
    this.#receiveWindow = receiveWindow
    this.#sendNonce = nonceWith(asServer ? CURVE_NONCE_PREFIX.MESSAGE_FROM_SERVER : CURVE_NONCE_PREFIX.MESSAGE_FROM_CLIENT)
    this.#receiveNonce = nonceWith(asServer ? CURVE_NONCE_PREFIX.MESSAGE_FROM_CLIENT : CURVE_NONCE_PREFIX.MESSAGE_FROM_SERVER)
  }

  /** One MESSAGE frame (outer flags 0, as libzmq) carrying `frame` encrypted. */
  encode(frame: Frame): Frame {
    if (this.#destroyed) throw new Error("CurveMessageCodec.encode() after destroy()")
    const payload = frame.body
    // Every octet is written below (name, nonce, MAC by the seal, flags, payload).
    const body = allocateUnfilled(PAYLOAD_AT + payload.length)
    body.set(MESSAGE_NAME, 0)
    this.#sendCounter.writeNext(body, NONCE_AT)
    body[PLAINTEXT_AT] = (frame.more ? CURVE_MESSAGE_FLAG_MORE : 0) | (frame.command ? CURVE_MESSAGE_FLAG_COMMAND : 0)
    body.set(payload, PAYLOAD_AT)
    const nonce = this.#sendNonce
    for (let i = 0; i < SHORT_NONCE_SIZE; i++) nonce[PREFIX_BYTES + i] = body[NONCE_AT + i] as number
    this.#crypto.sealInto(body.subarray(BOX_AT), body.subarray(PLAINTEXT_AT), nonce, this.#key)
    return { more: false, command: false, body }
  }

  /**
   * The frame inside one received MESSAGE. Decrypts in place: `frame.body` is overwritten and the
   * result's body is a view into it. Throws ProtocolError: MALFORMED_COMMAND_UNSPECIFIED (not a
   * command body), UNEXPECTED_COMMAND (not MESSAGE), MALFORMED_COMMAND_MESSAGE (under 33
   * octets), INVALID_SEQUENCE (nonce replayed/reordered), CRYPTOGRAPHIC (box does not open).
   */
  decode(frame: Frame): Frame {
    if (this.#destroyed) throw protocolError(ErrorCode.UNSPECIFIED, "CURVE: MESSAGE received after the mechanism was destroyed")
    const body = frame.body
    const size = body.length
    // libzmq mechanism_base.cpp check_basic_command_structure
    if (size <= 1 || size <= (body[0] as number)) {
      throw protocolError(ErrorCode.MALFORMED_COMMAND_UNSPECIFIED, `CURVE: expected a MESSAGE command, got a ${size}-octet frame that is no command`)
    }
    for (let i = 0; i < NONCE_AT; i++) {
      if (body[i] !== MESSAGE_NAME[i]) {
        throw protocolError(ErrorCode.UNEXPECTED_COMMAND, "CURVE: expected MESSAGE after the handshake, got another command")
      }
    }
    if (size < CURVE_MESSAGE_MIN_SIZE) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_MESSAGE,
        `CURVE: expected a MESSAGE of at least ${CURVE_MESSAGE_MIN_SIZE} octets, got ${size}`,
      )
    }
    this.#receiveWindow.check(body, NONCE_AT)
    const nonce = this.#receiveNonce
    for (let i = 0; i < SHORT_NONCE_SIZE; i++) nonce[PREFIX_BYTES + i] = body[NONCE_AT + i] as number
    // Plain Uint8Array views for the crypto call: `body` is often a Node Buffer, whose
    // subarray() is markedly slower on this per-message path.
    const plaintext = new Uint8Array(body.buffer, body.byteOffset + PLAINTEXT_AT, size - PLAINTEXT_AT)
    const box = new Uint8Array(body.buffer, body.byteOffset + BOX_AT, size - BOX_AT)
    if (!this.#crypto.openInto(plaintext, box, nonce, this.#key)) {
      throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: a MESSAGE box did not open (tampered, or wrong keys)")
    }
    this.#receiveWindow.commit(body, NONCE_AT)
    const flags = body[PLAINTEXT_AT] as number
    return {
      more: (flags & CURVE_MESSAGE_FLAG_MORE) !== 0,
      command: (flags & CURVE_MESSAGE_FLAG_COMMAND) !== 0,
      body: body.subarray(PAYLOAD_AT),
    }
  }

  /** Wipe the shared key; encode/decode fail afterwards. */
  destroy(): void {
    wipe(this.#key)
    this.#destroyed = true
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "CurveMessageCodec {}"
  }
}

/** "client" or "server": which CURVE mechanism a shared helper below works for (for messages). */
export type CurveRole = "client" | "server"

/** encode() of a CURVE mechanism: the codec once READY; before that it is an application bug. */
export function encodeTraffic(codec: CurveMessageCodec | undefined, role: CurveRole, state: string, frame: Frame): Frame {
  if (codec === undefined) throw new Error(`CURVE ${role}: encode() in state ${state}, expected READY`)
  return codec.encode(frame)
}

/** decode() of a CURVE mechanism: a message frame before READY is the peer's protocol error. */
export function decodeTraffic(codec: CurveMessageCodec | undefined, role: CurveRole, state: string, frame: Frame): Frame {
  if (codec === undefined) {
    throw protocolError(ErrorCode.UNEXPECTED_COMMAND, `CURVE ${role}: a message frame in state ${state}`)
  }
  return codec.decode(frame)
}

/** Wipe each secret buffer that is not already empty (mechanisms call this when they fail). */
export function wipeSecrets(secrets: readonly Uint8Array[]): void {
  for (const secret of secrets) if (secret.length !== 0) wipe(secret)
}
