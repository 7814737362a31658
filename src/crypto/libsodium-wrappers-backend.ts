/**
 * The portable backend: libsodium compiled to WebAssembly (`libsodium-wrappers`), always
 * available. Its functions return fresh arrays (the WASM heap is copied out), so sealInto and
 * openInto copy the result into the caller's buffer: one allocation per call is what this
 * library needs; the native backend has none.
 */
import { ErrorCode, ProtocolError } from "../errors.js"
import { backendUnavailable, BackendName, type CryptoBackend, type StreamMethods } from "./backend.js"
import { libsodiumWrappersStreamMethods } from "./libsodium-wrappers-stream.js"

type Sodium = typeof import("libsodium-wrappers").default

export async function loadLibsodiumWrappers(): Promise<CryptoBackend> {
  let sodium: Sodium
  try {
    sodium = (await import("libsodium-wrappers")).default
    await sodium.ready
  } catch (err) {
    throw backendUnavailable(BackendName.LIBSODIUM_WRAPPERS, err)
  }
  return { ...libsodiumWrappersBackend(sodium), ...libsodiumWrappersStreamMethods(sodium) }
}

// Stream access (issue 10): its methods come from ./libsodium-wrappers-stream.ts, spread in above.
type CoreMethods = Omit<CryptoBackend, keyof StreamMethods>

function libsodiumWrappersBackend(sodium: Sodium): CoreMethods {
  return {
    name: BackendName.LIBSODIUM_WRAPPERS,

    randomBytes(n: number): Uint8Array {
      return sodium.randombytes_buf(n)
    },

    scalarMultBase(secretKey: Uint8Array): Uint8Array {
      return sodium.crypto_scalarmult_base(secretKey)
    },

    precompute(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
      try {
        // crypto_box_beforenm fails ("invalid usage") only when X25519 gives all zeros or the
        // point has small order; lengths were checked by the caller.
        return sodium.crypto_box_beforenm(publicKey, secretKey)
      } catch {
        throw new ProtocolError(
          ErrorCode.KEY_EXCHANGE,
          "X25519 with the peer's public key gave an all-zero result (low-order point)",
        )
      }
    },

    sealInto(output: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
      output.set(sodium.crypto_secretbox_easy(message, nonce, key))
    },

    openInto(output: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean {
      let plaintext: Uint8Array
      try {
        plaintext = sodium.crypto_secretbox_open_easy(box, nonce, key)
      } catch {
        // The library throws when the MAC does not verify (lengths were checked by the caller).
        return false
      }
      output.set(plaintext)
      return true
    },

    wipe(buf: Uint8Array): void {
      sodium.memzero(buf)
    },

    equal(a: Uint8Array, b: Uint8Array): boolean {
      return sodium.memcmp(a, b)
    },
  }
}
