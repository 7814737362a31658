/**
 * Short-nonce reading the session layer needs on top of the mechanisms' window: is a MESSAGE
 * nonce the immediate successor of the previous one (RFC 26: "an incrementing integer")? The
 * window (../mechanism/curve-message.ts) already refuses every nonce that does not increase; the
 * assembly (./assembly.ts) finds the gaps it allows, so a multipart message can never be
 * delivered with a frame missing or spliced onto the next one. Pure.
 */
import type { NonceOrder } from "../mechanism/curve-message.js"

export const SHORT_NONCE_SIZE = 8

function u32be(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0
}

function u32le(b: Uint8Array, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0
}

/** The 8-octet nonce at `at` as two 32-bit halves, in `order` ("auto" not yet decided: big). */
export function readNonce(bytes: Uint8Array, at: number, order: NonceOrder | "auto"): { hi: number; lo: number } {
  return { hi: nonceHigh(bytes, at, order), lo: nonceLow(bytes, at, order) }
}

/** The high 32 bits of the nonce at `at` (per-message path: no object). */
export function nonceHigh(bytes: Uint8Array, at: number, order: NonceOrder | "auto"): number {
  return order === "little" ? u32le(bytes, at + 4) : u32be(bytes, at)
}

/** The low 32 bits of the nonce at `at`. */
export function nonceLow(bytes: Uint8Array, at: number, order: NonceOrder | "auto"): number {
  return order === "little" ? u32le(bytes, at) : u32be(bytes, at + 4)
}
