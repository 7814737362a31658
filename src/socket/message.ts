/**
 * Messages as the application hands them to send() and gets them from receive(), like the
 * `zeromq` package: a message is one frame or an array of frames; frames may be a Buffer,
 * any Uint8Array / ArrayBufferView, an ArrayBuffer, a string (sent as UTF-8), a number (sent
 * as its decimal string, as `zeromq` does) or null (an empty frame). Received frames are
 * Buffers. Conversions never copy bytes except to encode strings; a socket that keeps a
 * message copies its small frames (ownSmallFrames, below).
 */
import { describeValue } from "../errors.js"

/** One frame as the application may give it (same union as `zeromq`'s `MessageLike`). */
export type MessageLike = ArrayBufferView | ArrayBuffer | SharedArrayBuffer | string | number | null

/** A received frame (Buffer, like `zeromq`'s `Message`). */
export type Message = Buffer

const EMPTY = Buffer.alloc(0)

/** One frame as bytes (a view, not a copy, for binary input). */
export function toFrame(frame: MessageLike): Uint8Array {
  if (frame instanceof Uint8Array) return frame
  if (typeof frame === "string") return Buffer.from(frame, "utf8")
  if (frame === null) return EMPTY
  if (ArrayBuffer.isView(frame)) return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)
  if (frame instanceof ArrayBuffer) return new Uint8Array(frame)
  if (typeof SharedArrayBuffer !== "undefined" && frame instanceof SharedArrayBuffer) return new Uint8Array(frame)
  if (typeof frame === "number") return Buffer.from(String(frame), "utf8")
  // Like `zeromq` (issue 15, item 13), which turns any other value into its string: `true`
  // is sent as "true", an object as String(object) (its toString(), e.g. "[object Object]").
  // undefined, symbols and functions stay a TypeError (zeromq: "Message must be present" / a
  // Symbol cannot be converted).
  const kind = typeof frame
  if (kind === "boolean" || kind === "bigint" || (kind === "object" && frame !== null)) {
    return Buffer.from(String(frame), "utf8")
  }
  throw new TypeError(
    `expected a message frame (Buffer, Uint8Array, ArrayBuffer, string, number or null), got ${describeValue(frame)}`,
  )
}

/** A message (one frame or an array of frames) as the frames to send. */
export function toFrames(message: MessageLike | readonly MessageLike[]): Uint8Array[] {
  if (Array.isArray(message)) {
    const parts = message as readonly MessageLike[]
    if (parts.length === 0) throw new TypeError("expected a message with at least one frame, got an empty array")
    const frames = new Array<Uint8Array>(parts.length)
    for (let i = 0; i < parts.length; i++) frames[i] = toFrame(parts[i] as MessageLike)
    return frames
  }
  if (message === undefined) throw new TypeError("expected a message, got undefined")
  return [toFrame(message as MessageLike)]
}

/** A received frame as a Buffer, without copying. */
export function toBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
}

/** Turn the frames of a received message into Buffers, in place (no new array). */
export function asBuffers(frames: Uint8Array[]): Buffer[] {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Uint8Array
    if (!Buffer.isBuffer(f)) frames[i] = Buffer.from(f.buffer, f.byteOffset, f.byteLength)
  }
  return frames as Buffer[]
}

/** Total octets of a message. */
export function messageSize(frames: readonly Uint8Array[]): number {
  let n = 0
  for (let i = 0; i < frames.length; i++) n += (frames[i] as Uint8Array).length
  return n
}

/**
 * Frames of at most this many octets are copied when a socket keeps a message instead of
 * encoding it at once (issue 15, item 12), so a small buffer the application changes after
 * send() does not change what is delivered, as with `zeromq` (which copies frames of at most
 * 128 octets). Where a message is encoded at once (a ready connection with room), frames under
 * 32 KiB are copied into the encoder's buffer anyway (wire/frame-encoder.ts PASS_THROUGH_MIN).
 * Larger frames that wait in a queue stay zero-copy: do not change them until delivered.
 *
 * Measured (loaded 2-core machine, bench notes in docs/sockets.md): a copy costs about 0.2 µs
 * up to 256 B, 0.4 µs at 512 B, 0.7 µs at 1 KiB and 2.5 µs at 4 KiB, while one send over tcp
 * costs 1.6 µs (64 B) to 2.7 µs (1 KiB): up to 1 KiB the copy stays a small part of a send.
 */
export const COPY_MAX = 1024

/** Copy, in place in `frames`, every frame of 1 to COPY_MAX octets (the socket keeps the array). */
export function ownSmallFrames(frames: Uint8Array[]): Uint8Array[] {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Uint8Array
    if (f.length > 0 && f.length <= COPY_MAX) frames[i] = Buffer.from(f)
  }
  return frames
}

