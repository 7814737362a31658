/**
 * The socket side of ZAP (RFC 27): turn an authenticate request into ZAP request frames, hand
 * them to a handler that speaks the ZAP protocol, and check its reply like libzmq's
 * zap_client.cpp does. A malformed reply (wrong version, wrong request id, invalid status,
 * bad metadata, wrong frame count) fails the handshake with the matching ERR_ZAP_* code; the
 * handler is never trusted to be well-behaved.
 *
 * Use it to plug in a ZAP handler that works on frames (e.g. a bridge to an external ZAP
 * service): `zapHandler: zapProtocolClient(frames => externalService.request(frames))`.
 */
import type { Authenticate, AuthReply, AuthRequest } from "../mechanism/mechanism.js"
import { ErrorCode, ProtocolError } from "../errors.js"
import { decodeZapReply, encodeZapRequest } from "./zap.js"

/** A ZAP handler on the wire level: request frames in (no delimiter), reply frames out. */
export type ZapProtocolHandler = (request: Uint8Array[]) => Uint8Array[] | Promise<Uint8Array[]>

/** Adapt a frame-level ZAP handler into an authenticate hook. */
export function zapProtocolClient(handler: ZapProtocolHandler): Authenticate {
  let next = 1
  return async (request: AuthRequest): Promise<AuthReply> => {
    // RFC 27: the request id is opaque; a counter makes every id distinct per client.
    const requestId = new TextEncoder().encode(String(next++))
    const frames = encodeZapRequest(
      {
        requestId,
        domain: request.domain,
        address: request.address,
        identity: request.routingId,
        mechanism: request.mechanism,
        credentials: request.credentials,
      },
      { delimiter: false },
    )
    let reply: Uint8Array[]
    try {
      reply = await handler(frames)
    } catch (err) {
      if (err instanceof ProtocolError) throw err
      throw new ProtocolError(ErrorCode.ZAP_UNSPECIFIED, "ZAP handler failed without a reply")
    }
    if (!Array.isArray(reply)) {
      throw new ProtocolError(ErrorCode.ZAP_MALFORMED_REPLY, "ZAP reply: expected an array of frames")
    }
    const decoded = decodeZapReply(reply, requestId)
    return {
      status: decoded.status,
      statusText: decoded.statusText,
      userId: decoded.userId,
      metadata: decoded.metadata,
    }
  }
}
