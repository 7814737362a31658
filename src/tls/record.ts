/**
 * Just enough of the TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2) to route ZeroMQ messages
 * to sessions (pure: no node:* imports). Nothing here decrypts or trusts anything: OpenSSL
 * does the real parsing; these checks only decide "does this payload begin a new handshake?".
 */

export const ContentType = { CHANGE_CIPHER_SPEC: 20, ALERT: 21, HANDSHAKE: 22, APPLICATION_DATA: 23 } as const
export const HandshakeType = { CLIENT_HELLO: 1, SERVER_HELLO: 2 } as const

const RECORD_HEADER = 5
const HANDSHAKE_HEADER = 4

/**
 * True when `payload` starts with a plaintext TLS record holding the start of a handshake
 * message of type `type`, framed consistently:
 *
 * - record: type 22 (handshake), legacy_record_version 0x0301..0x0303 (RFC 8446 §5.1 allows
 *   0x0301 in a first ClientHello), length 1..2^14 (§5.1: MUST NOT exceed 2^14);
 * - handshake header: msg_type, a 24-bit length that fits the record or continues past it;
 * - body: legacy_version 0x0303 or lower (RFC 8446 §4.1.2: 0x0303; TLS 1.0-1.2 use 0x0301-3).
 *
 * An encrypted TLS 1.2 handshake record (a Finished, a renegotiation) also has type 22, but its
 * body is ciphertext: matching msg_type, a 24-bit length under 2^16 and a version by chance is
 * about 2^-27 per such record. TLS 1.3 encrypted records all have the outer type 23. A hello
 * may be fragmented over records (RFC 8446 §5.1), so its length may exceed this record's.
 */
function startsHandshake(payload: Uint8Array, type: number): boolean {
  if (payload.byteLength < RECORD_HEADER + HANDSHAKE_HEADER + 2) return false
  if (payload[0] !== ContentType.HANDSHAKE) return false
  if (payload[1] !== 3 || payload[2]! < 1 || payload[2]! > 3) return false
  const recordLength = (payload[3]! << 8) | payload[4]!
  if (recordLength < HANDSHAKE_HEADER + 2 || recordLength > 16_384) return false
  if (payload[5] !== type) return false
  // Hello bodies: version (2) + random (32) + session id length (1) at least; under 64 KiB.
  const bodyLength = (payload[6]! << 16) | (payload[7]! << 8) | payload[8]!
  if (payload[6] !== 0 || bodyLength < 35) return false
  return payload[9] === 3 && payload[10]! >= 1 && payload[10]! <= 3
}

/** Does this payload begin a ClientHello (a new handshake, say a reconnecting client)? */
export function isClientHello(payload: Uint8Array): boolean {
  return startsHandshake(payload, HandshakeType.CLIENT_HELLO)
}

/** Does this payload begin a ServerHello (the answer to our ClientHello)? */
export function isServerHello(payload: Uint8Array): boolean {
  return startsHandshake(payload, HandshakeType.SERVER_HELLO)
}

/** Does this payload begin with a plaintext alert record (RFC 8446 §6: 2 octets)? */
export function isPlaintextAlert(payload: Uint8Array): boolean {
  return (
    payload.byteLength >= RECORD_HEADER + 2 &&
    payload[0] === ContentType.ALERT &&
    payload[1] === 3 &&
    payload[3] === 0 &&
    payload[4] === 2
  )
}

/** Alert descriptions we send ourselves (RFC 8446 §6). */
export const AlertDescription = { UNEXPECTED_MESSAGE: 10, BAD_CERTIFICATE: 42, INTERNAL_ERROR: 80 } as const

/**
 * A plaintext fatal alert record, sent to a peer that talks to a session we do not have (it
 * ended, expired, or the server restarted): its TLS stack fails at once instead of waiting,
 * and a lockstep (REQ) client gets the one reply it waits for.
 */
export function fatalAlert(description: number): Uint8Array {
  return Uint8Array.of(ContentType.ALERT, 3, 3, 0, 2, 2, description)
}

/**
 * Tracks TLS record boundaries in a byte stream (RFC 8446 §5.1: 5-octet header, then length
 * octets). A lockstep request must hold whole records: one that ends inside a record is
 * truncated, and no later request can legitimately complete it.
 */
export class RecordBoundary {
  #header = new Uint8Array(RECORD_HEADER)
  #headerHave = 0
  #bodyLeft = 0

  /** True when the bytes so far end exactly at a record boundary. */
  get atBoundary(): boolean {
    return this.#headerHave === 0 && this.#bodyLeft === 0
  }

  push(bytes: Uint8Array): void {
    let at = 0
    while (at < bytes.byteLength) {
      if (this.#bodyLeft > 0) {
        const n = Math.min(this.#bodyLeft, bytes.byteLength - at)
        this.#bodyLeft -= n
        at += n
        continue
      }
      this.#header[this.#headerHave++] = bytes[at++]!
      if (this.#headerHave === RECORD_HEADER) {
        this.#bodyLeft = (this.#header[3]! << 8) | this.#header[4]!
        this.#headerHave = 0
      }
    }
  }
}
