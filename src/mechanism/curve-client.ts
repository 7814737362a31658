/**
 * The CURVE mechanism, client role (RFC 25, RFC 26; wire behaviour of libzmq curve_client.cpp
 * and curve_client_tools.hpp). Field offsets: ./curve-layout.ts.
 *
 *   start()            -> HELLO    (C', short nonce 1, Box[64 zeros](C'->S))
 *   WELCOME            -> INITIATE (cookie, short nonce 2, Box[C + vouch + metadata](C'->S'))
 *   READY              -> ready    (Box[metadata](S'->C') opened; traffic key kept)
 *   ERROR (any time before READY) -> failed (./refusal.ts)
 *
 * Errors: wrong name for the state UNEXPECTED_COMMAND; WELCOME not exactly 168 octets
 * MALFORMED_COMMAND_WELCOME (libzmq reports CRYPTOGRAPHIC for this one); READY under 30 octets
 * MALFORMED_COMMAND_READY; a box that does not open CRYPTOGRAPHIC; READY metadata that does not
 * parse INVALID_METADATA; an all-zero or low-order server key S or transient key S'
 * KEY_EXCHANGE (start() throws it for S).
 *
 * Randomness (the transient key pair, the vouch nonce) comes from `options.env.randomBytes`.
 * Secrets: c' is wiped once the traffic key is computed, our copy of c once the vouch is made,
 * the HELLO/WELCOME key k(S, c') after WELCOME; the traffic key k(S', c') lives in the message
 * codec until destroy(). Any failure wipes everything. Pure (no node:* imports).
 */
import { ErrorCode, protocolError } from "../errors.js"
import {
  MAC_BYTES,
  generateKeyPair,
  isWeakPublicKey,
  openInto,
  precompute,
  sealInto,
  wipe,
} from "../crypto/nacl.js"
import { CURVE_KEY_SIZE, CURVE_NONCE_PREFIX, CURVE_READY_MIN_SIZE, CURVE_WELCOME_SIZE, Command, Mechanism } from "../wire/constants.js"
import { decodeMetadata, encodeMetadata } from "../wire/metadata.js"
import type { CommandFrame, Frame } from "../wire/types.js"
import type { FrameEncoder } from "../wire/frame-encoder.js"
import { CurveVersion, Hello, Initiate, LONG_NONCE_SIZE, Ready, Vouch, Welcome } from "./curve-layout.js"
import {
  CurveMessageCodec,
  ShortNonceCounter,
  ShortNonceWindow,
  decodeTraffic,
  decodeTrafficInPlace,
  encodeTraffic,
  encodeTrafficInto,
  nonceWith,
  wipeSecrets,
  type NonceOrder,
} from "./curve-message.js"
import type { CurveClientOptions } from "./curve-options.js"
import { keyArgument } from "./key-argument.js"
import type { AuthReply, MechanismOptions, MechanismOutput, SecurityMechanism } from "./mechanism.js"
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

const HELLO_SIGNATURE = new Uint8Array(Hello.SIGNATURE_SIZE)
const EMPTY = new Uint8Array(0)

export interface CurveClientKeys {
  /** Our long-term public key C. */
  publicKey: Uint8Array
  /** Our long-term secret key c. */
  secretKey: Uint8Array
  /** The server's long-term public key S. */
  serverKey: Uint8Array
}

export class CurveClient implements SecurityMechanism {
  readonly name = Mechanism.CURVE
  readonly asServer = false
  readonly #options: MechanismOptions
  #state: State = State.START
  readonly #serverKey: Uint8Array
  readonly #publicKey: Uint8Array
  #secretKey: Uint8Array
  #transientPublic: Uint8Array = EMPTY
  #transientSecret: Uint8Array = EMPTY
  /** k(S, c'): opens WELCOME (and sealed HELLO). */
  #helloKey: Uint8Array = EMPTY
  /** k(S', c'): INITIATE, READY and every MESSAGE. Handed to #codec when ready. */
  #trafficKey: Uint8Array = EMPTY
  readonly #sendCounter = new ShortNonceCounter()
  readonly #receiveWindow = new ShortNonceWindow()
  #codec: CurveMessageCodec | undefined

  /**
   * TypeError/RangeError unless each key is a 32-octet Uint8Array (copied). `curve`: nonce byte
   * orders for the end-to-end layer (./curve-options.ts); the engine passes none.
   */
  constructor(keys: CurveClientKeys, options: MechanismOptions, curve: CurveClientOptions = {}) {
    this.#publicKey = keyArgument(keys.publicKey, "curvePublicKey")
    this.#secretKey = keyArgument(keys.secretKey, "curveSecretKey")
    this.#serverKey = keyArgument(keys.serverKey, "curveServerKey")
    this.#options = options
    if (curve.nonceOrder !== undefined) this.#sendCounter.order = curve.nonceOrder
    if (curve.peerNonceOrder !== undefined) this.#receiveWindow.order = curve.peerNonceOrder
  }

