/**
 * The native backend: libsodium through the `sodium-native` addon (optional dependency).
 *
 * sodium-native 5.x binds crypto_scalarmult(_base) and crypto_secretbox_(open_)easy, which
 * write straight into caller buffers (no per-message allocation), but not crypto_box_beforenm
 * nor crypto_core_hsalsa20; `precompute` therefore runs X25519 here and HSalsa20 from
 * @noble/ciphers (see ./hsalsa20.ts), once per handshake.
 *
 * Per-message secretbox (h20, issue 13 item 5): sodium-native's exported
 * crypto_secretbox_(open_)easy check their arguments with node:assert, whose `ok(...args)`
 * allocates an argument array per call: about 0.3 µs (seal) and 0.45 µs (open) of a 0.7 to
 * 1.1 µs call on 17 octets, and garbage on every CURVE message. sealInto/openInto call the
 * addon's functions underneath (`sodium-native/binding.js`, which the exported ones forward
 * to unchanged) behind checks of their own (plain comparisons, no allocation). The addon
 * aborts the process on a wrong argument, so those checks are not optional, and it is used
 * only when the exported function is seen to forward its four arguments as they are and a
 * known-answer round trip through it agrees with the exported one; otherwise the exported
 * functions are called (see fastSecretbox).
 */
import { createRequire } from "node:module"
import { ErrorCode, ProtocolError } from "../errors.js"
import { backendUnavailable, BackendName, type CryptoBackend, type StreamMethods } from "./backend.js"
import { hsalsa20ZeroInput } from "./hsalsa20.js"
import { sodiumNativeStreamMethods } from "./sodium-native-stream.js"

/** The part of sodium-native's API that we use (it ships no type declarations). */
export interface SodiumNative {
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
const SECRETBOX_MAC_BYTES = 16
const SECRETBOX_NONCE_BYTES = 24
const SECRETBOX_KEY_BYTES = 32

/** The addon's own secretbox functions (sodium-native/binding.js): no argument checks at all. */
interface SecretboxBinding {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): number
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean
}

/**
 * The addon's secretbox functions when it is safe to call them directly, else undefined:
 * `binding` must have both, the exported wrappers must pass their four typed-array arguments
 * straight to them (so the addon takes these argument types: a mismatch would crash, not
 * throw), and a seal/open round trip and a refused forgery must give what the exported
 * functions give. Checked once, at load.
 */
export function fastSecretbox(sodium: SodiumNative, binding: unknown): SecretboxBinding | undefined {
  if (typeof binding !== "object" || binding === null) return undefined
  const b = binding as Record<string, unknown>
  if (typeof b.crypto_secretbox_easy !== "function" || typeof b.crypto_secretbox_open_easy !== "function") return undefined
  const forwards = (fn: unknown, call: string): boolean =>
    typeof fn === "function" && Function.prototype.toString.call(fn).replace(/\s+/g, "").includes(call)
  if (
    !forwards(sodium.crypto_secretbox_easy, "binding.crypto_secretbox_easy(c,m,n,k)") ||
    !forwards(sodium.crypto_secretbox_open_easy, "returnbinding.crypto_secretbox_open_easy(m,c,n,k)")
  ) {
    return undefined
  }
  const fast = binding as unknown as SecretboxBinding
  try {
    const key = Uint8Array.from({ length: SECRETBOX_KEY_BYTES }, (_, i) => i)
    const nonce = Uint8Array.from({ length: SECRETBOX_NONCE_BYTES }, (_, i) => 0x80 + i)
    const message = Uint8Array.from({ length: 33 }, (_, i) => 3 * i)
    const viaWrapper = new Uint8Array(message.length + SECRETBOX_MAC_BYTES)
    const viaBinding = new Uint8Array(message.length + SECRETBOX_MAC_BYTES)
    sodium.crypto_secretbox_easy(viaWrapper, message, nonce, key)
    if (fast.crypto_secretbox_easy(viaBinding, message, nonce, key) !== 0) return undefined
    if (viaWrapper.some((v, i) => v !== viaBinding[i])) return undefined
    const opened = new Uint8Array(message.length)
    if (fast.crypto_secretbox_open_easy(opened, viaBinding, nonce, key) !== true) return undefined
    if (opened.some((v, i) => v !== message[i])) return undefined
    ;(viaBinding[0] as number) ^= 1
    if (fast.crypto_secretbox_open_easy(opened, viaBinding, nonce, key) !== false) return undefined
  } catch {
    return undefined
  }
  return fast
}

/** RangeError/TypeError unless the four arguments fit crypto_secretbox_easy/open_easy exactly. */
function checkSecretboxArguments(output: Uint8Array, input: Uint8Array, nonce: Uint8Array, key: Uint8Array, outputLength: number): void {
  if (!(output instanceof Uint8Array && input instanceof Uint8Array && nonce instanceof Uint8Array && key instanceof Uint8Array)) {
    throw new TypeError("secretbox: expected Uint8Array output, input, nonce and key")
  }
  if (output.length !== outputLength || nonce.length !== SECRETBOX_NONCE_BYTES || key.length !== SECRETBOX_KEY_BYTES) {
    throw new RangeError(
      `secretbox: expected output of length ${outputLength}, nonce 24 and key 32, got ${output.length}, ${nonce.length} and ${key.length}`,
    )
  }
}

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
  let binding: unknown
  try {
    binding = requireModule("sodium-native/binding.js")
  } catch {
    binding = undefined // an older or repackaged sodium-native: the exported functions serve
  }
  return { ...sodiumNativeBackend(mod, fastSecretbox(mod, binding)), ...sodiumNativeStreamMethods(mod) }
}

// Stream access (issue 10): its methods come from ./sodium-native-stream.ts, spread in above.
type CoreMethods = Omit<CryptoBackend, keyof StreamMethods>

function sodiumNativeBackend(sodium: SodiumNative, fast: SecretboxBinding | undefined): CoreMethods {
  const sealInto =
    fast === undefined
      ? (output: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void => {
          sodium.crypto_secretbox_easy(output, message, nonce, key)
        }
      : (output: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void => {
          checkSecretboxArguments(output, message, nonce, key, message.length + SECRETBOX_MAC_BYTES)
          if (fast.crypto_secretbox_easy(output, message, nonce, key) !== 0) throw new Error("crypto_secretbox_easy failed")
        }
  const openInto =
    fast === undefined
      ? (output: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean =>
          sodium.crypto_secretbox_open_easy(output, box, nonce, key)
      : (output: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean => {
          checkSecretboxArguments(output, box, nonce, key, box.length - SECRETBOX_MAC_BYTES)
          return fast.crypto_secretbox_open_easy(output, box, nonce, key)
        }
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

    sealInto,
    openInto,

    wipe(buf: Uint8Array): void {
      sodium.sodium_memzero(buf)
    },

    equal(a: Uint8Array, b: Uint8Array): boolean {
      return sodium.sodium_memcmp(a, b)
    },
  }
}
