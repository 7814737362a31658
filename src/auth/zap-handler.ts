/**
 * The handler side of ZAP (RFC 27) without a socket: frames of one request in, frames of the
 * reply out. Whatever socket carries ZAP (a REP or ROUTER bound at inproc://zeromq.zap.01, or
 * an in-process queue) passes each received message here and sends back what it returns.
 *
 * The address envelope is echoed: with a ROUTER, the routing id(s) and the empty delimiter
 * come back first; with a REP socket (no envelope), none (RFC 27 "Socket Types").
 */
import type { Authenticate, AuthRequest } from "../mechanism/mechanism.js"
import { Mechanism, type MechanismName, ZapStatus } from "../wire/constants.js"
import { DEFAULT_STATUS_TEXT, decodeZapRequest, encodeZapReply, isZapStatusCode, splitZapEnvelope, type ZapReply } from "./zap.js"

const MECHANISMS: readonly string[] = Object.values(Mechanism)

function isMechanismName(name: string): name is MechanismName {
  return MECHANISMS.includes(name)
}

/**
 * Answer one ZAP request with `authenticate` (e.g. `authenticator.authenticate`).
 * Rejects with a ProtocolError when the request is malformed (a handler drops such a message:
 * without a version and request id there is nothing to answer). A mechanism other than
 * NULL/PLAIN/CURVE is answered 400; a hook that throws, or answers a status ZAP does not have,
 * is answered 500.
 */
export async function answerZapRequest(frames: readonly Uint8Array[], authenticate: Authenticate): Promise<Uint8Array[]> {
  const { envelope, body } = splitZapEnvelope(frames)
  const request = decodeZapRequest(body)
  let reply: Omit<ZapReply, "requestId">
  if (!isMechanismName(request.mechanism)) {
    reply = { status: ZapStatus.AUTHENTICATION_FAILURE, statusText: DEFAULT_STATUS_TEXT[400], userId: "", metadata: new Map() }
  } else {
    const authRequest: AuthRequest = {
      domain: request.domain,
      address: request.address,
      routingId: request.identity,
      mechanism: request.mechanism,
      credentials: request.credentials,
    }
    try {
      const answer = await authenticate(authRequest)
      if (!isZapStatusCode(answer.status)) throw new RangeError("status")
      const success = answer.status === ZapStatus.SUCCESS
      reply = {
        status: answer.status,
        statusText: answer.statusText ?? DEFAULT_STATUS_TEXT[answer.status],
        // RFC 27: the user id "SHALL be empty" for other statuses than 200.
        userId: success ? (answer.userId ?? "") : "",
        metadata: success && answer.metadata ? answer.metadata : new Map(),
      }
    } catch {
      reply = { status: ZapStatus.INTERNAL_ERROR, statusText: DEFAULT_STATUS_TEXT[500], userId: "", metadata: new Map() }
    }
  }
  try {
    return [...envelope, ...encodeZapReply({ requestId: request.requestId, ...reply }, { delimiter: false })]
  } catch {
    // e.g. a user id longer than ZAP allows: refuse rather than send something malformed.
    return [...envelope, ...encodeZapReply({ requestId: request.requestId, status: 500, statusText: DEFAULT_STATUS_TEXT[500], userId: "", metadata: new Map() }, { delimiter: false })]
  }
}
