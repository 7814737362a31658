/**
 * Events of the end-to-end layer: every refusal, drop and session change is one typed event
 * (STYLE.md "Failure policy is explicit"), never a silent drop and never an exception out of the
 * event loop. `code` is an ErrorCode of ../errors.ts when a ProtocolError stands behind the
 * event, else one of E2eCode. Events never carry key material or plaintext. Pure.
 */
import type { ErrorCode } from "../errors.js"

/** Codes of the end-to-end layer that no ZMTP error names. */
export const E2eCode = {
  /** A MESSAGE arrived from an envelope with no session (expired, shed, relay reconnected, or injected). */
  UNKNOWN_SESSION: "ERR_E2E_UNKNOWN_SESSION",
  /** A short nonce was skipped: a command was lost or withheld, the message it fell in is discarded. */
  NONCE_GAP: "ERR_E2E_NONCE_GAP",
  /** The frame is not a CurveZMQ command (or not one this side accepts in this state). */
  NOT_A_COMMAND: "ERR_E2E_NOT_A_COMMAND",
  /** A session was idle longer than idleTimeoutMs. */
  EXPIRED: "ERR_E2E_EXPIRED",
  /** A session was closed to make room for a new one (maxSessions), the least recently active first. */
  SHED: "ERR_E2E_SHED",
  /** A session was replaced by a new handshake from the same envelope. */
  REPLACED: "ERR_E2E_REPLACED",
  /** No READY (client) or no authentication answer (server) within handshakeTimeoutMs. */
  HANDSHAKE_TIMEOUT: "ERR_E2E_HANDSHAKE_TIMEOUT",
  /** The server told the client it has no session for it (an unauthenticated hint: re-handshake). */
  SESSION_LOST: "ERR_E2E_SESSION_LOST",
  /** Too many messages queued while the handshake runs (maxQueuedMessages). */
  QUEUE_FULL: "ERR_E2E_QUEUE_FULL",
  /** maxPendingAuth handshakes already wait for the authenticate hook: a new INITIATE is refused. */
  BUSY: "ERR_E2E_BUSY",
  /** The session or client was closed by the application. */
  CLOSED: "ERR_E2E_CLOSED",
} as const
export type E2eCode = (typeof E2eCode)[keyof typeof E2eCode]

export type E2eEventType =
  /** A received command was dropped; the session, if there is one, goes on. */
  | "dropped"
  /** A handshake command was refused (server: HELLO/INITIATE, client: WELCOME/READY). */
  | "handshake-refused"
  /** The authenticate hook refused the client (status 300/400/500); `status` says which. */
  | "auth-refused"
  /** A session was established (server: after authentication; client: READY). */
  | "session-opened"
  /** A session ended (expired, shed, replaced, closed). */
  | "session-closed"
  /** The client starts a new handshake by itself (timeout, session lost, idle). */
  | "rehandshake"

export interface E2eEvent {
  type: E2eEventType
  /** Set on every refusal, drop and close (absent on session-opened). */
  code?: ErrorCode | E2eCode
  /** Human-readable, without secrets or payload bytes. */
  detail: string
  /** Server: the session concerned, when known. */
  peerId?: string
  /** auth-refused: the authenticate hook's status. */
  status?: number
}

/** Thrown by send()/receive() of a closed or permanently failed session (and by server.send to a gone peer). */
export class E2eError extends Error {
  readonly code: ErrorCode | E2eCode
  constructor(code: ErrorCode | E2eCode, message: string) {
    super(message)
    this.name = "E2eError"
    this.code = code
  }
}
