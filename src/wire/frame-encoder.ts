/**
 * ZMTP frame encoding (RFC 37 "Framing"): headers, single frames, and a batching encoder.
 *
 *   frame = flags (short-size | long-size) body
 *   The LONG flag (bit 1) and an 8-octet network-order size are used for bodies over 255
 *   octets; shorter bodies use the 1-octet size (RFC 37: they SHOULD).
 *
 * Pure: no node:* imports.
 */
import { argumentError } from "../errors.js"
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE, SHORT_FRAME_MAX } from "./constants.js"
import type { Frame } from "./types.js"

const SHORT_HEADER_SIZE = 2
const LONG_HEADER_SIZE = 9
const TWO_POW_32 = 0x1_0000_0000
const ALLOWED_FLAGS = FLAG_MORE | FLAG_LONG | FLAG_COMMAND

/** Bodies at least this large are handed out as their own chunk instead of being copied. */
export const PASS_THROUGH_MIN = 32 * 1024
/** Size of each scratch buffer that small frames are copied into. */
const SCRATCH_SIZE = 64 * 1024

/** Octets of header a body of `bodyLength` octets needs: 2 (short) or 9 (long). */
export function frameHeaderSize(bodyLength: number): 2 | 9 {
  return bodyLength > SHORT_FRAME_MAX ? LONG_HEADER_SIZE : SHORT_HEADER_SIZE
}

/**
 * Write a frame header into `out` at `offset`; returns the offset after it. `flags` may hold
 * MORE, COMMAND and LONG; LONG is added when `size` > 255 (a caller may force the long form of
 * a small size with FLAG_LONG). RangeError for reserved flag bits, MORE on a command (RFC 37:
 * SHALL be zero), a size that is not a safe non-negative integer, or too little room in `out`.
 */
export function writeFrameHeader(out: Uint8Array, offset: number, flags: number, size: number): number {
  if ((flags & ~ALLOWED_FLAGS) !== 0 || (flags & (FLAG_MORE | FLAG_COMMAND)) === (FLAG_MORE | FLAG_COMMAND)) {
    throw argumentError("range", `expected frame flags of MORE or COMMAND (not both) and LONG, got 0x${flags.toString(16)}`)
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw argumentError("range", `expected a frame size that is a non-negative safe integer, got ${size}`)
  }
  if (size > SHORT_FRAME_MAX) flags |= FLAG_LONG
  const long = (flags & FLAG_LONG) !== 0
  const end = offset + (long ? LONG_HEADER_SIZE : SHORT_HEADER_SIZE)
  if (!Number.isInteger(offset) || offset < 0 || end > out.length) {
    throw argumentError("range", `expected room for a ${end - offset}-octet frame header at offset ${offset}, got a buffer of length ${out.length}`)
  }
  out[offset] = flags
  if (!long) {
    out[offset + 1] = size
    return end
  }
  putLongSize(out, offset, size)
  return end
}

/** The eight-octet big-endian size of a long frame header, at `out[offset + 1 .. offset + 9]`. */
function putLongSize(out: Uint8Array, offset: number, size: number): void {
  const high = Math.floor(size / TWO_POW_32)
  const low = size % TWO_POW_32
  out[offset + 1] = high >>> 24
  out[offset + 2] = (high >>> 16) & 0xff
  out[offset + 3] = (high >>> 8) & 0xff
  out[offset + 4] = high & 0xff
  out[offset + 5] = low >>> 24
  out[offset + 6] = (low >>> 16) & 0xff
  out[offset + 7] = (low >>> 8) & 0xff
  out[offset + 8] = low & 0xff
}

/**
 * writeFrameHeader() without its argument checks, for the encoder's own calls: `flags` holds
 * at most MORE or COMMAND (not both), `size` is a body's length and the room is there.
 */
function putHeader(out: Uint8Array, offset: number, flags: number, size: number): number {
  if (size <= SHORT_FRAME_MAX) {
    out[offset] = flags
    out[offset + 1] = size
    return offset + SHORT_HEADER_SIZE
  }
  out[offset] = flags | FLAG_LONG
  putLongSize(out, offset, size)
  return offset + LONG_HEADER_SIZE
}

function frameFlags(frame: Frame): number {
  return (frame.more ? FLAG_MORE : 0) | (frame.command ? FLAG_COMMAND : 0)
}

/** One frame as one new buffer: header then body. */
export function encodeFrame(frame: Frame): Uint8Array {
  const body = frame.body
  const out = new Uint8Array(frameHeaderSize(body.length) + body.length)
  const at = writeFrameHeader(out, 0, frameFlags(frame), body.length)
  out.set(body, at)
  return out
}

/**
 * Batches frames into few buffers for one socket write. Headers and small bodies are copied
 * into a 64 KiB scratch buffer; a body of PASS_THROUGH_MIN (32 KiB) or more is not copied but
 * handed out as its own chunk (so the caller must not modify a body after `add()`).
 *
 * `flush()` hands its buffers to a socket write that may still be reading them later, so a
 * region already handed out is never written again: the next frames go to the unused tail of
 * the same scratch buffer, and a fresh one is allocated when the tail is too small (a slab, like
 * Node's Buffer pool). Each returned chunk is a view covering only its own frames.
 */
