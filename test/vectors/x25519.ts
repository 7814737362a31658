/**
 * X25519 vectors: RFC 7748 section 6.1 (Curve25519 Diffie-Hellman). The same keys are NaCl's
 * alicesk / alicepk / bobsk / bobpk. Sources in test/vectors/README.md.
 */
import { hex } from "./hex.js"

export const RFC7748_DH = {
  alicePrivate: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
  alicePublic: hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
  bobPrivate: hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
  bobPublic: hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
  shared: hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
} as const
