/**
 * Incremental ZMTP frame decoder (RFC 37 "Framing"), sans-IO: `push()` queues bytes as they
 * arrive, `next()` returns the next complete frame or `undefined` when more bytes are needed.
 *
 *   frame = flags (short-size | long-size) body
 *   flags: bits 7-3 reserved (MUST be zero), bit 2 COMMAND, bit 1 LONG, bit 0 MORE
 *   short-size = OCTET          long-size = 8OCTET (network order, body 0 to 2^63-1 octets)
 *
 * A step machine over queued chunks, like `ws`'s receiver: flags -> size -> body, each step
 * returning early when fewer bytes are buffered than it needs, so any chunking of the same
 * stream yields the same frames. The declared size is checked against the limit in the size
 * step, before anything is allocated; an 8-octet size is read as two uint32 halves so values
 * up to 2^64-1 compare without overflow or precision loss (the CVE-2019-6250 class of bug).
 *
 * Choices where RFC 37 leaves room (following libzmq's v2_decoder where the RFC allows):
 * - A long size below 256 is accepted: RFC 37 says a short frame SHOULD use the short form,
 *   not MUST, and libzmq accepts it.
 * - A zero-length frame is valid (RFC 37: "an empty frame has a size of zero").
 * - Reserved flag bits set, or MORE set on a command frame, are refused with MALFORMED_FRAME:
 *   RFC 37 says the reserved bits MUST be zero and MORE SHALL be zero on commands (libzmq
 *   ignores both; nothing it sends sets them).
 *
 * Memory: a body lying within one pushed chunk is returned as a `subarray` view of it (no
 * copy; the view keeps that chunk alive), or by nextInPlace() as that chunk and an offset. A
 * body spread over chunks is copied once, into one allocation of exactly its size, made only
 * when all of it is buffered. That allocation comes from `allocate` when the driver gives one
 * (Node's transport passes memory that is not zero-filled first: every octet of it is
 * overwritten by the copy before the body is returned, so nothing stale can be seen; issue 13
 * item 4).
 * After a ProtocolError the decoder is poisoned: every later `next()` throws the same error.
 * Pure: no node:* imports.
 */
import { ErrorCode, ProtocolError, argumentError, protocolError } from "../errors.js"
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE, FLAG_RESERVED_MASK } from "./constants.js"
import type { Frame } from "./types.js"

/** Per-frame size limits, in octets. */
export interface FrameLimits {
  /** Largest message (non-command) frame body accepted. */
  maxFrameSize: number
  /** Largest command frame body accepted. */
  maxCommandSize: number
}

const Step = {
  FLAGS: 0,
  SHORT_SIZE: 1,
  LONG_SIZE: 2,
  BODY: 3,
} as const
type Step = (typeof Step)[keyof typeof Step]

const TWO_POW_32 = 0x1_0000_0000
/** A high half above this makes the 64-bit size larger than Number.MAX_SAFE_INTEGER. */
const MAX_SAFE_HIGH_HALF = Math.floor(Number.MAX_SAFE_INTEGER / TWO_POW_32)
/**
 * Memory for a body spread over chunks: a fresh Uint8Array of exactly `size` octets that
 * nothing else references. Its contents need not be zero: the decoder overwrites all of it.
 */
export type BodyAllocator = (size: number) => Uint8Array

const zeroFilled: BodyAllocator = (size) => new Uint8Array(size)

/** Release consumed chunk slots once this many have piled up at the front of the queue. */
const COMPACT_THRESHOLD = 64
const EMPTY = new Uint8Array(0)

function checkLimit(value: number, what: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw argumentError("range", `expected ${what} to be a non-negative number, got ${typeof value === "number" ? value : typeof value}`)
  }
  if (value !== Infinity && !Number.isInteger(value)) {
    throw argumentError("range", `expected ${what} to be an integer or Infinity, got ${value}`)
  }
  // Sizes are exact only up to 2^53-1: no frame can be larger than that anyway.
  return Math.min(value, Number.MAX_SAFE_INTEGER)
}

export class FrameDecoder {
  #maxFrameSize: number
  #maxCommandSize: number

  /** Queued chunks; `#chunks[#head]` is the current one, read from `#offset`. */
  #chunks: (Uint8Array | undefined)[] = []
  #head = 0
  #offset = 0
  #buffered = 0

  #step: Step = Step.FLAGS
  #more = false
  #command = false
  #size = 0
  #failure: ProtocolError | undefined
  readonly #allocate: BodyAllocator
  /** The body of the frame found last (see nextInPlace). */
  #frameBytes: Uint8Array = EMPTY
  #frameOffset = 0
  #frameSize = 0

