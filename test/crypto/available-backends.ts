/**
 * The backends the crypto tests run against. libsodium-wrappers is a dependency and must
 * always load; sodium-native is optional, but when its package is installed it must load too
 * (a broken native install must fail the tests, not silently shrink them).
 */
import { createRequire } from "node:module"
import { loadBackend, type CryptoBackend } from "../../src/crypto/backend.js"

function sodiumNativeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve("sodium-native")
    return true
  } catch {
    return false
  }
}

export const SODIUM_NATIVE_INSTALLED = sodiumNativeInstalled()

export async function availableBackends(): Promise<CryptoBackend[]> {
  const backends = [await loadBackend("libsodium-wrappers")]
  if (SODIUM_NATIVE_INSTALLED) backends.unshift(await loadBackend("sodium-native"))
  return backends
}
