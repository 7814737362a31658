/**
 * Requests as a ROUTER sees them (pure: no node:* imports).
 *
 * TLSZMQ's server reads the ROUTER envelope up to the empty delimiter, keys its TLS session by
 * the last non-empty envelope frame, and takes the one frame after the delimiter as TLS bytes
 * (RFC 28 §"The Request-Reply Envelope" layout: [routing ids…][""][body]). Through a
 * ROUTER↔DEALER proxy the envelope holds the proxy's routing id first and the client's last, so
 * the last non-empty frame still names the client.
 */

export interface Request {
  /** Frames before the delimiter: echoed in front of every reply. */
  readonly envelope: readonly Uint8Array[]
  /** The session key: the last non-empty envelope frame. */
  readonly key: Uint8Array
  /** The TLS bytes. */
  readonly payload: Uint8Array
}

export const RequestProblem = {
  NO_DELIMITER: "no empty delimiter frame after the envelope",
  NO_IDENTITY: "no non-empty envelope frame to key a session by",
  NOT_ONE_PAYLOAD: "not exactly one payload frame after the delimiter",
  EMPTY_PAYLOAD: "an empty payload frame",
} as const
export type RequestProblem = (typeof RequestProblem)[keyof typeof RequestProblem]

/** Split a ROUTER message into envelope, key and payload, or say what is wrong with it. */
export function parseRequest(frames: readonly Uint8Array[]): Request | RequestProblem {
  let delimiter = -1
  for (let i = 0; i < frames.length; i++) {
    if (frames[i]!.byteLength === 0) {
      delimiter = i
      break
    }
  }
  if (delimiter < 0) return RequestProblem.NO_DELIMITER
  if (delimiter === 0) return RequestProblem.NO_IDENTITY
  if (frames.length !== delimiter + 2) return RequestProblem.NOT_ONE_PAYLOAD
  const payload = frames[delimiter + 1]!
  if (payload.byteLength === 0) return RequestProblem.EMPTY_PAYLOAD
  return { envelope: frames.slice(0, delimiter), key: frames[delimiter - 1]!, payload }
}

const EMPTY = new Uint8Array(0)

/** The ROUTER message that answers a request: [envelope…][""][payload]. */
export function replyFrames(envelope: readonly Uint8Array[], payload: Uint8Array): Uint8Array[] {
  return [...envelope, EMPTY, payload]
}
