/**
 * The crypto module: NaCl box/secretbox as CurveZMQ (RFC 26) uses them, delegating to the
 * selected backend (./backend.ts).
 *
 * Selection happens once, at import (top-level await): the environment variable
 * `IRONHOUSE_CRYPTO=sodium-native|libsodium-wrappers` forces one backend (an unavailable one
 * makes the import fail with a clear Error); otherwise sodium-native when it loads, else
 * libsodium-wrappers. `useCryptoBackend()` switches at run time.
 *
 * Every function checks its arguments (TypeError / RangeError that never print key material).
 * Peer-supplied keys that cannot be used raise ProtocolError(KEY_EXCHANGE).
 */
import { timingSafeEqual } from "node:crypto"
import { ErrorCode, ProtocolError } from "../errors.js"
import { CURVE_KEY_SIZE } from "../wire/constants.js"
import {
  BACKEND_NAMES,
  isBackendName,
  loadBackend,
  type BackendName,
  type CryptoBackend,
} from "./backend.js"
import { expectBytes, expectUint8Array } from "./check-bytes.js"
import { isWeakPublicKey } from "./low-order-points.js"

export type { BackendName, CryptoBackend } from "./backend.js"
export { isWeakPublicKey, LOW_ORDER_POINTS } from "./low-order-points.js"

/** Curve25519 key size (RFC 26: every key is 32 octets). */
export const KEY_BYTES = CURVE_KEY_SIZE
/** crypto_box / crypto_secretbox nonce size (RFC 26: 16-octet prefix + 8-octet counter). */
export const NONCE_BYTES = 24
/** Poly1305 authenticator size; a box is MAC || ciphertext. */
export const MAC_BYTES = 16

/** Environment variable that forces a backend. */
export const CRYPTO_ENV_VAR = "IRONHOUSE_CRYPTO"

async function selectInitialBackend(): Promise<CryptoBackend> {
  const forced = process.env[CRYPTO_ENV_VAR]
  if (forced === undefined || forced === "") {
    try {
      return await loadBackend("sodium-native")
    } catch {
      return await loadBackend("libsodium-wrappers")
    }
  }
  if (!isBackendName(forced)) {
    throw new RangeError(
      `${CRYPTO_ENV_VAR}: expected one of ${BACKEND_NAMES.map((n) => `"${n}"`).join(", ")} ` +
        `or unset, got "${forced}"`,
    )
  }
  return await loadBackend(forced)
}

let active: CryptoBackend = await selectInitialBackend()

/** The backend in use. */
export function cryptoBackend(): CryptoBackend {
  return active
}

/** Switch backend (tests, or an application option). Rejects when it cannot be loaded. */
export async function useCryptoBackend(name: BackendName): Promise<void> {
  if (typeof name !== "string") {
    throw new TypeError(`useCryptoBackend: expected a backend name string, got ${typeof name}`)
  }
  if (!isBackendName(name)) {
    throw new RangeError(
      `useCryptoBackend: expected one of ${BACKEND_NAMES.map((n) => `"${n}"`).join(", ")}, ` +
        `got "${name}"`,
    )
  }
  active = await loadBackend(name)
}

/** `n` octets from the backend's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`randomBytes: expected a non-negative integer, got ${n}`)
  }
  return active.randomBytes(n)
}

/**
 * A new Curve25519 key pair: secret = random(32), public = X25519 base-point multiple.
 * `random` is injectable for deterministic tests; its buffer becomes `secretKey` (not copied).
 */
export function generateKeyPair(random?: (n: number) => Uint8Array): {
  publicKey: Uint8Array
  secretKey: Uint8Array
} {
  const secretKey = random === undefined ? active.randomBytes(KEY_BYTES) : random(KEY_BYTES)
  expectBytes(secretKey, KEY_BYTES, "random(32) result", "generateKeyPair")
  return { publicKey: active.scalarMultBase(secretKey), secretKey }
}

/** The public key belonging to `secretKey`. */
export function publicFromSecret(secretKey: Uint8Array): Uint8Array {
  expectBytes(secretKey, KEY_BYTES, "secretKey", "publicFromSecret")
  return active.scalarMultBase(secretKey)
}

/**
 * NaCl crypto_box_beforenm: the 32-octet key for seal/open between `secretKey` and the peer's
 * `publicKey`. Throws ProtocolError(KEY_EXCHANGE) for an all-zero or low-order peer key
 * (X25519 output all zero). Wipe the result when done with it.
 */
