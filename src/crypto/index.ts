/**
 * The crypto module: NaCl box/secretbox as CurveZMQ (RFC 26) uses them (./nacl.ts, re-exported
 * here), and the choice of the backend that runs them (./backend.ts).
 *
 * Selection happens once, when this module is first imported, without a top-level await (so
 * the import graph can be required synchronously, issue 15 item 2): the environment variable
 * `IRONHOUSE_CRYPTO=sodium-native|libsodium-wrappers` forces one backend (an unknown name, or a
 * forced sodium-native that cannot load, makes the import fail with a clear Error); otherwise
 * sodium-native when it loads, else libsodium-wrappers. `useCryptoBackend()` switches at run
 * time.
 *
 * Readiness: sodium-native loads synchronously and is ready at once. libsodium-wrappers is
 * WebAssembly: it starts loading at import and is ready when `cryptoReady()` resolves. Until
 * then the key functions (curveKeyPair, curvePublicKey, generateKeyPair, publicFromSecret,
 * randomBytes, wipe, constantTimeEqual) use Node's OpenSSL (./openssl-keys.ts) and stay
 * synchronous; box/secretbox functions and cryptoBackend() throw a clear Error; the engine
 * waits for the backend before it starts a CURVE handshake, so sockets need no readiness step.
 *
 * The sans-IO layers (src/wire, src/mechanism, src/engine) never import this module: they use
 * ./nacl.ts and ./active-backend.ts, which load nothing (issue 7, defect 8).
 */
import { BACKEND_NAMES, BackendName, isBackendName, loadBackend, type CryptoBackend } from "./backend.js"
import { backendReady, setActiveBackend, setKeyFallback, setPendingBackend } from "./active-backend.js"
import { opensslKeyBackend } from "./openssl-keys.js"
import { loadSodiumNative } from "./sodium-native-backend.js"

export type { BackendName, CryptoBackend } from "./backend.js"
export * from "./nacl.js"

/** Environment variable that forces a backend. */
export const CRYPTO_ENV_VAR = "IRONHOUSE_CRYPTO"

function selectInitialBackend(): void {
  setKeyFallback(opensslKeyBackend)
  const forced = process.env[CRYPTO_ENV_VAR]
  if (forced !== undefined && forced !== "" && !isBackendName(forced)) {
    throw new RangeError(
      `${CRYPTO_ENV_VAR}: expected one of ${BACKEND_NAMES.map((n) => `"${n}"`).join(", ")} ` +
        `or unset, got "${forced}"`,
    )
  }
  if (forced !== BackendName.LIBSODIUM_WRAPPERS) {
    try {
      setActiveBackend(loadSodiumNative())
      return
    } catch (err) {
      if (forced === BackendName.SODIUM_NATIVE) throw err
    }
  }
  setPendingBackend(loadBackend(BackendName.LIBSODIUM_WRAPPERS))
}

selectInitialBackend()

/**
 * Resolves with the name of the backend in use once it is ready: at once with sodium-native,
 * when its WebAssembly has loaded with libsodium-wrappers. Rejects when the backend cannot load.
 * Only code that calls box/secretbox functions (or cryptoBackend()) directly must await it.
 */
export async function cryptoReady(): Promise<BackendName> {
  return (await backendReady()).name
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
  const backend: CryptoBackend = await loadBackend(name)
  setActiveBackend(backend)
}