/** The first scratch buffer of a connection (enough for a greeting and a handshake). */
const MIN_SCRATCH_SIZE = 1024

export class FrameEncoder {
  #scratch: Uint8Array = new Uint8Array(0)
  #scratchBuffer: ArrayBufferLike = this.#scratch.buffer
  /** Start of the frames not yet cut into a chunk. */
  #start = 0
  /** End of the written part of `#scratch`. */
  #used = 0
  #chunks: Uint8Array[] = []
  #pending = 0

  /** Octets added since the last `flush()`. */
  get pendingBytes(): number {
    return this.#pending
  }

  /** Queue one frame. RangeError for flags the wire forbids (see writeFrameHeader). */
  add(frame: Frame): void {
    const body = frame.body
    const length = body.length
    const headerSize = frameHeaderSize(length)
    const passThrough = length >= PASS_THROUGH_MIN
    const copied = passThrough ? headerSize : headerSize + length
    if (this.#scratch.length - this.#used < copied) this.#newScratch(copied)
    // frameFlags() gives MORE and COMMAND only from booleans; a command with MORE is refused.
    const flags = frameFlags(frame)
    if (flags === (FLAG_MORE | FLAG_COMMAND)) writeFrameHeader(this.#scratch, this.#used, flags, length) // throws
    this.#used = putHeader(this.#scratch, this.#used, flags, length)
    if (passThrough) {
      this.#cut()
      this.#chunks.push(body)
    } else {
      this.#scratch.set(body, this.#used)
      this.#used += length
    }
    this.#pending += headerSize + length
  }

  /**
   * Queue the header of a final message frame of `length` octets (outer flags 0: what a CURVE
   * MESSAGE is on the wire) and reserve room for its body, which the caller then writes
   * itself, in full and before the next call on this encoder, at `scratch[offset ..
   * offset + length]` (`offset` is the return value; `scratch` and `scratchBuffer` name that
   * buffer now). Lets a mechanism build its frame in place: no buffer of its own, no copy.
   * RangeError for a length that is not an integer from 0 to below PASS_THROUGH_MIN (a body
   * that large goes through add(), as its own chunk).
   */
  reserveMessage(length: number): number {
    if (!Number.isInteger(length) || length < 0 || length >= PASS_THROUGH_MIN) {
      throw argumentError("range", `expected a reserved body length of 0 to ${PASS_THROUGH_MIN - 1} octets, got ${length}`)
    }
    const headerSize = frameHeaderSize(length)
    if (this.#scratch.length - this.#used < headerSize + length) this.#newScratch(headerSize + length)
    const at = putHeader(this.#scratch, this.#used, 0, length)
    this.#used = at + length
    this.#pending += headerSize + length
    return at
  }

  /** The buffer reserveMessage() last reserved room in (changes when a new one is needed). */
  get scratch(): Uint8Array {
    return this.#scratch
  }

  /** `scratch.buffer` (scratch starts at its offset 0), kept so it is not looked up per frame. */
  get scratchBuffer(): ArrayBufferLike {
    return this.#scratchBuffer
  }

  /** Everything added since the last flush, as few buffers as possible (empty if nothing). */
  flush(): Uint8Array[] {
    this.#cut()
    const chunks = this.#chunks
    this.#chunks = []
    this.#pending = 0
    return chunks
  }

  /**
   * The caller's promise that no chunk flush() returned so far is read any more (a socket
   * driver calls this once the operating system has taken every octet written): the scratch
   * buffer is then written from its start again instead of a fresh one being allocated for
   * the next frames. Nothing happens while frames added since the last flush() wait in it.
   * Without this call no region handed out is ever written again (see the class comment).
   */
  release(): void {
    if (this.#pending !== 0 || this.#chunks.length !== 0) return
    this.#start = 0
    this.#used = 0
  }

  /** Close the current run of scratch octets into a chunk. */
  #cut(): void {
    if (this.#used > this.#start) {
      this.#chunks.push(this.#scratch.subarray(this.#start, this.#used))
      this.#start = this.#used
    }
  }

  /**
   * A fresh scratch buffer, sized to the traffic: it starts at MIN_SCRATCH_SIZE and doubles
   * with each new buffer of one busy flush period, up to SCRATCH_SIZE. An idle connection thus
   * keeps about 1 KiB (its handshake), not 64 KiB; a busy one quickly gets full-size buffers.
   */
  #newScratch(atLeast: number): void {
    // While the buffer is still growing, the run not yet cut into a chunk (never handed out) is
    // moved into the new buffer, so a burst stays one chunk; at full size it is cut instead.
    if (this.#scratch.length >= SCRATCH_SIZE) this.#cut()
    const run = this.#scratch.subarray(this.#start, this.#used)
    const grown = this.#scratch.length === 0 ? MIN_SCRATCH_SIZE : Math.min(SCRATCH_SIZE, this.#scratch.length * 2)
    const fresh = new Uint8Array(Math.max(grown, run.length + atLeast))
    fresh.set(run, 0)
    this.#scratch = fresh
    this.#scratchBuffer = fresh.buffer
    this.#start = 0
    this.#used = run.length
  }
}