  /**
   * `limits` are non-negative integers (Infinity means "no limit beyond 2^53-1"); both can be
   * changed later, e.g. raised after the handshake. RangeError otherwise. `allocate` (default:
   * a zero-filled Uint8Array) provides the memory of bodies spread over chunks; it is only
   * called for a size the limits already allowed and all of it is buffered.
   */
  constructor(limits: FrameLimits, allocate: BodyAllocator = zeroFilled) {
    if (typeof limits !== "object" || limits === null) {
      throw argumentError("type", `expected limits { maxFrameSize, maxCommandSize }, got ${limits === null ? "null" : typeof limits}`)
    }
    this.#maxFrameSize = checkLimit(limits.maxFrameSize, "maxFrameSize")
    this.#maxCommandSize = checkLimit(limits.maxCommandSize, "maxCommandSize")
    if (typeof allocate !== "function") {
      throw argumentError("type", `expected allocate to be a function, got ${allocate === null ? "null" : typeof allocate}`)
    }
    this.#allocate = allocate
  }

  /** Largest message frame body accepted, in octets (checked before allocating). */
  get maxFrameSize(): number {
    return this.#maxFrameSize
  }
  set maxFrameSize(value: number) {
    this.#maxFrameSize = checkLimit(value, "maxFrameSize")
  }

  /** Largest command frame body accepted, in octets (checked before allocating). */
  get maxCommandSize(): number {
    return this.#maxCommandSize
  }
  set maxCommandSize(value: number) {
    this.#maxCommandSize = checkLimit(value, "maxCommandSize")
  }

  /** Octets pushed but not yet returned as (part of) a frame. */
  get buffered(): number {
    return this.#buffered
  }

