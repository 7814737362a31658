/**
 * The process-wide crypto backend, as state the pure layers can read without loading any
 * library (issue 7, defect 8). No imports at run time: `src/mechanism/` and `src/engine/`
 * reach the backend only through this module and ./nacl.ts, so a NULL- or PLAIN-only program
 * and a browser build need no `node:*` module and no libsodium until CURVE is used.
 *
 * Who fills it: ./index.ts, the Node entry, picks a backend when it is imported. sodium-native
 * loads synchronously (createRequire) and is active at once; libsodium-wrappers is WebAssembly
 * and becomes active when its `ready` promise settles, so it is registered as pending. Until
 * then a key backend (Node's OpenSSL X25519 and CSPRNG) serves the synchronous key functions
 * (curveKeyPair, publicFromSecret, randomBytes), and box/secretbox calls throw a clear Error;
 * the engine waits for the pending backend before it starts a CURVE handshake.
 */
import type { CryptoBackend } from "./backend.js"

/** What key generation needs: enough to make and wipe keys before the full backend is ready. */
export type KeyBackend = Pick<CryptoBackend, "randomBytes" | "scalarMultBase" | "wipe" | "equal">

let active: CryptoBackend | undefined
let pending: Promise<CryptoBackend> | undefined
let failure: Error | undefined
let keyFallback: KeyBackend | undefined
/** Bumped by every setActiveBackend/setPendingBackend: a superseded load must not win. */
let generation = 0

/** Make `backend` the one in use (at once). */
export function setActiveBackend(backend: CryptoBackend): void {
  generation++
  active = backend
  pending = undefined
  failure = undefined
}

/**
 * Register a backend that is still loading. Until it settles, readyBackend() is undefined and
 * activeBackend() throws; when it resolves it becomes active (unless another backend was set
 * meanwhile); when it rejects, its error is what activeBackend() and backendReady() report.
 */
export function setPendingBackend(loading: Promise<CryptoBackend>): void {
  const mine = ++generation
  active = undefined
  failure = undefined
  const settled = loading.then(
    (backend) => {
      if (mine === generation) {
        active = backend
        pending = undefined
      }
      return backend
    },
    (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err))
      if (mine === generation) {
        failure = error
        pending = undefined
      }
      throw error
    },
  )
  // Nobody may be waiting: a failure is reported through activeBackend()/backendReady().
  settled.catch(() => {})
  pending = settled
}

/** The key backend used by the key functions while the full backend is not ready. */
export function setKeyFallback(backend: KeyBackend): void {
  keyFallback = backend
}

/** The key fallback itself (for what the full backend may lack, such as `equal`). */
export function keyFallbackBackend(): KeyBackend | undefined {
  return keyFallback
}

/** The backend in use, or undefined while it is still loading (or failed to load). */
export function readyBackend(): CryptoBackend | undefined {
  return active
}

/** The backend in use. Throws an Error that says what to do while it is not ready. */
export function activeBackend(): CryptoBackend {
  if (active !== undefined) return active
  if (failure !== undefined) throw failure
  if (pending !== undefined) {
    throw new Error(
      "Ironhouse crypto backend is still loading (libsodium-wrappers is WebAssembly): " +
        "await cryptoReady() before using box/secretbox functions directly",
    )
  }
  throw new Error(
    "Ironhouse has no crypto backend: import \"ironhouse\" (or its crypto module), which selects one, " +
      "or register one with useCryptoBackend()",
  )
}

/** The full backend when ready, else the key fallback; throws like activeBackend() when neither. */
export function keyBackend(): KeyBackend {
  return active ?? keyFallback ?? activeBackend()
}

/** Resolves with the backend once it is ready (at once when it is); rejects if it failed to load. */
export function backendReady(): Promise<CryptoBackend> {
  if (active !== undefined) return Promise.resolve(active)
  if (pending !== undefined) return pending
  try {
    return Promise.resolve(activeBackend())
  } catch (err) {
    return Promise.reject(err)
  }
}
