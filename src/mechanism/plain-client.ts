/**
 * The PLAIN mechanism, client role (RFC 24).
 *
 *   plain    = C:hello ( S:welcome | S:error ) C:initiate ( S:ready | S:error ) ...
 *   hello    = command-size %d5 "HELLO" username password     ; each OCTET *VCHAR
 *   welcome  = command-size %d7 "WELCOME"
 *   initiate = command-size %d8 "INITIATE" metadata
 *   ready    = command-size %d5 "READY" metadata
 *
 * States: WAITING_FOR_WELCOME -> WAITING_FOR_READY -> READY. ERROR is accepted while waiting
 * for WELCOME or READY (libzmq plain_client.cpp) and ends the handshake with `failed`.
 *
 * libzmq quirk: a libzmq PLAIN server (4.3.5, still so on master) sends its ERROR command with
 * the name "\x5ERROR" — the C literal "\x05ERROR" in plain_common.hpp, read by C as the hex
 * escape \x05E. On the wire, for status 400:
 *
 *     04 09 5E 52 52 4F 52 03 34 30 30
 *     |  |  `- ^  R  R  O  R `--+-----' reason "400" (length 3)
 *     |  `- body size 9
 *     `- command frame flags
 *
 * The body does not parse as a command (name length 0x5E = 94 runs past the 9-octet body), so
 * the generic decodeCommand() refuses it, as it should. `decodeHandshakeCommand()` below accepts
 * exactly that 9-octet shape (prefix 5E 52 52 4F 52, then reason length 3 and the reason) as an
 * ERROR command, for this client only; everything else goes to decodeCommand() unchanged.
 * Pure.
 */
import { ErrorCode, argumentError, protocolError } from "../errors.js"
import { Command, LIBZMQ_PLAIN_ERROR_PREFIX, Mechanism, PLAIN_FIELD_MAX } from "../wire/constants.js"
import { decodeCommand } from "../wire/command.js"
import { decodeReady } from "../wire/commands.js"
import { encodeMetadata } from "../wire/metadata.js"
import type { CommandFrame, Frame } from "../wire/types.js"
import type { AuthReply, MechanismOutput, MechanismOptions, SecurityMechanism } from "./mechanism.js"
import { peerRefusalOutputs } from "./refusal.js"
import { unexpectedCommand } from "./unexpected-command.js"

const State = {
  START: "START",
  WAITING_FOR_WELCOME: "WAITING_FOR_WELCOME",
  WAITING_FOR_READY: "WAITING_FOR_READY",
  READY: "READY",
  FAILED: "FAILED",
} as const
type State = (typeof State)[keyof typeof State]

/** libzmq's misspelt ERROR body: 5-octet prefix, reason length 3, 3-digit status. */
const LIBZMQ_PLAIN_ERROR_SIZE = LIBZMQ_PLAIN_ERROR_PREFIX.length + 1 + 3

const textEncoder = new TextEncoder()

/** The credential as UTF-8, at most 255 octets (RFC 24: one-octet length). */
function credential(value: string | undefined, what: string): Uint8Array {
  if (value === undefined) return new Uint8Array(0)
  if (typeof value !== "string") {
    throw argumentError("type", `expected ${what} as a string, got ${typeof value}`)
  }
  const bytes = textEncoder.encode(value)
  if (bytes.length > PLAIN_FIELD_MAX) {
    throw argumentError("range", `expected ${what} of at most ${PLAIN_FIELD_MAX} UTF-8 octets, got ${bytes.length} octets`)
  }
  return bytes
}

export class PlainClient implements SecurityMechanism {
  readonly name = Mechanism.PLAIN
  readonly asServer = false
  readonly #options: MechanismOptions
  #username: Uint8Array
  #password: Uint8Array
  #state: State = State.START

  constructor(username: string | undefined, password: string | undefined, options: MechanismOptions) {
    this.#username = credential(username, "plainUsername")
    this.#password = credential(password, "plainPassword")
    this.#options = options
  }

  get isReady(): boolean {
    return this.#state === State.READY
  }

  start(): MechanismOutput[] {
    if (this.#state !== State.START) throw new Error("PlainClient.start() called twice")
    const user = this.#username
    const pass = this.#password
    const data = new Uint8Array(2 + user.length + pass.length)
    data[0] = user.length
    data.set(user, 1)
    data[1 + user.length] = pass.length
    data.set(pass, 2 + user.length)
    // The password is no longer needed here; it now lives only in the command being sent.
    this.#password.fill(0)
    this.#password = new Uint8Array(0)
    this.#state = State.WAITING_FOR_WELCOME
    return [{ type: "command", command: { name: Command.HELLO, data } }]
  }

  /** See the file comment: libzmq's PLAIN ERROR, else the generic command parser. */
  decodeHandshakeCommand(body: Uint8Array): CommandFrame {
    if (isLibzmqPlainError(body)) {
      return { name: Command.ERROR, data: body.subarray(LIBZMQ_PLAIN_ERROR_PREFIX.length) }
    }
    return decodeCommand(body)
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
    if (command.name === Command.ERROR && (state === State.WAITING_FOR_WELCOME || state === State.WAITING_FOR_READY)) {
      const outputs = peerRefusalOutputs(command.data)
      this.#state = State.FAILED
      return outputs
    }
    if (state === State.WAITING_FOR_WELCOME && command.name === Command.WELCOME) {
      if (command.data.length !== 0) {
        throw protocolError(
          ErrorCode.MALFORMED_COMMAND_WELCOME,
          `PLAIN: expected an empty WELCOME, got ${command.data.length} octets of data`,
        )
      }
      this.#state = State.WAITING_FOR_READY
      return [
        { type: "command", command: { name: Command.INITIATE, data: encodeMetadata(this.#options.metadata) } },
      ]
    }
    if (state === State.WAITING_FOR_READY && command.name === Command.READY) {
      const peerMetadata = decodeReady(command.data)
      this.#state = State.READY
      return [{ type: "ready", peerMetadata, userId: "", authMetadata: new Map() }]
    }
    const expected =
      state === State.WAITING_FOR_WELCOME
        ? [Command.WELCOME, Command.ERROR]
        : state === State.WAITING_FOR_READY
          ? [Command.READY, Command.ERROR]
          : []
    throw unexpectedCommand("PLAIN client", state, expected, command)
  }

  authReply(_reply: AuthReply): MechanismOutput[] {
    throw new Error("PlainClient.authReply(): a PLAIN client never asks to authenticate")
  }

  encode(frame: Frame): Frame {
    return frame
  }

  decode(frame: Frame): Frame {
    return frame
  }

  destroy(): void {
    this.#password.fill(0)
    this.#password = new Uint8Array(0)
    if (this.#state !== State.READY) this.#state = State.FAILED
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `PlainClient { state: ${this.#state} }`
  }
}

function isLibzmqPlainError(body: Uint8Array): boolean {
  if (body.length !== LIBZMQ_PLAIN_ERROR_SIZE) return false
  const prefix = LIBZMQ_PLAIN_ERROR_PREFIX
  for (let i = 0; i < prefix.length; i++) {
    if (body[i] !== prefix[i]) return false
  }
  return body[prefix.length] === 3
}
