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
 * and seals it in place; encodeInto builds the MESSAGE in the encoder's own buffer instead;
 * decode opens the box in place inside the received frame body (the plaintext lands where the
 * ciphertext was) and returns a view. libsodium supports both overlaps (secretbox "c and m can
 * overlap"); test/mechanism/curve-message.test.ts checks it on each crypto backend. A MESSAGE
 * of up to 64 payload octets is sealed and opened in a staging buffer and copied (h20, see
 * Staging below). Pure.
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
import { PASS_THROUGH_MIN, type FrameEncoder } from "../wire/frame-encoder.js"
import { SHORT_NONCE_SIZE } from "./curve-layout.js"

const PREFIX_BYTES = NONCE_BYTES - SHORT_NONCE_SIZE

/** "\x07MESSAGE" */
const MESSAGE_NAME = Uint8Array.from([Command.MESSAGE.length, ...Array.from(Command.MESSAGE, (c) => c.charCodeAt(0))])
const NONCE_AT = MESSAGE_NAME.length
/** "\x07MESSAGE" as two big-endian 32-bit words, for the check of every received MESSAGE. */
const MESSAGE_NAME_HI = readU32(MESSAGE_NAME, 0)
const MESSAGE_NAME_LO = readU32(MESSAGE_NAME, 4)
const BOX_AT = NONCE_AT + SHORT_NONCE_SIZE
const PLAINTEXT_AT = BOX_AT + MAC_BYTES
const PAYLOAD_AT = PLAINTEXT_AT + 1

const textEncoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

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

/**
 * Byte order of an 8-octet short nonce on the wire. RFC 26 and libzmq: "big" (network order).
 * libcurve (zeromq/libcurve curve_codec.c s_encrypt) memcpy()s a host int64_t counter that
 * starts at 0, i.e. "little" on every platform it runs on. Used by the end-to-end layer
 * (../e2e/); the ZMTP mechanisms keep "big".
 */
export type NonceOrder = "big" | "little"

/** Read an 8-octet nonce at `at` in `order` as two 32-bit halves. */
function readHalves(bytes: Uint8Array, at: number, order: NonceOrder): { hi: number; lo: number } {
  if (order === "big") return { hi: readU32(bytes, at), lo: readU32(bytes, at + 4) }
  return { hi: readU32LE(bytes, at + 4), lo: readU32LE(bytes, at) }
}

function readU32LE(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  )
}

function writeU32LE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff
  bytes[at + 1] = (value >>> 8) & 0xff
  bytes[at + 2] = (value >>> 16) & 0xff
  bytes[at + 3] = value >>> 24
}

/**
 * The order in which the nonce at `bytes[at..at+8]` reads as the smaller number, or undefined
 * when both readings are equal (a palindrome such as 0). A fresh session's counters are small,
 * so this tells a big-endian peer (first INITIATE nonce 00..02) from libcurve (01 00..00).
 */
export function likelyNonceOrder(bytes: Uint8Array, at: number): NonceOrder | undefined {
  const big = readHalves(bytes, at, "big")
  const little = readHalves(bytes, at, "little")
  if (big.hi < little.hi || (big.hi === little.hi && big.lo < little.lo)) return "big"
  if (little.hi < big.hi || (little.hi === big.hi && little.lo < big.lo)) return "little"
  return undefined
}

/** Our sending short nonce: 1, 2, 3, ... up to 2^64 - 1 (big-endian unless told otherwise). */
export class ShortNonceCounter {
  #hi = 0
  #lo = 1
  #exhausted = false
  /** Byte order written by writeNext(); "big" unless set before the first command is sent. */
  order: NonceOrder = "big"

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

