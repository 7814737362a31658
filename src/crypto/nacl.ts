/**
 * NaCl box/secretbox as CurveZMQ (RFC 26) uses them, over the process-wide backend
 * (./active-backend.ts). Pure: it imports no `node:*` module and no library, so the
 * mechanisms can use it without making the sans-IO core load libsodium (issue 7, defect 8);
 * ./index.ts re-exports all of it for the rest of Ironhouse.
 *
 * Every function checks its arguments (TypeError / RangeError that never print key material).
 * Peer-supplied keys that cannot be used raise ProtocolError(KEY_EXCHANGE).
 *
 * Readiness: the key functions (randomBytes, generateKeyPair, publicFromSecret, wipe,
 * constantTimeEqual) always work once ./index.ts is loaded, even while libsodium-wrappers is
 * still loading; precompute, seal/open and boxSeal/boxOpen need the full backend and throw a
 * clear Error before it is ready (await cryptoReady()).
 */
import { ErrorCode, ProtocolError } from "../errors.js"
import { KEY_BYTES, MAC_BYTES, NONCE_BYTES } from "../wire/constants.js"
import { activeBackend, keyBackend, keyFallbackBackend, readyBackend } from "./active-backend.js"
import type { CryptoBackend } from "./backend.js"
import { expectBytes, expectUint8Array } from "./check-bytes.js"
import { isWeakPublicKey } from "./low-order-points.js"

export { isWeakPublicKey, LOW_ORDER_POINTS } from "./low-order-points.js"
export { KEY_BYTES, MAC_BYTES, NONCE_BYTES } from "../wire/constants.js"

/** The backend in use. Throws a clear Error while it is still loading (see cryptoReady()). */
export function cryptoBackend(): CryptoBackend {
  return activeBackend()
}

/**
 * A zeroed buffer for secret bytes that stays where it is (issue 14 item 5). `new
 * Uint8Array(n)` of at most 64 octets is allocated inside V8's moving heap, where a garbage
 * collection copies it and leaves the old copy behind, unwiped, and where externalising it (a
 * native call, `.buffer`) copies it again; an explicit ArrayBuffer's backing store is allocated
 * outside that heap and never moves, so wipe() erases the only copy.
 */
export function secretBytes(n: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(n))
}

/** `n` octets from the backend's CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`randomBytes: expected a non-negative integer, got ${n}`)
  }
  return keyBackend().randomBytes(n)
}

/**
 * A new Curve25519 key pair: secret = random(32), public = X25519 base-point multiple.
 * `random` is injectable for deterministic tests; its buffer becomes `secretKey` (not copied).
 */
export function generateKeyPair(random?: (n: number) => Uint8Array): {
  publicKey: Uint8Array
  secretKey: Uint8Array
} {
  const backend = keyBackend()
  const secretKey = random === undefined ? backend.randomBytes(KEY_BYTES) : random(KEY_BYTES)
  expectBytes(secretKey, KEY_BYTES, "random(32) result", "generateKeyPair")
  return { publicKey: backend.scalarMultBase(secretKey), secretKey }
}

/** The public key belonging to `secretKey`. */
export function publicFromSecret(secretKey: Uint8Array): Uint8Array {
  expectBytes(secretKey, KEY_BYTES, "secretKey", "publicFromSecret")
  return keyBackend().scalarMultBase(secretKey)
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
  const key = activeBackend().precompute(publicKey, secretKey)
  precomputeObserver?.(key)
  return key
}

let precomputeObserver: ((key: Uint8Array) => void) | undefined

/**
 * Test hook (issue 14 item 5): `observer` sees every precomputed key, by reference, when it is
 * made, so a test can check that its bytes are gone from memory after the connection closed
 * (test/fault/secrets.test.ts keeps them only XOR-masked). Not part of the public API;
 * `undefined` removes the observer.
 */
export function observePrecomputedKeys(observer: ((key: Uint8Array) => void) | undefined): void {
  precomputeObserver = observer
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
  activeBackend().sealInto(output, message, nonce, key)
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
  return activeBackend().openInto(output, box, nonce, key)
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
    activeBackend().wipe(key)
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
    activeBackend().wipe(key)
  }
}

/**
 * Constant-time equality (sodium_memcmp; node:crypto timingSafeEqual through the key fallback
 * for a backend without `equal`). Different lengths return false at once: lengths are not
 * secret.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  expectUint8Array(a, "a", "constantTimeEqual")
  expectUint8Array(b, "b", "constantTimeEqual")
  if (a.length !== b.length) return false
  const equal = readyBackend()?.equal ?? keyFallbackBackend()?.equal
  if (equal === undefined) throw new Error("constantTimeEqual: the crypto backend has no constant-time comparison")
  return equal(a, b)
}

/** Overwrite `buf` with zeros (sodium_memzero). */
export function wipe(buf: Uint8Array): void {
  expectUint8Array(buf, "buf", "wipe")
  keyBackend().wipe(buf)
}
