/**
 * Short-nonce arithmetic the session layer needs on top of the mechanisms' window: is a MESSAGE
 * nonce the immediate successor of the previous one (RFC 26: "an incrementing integer")? The
 * window (../mechanism/curve-message.ts) already refuses any nonce that does not increase; this
 * finds the gaps it allows, so a multipart message can never be delivered with a frame missing
 * or spliced onto the next one. Pure.
 */
import type { NonceOrder } from "../mechanism/curve-message.js"

export const SHORT_NONCE_SIZE = 8

/** Copy of an 8-octet nonce in big-endian order (the canonical form compared below). */
export function canonicalNonce(bytes: Uint8Array, at: number, order: NonceOrder | "auto"): Uint8Array {
  const out = new Uint8Array(SHORT_NONCE_SIZE)
  if (order === "little") for (let i = 0; i < SHORT_NONCE_SIZE; i++) out[i] = bytes[at + SHORT_NONCE_SIZE - 1 - i] as number
  else out.set(bytes.subarray(at, at + SHORT_NONCE_SIZE))
  return out
}

/** True when `next` (canonical) is `previous` (canonical) + 1. */
export function isSuccessor(previous: Uint8Array, next: Uint8Array): boolean {
  let carry = 1
  for (let i = SHORT_NONCE_SIZE - 1; i >= 0; i--) {
    const sum = (previous[i] as number) + carry
    const digit = sum & 0xff
    carry = sum >> 8
    if (digit !== next[i]) return false
  }
  return carry === 0
}
