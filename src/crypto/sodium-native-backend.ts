/**
 * The native backend: libsodium through the `sodium-native` addon (optional dependency).
 *
 * sodium-native 5.x binds crypto_scalarmult(_base) and crypto_secretbox_(open_)easy, which
 * write straight into caller buffers (no per-message allocation), but not crypto_box_beforenm
 * nor crypto_core_hsalsa20; `precompute` therefore runs X25519 here and HSalsa20 from
 * @noble/ciphers (see ./hsalsa20.ts), once per handshake.
 */
import { createRequire } from "node:module"
import { ErrorCode, ProtocolError } from "../errors.js"
import { backendUnavailable, BackendName, type CryptoBackend, type StreamMethods } from "./backend.js"
import { hsalsa20ZeroInput } from "./hsalsa20.js"
import { sodiumNativeStreamMethods } from "./sodium-native-stream.js"

/** The part of sodium-native's API that we use (it ships no type declarations). */
interface SodiumNative {
  randombytes_buf(buf: Uint8Array): void
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void
  /** Throws when libsodium returns -1 (all-zero output / small-order point). */
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
  sodium_memzero(buf: Uint8Array): void
  sodium_memcmp(a: Uint8Array, b: Uint8Array): boolean
}

const REQUIRED_FUNCTIONS: readonly (keyof SodiumNative)[] = [
  "randombytes_buf",
  "crypto_scalarmult_base",
  "crypto_scalarmult",
  "crypto_secretbox_easy",
  "crypto_secretbox_open_easy",
  "sodium_memzero",
  "sodium_memcmp",
]

function isSodiumNative(mod: unknown): mod is SodiumNative {
  if (typeof mod !== "object" || mod === null) return false
  const record = mod as Record<string, unknown>
  return REQUIRED_FUNCTIONS.every((name) => typeof record[name] === "function")
}

const X25519_BYTES = 32

/**
 * Load sodium-native and wrap it. `requireModule` is injectable so tests can simulate a
 * platform without the addon. Throws a clear Error when it cannot be loaded.
 */
export function loadSodiumNative(
  requireModule: (id: string) => unknown = createRequire(import.meta.url),
): CryptoBackend {
  let mod: unknown
  try {
    mod = requireModule("sodium-native")
  } catch (err) {
    throw backendUnavailable(BackendName.SODIUM_NATIVE, err)
  }
  if (!isSodiumNative(mod)) {
    throw backendUnavailable(
      BackendName.SODIUM_NATIVE,
      new Error(`the module lacks one of ${REQUIRED_FUNCTIONS.join(", ")}`),
    )
  }
  return { ...sodiumNativeBackend(mod), ...sodiumNativeStreamMethods(mod) }
}

// Stream access (issue 10): its methods come from ./sodium-native-stream.ts, spread in above.
type CoreMethods = Omit<CryptoBackend, keyof StreamMethods>

function sodiumNativeBackend(sodium: SodiumNative): CoreMethods {
  return {
    name: BackendName.SODIUM_NATIVE,

    randomBytes(n: number): Uint8Array {
      const buf = new Uint8Array(new ArrayBuffer(n)) // off the moving heap: it may become a key
      sodium.randombytes_buf(buf)
      return buf
    },

    scalarMultBase(secretKey: Uint8Array): Uint8Array {
      const publicKey = new Uint8Array(X25519_BYTES)
      sodium.crypto_scalarmult_base(publicKey, secretKey)
      return publicKey
    },

    precompute(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
      const shared = new Uint8Array(new ArrayBuffer(X25519_BYTES)) // off the moving heap (issue 14)
      try {
        // libsodium returns -1 (sodium-native throws) for a small-order point or an all-zero
        // result; lengths were checked by the caller, so that is the only way to fail here.
        sodium.crypto_scalarmult(shared, secretKey, publicKey)
      } catch {
        sodium.sodium_memzero(shared)
        throw new ProtocolError(
          ErrorCode.KEY_EXCHANGE,
          "X25519 with the peer's public key gave an all-zero result (low-order point)",
        )
      }
      try {
        return hsalsa20ZeroInput(shared)
      } finally {
        sodium.sodium_memzero(shared)
      }
    },

    sealInto(output: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
      sodium.crypto_secretbox_easy(output, message, nonce, key)
    },

    openInto(output: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean {
      return sodium.crypto_secretbox_open_easy(output, box, nonce, key)
    },

    wipe(buf: Uint8Array): void {
      sodium.sodium_memzero(buf)
    },

    equal(a: Uint8Array, b: Uint8Array): boolean {
      return sodium.sodium_memcmp(a, b)
    },
  }
}