  /** Write the next short nonce (in `order`) at `out[at..at+8]` and advance. */
  writeNext(out: Uint8Array, at: number): void {
    if (this.#exhausted) {
      throw protocolError(ErrorCode.INVALID_SEQUENCE, "CURVE short nonces exhausted (2^64-1 commands sent); the connection must close")
    }
    if (this.order === "big") {
      writeU32(out, at, this.#hi)
      writeU32(out, at + 4, this.#lo)
    } else {
      writeU32LE(out, at, this.#lo)
      writeU32LE(out, at + 4, this.#hi)
    }
    if (this.#lo === 0xffffffff) {
      this.#lo = 0
      if (this.#hi === 0xffffffff) this.#exhausted = true
      else this.#hi++
    } else {
      this.#lo++
    }
  }
}

/**
 * The last short nonce accepted from the peer; the next must be strictly greater. Big-endian
 * by default; `order` may be set to "little" or "auto" before the first commit. "auto" (the
 * end-to-end layer, for libcurve peers) reads each nonce in the order that makes it the smaller
 * number (likelyNonceOrder) and fixes that order at the first commit that is not a palindrome;
 * from then on the peer's nonces must increase strictly in it.
 */
export class ShortNonceWindow {
  #seen = false
  #hi = 0
  #lo = 0
  order: NonceOrder | "auto" = "big"

  #orderFor(bytes: Uint8Array, at: number): NonceOrder {
    return this.order === "auto" ? (likelyNonceOrder(bytes, at) ?? "big") : this.order
  }

  /** Throw ProtocolError(INVALID_SEQUENCE) unless the nonce at `bytes[at..at+8]` is acceptable. */
  check(bytes: Uint8Array, at: number): void {
    if (!this.#seen) return
    let hi: number
    let lo: number
    if (this.order === "big") {
      // the ZMTP hot path: no allocation
      hi = readU32(bytes, at)
      lo = readU32(bytes, at + 4)
    } else {
      ;({ hi, lo } = readHalves(bytes, at, this.#orderFor(bytes, at)))
    }
    if (hi > this.#hi || (hi === this.#hi && lo > this.#lo)) return
    throw protocolError(
      ErrorCode.INVALID_SEQUENCE,
      "CURVE short nonce not greater than the previous one (replayed or reordered command)",
    )
  }

  /** Accept the nonce at `bytes[at..at+8]` (call after check() and after the box opened). */
  commit(bytes: Uint8Array, at: number): void {
    if (this.order === "auto") {
      const likely = likelyNonceOrder(bytes, at)
      if (likely !== undefined) this.order = likely
    }
    if (this.order === "big") {
      this.#hi = readU32(bytes, at)
      this.#lo = readU32(bytes, at + 4)
    } else {
      const { hi, lo } = readHalves(bytes, at, this.#orderFor(bytes, at))
      this.#hi = hi
      this.#lo = lo
    }
    this.#seen = true
  }
}

/** 24-octet MESSAGE nonces with their prefix; only the last 8 octets change, per use. */
const SCRATCH_NONCE = {
  fromClient: nonceWith(CURVE_NONCE_PREFIX.MESSAGE_FROM_CLIENT),
  fromServer: nonceWith(CURVE_NONCE_PREFIX.MESSAGE_FROM_SERVER),
} as const

/**
 * h20 (issue 13 item 5): a small MESSAGE is sealed and opened in a staging buffer instead of in
 * the frame's own memory. libsodium (through sodium-native) needs its box and plaintext as
 * typed arrays of their exact lengths; two new views per message cost about 0.1 µs and 190
 * octets of garbage each way, more than copying a small box in and out. The staging buffer's
 * views are made once per size and kept. Shared by every codec: encode and decode are
 * synchronous, and each leaves the buffer without plaintext (a seal overwrites it with the
 * box; after an open the plaintext octets are zeroed once copied out).
 */
const STAGED_MAX_SIZE = PAYLOAD_AT + 64

/** Exact-length views of one staging buffer for a MESSAGE body of one size. */
interface StagedViews {
  /** The whole MESSAGE body ("\x07MESSAGE" + short nonce + box). */
  readonly whole: Uint8Array
  readonly box: Uint8Array
  readonly plaintext: Uint8Array
}

class Staging {
  /** A MESSAGE body of up to STAGED_MAX_SIZE octets at offset 0, its name already in place. */
  readonly bytes = new Uint8Array(STAGED_MAX_SIZE)
  /** Views per body size, made on first use (at most 65 sizes, about 20 KB for the process). */
  readonly #views: (StagedViews | undefined)[] = []

  constructor() {
    this.bytes.set(MESSAGE_NAME, 0)
  }

  /** Views for a MESSAGE body of `size` octets (PAYLOAD_AT ≤ size ≤ STAGED_MAX_SIZE). */
  views(size: number): StagedViews {
    const index = size - PAYLOAD_AT
    const cached = this.#views[index]
    if (cached !== undefined) return cached
    const made = {
      whole: this.bytes.subarray(0, size),
      box: this.bytes.subarray(BOX_AT, size),
      plaintext: this.bytes.subarray(PLAINTEXT_AT, size),
    }
    this.#views[index] = made
    return made
  }
}

const SEAL_STAGING = new Staging()
const OPEN_STAGING = new Staging()

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
    // Scratch nonces shared by every codec (encode/decode are synchronous and overwrite the
    // 8 short-nonce octets before each use): two typed arrays less per idle connection.
    this.#sendNonce = asServer ? SCRATCH_NONCE.fromServer : SCRATCH_NONCE.fromClient
    this.#receiveNonce = asServer ? SCRATCH_NONCE.fromClient : SCRATCH_NONCE.fromServer
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
   * encode(), written straight into `encoder`'s buffer: the MESSAGE is built and sealed where
   * it will be written from, so no buffer of its own is allocated and it is not copied again
   * (h18-gateway: the per-message cost of every CURVE sender). The short nonce is taken first,
   * so an exhausted counter throws before anything is queued. A MESSAGE of PASS_THROUGH_MIN
   * octets or more goes through encode() and add() (its own buffer, not copied by the encoder).
   */
  encodeInto(frame: Frame, encoder: FrameEncoder): void {
    if (this.#destroyed) throw new Error("CurveMessageCodec.encodeInto() after destroy()")
    const payload = frame.body
    const size = PAYLOAD_AT + payload.length
    if (size >= PASS_THROUGH_MIN) {
      encoder.add(this.encode(frame))
      return
    }
    const nonce = this.#sendNonce
    this.#sendCounter.writeNext(nonce, PREFIX_BYTES)
    if (size <= STAGED_MAX_SIZE) {
      const st = SEAL_STAGING.bytes
      const views = SEAL_STAGING.views(size)
      for (let i = 0; i < SHORT_NONCE_SIZE; i++) st[NONCE_AT + i] = nonce[PREFIX_BYTES + i] as number
      st[PLAINTEXT_AT] = (frame.more ? CURVE_MESSAGE_FLAG_MORE : 0) | (frame.command ? CURVE_MESSAGE_FLAG_COMMAND : 0)
      st.set(payload, PAYLOAD_AT)
      this.#crypto.sealInto(views.box, views.plaintext, nonce, this.#key)
      const at = encoder.reserveMessage(size) // may start a new scratch buffer: read it after
      encoder.scratch.set(views.whole, at)
      return
    }
    const at = encoder.reserveMessage(size)
    const out = encoder.scratch
    out.set(MESSAGE_NAME, at)
    for (let i = 0; i < SHORT_NONCE_SIZE; i++) out[at + NONCE_AT + i] = nonce[PREFIX_BYTES + i] as number
    out[at + PLAINTEXT_AT] = (frame.more ? CURVE_MESSAGE_FLAG_MORE : 0) | (frame.command ? CURVE_MESSAGE_FLAG_COMMAND : 0)
    out.set(payload, at + PAYLOAD_AT)
    const buffer = encoder.scratchBuffer
    this.#crypto.sealInto(
      new Uint8Array(buffer, at + BOX_AT, size - BOX_AT),
      new Uint8Array(buffer, at + PLAINTEXT_AT, size - PLAINTEXT_AT),
      nonce,
      this.#key,
    )
  }

  /**
   * The frame inside one received MESSAGE. Decrypts in place: `frame.body` is overwritten and the
   * result's body is a view into it. Throws ProtocolError: MALFORMED_COMMAND_UNSPECIFIED (not a
   * command body), UNEXPECTED_COMMAND (not MESSAGE), MALFORMED_COMMAND_MESSAGE (under 33
   * octets), INVALID_SEQUENCE (nonce replayed/reordered), CRYPTOGRAPHIC (box does not open).
   */
  decode(frame: Frame): Frame {
    const body = frame.body
    const flags = this.#open(body, 0, body.length)
    return {
      more: (flags & CURVE_MESSAGE_FLAG_MORE) !== 0,
      command: (flags & CURVE_MESSAGE_FLAG_COMMAND) !== 0,
      body: body.subarray(PAYLOAD_AT),
    }
  }

  /**
   * decode() of the MESSAGE at `bytes[at .. at + size]` (FrameDecoder.nextInPlace), with the
   * same checks and errors: no frame view is made for the MESSAGE itself (h20, issue 13 item 5),
   * and the result's body is `bytes.subarray()` over the plaintext, where the ciphertext was.
   */
  decodeInPlace(bytes: Uint8Array, at: number, size: number): Frame {
    const flags = this.#open(bytes, at, size)
    return {
      more: (flags & CURVE_MESSAGE_FLAG_MORE) !== 0,
      command: (flags & CURVE_MESSAGE_FLAG_COMMAND) !== 0,
      // subarray(), not a Uint8Array view: when `bytes` is a Node Buffer (a read chunk) the
      // result is one too, and the socket layer need not make a Buffer of it (Buffer.from()
      // over an ArrayBuffer costs more than Buffer's subarray(), which costs more than a view).
      // An empty frame (a REQ/REP envelope delimiter) shares one empty array, as in FrameDecoder.
      body: size === PAYLOAD_AT ? EMPTY : bytes.subarray(at + PAYLOAD_AT, at + size),
    }
  }

  /**
   * Check and open the MESSAGE at `bytes[at .. at + size]` in place; returns its inner flags
   * octet. The MAC is verified before anything is written (libsodium's open checks it first), so
   * a box that does not open leaves the ciphertext as it was and no plaintext anywhere.
   */
  #open(bytes: Uint8Array, at: number, size: number): number {
    if (this.#destroyed) throw protocolError(ErrorCode.UNSPECIFIED, "CURVE: MESSAGE received after the mechanism was destroyed")
    // libzmq mechanism_base.cpp check_basic_command_structure
    if (size <= 1 || size <= (bytes[at] as number)) {
      throw protocolError(ErrorCode.MALFORMED_COMMAND_UNSPECIFIED, `CURVE: expected a MESSAGE command, got a ${size}-octet frame that is no command`)
    }
    // The name's length octet is 7 only in a frame of 8 octets or more (checked just above), so
    // both words are read within the frame.
    if (bytes[at] !== NONCE_AT - 1 || readU32(bytes, at) !== MESSAGE_NAME_HI || readU32(bytes, at + 4) !== MESSAGE_NAME_LO) {
      throw protocolError(ErrorCode.UNEXPECTED_COMMAND, "CURVE: expected MESSAGE after the handshake, got another command")
    }
    if (size < CURVE_MESSAGE_MIN_SIZE) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_MESSAGE,
        `CURVE: expected a MESSAGE of at least ${CURVE_MESSAGE_MIN_SIZE} octets, got ${size}`,
      )
    }
    const nonceAt = at + NONCE_AT
    this.#receiveWindow.check(bytes, nonceAt)
    const nonce = this.#receiveNonce
    for (let i = 0; i < SHORT_NONCE_SIZE; i++) nonce[PREFIX_BYTES + i] = bytes[nonceAt + i] as number
    if (size <= STAGED_MAX_SIZE) {
      const st = OPEN_STAGING.bytes
      const views = OPEN_STAGING.views(size)
      for (let i = BOX_AT; i < size; i++) st[i] = bytes[at + i] as number
      if (!this.#crypto.openInto(views.plaintext, views.box, nonce, this.#key)) {
        throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: a MESSAGE box did not open (tampered, or wrong keys)")
      }
      for (let i = PLAINTEXT_AT; i < size; i++) {
        bytes[at + i] = st[i] as number
        st[i] = 0 // no plaintext left in the staging buffer
      }
      this.#receiveWindow.commit(bytes, nonceAt)
      return bytes[at + PLAINTEXT_AT] as number
    }
    // Plain Uint8Array views for the crypto call: `bytes` is often a Node Buffer, whose
    // subarray() is markedly slower on this per-message path.
    const offset = bytes.byteOffset + at
    const plaintext = new Uint8Array(bytes.buffer, offset + PLAINTEXT_AT, size - PLAINTEXT_AT)
    const box = new Uint8Array(bytes.buffer, offset + BOX_AT, size - BOX_AT)
    if (!this.#crypto.openInto(plaintext, box, nonce, this.#key)) {
      throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: a MESSAGE box did not open (tampered, or wrong keys)")
    }
    this.#receiveWindow.commit(bytes, nonceAt)
    return bytes[at + PLAINTEXT_AT] as number
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

/** encodeInto() of a CURVE mechanism: as encodeTraffic, into the engine's encoder. */
export function encodeTrafficInto(
  codec: CurveMessageCodec | undefined,
  role: CurveRole,
  state: string,
  frame: Frame,
  encoder: FrameEncoder,
): void {
  if (codec === undefined) throw new Error(`CURVE ${role}: encode() in state ${state}, expected READY`)
  codec.encodeInto(frame, encoder)
}

/** decodeInPlace() of a CURVE mechanism: as decodeTraffic, for FrameDecoder.nextInPlace(). */
export function decodeTrafficInPlace(
  codec: CurveMessageCodec | undefined,
  role: CurveRole,
  state: string,
  bytes: Uint8Array,
  at: number,
  size: number,
): Frame {
  if (codec === undefined) {
    throw protocolError(ErrorCode.UNEXPECTED_COMMAND, `CURVE ${role}: a message frame in state ${state}`)
  }
  return codec.decodeInPlace(bytes, at, size)
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
