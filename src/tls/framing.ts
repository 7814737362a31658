/**
 * How application messages travel inside the TLS byte stream (pure: no node:* imports).
 *
 * TLS carries a byte stream, ZeroMQ carries messages of frames. The "frames" framing keeps a
 * message's frames intact across the stream:
 *
 * ```
 * message := frame-count:u32be  frame{frame-count}
 * frame   := length:u32be  octets{length}
 * ```
 *
 * frame-count is 1..maxFrames; the sum of the frame lengths must not exceed maxMessageSize.
 * A frame-count of 0 is a no-op (no message): a lockstep server sends it when a request needs
 * an answer but TLS produced nothing (a resumed TLS 1.3 client's lone Finished), because a REQ
 * peer waits for exactly one reply and an empty payload is not TLS.
 * Both are checked from the header alone, before any byte of the body is buffered or a buffer
 * of that size is allocated (the `ws` receiver's habit). The decoder is a step machine over
 * queued chunks: each step returns early when fewer bytes are buffered than it needs, so a
 * message may arrive split at any offset.
 *
 * The "raw" framing is TLSZMQ's: a message is one frame, the plaintext one ZeroMQ message's
 * worth of TLS produced (see ./lockstep.ts); it needs no code here.
 */

/** Limits on a decoded message. maxMessageSize -1 means unlimited (not recommended). */
export interface FrameLimits {
  readonly maxMessageSize: number
  readonly maxFrames: number
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = { maxMessageSize: 64 * 1024 * 1024, maxFrames: 65_536 }

/** Why the decoder refused the stream (the session then ends). */
export class FramingError extends Error {
  readonly code = "ERR_IRONHOUSE_TLS_FRAMING"
  constructor(message: string) {
    super(message)
    this.name = "FramingError"
  }
}

const HEADER = 4

/** The frames of one message, as the bytes to write into TLS: one buffer (header + bodies). */
export function encodeMessage(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 0) throw new RangeError("expected a message with at least one frame, got 0 frames")
  let size = HEADER
  for (const f of frames) size += HEADER + f.byteLength
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  view.setUint32(0, frames.length)
  let at = HEADER
  for (const f of frames) {
    view.setUint32(at, f.byteLength)
    out.set(f, at + HEADER)
    at += HEADER + f.byteLength
  }
  return out
}

/** The no-op unit: a frame count of 0. */
export const NOOP: Uint8Array = new Uint8Array(4)

const State = { COUNT: 0, LENGTH: 1, BODY: 2 } as const
type State = (typeof State)[keyof typeof State]

/** Incremental decoder: `push(chunk)` returns the messages completed by it (possibly none). */
export class FrameDecoder {
  readonly #limits: FrameLimits
  readonly #queue: Uint8Array[] = []
  #queued = 0
  #state: State = State.COUNT
  #framesLeft = 0
  #bodyLength = 0
  #messageBytes = 0
  #frames: Uint8Array[] = []

  constructor(limits: FrameLimits = DEFAULT_FRAME_LIMITS) {
    this.#limits = limits
  }

  /** Bytes buffered towards an incomplete message (headers and partial bodies). */
  get buffered(): number {
    return this.#queued
  }

  /** True between messages (nothing of a next message has arrived). */
  get idle(): boolean {
    return this.#state === State.COUNT && this.#queued === 0
  }

  /** Feed stream bytes; throws FramingError (and must not be used again) on a bad header. */
  push(chunk: Uint8Array): Uint8Array[][] {
    if (chunk.byteLength > 0) {
      this.#queue.push(chunk)
      this.#queued += chunk.byteLength
    }
    const done: Uint8Array[][] = []
    for (;;) {
      if (this.#state === State.COUNT) {
        if (this.#queued < HEADER) break
        const count = this.#readUint32()
        if (count === 0) continue // a no-op
        if (count > this.#limits.maxFrames) {
          throw new FramingError(`message of ${count} frames exceeds maxFrames (${this.#limits.maxFrames})`)
        }
        this.#framesLeft = count
        this.#messageBytes = 0
        this.#frames = []
        this.#state = State.LENGTH
      } else if (this.#state === State.LENGTH) {
        if (this.#queued < HEADER) break
        const length = this.#readUint32()
        const max = this.#limits.maxMessageSize
        if (max >= 0 && this.#messageBytes + length > max) {
          throw new FramingError(`message of at least ${this.#messageBytes + length} octets exceeds maxMessageSize (${max})`)
        }
        this.#messageBytes += length
        this.#bodyLength = length
        this.#state = State.BODY
      } else {
        if (this.#queued < this.#bodyLength) break
        this.#frames.push(this.#take(this.#bodyLength))
        if (--this.#framesLeft === 0) {
          done.push(this.#frames)
          this.#frames = []
          this.#state = State.COUNT
        } else {
          this.#state = State.LENGTH
        }
      }
    }
    return done
  }

  #readUint32(): number {
    const b = this.#take(HEADER)
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
  }

  /** Take n queued bytes (n <= #queued): a view when one chunk holds them, else one copy. */
  #take(n: number): Uint8Array {
    this.#queued -= n
    if (n === 0) return new Uint8Array(0)
    const first = this.#queue[0]!
    if (first.byteLength === n) {
      this.#queue.shift()
      return first
    }
    if (first.byteLength > n) {
      this.#queue[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = new Uint8Array(n)
    let at = 0
    while (at < n) {
      const c = this.#queue[0]!
      const want = n - at
      if (c.byteLength <= want) {
        out.set(c, at)
        at += c.byteLength
        this.#queue.shift()
      } else {
        out.set(c.subarray(0, want), at)
        this.#queue[0] = c.subarray(want)
        at += want
      }
    }
    return out
  }
}
