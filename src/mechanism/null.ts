/**
 * The NULL security mechanism (RFC 37 "The NULL Security Mechanism"), both roles.
 *
 *   null  = ready *message | error
 *   ready = command-size %d5 "READY" metadata
 *
 * Each side sends READY with its metadata and waits for the peer's READY; the handshake is
 * complete once both were sent and received. A side with `options.authenticate` asks its
 * authenticate hook (credentials [], RFC 27 "The NULL Mechanism") before sending READY; the
 * engine sets it when a ZAP domain is configured, and like libzmq's zap_required() that does
 * not depend on the role (NULL has no roles on the wire: as-server is always 0). On refusal it
 * sends ERROR "400"/"500" instead of READY (nothing for 300: see ./refusal.ts).
 *
 * When it asks:
 *   - asServer (the binding side): after the peer's READY, so the request carries the peer's
 *     Identity. RFC 37 allows this ("The server SHOULD parse, and MAY validate the READY").
 *   - otherwise: at start(), like libzmq (which asks before reading anything), with an empty
 *     routingId. So two peers that both authenticate never wait for each other.
 *
 * A received ERROR ends the handshake with a `failed` output (./refusal.ts decides between
 * AuthError and ProtocolError(UNSPECIFIED)). Traffic is not transformed: encode/decode return
 * the very frame they are given. Pure.
 */
import { Command, Mechanism, Property } from "../wire/constants.js"
import { decodeReady, encodeReady } from "../wire/commands.js"
import { getProperty } from "../wire/metadata.js"
import type { CommandFrame, Frame, Metadata } from "../wire/types.js"
import type { AuthReply, AuthRequest, MechanismOptions, MechanismOutput, SecurityMechanism } from "./mechanism.js"
import { checkedReply, peerRefusalOutputs, refusalOutputs } from "./refusal.js"
import { unexpectedCommand } from "./unexpected-command.js"

const State = {
  START: "START",
  HANDSHAKING: "HANDSHAKING",
  READY: "READY",
  FAILED: "FAILED",
} as const
type State = (typeof State)[keyof typeof State]

const EMPTY = new Uint8Array(0)

export class NullMechanism implements SecurityMechanism {
  readonly name = Mechanism.NULL
  readonly asServer: boolean
  readonly #options: MechanismOptions
  #state: State = State.START
  /** Our READY went out. */
  #readySent = false
  /** The peer's READY came in. */
  #peerMetadata: Metadata | undefined
  /** An `authenticate` output is waiting for authReply(). */
  #authPending = false
  #userId = ""
  #authMetadata: Metadata = new Map()

  constructor(asServer: boolean, options: MechanismOptions) {
    this.asServer = asServer
    this.#options = options
  }

  get isReady(): boolean {
    return this.#state === State.READY
  }

  start(): MechanismOutput[] {
    if (this.#state !== State.START) throw new Error("NullMechanism.start() called twice")
    this.#state = State.HANDSHAKING
    if (this.#options.authenticate !== true) return this.#sendReady()
    if (this.asServer) return [] // ask once the peer's READY is in
    return [this.#ask(EMPTY)]
  }

  receive(command: CommandFrame): MechanismOutput[] {
    try {
      return this.#receive(command)
    } catch (err) {
      this.#state = State.FAILED
      throw err
    }
  }

  #receive(command: CommandFrame): MechanismOutput[] {
    if (this.#state !== State.HANDSHAKING || this.#peerMetadata !== undefined) {
      throw unexpectedCommand("NULL", this.#peerMetadata !== undefined ? "READY received" : this.#state, [], command)
    }
    if (command.name === Command.ERROR) {
      const outputs = peerRefusalOutputs(command.data)
      this.#state = State.FAILED
      return outputs
    }
    if (command.name !== Command.READY) {
      throw unexpectedCommand("NULL", this.#state, [Command.READY, Command.ERROR], command)
    }
    const peerMetadata = decodeReady(command.data)
    this.#peerMetadata = peerMetadata
    if (this.#readySent) return this.#finish()
    if (this.#authPending) return [] // asked at start(); the answer will finish the handshake
    return [this.#ask(getProperty(peerMetadata, Property.IDENTITY) ?? EMPTY)]
  }

  authReply(reply: AuthReply): MechanismOutput[] {
    if (!this.#authPending || this.#state !== State.HANDSHAKING) {
      throw new Error(`NullMechanism.authReply() called with no authentication pending (state ${this.#state})`)
    }
    this.#authPending = false
    try {
      const { status, userId, metadata } = checkedReply(reply)
      if (status !== 200) {
        this.#state = State.FAILED
        return refusalOutputs(status, reply.statusText)
      }
      this.#userId = userId
      this.#authMetadata = metadata
      const outputs = this.#sendReady()
      if (this.#peerMetadata !== undefined) outputs.push(...this.#finish())
      return outputs
    } catch (err) {
      this.#state = State.FAILED
      throw err
    }
  }

  encode(frame: Frame): Frame {
    return frame
  }

  decode(frame: Frame): Frame {
    return frame
  }

  destroy(): void {
    if (this.#state !== State.READY) this.#state = State.FAILED
  }

  #ask(routingId: Uint8Array): MechanismOutput {
    this.#authPending = true
    const request: AuthRequest = {
      domain: this.#options.zapDomain ?? "",
      address: this.#options.peerAddress ?? "",
      routingId,
      mechanism: Mechanism.NULL,
      credentials: [],
    }
    return { type: "authenticate", request }
  }

  #sendReady(): MechanismOutput[] {
    this.#readySent = true
    return [{ type: "command", command: { name: Command.READY, data: encodeReady(this.#options.metadata) } }]
  }

  #finish(): MechanismOutput[] {
    this.#state = State.READY
    return [
      {
        type: "ready",
        peerMetadata: this.#peerMetadata as Metadata,
        userId: this.#userId,
        authMetadata: this.#authMetadata,
      },
    ]
  }
}
