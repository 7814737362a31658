/** Shared fixtures for the stream-access tests: reader identities, a writer/reader pair. */
import { generateKeyPair } from "../../src/crypto/index.js"
import { signKeyPair, type SigningKeyPair } from "../../src/crypto/sign.js"
import { z85Encode } from "../../src/wire/z85.js"
import { StreamReader, type ReaderEvent, type StreamReaderOptions } from "../../src/stream-access/reader.js"
import type { StreamFrames } from "../../src/stream-access/writer.js"

export interface Identity {
  publicKey: string
  secretKey: string
}

export function identity(): Identity {
  const pair = generateKeyPair()
  return { publicKey: z85Encode(pair.publicKey), secretKey: z85Encode(pair.secretKey) }
}

export function readerFor(id: Identity, publisher: SigningKeyPair, options: Partial<StreamReaderOptions> = {}): StreamReader {
  return new StreamReader({ publicKey: id.publicKey, secretKey: id.secretKey, publisherKey: publisher.publicKey, ...options })
}

export { signKeyPair }

/** Feed frames to a reader; return its events. */
export function feed(reader: StreamReader, frames: readonly StreamFrames[], now = 0): ReaderEvent[] {
  return frames.flatMap((f) => reader.receive(f, now))
}

export function messages(events: readonly ReaderEvent[]): string[] {
  return events.flatMap((e) => (e.type === "message" ? [new TextDecoder().decode(e.body)] : []))
}

export function rejections(events: readonly ReaderEvent[]): string[] {
  return events.flatMap((e) => (e.type === "rejected" ? [e.reason] : []))
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
