/**
 * The CURVE mechanism, server role (RFC 25, RFC 26; wire behaviour of libzmq curve_server.cpp).
 * Field offsets: ./curve-layout.ts.
 *
 *   HELLO    -> WELCOME  (S', cookie = "COOKIE--" nonce + Box[C' + s'](K), all in Box(S->C'))
 *   INITIATE -> authenticate (credentials [C]) -> READY (Box[metadata](S'->C')) -> ready
 *            or ERROR "400"/"500" (nothing for 300) -> failed (./refusal.ts)
 *
 * Checks, in order, and their codes:
 *   HELLO: name (UNEXPECTED_COMMAND); exactly 200 octets, version 1.0 and zero padding
 *     (MALFORMED_COMMAND_HELLO; libzmq does not check the padding, RFC 26 says "SHALL validate
 *     all fields" and libzmq always sends zeros); C' not all-zero/low-order (KEY_EXCHANGE);
 *     the signature box opens to 64 zero octets (CRYPTOGRAPHIC).
 *   INITIATE: name (UNEXPECTED_COMMAND); at least 257 octets (MALFORMED_COMMAND_INITIATE);
 *     cookie key younger than 60 s (RFC 26: "discard ... after a short interval, for example
 *     60 seconds"; checked lazily with env.now(): CRYPTOGRAPHIC); the cookie opens under K and
 *     holds our C' and s' (CRYPTOGRAPHIC); short nonce greater than HELLO's (INVALID_SEQUENCE);
 *     the initiate box opens (CRYPTOGRAPHIC); C not all-zero/low-order (KEY_EXCHANGE); the
 *     vouch opens under (C, s') (CRYPTOGRAPHIC) and holds our C' and our S (KEY_EXCHANGE, as
 *     libzmq for C'; libzmq does not check S, RFC 26 puts it there to be checked); metadata
 *     parses (INVALID_METADATA). Only then is the authenticate hook asked: garbage never
 *     reaches it.
 *
 * `options.authenticate` false means no hook is asked and every client holding a valid vouch
 * is accepted (libzmq's "Stonehouse" behaviour without a ZAP handler); the engine always sets
 * it for CURVE.
 *
 * Randomness (s', K, both long nonces) comes from `options.env.randomBytes`, time from
 * `options.env.now`. Secrets: our copy of s is wiped once WELCOME is sealed; K and s' once
 * INITIATE has been processed (or on any failure); the traffic key k(C', s') lives in the
 * message codec until destroy(). Pure (no node:* imports).
 */
import { ErrorCode, protocolError } from "../errors.js"
import {
  MAC_BYTES,
  constantTimeEqual,
  generateKeyPair,
  isWeakPublicKey,
  openInto,
  precompute,
  publicFromSecret,
  sealInto,
  secretBytes,
  wipe,
} from "../crypto/nacl.js"
import {
  CURVE_COOKIE_LIFETIME_MS,
  CURVE_HELLO_SIZE,
  CURVE_INITIATE_MIN_SIZE,
  CURVE_KEY_SIZE,
  CURVE_NONCE_PREFIX,
  Command,
  Mechanism,
  Property,
} from "../wire/constants.js"
import { decodeMetadata, encodeMetadata, getProperty } from "../wire/metadata.js"
import type { CommandFrame, Frame, Metadata } from "../wire/types.js"
import type { FrameEncoder } from "../wire/frame-encoder.js"
import {
  Cookie,
  CurveVersion,
  Hello,
  Initiate,
  LONG_NONCE_SIZE,
  Ready,
  Vouch,
  Welcome,
} from "./curve-layout.js"
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
import type { CurveServerOptions } from "./curve-options.js"
import { keyArgument } from "./key-argument.js"
import type { AuthReply, MechanismOptions, MechanismOutput, SecurityMechanism } from "./mechanism.js"
import { checkedReply, refusalOutputs } from "./refusal.js"
import { unexpectedCommand } from "./unexpected-command.js"

const State = {
  WAITING_FOR_HELLO: "WAITING_FOR_HELLO",
  WAITING_FOR_INITIATE: "WAITING_FOR_INITIATE",
  WAITING_FOR_AUTH: "WAITING_FOR_AUTH",
  READY: "READY",
  FAILED: "FAILED",
} as const
type State = (typeof State)[keyof typeof State]

const EMPTY = new Uint8Array(0)

export interface CurveServerKeys {
  /** Our long-term secret key s. */
  secretKey: Uint8Array
  /** Our long-term public key S; derived from `secretKey` when absent. */
  publicKey?: Uint8Array
}

