/** Pre-framed ZMTP traffic for the raw `net` ceiling rows (RFC 37 "Framing"). */
import { frameHeaderSize, writeFrameHeader } from "../src/wire/frame-encoder.js"

/** Octets one `size`-byte single-frame message takes on the wire (NULL mechanism). */
export function framedSize(size: number): number {
  return frameHeaderSize(size) + size
}

/**
 * One write's worth of framed messages: as many `size`-byte messages as fit in `target`
 * octets (at least one), each with its ZMTP frame header, bodies filled with 'a'.
 */
export function framedBatch(size: number, target: number): { batch: Uint8Array; messages: number } {
  const each = framedSize(size)
  const messages = Math.max(1, Math.floor(target / each))
  const batch = new Uint8Array(messages * each).fill(0x61)
  for (let i = 0; i < messages; i++) writeFrameHeader(batch, i * each, 0, size)
  return { batch, messages }
}
