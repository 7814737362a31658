/**
 * The PLAIN mechanism, server role (RFC 24; wire behaviour of libzmq plain_server.cpp).
 *
 *   hello = command-size %d5 "HELLO" username password     ; each OCTET *VCHAR
 *
 * States: WAITING_FOR_HELLO -> WAITING_FOR_AUTH -> WAITING_FOR_INITIATE -> READY.
 *
 * The server ALWAYS asks its authenticate hook (credentials [username, password], RFC 27
 * "The PLAIN Mechanism"), whatever `options.authenticate` says: a PLAIN server that cannot check
 * the password must not accept everyone (the engine answers 400 when no hook is configured).
 * HELLO is parsed like libzmq: both length octets present, and the password running exactly to
 * the end of the command, else ProtocolError(MALFORMED_COMMAND_HELLO). Username and password
 * are opaque octets (libzmq does not enforce RFC 24's VCHAR either).
 *
 * The client's Identity is not known when the hook is asked (it comes later, in INITIATE), so
 * the request's routingId is empty. (libzmq sends its own socket's routing id there.)
 * Pure.
 */
import { ErrorCode, protocolError } from "../errors.js"
import { Command, Mechanism } from "../wire/constants.js"
import { decodeMetadata, encodeMetadata } from "../wire/metadata.js"
import type { CommandFrame, Frame, Metadata } from "../wire/types.js"
import type { AuthReply, MechanismOutput, MechanismOptions, SecurityMechanism } from "./mechanism.js"
import { checkedReply, refusalOutputs } from "./refusal.js"
import { unexpectedCommand } from "./unexpected-command.js"
import { secretBytes, wipe } from "../crypto/nacl.js"

const State = {
  WAITING_FOR_HELLO: "WAITING_FOR_HELLO",
  WAITING_FOR_AUTH: "WAITING_FOR_AUTH",
  WAITING_FOR_INITIATE: "WAITING_FOR_INITIATE",
  READY: "READY",
  FAILED: "FAILED",
} as const
type State = (typeof State)[keyof typeof State]

const EMPTY = new Uint8Array(0)

export class PlainServer implements SecurityMechanism {
  readonly name = Mechanism.PLAIN
  readonly asServer = true
  readonly #options: MechanismOptions
  #state: State = State.WAITING_FOR_HELLO
  /** The password of HELLO until the authenticator answered (then wiped). */
  #password: Uint8Array = EMPTY
  #userId = ""
  #authMetadata: Metadata = new Map()

  constructor(options: MechanismOptions) {
    this.#options = options
  }

  get isReady(): boolean {
    return this.#state === State.READY
  }

  start(): MechanismOutput[] {
    return []
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
    const state = this.#state
    if (state === State.WAITING_FOR_HELLO && command.name === Command.HELLO) {
      return this.#onHello(command.data)
    }
    if (state === State.WAITING_FOR_INITIATE && command.name === Command.INITIATE) {
      const peerMetadata = decodeMetadata(command.data)
      this.#state = State.READY
      return [
        { type: "command", command: { name: Command.READY, data: encodeMetadata(this.#options.metadata) } },
        { type: "ready", peerMetadata, userId: this.#userId, authMetadata: this.#authMetadata },
      ]
    }
    const expected =
      state === State.WAITING_FOR_HELLO
        ? [Command.HELLO]
        : state === State.WAITING_FOR_INITIATE
          ? [Command.INITIATE]
          : []
    throw unexpectedCommand("PLAIN server", state, expected, command)
  }

  #onHello(data: Uint8Array): MechanismOutput[] {
    // hello = username password ; each field = OCTET *VCHAR (one-octet length, then octets)
    if (data.length < 1) throw malformedHello("no username length")
    const userLength = data[0] as number
    if (userLength > data.length - 1) throw malformedHello(`a username of ${userLength} octets in ${data.length - 1}`)
    const passAt = 1 + userLength
    if (passAt >= data.length) throw malformedHello("no password length")
    const passLength = data[passAt] as number
    const rest = data.length - passAt - 1
    if (passLength !== rest) throw malformedHello(`a password of ${passLength} octets where ${rest} remain`)
    // Copies: the request may outlive the network buffer these octets arrived in. The password
    // goes where a wipe erases it (secretBytes: off V8's moving heap), and the copy in the
    // network buffer is wiped at once; ours is wiped once the authenticator answered (issue 14
    // item 5: no password left in memory after the handshake).
    const username = data.slice(1, passAt)
    const password = secretBytes(passLength)
    password.set(data.subarray(passAt + 1))
    wipe(data.subarray(passAt + 1))
    this.#password = password
    this.#state = State.WAITING_FOR_AUTH
    return [
      {
        type: "authenticate",
        request: {
          domain: this.#options.zapDomain ?? "",
          address: this.#options.peerAddress ?? "",
          routingId: EMPTY,
          mechanism: Mechanism.PLAIN,
          credentials: [username, password],
        },
      },
    ]
  }

  authReply(reply: AuthReply): MechanismOutput[] {
    if (this.#state !== State.WAITING_FOR_AUTH) {
      throw new Error(`PlainServer.authReply() called in state ${this.#state}, expected WAITING_FOR_AUTH`)
    }
    this.#wipePassword() // the authenticator has answered: the credentials are not needed again
    try {
      const { status, userId, metadata } = checkedReply(reply)
      if (status !== 200) {
        this.#state = State.FAILED
        return refusalOutputs(status, reply.statusText)
      }
      this.#userId = userId
      this.#authMetadata = metadata
      this.#state = State.WAITING_FOR_INITIATE
      return [{ type: "command", command: { name: Command.WELCOME, data: EMPTY } }]
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
    this.#wipePassword()
    if (this.#state !== State.READY) this.#state = State.FAILED
  }

  #wipePassword(): void {
    if (this.#password.length !== 0) wipe(this.#password)
    this.#password = EMPTY
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `PlainServer { state: ${this.#state} }`
  }
}

function malformedHello(what: string): Error {
  return protocolError(ErrorCode.MALFORMED_COMMAND_HELLO, `PLAIN: malformed HELLO, expected username and password, got ${what}`)
}
