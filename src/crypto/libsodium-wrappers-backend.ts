/**
 * The portable backend: libsodium compiled to WebAssembly (`libsodium-wrappers`), always
 * available. The core calls run on the raw C functions with buffers this file allocates in
 * the WASM heap and zeroes before freeing them (see withHeap), and copy results once into the
 * caller's buffer.
 */
import { ErrorCode, ProtocolError } from "../errors.js"
import { backendUnavailable, BackendName, type CryptoBackend, type StreamMethods } from "./backend.js"
import { libsodiumWrappersStreamMethods } from "./libsodium-wrappers-stream.js"
import { KEY_BYTES, MAC_BYTES, NONCE_BYTES } from "../wire/constants.js"

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

/**
 * The emscripten module under libsodium-wrappers (`sodium.libsodium`, not in its typings): its
 * malloc/free, linear memory and the raw C functions (64-bit lengths split in two i32 halves).
 */
interface LibsodiumModule {
  _malloc(n: number): number
  _free(ptr: number): void
  readonly HEAPU8: Uint8Array
  _randombytes_buf(ptr: number, n: number): void
  _crypto_scalarmult_base(q: number, n: number): number
  _crypto_box_beforenm(k: number, pk: number, sk: number): number
  _crypto_secretbox_easy(c: number, m: number, mlenLo: number, mlenHi: number, n: number, k: number): number
  _crypto_secretbox_open_easy(m: number, c: number, clenLo: number, clenHi: number, n: number, k: number): number
}

function isLibsodiumModule(mod: unknown): mod is LibsodiumModule {
  if (typeof mod !== "object" || mod === null) return false
  const m = mod as Record<string, unknown>
  return (
    ["_malloc", "_free", "_randombytes_buf", "_crypto_scalarmult_base", "_crypto_box_beforenm", "_crypto_secretbox_easy", "_crypto_secretbox_open_easy"].every(
      (name) => typeof m[name] === "function",
    ) && m.HEAPU8 instanceof Uint8Array
  )
}

function libsodiumWrappersBackend(sodium: Sodium): CoreMethods {
  const lib: unknown = (sodium as unknown as { libsodium?: unknown }).libsodium
  if (!isLibsodiumModule(lib)) {
    throw backendUnavailable(BackendName.LIBSODIUM_WRAPPERS, new Error("libsodium-wrappers does not expose its module (sodium.libsodium)"))
  }
  /**
   * Issue 14 item 5: the wrappers copy every argument and result through the WASM heap and free
   * it without zeroing, and return results as small JS arrays that V8 may move; keys and
   * plaintexts stayed in memory after their owners wiped them. So the calls that touch secrets
   * run here on buffers we allocate in the WASM heap, zero and free; results are copied once,
   * into the caller's buffer or an ArrayBuffer-backed array (off V8's moving heap, see
   * secretBytes in ./nacl.ts).
   */
  const withHeap = <T>(sizes: readonly number[], run: (ptrs: number[], heap: Uint8Array) => T): T => {
    const ptrs = sizes.map((n) => lib._malloc(Math.max(1, n)))
    try {
      if (ptrs.some((p) => p === 0)) throw new Error("libsodium-wrappers: out of memory")
      return run(ptrs, lib.HEAPU8) // read after every malloc: the memory may have grown
    } finally {
      const heap = lib.HEAPU8
      for (let i = 0; i < ptrs.length; i++) {
        const p = ptrs[i] as number
        if (p !== 0) {
          heap.fill(0, p, p + (sizes[i] as number))
          lib._free(p)
        }
      }
    }
  }
  const copyOut = (heap: Uint8Array, ptr: number, n: number): Uint8Array => {
    const out = new Uint8Array(new ArrayBuffer(n))
    out.set(heap.subarray(ptr, ptr + n))
    return out
  }
  return {
    name: BackendName.LIBSODIUM_WRAPPERS,

    randomBytes(n: number): Uint8Array {
      return withHeap([n], ([p]) => {
        lib._randombytes_buf(p as number, n)
        return copyOut(lib.HEAPU8, p as number, n)
      })
    },

    scalarMultBase(secretKey: Uint8Array): Uint8Array {
      return withHeap([32, 32], ([q, n], heap) => {
        heap.set(secretKey, n as number)
        lib._crypto_scalarmult_base(q as number, n as number)
        return copyOut(lib.HEAPU8, q as number, 32)
      })
    },

    precompute(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
      // crypto_box_beforenm fails only when X25519 gives all zeros or the point has small
      // order; lengths were checked by the caller.
      return withHeap([32, 32, 32], ([k, pk, sk], heap) => {
        heap.set(publicKey, pk as number)
        heap.set(secretKey, sk as number)
        if (lib._crypto_box_beforenm(k as number, pk as number, sk as number) !== 0) {
          throw new ProtocolError(
            ErrorCode.KEY_EXCHANGE,
            "X25519 with the peer's public key gave an all-zero result (low-order point)",
          )
        }
        return copyOut(lib.HEAPU8, k as number, 32)
      })
    },

    sealInto(output: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void {
      const mlen = message.length
      withHeap([mlen + MAC_BYTES, mlen, NONCE_BYTES, KEY_BYTES], ([c, m, n, k], heap) => {
        heap.set(message, m as number)
        heap.set(nonce, n as number)
        heap.set(key, k as number)
        lib._crypto_secretbox_easy(c as number, m as number, mlen, 0, n as number, k as number)
        output.set(lib.HEAPU8.subarray(c as number, (c as number) + mlen + MAC_BYTES))
      })
    },

    openInto(output: Uint8Array, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean {
      const clen = box.length
      // The library fails when the MAC does not verify (lengths were checked by the caller).
      return withHeap([Math.max(0, clen - MAC_BYTES), clen, NONCE_BYTES, KEY_BYTES], ([m, c, n, k], heap) => {
        heap.set(box, c as number)
        heap.set(nonce, n as number)
        heap.set(key, k as number)
        if (lib._crypto_secretbox_open_easy(m as number, c as number, clen, 0, n as number, k as number) !== 0) return false
        output.set(lib.HEAPU8.subarray(m as number, (m as number) + clen - MAC_BYTES))
        return true
      })
    },

    wipe(buf: Uint8Array): void {
      sodium.memzero(buf)
    },

    equal(a: Uint8Array, b: Uint8Array): boolean {
      return sodium.memcmp(a, b)
    },
  }
}
