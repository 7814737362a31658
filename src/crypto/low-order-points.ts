/**
 * Curve25519 public keys of small order: X25519 with any of them gives an all-zero (or
 * attacker-known) shared secret, so a peer sending one must be refused.
 *
 * Source: libsodium's X25519 `has_small_order` blocklist
 * (src/libsodium/crypto_scalarmult/curve25519/ref10/x25519_ref10.c), which lists the points
 * of https://cr.yp.to/ecdh.html#validate reduced to 255 bits and compares them with the top
 * bit of the last octet cleared (RFC 7748 section 5: implementations MUST mask that bit).
 * See also "May the Fourth Be With You" (https://eprint.iacr.org/2017/806.pdf).
 */
import { expectBytes } from "./check-bytes.js"

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** The seven little-endian encodings in libsodium's blocklist, in its order. */
export const LOW_ORDER_POINTS: readonly Uint8Array[] = Object.freeze(
  [
    // 0 (order 4)
    "0000000000000000000000000000000000000000000000000000000000000000",
    // 1 (order 1)
    "0100000000000000000000000000000000000000000000000000000000000000",
    // 325606250916557431795983626356110631294008115727848805560023387167927233504 (order 8)
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    // 39382357235489614581723060781553021112529911719440698176882885853963445705823 (order 8)
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    // p - 1 (order 2)
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    // p (= 0, order 4)
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    // p + 1 (= 1, order 1)
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  ].map(fromHex),
)

const KEY_BYTES = 32

/**
 * True when `publicKey` is all zero or one of the known low-order points (with or without
 * the ignored top bit set). Public keys are not secret, but the comparison still touches every
 * octet of every entry so its time does not depend on the key.
 */
export function isWeakPublicKey(publicKey: Uint8Array): boolean {
  expectBytes(publicKey, KEY_BYTES, "publicKey", "isWeakPublicKey")
  let anyMatch = 0
  for (const point of LOW_ORDER_POINTS) {
    let diff = 0
    for (let i = 0; i < KEY_BYTES - 1; i++) diff |= publicKey[i]! ^ point[i]!
    diff |= (publicKey[KEY_BYTES - 1]! & 0x7f) ^ point[KEY_BYTES - 1]!
    // diff === 0 -> 1, else 0, without a branch.
    anyMatch |= ((diff - 1) >>> 8) & 1
  }
  return anyMatch === 1
}
