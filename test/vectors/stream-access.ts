/**
 * Known-answer vectors for the stream-access primitives (issue 10), with their sources.
 */
import { hex } from "./hex.js"

/** draft-irtf-cfrg-xchacha-03, Appendix A.3.1 (AEAD_XChaCha20_Poly1305); libsodium's test/default/aead_xchacha20poly1305.c uses it too. */
export const XCHACHA_DRAFT_A31 = {
  key: hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
  nonce: hex("404142434445464748494a4b4c4d4e4f5051525354555657"),
  ad: hex("50515253c0c1c2c3c4c5c6c7"),
  plaintext: new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  ),
  ciphertextAndTag: hex(`
    bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
    731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
    2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
    21f9664c97637da9768812f615c68b13b52e
    c0875924c1c7987947deafd8780acf49`),
}

/** RFC 8032 §7.1, TEST 1 (Ed25519, empty message) and TEST 2 (one octet 0x72). */
export const RFC8032_ED25519 = [
  {
    seed: hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
    publicKey: hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    message: hex(""),
    signature: hex(`e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b`),
  },
  {
    seed: hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
    publicKey: hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
    message: hex("72"),
    signature: hex(`92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00`),
  },
]

/** RFC 7693 Appendix A: BLAKE2b-512("abc"). */
export const RFC7693_BLAKE2B_ABC = hex(`
  ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1
  7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923`)
