/**
 * Refusals, in both directions: what a server does when its authenticate hook says no, and what
 * any peer makes of an ERROR command it receives. Shared by every mechanism. Pure.
 *
 * Server side (libzmq zap_client.cpp, null_mechanism.cpp, plain_server.cpp, curve_server.cpp):
 *   - the reply status must be exactly 200, 300, 400 or 500 (RFC 27 "status code"); anything
 *     else is ProtocolError(ZAP_INVALID_STATUS_CODE), no ERROR sent;
 *   - 400 / 500: send ERROR whose reason is the status code as text ("400"), then fail with
 *     AuthError(status);
 *   - 300 (temporary failure): fail with AuthError(300) WITHOUT sending ERROR. RFC 37 "Error
 *     Handling" makes an ERROR command fatal ("not re-connecting using the same security
 *     credentials") and asks that temporary refusals be signalled "by closing the connection",
 *     so the client treats the close as temporary and retries later. libzmq does exactly this
 *     (zap_client.cpp: "a 300 error code ... should NOT result in an ERROR message";
 *     tests/test_security_zap.cpp test_zap_unsuccessful_status_300 checks the client sees
 *     no authentication event).
 *
 * Receiving ERROR (libzmq mechanism_base.cpp handle_error_reason): a reason of exactly "300",
 * "400" or "500" is a ZAP status, reported as AuthError(status); any other reason is a refusal
 * we cannot classify, reported as ProtocolError(UNSPECIFIED) carrying the (escaped) reason.
 */
import { AuthError, ErrorCode, ProtocolError, protocolError } from "../errors.js"
import { Command, ZapStatus } from "../wire/constants.js"
import { decodeError, encodeError } from "../wire/commands.js"
import type { Metadata } from "../wire/types.js"
import type { AuthReply, MechanismOutput } from "./mechanism.js"

const VALID_STATUSES: readonly number[] = [
  ZapStatus.SUCCESS,
  ZapStatus.TEMPORARY_FAILURE,
  ZapStatus.AUTHENTICATION_FAILURE,
  ZapStatus.INTERNAL_ERROR,
]

/** A ZAP status carried as an ERROR reason: exactly three octets "300", "400" or "500". */
const STATUS_REASON = /^[345]00$/

/** An authenticate reply, checked: its status, user id ("" when absent) and metadata. */
export interface CheckedReply {
  status: number
  userId: string
  metadata: Metadata
}

/**
 * Check an authenticate reply like libzmq checks a ZAP reply (zap_client.cpp): the status must
 * be one of 200, 300, 400, 500, else ProtocolError(ZAP_INVALID_STATUS_CODE); a userId that is
 * not a string or metadata that is not a Map is ProtocolError(ZAP_MALFORMED_REPLY).
 */
export function checkedReply(reply: AuthReply): CheckedReply {
  if (typeof reply !== "object" || reply === null) {
    throw protocolError(ErrorCode.ZAP_MALFORMED_REPLY, `expected an authentication reply object, got ${reply === null ? "null" : typeof reply}`)
  }
  const status = checkedStatus(reply.status)
  const userId: unknown = reply.userId ?? ""
  if (typeof userId !== "string") {
    throw protocolError(ErrorCode.ZAP_MALFORMED_REPLY, `expected the reply's userId as a string, got ${typeof userId}`)
  }
  const metadata: unknown = reply.metadata ?? new Map()
  if (!(metadata instanceof Map)) {
    throw protocolError(ErrorCode.ZAP_MALFORMED_REPLY, `expected the reply's metadata as a Map, got ${typeof metadata}`)
  }
  return { status, userId, metadata: metadata as Metadata }
}

function checkedStatus(status: unknown): number {
  if (typeof status !== "number" || !VALID_STATUSES.includes(status)) {
    throw protocolError(
      ErrorCode.ZAP_INVALID_STATUS_CODE,
      `expected an authentication status of 200, 300, 400 or 500, got ${
        typeof status === "number" ? String(status) : typeof status
      }`,
    )
  }
  return status
}

/**
 * Outputs of a server refusing its peer with `status` (300, 400 or 500): ERROR (except for
 * 300, see the file comment) then `failed` with AuthError(status).
 */
export function refusalOutputs(status: number, statusText: string | undefined): MechanismOutput[] {
  const detail = typeof statusText === "string" && statusText !== "" ? `: ${statusText.slice(0, 200)}` : ""
  const failed: MechanismOutput = {
    type: "failed",
    error: new AuthError(status, `authentication refused with status ${status}${detail}`),
  }
  if (status === ZapStatus.TEMPORARY_FAILURE) return [failed]
  return [{ type: "command", command: { name: Command.ERROR, data: encodeError(String(status)) } }, failed]
}

/**
 * The error a received ERROR command stands for (see the file comment). Throws
 * ProtocolError(MALFORMED_COMMAND_ERROR) when the data is not a well-formed reason.
 */
export function peerRefusalError(data: Uint8Array): ProtocolError {
  const reason = decodeError(data)
  if (STATUS_REASON.test(reason)) {
    const status = Number(reason)
    return new AuthError(status, `the peer refused authentication with status ${status}`)
  }
  return protocolError(ErrorCode.UNSPECIFIED, `the peer sent ERROR: ${JSON.stringify(reason)}`)
}

/** The `failed` output for a received ERROR command. */
export function peerRefusalOutputs(data: Uint8Array): MechanismOutput[] {
  return [{ type: "failed", error: peerRefusalError(data) }]
}
