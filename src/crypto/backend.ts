/**
 * The crypto backend contract: the few NaCl operations CurveZMQ (RFC 26) needs, implemented
 * by a real crypto library. src/crypto/ is the only place that imports one.
 *
 * - `sodium-native`: libsodium through a native addon (optional dependency; fast path).
 * - `libsodium-wrappers`: libsodium compiled to WebAssembly (always available).
 *
 * Backends assume their arguments were validated (lengths included) by `./index.ts`.
 */

export const BackendName = {
  SODIUM_NATIVE: "sodium-native",
  LIBSODIUM_WRAPPERS: "libsodium-wrappers",
} as const
export type BackendName = (typeof BackendName)[keyof typeof BackendName]

/** Every backend name, in auto-selection preference order. */
export const BACKEND_NAMES: readonly BackendName[] = [
  BackendName.SODIUM_NATIVE,
  BackendName.LIBSODIUM_WRAPPERS,
]

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === "string" && (BACKEND_NAMES as readonly string[]).includes(value)
}

export interface CryptoBackend {
  readonly name: BackendName
  /** `n` octets from the library's CSPRNG. */
  randomBytes(n: number): Uint8Array
  /** X25519 public key for `secretKey` (crypto_scalarmult_base). */
  scalarMultBase(secretKey: Uint8Array): Uint8Array
  /**
   * NaCl crypto_box_beforenm: HSalsa20(X25519(secretKey, publicKey), 16 zero octets).
   * Throws ProtocolError(KEY_EXCHANGE) when the X25519 output is all zero (a low-order or
   * all-zero peer key), as libsodium refuses it.
   */
  precompute(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array
  /**
   * XSalsa20-Poly1305 with a precomputed key, like crypto_secretbox_easy:
   * output = MAC (16) || ciphertext; `output.length === message.length + 16`.
   */
  sealInto(output: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void
  /**
   * Inverse of sealInto, like crypto_secretbox_open_easy. Returns false when the MAC does not
   * verify. `output.length === box.length - 16`.
   */
  openInto(output: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean
  /** Overwrite `buf` with zeros in a way the optimiser cannot drop (sodium_memzero). */
  wipe(buf: Uint8Array): void
  /**
   * Constant-time equality of two buffers of the SAME length (sodium_memcmp). Optional so a
   * test double need not provide it; `constantTimeEqual` falls back to node:crypto.
   */
  equal?(a: Uint8Array, b: Uint8Array): boolean
}

const loaded = new Map<BackendName, CryptoBackend>()

/**
 * Load (once) and return the named backend. Throws a clear Error when the library cannot be
 * loaded (for example sodium-native has no prebuilt binary for this platform).
 */
export async function loadBackend(name: BackendName): Promise<CryptoBackend> {
  if (!isBackendName(name)) {
    throw new RangeError(
      `loadBackend: expected one of ${BACKEND_NAMES.map((n) => `"${n}"`).join(", ")}, ` +
        `got ${typeof name === "string" ? `"${name}"` : typeof name}`,
    )
  }
  const cached = loaded.get(name)
  if (cached !== undefined) return cached
  let backend: CryptoBackend
  if (name === BackendName.SODIUM_NATIVE) {
    const { loadSodiumNative } = await import("./sodium-native-backend.js")
    backend = loadSodiumNative()
  } else {
    const { loadLibsodiumWrappers } = await import("./libsodium-wrappers-backend.js")
    backend = await loadLibsodiumWrappers()
  }
  loaded.set(name, backend)
  return backend
}

/** Build the Error thrown when a backend's library cannot be loaded. */
export function backendUnavailable(name: BackendName, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new Error(`Ironhouse crypto backend "${name}" is not available: ${reason}`, { cause })
}

// ---- Stream access (issue 10): AEAD, Ed25519, sealed boxes, BLAKE2b ---------------------------
// Declaration merging adds these to CryptoBackend above; each backend implements them in its
// own file (./sodium-native-stream.ts, ./libsodium-wrappers-stream.ts). Arguments are checked
// by ./aead.ts, ./sign.ts, ./seal.ts and ./hash.ts, as for the methods above.
export interface CryptoBackend {
  /**
   * crypto_aead_xchacha20poly1305_ietf_encrypt: `output` (message.length + 16) receives
   * ciphertext || tag. Nonce 24 octets, key 32.
   */
  aeadEncryptInto(output: Uint8Array, message: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): void
  /** crypto_aead_xchacha20poly1305_ietf_decrypt into `output` (ciphertext.length - 16); false when it does not verify. */
  aeadDecryptInto(output: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean
  /** crypto_sign_seed_keypair: Ed25519 key pair (public 32, secret 64) from a 32-octet seed. */
  signSeedKeyPair(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array }
  /** crypto_sign_detached: 64-octet Ed25519 signature. */
  signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  /** crypto_sign_verify_detached. */
  verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  /** crypto_box_seal: anonymous sealed box to an X25519 public key (message.length + 48). */
  sealedBox(message: Uint8Array, publicKey: Uint8Array): Uint8Array
  /** crypto_box_seal_open; undefined when it does not open. */
  sealedBoxOpen(box: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined
  /** crypto_generichash (BLAKE2b) of the concatenation of `parts`, optionally keyed. */
  genericHash(outputLength: number, parts: readonly Uint8Array[], key?: Uint8Array): Uint8Array
  /**
   * Unkeyed crypto_generichash of `message` into `output` (its length, 16..64, is the digest
   * length): the per-message digest of stream access, with no output allocation.
   */
  genericHashInto(output: Uint8Array, message: Uint8Array): void
}

/** The stream-access methods above, which ./sodium-native-stream.ts and ./libsodium-wrappers-stream.ts provide. */
export const STREAM_METHOD_NAMES = [
  "aeadEncryptInto",
  "aeadDecryptInto",
  "signSeedKeyPair",
  "signDetached",
  "verifyDetached",
  "sealedBox",
  "sealedBoxOpen",
  "genericHash",
  "genericHashInto",
] as const
export type StreamMethods = Pick<CryptoBackend, (typeof STREAM_METHOD_NAMES)[number]>

/** Octets a sealed box adds (ephemeral public key 32 + MAC 16). */
export const SEALED_BOX_OVERHEAD = 48

/**
 * Both libraries report a failed verification (AEAD tag, signature, sealed box) by throwing;
 * stream access reports it as a value. Runs `attempt`, and gives `failed` when it throws.
 */
export function orOnThrow<T, F>(attempt: () => T, failed: F): T | F {
  try {
    return attempt()
  } catch {
    return failed
  }
}