  get isReady(): boolean {
    return this.#state === State.READY
  }

  /** The byte order of the peer's short nonces as configured or, with "auto", as detected so far. */
  get peerNonceOrder(): NonceOrder | "auto" {
    return this.#receiveWindow.order
  }

  start(): MechanismOutput[] {
    if (this.#state !== State.START) throw new Error("CurveClient.start() called twice")
    return this.#guard(() => {
      if (isWeakPublicKey(this.#serverKey)) {
        throw protocolError(ErrorCode.KEY_EXCHANGE, "CURVE: the server public key is all-zero or a low-order point")
      }
      const env = this.#options.env
      const transient = generateKeyPair((n) => env.randomBytes(n))
      this.#transientPublic = transient.publicKey
      this.#transientSecret = transient.secretKey
      this.#helloKey = precompute(this.#serverKey, this.#transientSecret)

      const data = new Uint8Array(Hello.DATA_SIZE)
      data[Hello.VERSION_AT] = CurveVersion.MAJOR
      data[Hello.VERSION_AT + 1] = CurveVersion.MINOR
      // Hello.PADDING_AT..: 72 zero octets of anti-amplification padding (already zero).
      data.set(this.#transientPublic, Hello.CLIENT_KEY_AT)
      this.#sendCounter.writeNext(data, Hello.NONCE_AT)
      const nonce = nonceWith(CURVE_NONCE_PREFIX.HELLO, data.subarray(Hello.NONCE_AT, Hello.BOX_AT))
      sealInto(data.subarray(Hello.BOX_AT), HELLO_SIGNATURE, nonce, this.#helloKey)
      this.#state = State.WAITING_FOR_WELCOME
      return [{ type: "command", command: { name: Command.HELLO, data } }]
    })
  }

  receive(command: CommandFrame): MechanismOutput[] {
    return this.#guard(() => {
      const state = this.#state
      if (command.name === Command.ERROR && (state === State.WAITING_FOR_WELCOME || state === State.WAITING_FOR_READY)) {
        const outputs = peerRefusalOutputs(command.data)
        this.#fail()
        return outputs
      }
      if (state === State.WAITING_FOR_WELCOME && command.name === Command.WELCOME) return this.#onWelcome(command.data)
      if (state === State.WAITING_FOR_READY && command.name === Command.READY) return this.#onReady(command.data)
      const expected =
        state === State.WAITING_FOR_WELCOME
          ? [Command.WELCOME, Command.ERROR]
          : state === State.WAITING_FOR_READY
            ? [Command.READY, Command.ERROR]
            : []
      throw unexpectedCommand("CURVE client", state, expected, command)
    })
  }