export function precompute(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
  expectBytes(publicKey, KEY_BYTES, "publicKey", "precompute")
  expectBytes(secretKey, KEY_BYTES, "secretKey", "precompute")
  if (isWeakPublicKey(publicKey)) {
    throw new ProtocolError(
      ErrorCode.KEY_EXCHANGE,
      "the peer's public key is a low-order point (X25519 result would be all zero)",
    )
  }
  // The backend also refuses an all-zero X25519 result (libsodium does), whatever the key.
  return active.precompute(publicKey, secretKey)
}

function checkSealArguments(
  where: string,
  output: Uint8Array,
  input: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): void {
  expectUint8Array(output, "output", where)
  expectUint8Array(input, where === "sealInto" ? "message" : "box", where)
  expectBytes(nonce, NONCE_BYTES, "nonce", where)
  expectBytes(key, KEY_BYTES, "key", where)
}

/** Secretbox `message` into `output` (length message.length + 16): MAC || ciphertext. */
export function sealInto(
  output: Uint8Array,
  message: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): void {
  checkSealArguments("sealInto", output, message, nonce, key)
  if (output.length !== message.length + MAC_BYTES) {
    throw new RangeError(
      `sealInto: expected output of length ${message.length + MAC_BYTES} ` +
        `(message + ${MAC_BYTES}), got length ${output.length}`,
    )
  }
  active.sealInto(output, message, nonce, key)
}

/** Secretbox `message`: returns MAC || ciphertext (message.length + 16 octets). */
export function seal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  expectUint8Array(message, "message", "seal")
  const output = new Uint8Array(message.length + MAC_BYTES)
  sealInto(output, message, nonce, key)
  return output
}

/**
 * Open a secretbox into `output` (length box.length - 16). Returns false when the MAC does not
 * verify, including a `box` too short to hold one (network input never throws here).
 */
export function openInto(
  output: Uint8Array,
  box: Uint8Array,
  nonce: Uint8Array,
  key: Uint8Array,
): boolean {
  checkSealArguments("openInto", output, box, nonce, key)
  if (box.length < MAC_BYTES) return false
  if (output.length !== box.length - MAC_BYTES) {
    throw new RangeError(
      `openInto: expected output of length ${box.length - MAC_BYTES} ` +
        `(box - ${MAC_BYTES}), got length ${output.length}`,
    )
  }
  return active.openInto(output, box, nonce, key)
}

/** Open a secretbox; undefined when it does not authenticate. */
export function open(box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  expectUint8Array(box, "box", "open")
  if (box.length < MAC_BYTES) return undefined
  const output = new Uint8Array(box.length - MAC_BYTES)
  return openInto(output, box, nonce, key) ? output : undefined
}

/**
 * NaCl crypto_box (easy form): precompute + seal, wiping the precomputed key. Throws
 * ProtocolError(KEY_EXCHANGE) for a low-order `publicKey`.
 */
export function boxSeal(
  message: Uint8Array,
  nonce: Uint8Array,
  publicKey: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array {
  const key = precompute(publicKey, secretKey)
  try {
    return seal(message, nonce, key)
  } finally {
    active.wipe(key)
  }
}

/**
 * NaCl crypto_box_open (easy form). Returns undefined when the box does not authenticate AND
 * when `publicKey` is a low-order point, as crypto_box_open fails (-1) for both; libzmq reports
 * either as ERR_ZMTP_CRYPTOGRAPHIC.
 */
export function boxOpen(
  box: Uint8Array,
  nonce: Uint8Array,
  publicKey: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array | undefined {
  let key: Uint8Array
  try {
    key = precompute(publicKey, secretKey)
  } catch (err) {
    if (err instanceof ProtocolError && err.code === ErrorCode.KEY_EXCHANGE) return undefined
    throw err
  }
  try {
    return open(box, nonce, key)
  } finally {
    active.wipe(key)
  }
}

/**
 * Constant-time equality (sodium_memcmp, else node:crypto timingSafeEqual). Different lengths
 * return false at once: lengths are not secret.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  expectUint8Array(a, "a", "constantTimeEqual")
  expectUint8Array(b, "b", "constantTimeEqual")
  if (a.length !== b.length) return false
  if (active.equal !== undefined) return active.equal(a, b)
  return timingSafeEqual(a, b)
}

/** Overwrite `buf` with zeros (sodium_memzero). */
export function wipe(buf: Uint8Array): void {
  expectUint8Array(buf, "buf", "wipe")
  active.wipe(buf)
}
