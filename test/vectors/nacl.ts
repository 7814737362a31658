/**
 * NaCl crypto_box / crypto_secretbox vectors (NaCl tests/box.c, box2.c, secretbox.c,
 * secretbox2.c, core1.c; identical in libsodium test/default/*.c with expected output in
 * *.exp). Keys are RFC 7748 section 6.1's (./x25519.ts). Sources in test/vectors/README.md.
 */
import { hex } from "./hex.js"
import { RFC7748_DH } from "./x25519.js"

export const NACL_BOX = {
  aliceSecret: RFC7748_DH.alicePrivate,
  alicePublic: RFC7748_DH.alicePublic,
  bobSecret: RFC7748_DH.bobPrivate,
  bobPublic: RFC7748_DH.bobPublic,
  /** crypto_box_beforenm(bobpk, alicesk) = HSalsa20(shared, 0): core1.c's "firstkey". */
  firstKey: hex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389"),
  nonce: hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37"),
  /** The 131-octet message (box.c's m without its 32 leading zero octets). */
  message: hex(`
    be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc
    e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31
    0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde
    048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f93776384864
    5e0705`),
  /** MAC (16) || ciphertext (131): box.c's c without its 16 leading zero octets (box.exp). */
  box: hex(`
    f3ffc7703f9400e52a7dfb4b3d3305d9
    8e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186a
    c0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738
    b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da
    99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74
    e355a5`),
} as const
