/**
 * The key service, sans-IO: a late joiner (or a reader that lost track) asks over a ROUTER
 * guarded by CURVE and the Authenticator (the Ironhouse pattern); the service answers an
 * approved reader with its keys (its leaf and direct path keys, the current epoch key and the
 * previous one while it overlaps), signed by the publisher and sealed to the reader's CURVE
 * public key. A peer that is not a current reader gets a refusal and nothing usable.
 *
 *   request:  ["ih-sa/1", "keys"]
 *   reply:    ["ih-sa/1", "welcome", sealed WELCOME]  or  ["ih-sa/1", "denied", reason]
 */
import { sealedBox } from "../crypto/seal.js"
import { toKey } from "../crypto/keys.js"
import type { StreamWriter } from "./writer.js"

export const KEY_SERVICE_PROTOCOL = "ih-sa/1"
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export type KeyServiceOutcome = { granted: true; reply: Uint8Array[] } | { granted: false; reason: "malformed-request" | "no-peer-key" | "not-a-reader"; reply: Uint8Array[] }

/** The request frames a reader sends. */
export function keyRequest(): Uint8Array[] {
  return [encoder.encode(KEY_SERVICE_PROTOCOL), encoder.encode("keys")]
}

/**
 * Answer one request from a peer whose CURVE public key (Z85, from the authenticated
 * connection: PeerInfo.publicKey) is `peerPublicKey`.
 */
export function answerKeyRequest(writer: StreamWriter, peerPublicKey: string | undefined, request: readonly Uint8Array[]): KeyServiceOutcome {
  const deny = (reason: "malformed-request" | "no-peer-key" | "not-a-reader"): KeyServiceOutcome => ({
    granted: false,
    reason,
    reply: [encoder.encode(KEY_SERVICE_PROTOCOL), encoder.encode("denied"), encoder.encode(reason)],
  })
  if (request.length !== 2 || decoder.decode(request[0]) !== KEY_SERVICE_PROTOCOL || decoder.decode(request[1]) !== "keys") return deny("malformed-request")
  if (peerPublicKey === undefined) return deny("no-peer-key")
  const welcome = writer.welcome(peerPublicKey)
  if (welcome === undefined) return deny("not-a-reader")
  try {
    return { granted: true, reply: [encoder.encode(KEY_SERVICE_PROTOCOL), encoder.encode("welcome"), sealedBox(welcome, toKey(peerPublicKey, "peer public key"))] }
  } finally {
    welcome.fill(0)
  }
}

/** Parse a key service reply: the sealed welcome, or the refusal reason. */
export function parseKeyReply(reply: readonly Uint8Array[]): { sealed: Uint8Array } | { denied: string } {
  if (reply.length === 3 && decoder.decode(reply[0]) === KEY_SERVICE_PROTOCOL) {
    const kind = decoder.decode(reply[1])
    if (kind === "welcome") return { sealed: reply[2] as Uint8Array }
    if (kind === "denied") return { denied: decoder.decode(reply[2]).slice(0, 64) }
  }
  return { denied: "malformed-reply" }
}