export class CurveServer implements SecurityMechanism {
  readonly name = Mechanism.CURVE
  readonly asServer = true
  readonly #options: MechanismOptions
  #state: State = State.WAITING_FOR_HELLO
  #publicKey: Uint8Array
  #secretKey: Uint8Array
  /** C', from HELLO. */
  #clientTransient: Uint8Array = EMPTY
  #transientSecret: Uint8Array = EMPTY
  #cookieKey: Uint8Array = EMPTY
  #cookieBornAt = 0
  /** k(C', s'): INITIATE, READY and every MESSAGE. Handed to #codec when ready. */
  #trafficKey: Uint8Array = EMPTY
  /** C, from INITIATE. */
  #clientKey: Uint8Array = EMPTY
  #peerMetadata: Metadata | undefined
  readonly #sendCounter = new ShortNonceCounter()
  readonly #receiveWindow = new ShortNonceWindow()
  #codec: CurveMessageCodec | undefined
  readonly #curve: CurveServerOptions
  /** Stateless mode: the shared key that opened the INITIATE cookie (never wiped here). */
  #openedWith: Uint8Array = EMPTY

  /**
   * TypeError/RangeError unless the keys are 32-octet Uint8Arrays (copied). `curve`: the
   * end-to-end layer's options (./curve-options.ts: nonce orders, lenient HELLO, shared cookie
   * keys); the engine passes none.
   */
  constructor(keys: CurveServerKeys, options: MechanismOptions, curve: CurveServerOptions = {}) {
    this.#secretKey = keyArgument(keys.secretKey, "curveSecretKey")
    this.#publicKey =
      keys.publicKey === undefined ? publicFromSecret(this.#secretKey) : keyArgument(keys.publicKey, "curvePublicKey")
    this.#options = options
    this.#curve = curve
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
    return []
  }

  receive(command: CommandFrame): MechanismOutput[] {
    return this.#guard(() => {
      const state = this.#state
      if (state === State.WAITING_FOR_HELLO && command.name === Command.HELLO) return this.#onHello(command.data)
      if (state === State.WAITING_FOR_INITIATE && command.name === Command.INITIATE && this.#curve.cookieKeys === undefined) {
        return this.#onInitiate(command.data)
      }
      if ((state === State.WAITING_FOR_HELLO || state === State.WAITING_FOR_INITIATE) && command.name === Command.INITIATE && this.#curve.cookieKeys !== undefined) {
        return this.#onStatelessInitiate(command.data)
      }
      const expected =
        state === State.WAITING_FOR_HELLO
          ? [Command.HELLO]
          : state === State.WAITING_FOR_INITIATE
            ? [Command.INITIATE]
            : []
      throw unexpectedCommand("CURVE server", state, expected, command)
    })
  }

  #onHello(data: Uint8Array): MechanismOutput[] {
    if (data.length !== Hello.DATA_SIZE) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_HELLO,
        `CURVE: expected a HELLO of ${CURVE_HELLO_SIZE} octets, got ${data.length + CURVE_HELLO_SIZE - Hello.DATA_SIZE}`,
      )
    }
    const major = data[Hello.VERSION_AT] as number
    const minor = data[Hello.VERSION_AT + 1] as number
    const strict = this.#curve.lenientHello !== true
    if (strict && (major !== CurveVersion.MAJOR || minor !== CurveVersion.MINOR)) {
      throw protocolError(ErrorCode.MALFORMED_COMMAND_HELLO, `CURVE: expected HELLO version 1.0, got ${major}.${minor}`)
    }
    for (let i = Hello.PADDING_AT; strict && i < Hello.PADDING_AT + Hello.PADDING_SIZE; i++) {
      if (data[i] !== 0) {
        throw protocolError(ErrorCode.MALFORMED_COMMAND_HELLO, `CURVE: expected zero HELLO padding, got a non-zero octet at offset ${i}`)
      }
    }
    const clientTransient = data.slice(Hello.CLIENT_KEY_AT, Hello.NONCE_AT)
    if (isWeakPublicKey(clientTransient)) {
      throw protocolError(ErrorCode.KEY_EXCHANGE, "CURVE: the client transient key in HELLO is all-zero or a low-order point")
    }
    this.#receiveWindow.check(data, Hello.NONCE_AT)
    // Box [64 * %x0](C'->S): also k(C', s) seals WELCOME below.
    const helloKey = precompute(clientTransient, this.#secretKey)
    try {
      const signature = new Uint8Array(Hello.SIGNATURE_SIZE)
      const nonce = nonceWith(CURVE_NONCE_PREFIX.HELLO, data.subarray(Hello.NONCE_AT, Hello.BOX_AT))
      if (!openInto(signature, data.subarray(Hello.BOX_AT), nonce, helloKey) || !isAllZero(signature)) {
        throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the HELLO signature box did not open (client uses a wrong server key?)")
      }
      this.#receiveWindow.commit(data, Hello.NONCE_AT)
      this.#clientTransient = clientTransient
      return [{ type: "command", command: { name: Command.WELCOME, data: this.#welcome(helloKey) } }]
    } finally {
      wipe(helloKey)
    }
  }

  /** WELCOME data: long nonce + Box [S' + cookie](S->C'). Creates s' and the cookie key K. */
  #welcome(helloKey: Uint8Array): Uint8Array {
    const env = this.#options.env
    const transient = generateKeyPair((n) => env.randomBytes(n))
    this.#transientSecret = transient.secretKey
    const shared = this.#curve.cookieKeys
    // Stateless mode: the owner's key, never stored (so never wiped) here; lifetime is its rotation.
    const cookieKey = shared !== undefined ? shared.current() : env.randomBytes(CURVE_KEY_SIZE)
    if (shared === undefined) this.#cookieKey = cookieKey
    this.#cookieBornAt = env.now()

    // plaintext = S' + cookie, cookie = cookie nonce tail + Box [C' + s'](K)
    const plaintext = new Uint8Array(Welcome.PLAINTEXT_SIZE)
    plaintext.set(transient.publicKey, 0)
    const cookie = plaintext.subarray(CURVE_KEY_SIZE)
    const cookieNonceTail = env.randomBytes(LONG_NONCE_SIZE)
    cookie.set(cookieNonceTail, Cookie.NONCE_AT)
    const cookiePlaintext = secretBytes(Cookie.PLAINTEXT_SIZE) // holds s': see secretBytes
    cookiePlaintext.set(this.#clientTransient, 0)
    cookiePlaintext.set(this.#transientSecret, CURVE_KEY_SIZE)
    try {
      sealInto(cookie.subarray(Cookie.BOX_AT), cookiePlaintext, nonceWith(CURVE_NONCE_PREFIX.COOKIE, cookieNonceTail), cookieKey)
    } finally {
      wipe(cookiePlaintext)
    }

    const out = new Uint8Array(Welcome.DATA_SIZE)
    const welcomeNonceTail = env.randomBytes(LONG_NONCE_SIZE)
    out.set(welcomeNonceTail, Welcome.NONCE_AT)
    sealInto(out.subarray(Welcome.BOX_AT), plaintext, nonceWith(CURVE_NONCE_PREFIX.WELCOME, welcomeNonceTail), helloKey)
    // s is not needed again for this connection (the vouch is opened with s').
    wipe(this.#secretKey)
    this.#secretKey = EMPTY
    this.#state = State.WAITING_FOR_INITIATE
    return out
  }

  #onInitiate(data: Uint8Array): MechanismOutput[] {
    if (data.length < Initiate.MIN_DATA_SIZE) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_INITIATE,
        `CURVE: expected an INITIATE of at least ${CURVE_INITIATE_MIN_SIZE} octets, got ${data.length + CURVE_INITIATE_MIN_SIZE - Initiate.MIN_DATA_SIZE}`,
      )
    }
    this.#openCookie(data.subarray(Initiate.COOKIE_AT, Initiate.NONCE_AT))
    this.#receiveWindow.check(data, Initiate.NONCE_AT)
    return this.#afterCookie(data)
  }

  /**
   * Stateless mode (CurveServerOptions.cookieKeys): an INITIATE without a HELLO on this
   * instance. C' and s' come out of the cookie, which must open under one of the shared keys
   * (CRYPTOGRAPHIC otherwise); the HELLO nonce is not known, so the first short nonce checked is
   * INITIATE's. After the vouch, the keys' claim() refuses a C' that already began a session.
   */
  #onStatelessInitiate(data: Uint8Array): MechanismOutput[] {
    if (data.length < Initiate.MIN_DATA_SIZE) {
      throw protocolError(
        ErrorCode.MALFORMED_COMMAND_INITIATE,
        `CURVE: expected an INITIATE of at least ${CURVE_INITIATE_MIN_SIZE} octets, got ${data.length + CURVE_INITIATE_MIN_SIZE - Initiate.MIN_DATA_SIZE}`,
      )
    }
    const keys = this.#curve.cookieKeys as NonNullable<CurveServerOptions["cookieKeys"]>
    const cookie = data.subarray(Initiate.COOKIE_AT, Initiate.NONCE_AT)
    const nonce = nonceWith(CURVE_NONCE_PREFIX.COOKIE, cookie.subarray(Cookie.NONCE_AT, Cookie.BOX_AT))
    const plaintext = secretBytes(Cookie.PLAINTEXT_SIZE)
    for (const key of keys.candidates()) {
      if (openInto(plaintext, cookie.subarray(Cookie.BOX_AT), nonce, key)) {
        this.#openedWith = key
        break
      }
    }
    if (this.#openedWith.length === 0) {
      throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the INITIATE cookie opens under no live cookie key (forged, or expired)")
    }
    wipeSecrets([this.#secretKey, this.#transientSecret])
    this.#secretKey = EMPTY
    this.#clientTransient = plaintext.slice(0, CURVE_KEY_SIZE)
    this.#transientSecret = secretBytes(CURVE_KEY_SIZE)
    this.#transientSecret.set(plaintext.subarray(CURVE_KEY_SIZE))
    wipe(plaintext)
    return this.#afterCookie(data)
  }

  /** INITIATE after its cookie checked out: the box, C, the vouch, metadata; then authenticate. */
  #afterCookie(data: Uint8Array): MechanismOutput[] {

    // Box [C + vouch + metadata](C'->S')
    this.#trafficKey = precompute(this.#clientTransient, this.#transientSecret)
    const nonce = nonceWith(CURVE_NONCE_PREFIX.INITIATE, data.subarray(Initiate.NONCE_AT, Initiate.BOX_AT))
    const plain = new Uint8Array(data.length - Initiate.BOX_AT - MAC_BYTES)
    if (!openInto(plain, data.subarray(Initiate.BOX_AT), nonce, this.#trafficKey)) {
      throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the INITIATE box did not open")
    }
    const clientKey = plain.slice(Initiate.CLIENT_KEY_AT, Initiate.CLIENT_KEY_AT + CURVE_KEY_SIZE)
    if (isWeakPublicKey(clientKey)) {
      throw protocolError(ErrorCode.KEY_EXCHANGE, "CURVE: the client public key in INITIATE is all-zero or a low-order point")
    }
    this.#checkVouch(clientKey, plain)
    if (this.#openedWith.length !== 0 && !(this.#curve.cookieKeys as NonNullable<CurveServerOptions["cookieKeys"]>).claim(this.#clientTransient, this.#openedWith)) {
      throw protocolError(ErrorCode.INVALID_SEQUENCE, "CURVE: this INITIATE (its client transient key) already began a session: replayed")
    }
    wipe(this.#transientSecret)
    this.#transientSecret = EMPTY
    this.#receiveWindow.commit(data, Initiate.NONCE_AT)
    const peerMetadata = decodeMetadata(plain.subarray(Initiate.METADATA_AT))
    this.#clientKey = clientKey
    this.#peerMetadata = peerMetadata

    if (this.#options.authenticate !== true) return this.#accept("", new Map())
    this.#state = State.WAITING_FOR_AUTH
    return [
      {
        type: "authenticate",
        request: {
          domain: this.#options.zapDomain ?? "",
          address: this.#options.peerAddress ?? "",
          routingId: getProperty(peerMetadata, Property.IDENTITY) ?? EMPTY,
          mechanism: Mechanism.CURVE,
          credentials: [new Uint8Array(clientKey)],
        },
      },
    ]
  }

  /** Open the cookie under K and check it holds our C' and s'; K is discarded either way. */
  #openCookie(cookie: Uint8Array): void {
    const cookieKey = this.#cookieKey
    this.#cookieKey = EMPTY
    const plaintext = secretBytes(Cookie.PLAINTEXT_SIZE)
    try {
      if (this.#options.env.now() - this.#cookieBornAt > CURVE_COOKIE_LIFETIME_MS) {
        throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the cookie expired (INITIATE came more than 60 s after WELCOME)")
      }
      const nonce = nonceWith(CURVE_NONCE_PREFIX.COOKIE, cookie.subarray(Cookie.NONCE_AT, Cookie.BOX_AT))
      if (
        !openInto(plaintext, cookie.subarray(Cookie.BOX_AT), nonce, cookieKey) ||
        !constantTimeEqual(plaintext.subarray(0, CURVE_KEY_SIZE), this.#clientTransient) ||
        !constantTimeEqual(plaintext.subarray(CURVE_KEY_SIZE), this.#transientSecret)
      ) {
        throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the INITIATE cookie is not the one we sent")
      }
    } finally {
      wipe(plaintext)
      wipe(cookieKey)
    }
  }

  /** vouch = nonce tail + Box [C' + S](C->S'): must open under (C, s') and name our C' and S. */
  #checkVouch(clientKey: Uint8Array, plain: Uint8Array): void {
    const vouchKey = precompute(clientKey, this.#transientSecret)
    try {
      const vouch = new Uint8Array(Vouch.PLAINTEXT_SIZE)
      const nonce = nonceWith(CURVE_NONCE_PREFIX.VOUCH, plain.subarray(Initiate.VOUCH_NONCE_AT, Initiate.VOUCH_BOX_AT))
      if (!openInto(vouch, plain.subarray(Initiate.VOUCH_BOX_AT, Initiate.METADATA_AT), nonce, vouchKey)) {
        throw protocolError(ErrorCode.CRYPTOGRAPHIC, "CURVE: the INITIATE vouch did not open (client key mismatch?)")
      }
      if (!constantTimeEqual(vouch.subarray(0, CURVE_KEY_SIZE), this.#clientTransient)) {
        throw protocolError(ErrorCode.KEY_EXCHANGE, "CURVE: the vouch names another client transient key")
      }
      if (!constantTimeEqual(vouch.subarray(CURVE_KEY_SIZE), this.#publicKey)) {
        throw protocolError(ErrorCode.KEY_EXCHANGE, "CURVE: the vouch names another server key")
      }
    } finally {
      wipe(vouchKey)
    }
  }

  authReply(reply: AuthReply): MechanismOutput[] {
    if (this.#state !== State.WAITING_FOR_AUTH) {
      throw new Error(`CurveServer.authReply() called in state ${this.#state}, expected WAITING_FOR_AUTH`)
    }
    return this.#guard(() => {
      const { status, userId, metadata } = checkedReply(reply)
      if (status !== 200) {
        const outputs = refusalOutputs(status, reply.statusText)
        this.#fail()
        return outputs
      }
      return this.#accept(userId, metadata)
    })
  }

  /** READY = short nonce + Box [metadata](S'->C'); then ready. */
  #accept(userId: string, authMetadata: Metadata): MechanismOutput[] {
    const metadata = encodeMetadata(this.#options.metadata)
    const out = new Uint8Array(Ready.BOX_AT + MAC_BYTES + metadata.length)
    this.#sendCounter.writeNext(out, Ready.NONCE_AT)
    const nonce = nonceWith(CURVE_NONCE_PREFIX.READY, out.subarray(Ready.NONCE_AT, Ready.BOX_AT))
    sealInto(out.subarray(Ready.BOX_AT), metadata, nonce, this.#trafficKey)
    this.#codec = new CurveMessageCodec(this.#trafficKey, true, this.#sendCounter, this.#receiveWindow)
    this.#trafficKey = EMPTY
    this.#state = State.READY
    const peerMetadata = this.#peerMetadata as Metadata
    const clientKey = this.#clientKey
    // Not needed after READY: an idle connection (or end-to-end session) keeps only the codec.
    this.#clientTransient = EMPTY
    this.#clientKey = EMPTY
    this.#publicKey = EMPTY
    this.#peerMetadata = undefined
    return [
      { type: "command", command: { name: Command.READY, data: out } },
      {
        type: "ready",
        peerMetadata,
        userId,
        authMetadata,
        peerPublicKey: clientKey,
      },
    ]
  }

  encode(frame: Frame): Frame {
    return encodeTraffic(this.#codec, "server", this.#state, frame)
  }

  encodeInto(frame: Frame, encoder: FrameEncoder): void {
    encodeTrafficInto(this.#codec, "server", this.#state, frame, encoder)
  }

  decode(frame: Frame): Frame {
    return decodeTraffic(this.#codec, "server", this.#state, frame)
  }

  decodeInPlace(bytes: Uint8Array, at: number, size: number): Frame {
    return decodeTrafficInPlace(this.#codec, "server", this.#state, bytes, at, size)
  }

  destroy(): void {
    this.#fail()
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `CurveServer { state: ${this.#state} }`
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
    wipeSecrets([this.#secretKey, this.#transientSecret, this.#cookieKey, this.#trafficKey])
    this.#secretKey = EMPTY
    this.#transientSecret = EMPTY
    this.#cookieKey = EMPTY
    this.#trafficKey = EMPTY
    this.#codec?.destroy()
    this.#codec = undefined
    this.#state = State.FAILED
  }
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i] as number
  return acc === 0
}
