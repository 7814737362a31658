/**
 * The interface every security mechanism implements (one class per mechanism and role), in the
 * manner of JeroMQ's mechanisms but sans-IO: commands in, outputs out; no sockets, no timers.
 *
 * Life of a mechanism:
 *   start()                 -> outputs (e.g. the client's HELLO, NULL's READY)
 *   receive(command)        -> outputs, for each handshake command from the peer
 *   authReply(reply)        -> outputs, after the server emitted an `authenticate` output
 *   ... until an output of type `ready`; then encode()/decode() for every frame of traffic.
 * Any bad input throws a ProtocolError (see ../errors.ts). An authentication refusal is
 * reported as a `failed` output preceded by the ERROR command to send.
 */
import type { MechanismName } from "../wire/constants.js"
import type { CommandFrame, Frame, Metadata } from "../wire/types.js"
import type { ProtocolError } from "../errors.js"
import type { FrameEncoder } from "../wire/frame-encoder.js"

/** What the server side asks its authenticate hook: shaped like a ZAP request (RFC 27). */
export interface AuthRequest {
  /** ZAP domain (zapDomain option); may be empty. */
  domain: string
  /** Peer's IP address (or "" for ipc). */
  address: string
  /** Peer's routing id as announced in its metadata (may be empty). */
  routingId: Uint8Array
  mechanism: MechanismName
  /** NULL: []; PLAIN: [username, password]; CURVE: [client long-term public key, 32 octets]. */
  credentials: Uint8Array[]
}

/** The hook's answer: shaped like a ZAP reply (RFC 27). */
export interface AuthReply {
  /** 200 success, 300 temporary failure, 400 authentication failure, 500 internal error. */
  status: number
  statusText?: string
  /** Authenticated identity, becomes the connection's `User-Id` property. */
  userId?: string
  /** Extra connection properties to attach to every message of this connection. */
  metadata?: Metadata
}

export type Authenticate = (request: AuthRequest) => AuthReply | Promise<AuthReply>

/** What a mechanism gives out. */
export type MechanismOutput =
  /** Send this command to the peer. */
  | { type: "command"; command: CommandFrame }
  /** Server only: ask the authenticate hook, then call `authReply()` with its answer. */
  | { type: "authenticate"; request: AuthRequest }
  /** Handshake complete. `peerMetadata` is what the peer sent in READY/INITIATE. */
  | {
      type: "ready"
      peerMetadata: Metadata
      /** Set by the server from the auth reply ("" when no authentication took place). */
      userId: string
      /** Server-added properties from the auth reply. */
      authMetadata: Metadata
      /** CURVE: the peer's long-term public key (server: the client's; client: the server's). */
      peerPublicKey?: Uint8Array
    }
  /** Handshake failed after sending any ERROR output that precedes this one. */
  | { type: "failed"; error: ProtocolError }

/** Injected sources, so handshakes are deterministic in tests. */
export interface MechanismEnvironment {
  /** Fill and return `n` random octets. */
  randomBytes(n: number): Uint8Array
  /** Milliseconds, monotonic (used for the CURVE cookie key lifetime). */
  now(): number
}

export interface MechanismOptions {
  /** Metadata this side announces (Socket-Type, Identity, ...). */
  metadata: Metadata
  /** Server side: ZAP domain put into each AuthRequest. */
  zapDomain?: string
  /** Server side: peer address for AuthRequest. */
  peerAddress?: string
  /**
   * Server side: whether to emit an `authenticate` output at all. NULL asks only when a
   * domain is set (RFC 27 / libzmq); PLAIN and CURVE always ask when this is true.
   */
  authenticate?: boolean
  env: MechanismEnvironment
}

export interface SecurityMechanism {
  readonly name: MechanismName
  readonly asServer: boolean
  /** True once the `ready` output was given. */
  readonly isReady: boolean
  start(): MechanismOutput[]
  receive(command: CommandFrame): MechanismOutput[]
  authReply(reply: AuthReply): MechanismOutput[]
  /** After ready: wrap one outgoing frame for the wire (NULL/PLAIN: identity). */
  encode(frame: Frame): Frame
  /**
   * Optional, after ready: encode() and queue the result on `encoder` in one step, building the
   * wire frame in the encoder's own buffer (CURVE: no per-message allocation or second copy).
   * The engine calls this, when present, instead of encode() + add() for message frames.
   */
  encodeInto?(frame: Frame, encoder: FrameEncoder): void
  /** After ready: unwrap one incoming frame (CURVE: decrypt a MESSAGE). Throws ProtocolError. */
  decode(frame: Frame): Frame
  /**
   * Optional, after ready: decode() of the frame body at `bytes[at .. at + size]`, whatever the
   * outer frame flags (CURVE ignores them, as libzmq does). The engine calls this, when present,
   * with FrameDecoder.nextInPlace(), so no view of the wire frame is made (CURVE: the box is
   * opened where it lies in the read buffer). Throws ProtocolError as decode().
   */
  decodeInPlace?(bytes: Uint8Array, at: number, size: number): Frame
  /** Wipe secrets held by this mechanism. */
  destroy(): void
  /**
   * Optional: split a handshake command frame body into name and data, for a mechanism that
   * must accept a peer quirk the generic `decodeCommand()` (../wire/command.ts) rightly
   * refuses. The engine calls this, when present, instead of `decodeCommand()` for handshake
   * command frames. Only the PLAIN client has one (libzmq's misspelt PLAIN ERROR, see
   * ./plain-client.ts). Throws ProtocolError like `decodeCommand()`.
   */
  decodeHandshakeCommand?(body: Uint8Array): CommandFrame
}
