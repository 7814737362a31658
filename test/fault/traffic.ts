/**
 * Test messages that show corruption, truncation, duplication and loss (issue 14 item 2):
 * three frames `[header, payload, checksum]`; the header holds a stream id, a sequence number,
 * an attempt number (REQ resends) and the payload length; the payload is derived from the
 * sequence number; the checksum is the first 8 octets of SHA-256 over header and payload.
 *
 * A {@link SeqCheck} follows one stream at its receiver: every message must be intact and its
 * (seq, attempt) strictly greater than the one before (so nothing is delivered twice or out of
 * order); a jump over missing numbers is one `gap` (loss), allowed only where the connection
 * was cut.
 */
import { createHash } from "node:crypto"

export const HEADER_SIZE = 16

export interface Decoded {
  stream: number
  seq: number
  attempt: number
}

function payloadFor(seq: number, attempt: number, maxPayload: number): Buffer {
  // A cheap deterministic pattern; its length varies with seq so frames of every size occur.
  const len = (Math.imul(seq, 2654435761) >>> 0) % (maxPayload + 1)
  const b = Buffer.allocUnsafe(len)
  let x = (seq * 31 + attempt) >>> 0
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    b[i] = x >>> 24
  }
  return b
}

function checksum(header: Uint8Array, payload: Uint8Array): Buffer {
  return createHash("sha256").update(header).update(payload).digest().subarray(0, 8)
}

/** The three frames of message (stream, seq, attempt); `prefix` goes before the header (PUB topics). */
export function makeMessage(stream: number, seq: number, attempt = 0, maxPayload = 1500, prefix?: Buffer): Buffer[] {
  const header = Buffer.alloc(HEADER_SIZE)
  header.writeUInt32BE(stream, 0)
  header.writeUInt32BE(seq, 4)
  header.writeUInt32BE(attempt, 8)
  const payload = payloadFor(seq, attempt, maxPayload)
  header.writeUInt32BE(payload.length, 12)
  const sum = checksum(header, payload)
  return [prefix === undefined ? header : Buffer.concat([prefix, header]), payload, sum]
}

/** Decode and verify; a string says what is wrong. */
export function checkMessage(frames: readonly Buffer[], prefixLength = 0, maxPayload = 1500): Decoded | string {
  if (frames.length !== 3) return `expected 3 frames, got ${frames.length}`
  const [first, payload, sum] = frames as [Buffer, Buffer, Buffer]
  if (first.length !== prefixLength + HEADER_SIZE) return `header of ${first.length} octets`
  const header = first.subarray(prefixLength)
  if (header.readUInt32BE(12) !== payload.length) return `payload of ${payload.length} octets, header says ${header.readUInt32BE(12)}`
  if (!checksum(header, payload).equals(sum)) return "checksum mismatch"
  const d = { stream: header.readUInt32BE(0), seq: header.readUInt32BE(4), attempt: header.readUInt32BE(8) }
  if (!payloadFor(d.seq, d.attempt, maxPayload).equals(payload)) return "payload differs from the one sent"
  return d
}

export class SeqCheck {
  last = -1
  lastAttempt = -1
  received = 0
  gaps = 0
  lost = 0
  readonly violations: string[] = []

  constructor(readonly name: string) {}

  /** Record one received message (already decoded); returns false on a violation. */
  see(frames: readonly Buffer[], prefixLength = 0): Decoded | undefined {
    const d = checkMessage(frames, prefixLength)
    if (typeof d === "string") {
      this.violations.push(`${this.name}: corrupt or truncated message: ${d}`)
      return undefined
    }
    if (d.seq < this.last || (d.seq === this.last && d.attempt <= this.lastAttempt)) {
      this.violations.push(`${this.name}: (${d.seq}, ${d.attempt}) after (${this.last}, ${this.lastAttempt}): duplicate or reordered`)
      return d
    }
    if (d.seq > this.last + 1) {
      this.gaps++
      this.lost += d.seq - this.last - 1
    }
    this.last = d.seq
    this.lastAttempt = d.attempt
    this.received++
    return d
  }
}