  /**
   * Queue bytes from the peer. The decoder keeps a reference (no copy): the caller must not
   * modify `chunk` afterwards. Empty chunks are ignored.
   */
  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) {
      throw argumentError("type", `expected a Uint8Array chunk, got ${chunk === null ? "null" : typeof chunk}`)
    }
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /**
   * The next complete frame, or `undefined` when more bytes are needed.
   * Throws ProtocolError(MALFORMED_FRAME) for reserved flag bits or MORE on a command, and
   * ProtocolError(MESSAGE_TOO_LARGE) when the declared size exceeds the limit.
   */
  next(): Frame | undefined {
    const flags = this.nextInPlace()
    if (flags < 0) return undefined
    const bytes = this.#frameBytes
    const at = this.#frameOffset
    const size = this.#frameSize
    this.#frameBytes = EMPTY // hold no chunk beyond this call
    return {
      more: (flags & FLAG_MORE) !== 0,
      command: (flags & FLAG_COMMAND) !== 0,
      body: size === 0 ? EMPTY : at === 0 && size === bytes.length ? bytes : bytes.subarray(at, at + size),
    }
  }

  /**
   * next() without a view or a frame object (h20, issue 13 item 5: the CURVE receive path opens
   * its box straight from here): -1 when more bytes are needed, else the frame's flags octet
   * (FLAG_MORE, FLAG_COMMAND; FLAG_LONG cleared), with the body at
   * `frameBytes[frameOffset .. frameOffset + frameSize]` until the next call. `frameBytes` is
   * the pushed chunk when the body lies within one, else a copy of exactly the body (the
   * decoder lets go of it at the next call). Throws as next().
   */
  nextInPlace(): number {
    // Drop the previous frame's chunk: a decoder asked until it returns -1 pins no read buffer.
    this.#frameBytes = EMPTY
    this.#frameOffset = 0
    this.#frameSize = 0
    if (this.#failure !== undefined) throw this.#failure
    for (;;) {
      switch (this.#step) {
        case Step.FLAGS: {
          if (this.#buffered < 1) return -1
          const flags = this.#readOctet()
          if ((flags & FLAG_RESERVED_MASK) !== 0) {
            return this.#fail(
              ErrorCode.MALFORMED_FRAME,
              `expected reserved frame flag bits 7-3 to be zero, got flags 0x${flags.toString(16).padStart(2, "0")}`,
            )
          }
          this.#more = (flags & FLAG_MORE) !== 0
          this.#command = (flags & FLAG_COMMAND) !== 0
          if (this.#more && this.#command) {
            return this.#fail(ErrorCode.MALFORMED_FRAME, "expected MORE to be zero on a command frame, got it set")
          }
          this.#step = (flags & FLAG_LONG) !== 0 ? Step.LONG_SIZE : Step.SHORT_SIZE
          break
        }
        case Step.SHORT_SIZE: {
          if (this.#buffered < 1) return -1
          this.#setSize(0, this.#readOctet())
          break
        }
        case Step.LONG_SIZE: {
          if (this.#buffered < 8) return -1
          const high = this.#readUint32()
          const low = this.#readUint32()
          this.#setSize(high, low)
          break
        }
        case Step.BODY: {
          const size = this.#size
          if (this.#buffered < size) return -1
          this.#take(size)
          this.#step = Step.FLAGS
          return (this.#more ? FLAG_MORE : 0) | (this.#command ? FLAG_COMMAND : 0)
        }
      }
    }
  }

  /** The chunk (or copy) holding the body of the frame nextInPlace() returned last. */
  get frameBytes(): Uint8Array {
    return this.#frameBytes
  }

  /** Where that body starts in frameBytes. */
  get frameOffset(): number {
    return this.#frameOffset
  }

  /** That body's size in octets. */
  get frameSize(): number {
    return this.#frameSize
  }

  /** Check the declared size (`high` * 2^32 + `low`) against the limit, then expect the body. */
  #setSize(high: number, low: number): void {
    const limit = this.#command ? this.#maxCommandSize : this.#maxFrameSize
    // Compare without ever forming a number that is not exact: above MAX_SAFE_HIGH_HALF the
    // size is beyond 2^53-1, which is beyond every limit.
    if (high > MAX_SAFE_HIGH_HALF || high * TWO_POW_32 + low > limit) {
      const declared = (BigInt(high) << 32n) | BigInt(low)
      this.#fail(
        ErrorCode.MESSAGE_TOO_LARGE,
        `${this.#command ? "command" : "message"} frame declares ${declared} octets, over the limit of ${limit} (${this.#command ? "maxCommandSize" : "maxFrameSize"})`,
      )
    }
    this.#size = high * TWO_POW_32 + low
    this.#step = Step.BODY
  }

  #fail(code: ErrorCode, message: string): never {
    this.#failure = protocolError(code, message)
    throw this.#failure
  }

  /** One octet from the queue; the caller checked `#buffered >= 1`. */
  #readOctet(): number {
    const chunk = this.#chunks[this.#head] as Uint8Array
    const octet = chunk[this.#offset] as number
    this.#advance(chunk, 1)
    return octet
  }

  /** A big-endian uint32 from the queue (may straddle chunks); the caller checked 4 buffered. */
  #readUint32(): number {
    const chunk = this.#chunks[this.#head] as Uint8Array
    const at = this.#offset
    if (chunk.length - at >= 4) {
      const value = (((chunk[at] as number) << 24) | ((chunk[at + 1] as number) << 16) | ((chunk[at + 2] as number) << 8) | (chunk[at + 3] as number)) >>> 0
      this.#advance(chunk, 4)
      return value
    }
    let value = 0
    for (let i = 0; i < 4; i++) value = value * 256 + this.#readOctet()
    return value
  }

  /**
   * Locate `size` octets from the queue (frameBytes/frameOffset/frameSize): in place when in one
   * chunk, else one exact-size copy.
   */
  #take(size: number): void {
    this.#frameSize = size
    if (size === 0) {
      this.#frameBytes = EMPTY
      this.#frameOffset = 0
      return
    }
    const chunk = this.#chunks[this.#head] as Uint8Array
    const at = this.#offset
    if (chunk.length - at >= size) {
      this.#frameBytes = chunk
      this.#frameOffset = at
      this.#advance(chunk, size)
      return
    }
    const out = this.#allocate(size)
    if (!(out instanceof Uint8Array) || out.length !== size) {
      throw argumentError("type", `expected allocate(${size}) to return a Uint8Array of ${size} octets`)
    }
    let filled = 0
    while (filled < size) {
      const current = this.#chunks[this.#head] as Uint8Array
      const from = this.#offset
      const n = Math.min(current.length - from, size - filled)
      out.set(current.subarray(from, from + n), filled)
      filled += n
      this.#advance(current, n)
    }
    this.#frameBytes = out
    this.#frameOffset = 0
  }

  /** Consume `n` octets of the current chunk (n <= what is left of it). */
  #advance(chunk: Uint8Array, n: number): void {
    this.#buffered -= n
    this.#offset += n
    if (this.#offset < chunk.length) return
    this.#offset = 0
    this.#chunks[this.#head] = undefined
    this.#head++
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0
      this.#head = 0
    } else if (this.#head >= COMPACT_THRESHOLD) {
      this.#chunks = this.#chunks.slice(this.#head)
      this.#head = 0
    }
  }
}