  #onWelcome(data: Uint8Array): MechanismOutput[] {
    if (data.length !== Welcome.DATA_SIZE) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_WELCOME,
        `CURVE: expected a WELCOME of ${CURVE_WELCOME_SIZE} octets, got ${data.length + CURVE_WELCOME_SIZE - Welcome.DATA_SIZE}`,
      )
    }
    // Box [S' + cookie](S->C'), nonce "WELCOME-" + 16 octets
    const nonce = nonceWith(CURVE_NONCE_PREFIX.WELCOME, data.subarray(Welcome.NONCE_AT, Welcome.BOX_AT))
    const plaintext = new Uint8Array(Welcome.PLAINTEXT_SIZE)
    if (!openInto(plaintext, data.subarray(Welcome.BOX_AT), nonce, this.#helloKey)) {
      throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the WELCOME box did not open (wrong server key?)")
    }
    wipe(this.#helloKey)
    this.#helloKey = EMPTY
    const serverTransient = plaintext.subarray(0, CURVE_KEY_SIZE)
    const cookie = plaintext.subarray(CURVE_KEY_SIZE)
    if (isWeakPublicKey(serverTransient)) {
      throw protocolError(ErrorCode.KEY_EXCHANGE, "CURVE: the server transient key is all-zero or a low-order point")
    }
    this.#trafficKey = precompute(serverTransient, this.#transientSecret)
    wipe(this.#transientSecret)
    this.#transientSecret = EMPTY

    // vouch = "VOUCH---" long nonce + Box [C' + S](C->S')
    const vouchNonceTail = this.#options.env.randomBytes(LONG_NONCE_SIZE)
    const vouchPlaintext = new Uint8Array(Vouch.PLAINTEXT_SIZE)
    vouchPlaintext.set(this.#transientPublic, 0)
    vouchPlaintext.set(this.#serverKey, CURVE_KEY_SIZE)
    const vouchKey = precompute(serverTransient, this.#secretKey)
    wipe(this.#secretKey)
    this.#secretKey = EMPTY

    // Box [C + vouch + metadata](C'->S')
    const metadata = encodeMetadata(this.#options.metadata)
    const plain = new Uint8Array(Initiate.METADATA_AT + metadata.length)
    plain.set(this.#publicKey, Initiate.CLIENT_KEY_AT)
    plain.set(vouchNonceTail, Initiate.VOUCH_NONCE_AT)
    try {
      sealInto(
        plain.subarray(Initiate.VOUCH_BOX_AT, Initiate.METADATA_AT),
        vouchPlaintext,
        nonceWith(CURVE_NONCE_PREFIX.VOUCH, vouchNonceTail),
        vouchKey,
      )
    } finally {
      wipe(vouchKey)
    }
    plain.set(metadata, Initiate.METADATA_AT)

    const out = new Uint8Array(Initiate.BOX_AT + plain.length + MAC_BYTES)
    out.set(cookie, Initiate.COOKIE_AT)
    this.#sendCounter.writeNext(out, Initiate.NONCE_AT)
    const initiateNonce = nonceWith(CURVE_NONCE_PREFIX.INITIATE, out.subarray(Initiate.NONCE_AT, Initiate.BOX_AT))
    sealInto(out.subarray(Initiate.BOX_AT), plain, initiateNonce, this.#trafficKey)
    this.#state = State.WAITING_FOR_READY
    return [{ type: "command", command: { name: Command.INITIATE, data: out } }]
  }

  #onReady(data: Uint8Array): MechanismOutput[] {
    if (data.length < Ready.MIN_DATA_SIZE) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_READY,
        `CURVE: expected a READY of at least ${CURVE_READY_MIN_SIZE} octets, got ${data.length + CURVE_READY_MIN_SIZE - Ready.MIN_DATA_SIZE}`,
      )
    }
    this.#receiveWindow.check(data, Ready.NONCE_AT)
    const nonce = nonceWith(CURVE_NONCE_PREFIX.READY, data.subarray(Ready.NONCE_AT, Ready.BOX_AT))
    const plaintext = new Uint8Array(data.length - Ready.BOX_AT - MAC_BYTES)
    if (!openInto(plaintext, data.subarray(Ready.BOX_AT), nonce, this.#trafficKey)) {
      throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the READY box did not open")
    }
    this.#receiveWindow.commit(data, Ready.NONCE_AT)
    const peerMetadata = decodeMetadata(plaintext)
    this.#codec = new CurveMessageCodec(this.#trafficKey, false, this.#sendCounter, this.#receiveWindow)
    this.#trafficKey = EMPTY
    this.#state = State.READY
    return [
      {
        type: "ready",
        peerMetadata,
        userId: "",
        authMetadata: new Map(),
        peerPublicKey: new Uint8Array(this.#serverKey),
      },
    ]
  }

  authReply(_reply: AuthReply): MechanismOutput[] {
    throw new Error("CurveClient.authReply(): a CURVE client never asks to authenticate")
  }

  encode(frame: Frame): Frame {
    return encodeTraffic(this.#codec, "client", this.#state, frame)
  }

  encodeInto(frame: Frame, encoder: FrameEncoder): void {
    encodeTrafficInto(this.#codec, "client", this.#state, frame, encoder)
  }

  decode(frame: Frame): Frame {
    return decodeTraffic(this.#codec, "client", this.#state, frame)
  }

  decodeInPlace(bytes: Uint8Array, at: number, size: number): Frame {
    return decodeTrafficInPlace(this.#codec, "client", this.#state, bytes, at, size)
  }

  destroy(): void {
    this.#fail()
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `CurveClient { state: ${this.#state} }`
  }

  /** Run `step`; on any error wipe every secret, enter FAILED and rethrow. */
  #guard(step: () => MechanismOutput[]): MechanismOutput[] {
    try {
      return step()
    } catch (err) {
      this.#fail()
      throw err
    }
  }

  /** Wipe every secret; the mechanism is unusable afterwards. */
  #fail(): void {
    wipeSecrets([this.#secretKey, this.#transientSecret, this.#helloKey, this.#trafficKey])
    this.#secretKey = EMPTY
    this.#transientSecret = EMPTY
    this.#helloKey = EMPTY
    this.#trafficKey = EMPTY
    this.#codec?.destroy()
    this.#codec = undefined
    this.#state = State.FAILED
  }
}
