/**
 * One ZMTP connection as a sans-IO state machine: greeting → security handshake → traffic.
 *
 *   bytes in:   receiveData(chunk)
 *   bytes out:  takeOutput()        (batched chunks to write, in order)
 *   events out: takeEvents()        (handshake, message, subscription, error, ...)
 *   time:       tick(now) / nextDeadline   (handshake timeout, heartbeats; clock injected)
 *
 * It never touches a socket or a timer. The only asynchrony is the authenticate hook, which
 * may return a promise; when it settles the connection calls `onWake` so the driver drains
 * output and events again.
 *
 * Any bytes from the network end, at worst, in one `error` event with a ProtocolError and a
 * closed connection — never an exception out of receiveData() (RFC 37 "Error Handling").
 */
import { ErrorCode, ProtocolError, argumentError, protocolError } from "../errors.js"
import {
  COMPATIBLE_PEERS,
  Command,
  GREETING_SIZE,
  Mechanism,
  Property,
  type SocketTypeName,
} from "../wire/constants.js"
import { checkGreetingPrefix, decodeGreeting, encodeGreeting, type Greeting } from "../wire/greeting.js"
import { type BodyAllocator, FrameDecoder } from "../wire/frame-decoder.js"
import { FrameEncoder } from "../wire/frame-encoder.js"
import { decodeCommand, encodeCommand } from "../wire/command.js"
import { getProperty } from "../wire/metadata.js"
import {
  decodePing,
  encodePing,
  encodePong,
  parseSubscriptionMessage,
  subscriptionMessage,
} from "../wire/commands.js"
import { DEFAULT_LIMITS, type Frame, type Limits, type Metadata } from "../wire/types.js"
import type {
  Authenticate,
  AuthReply,
  AuthRequest,
  MechanismOutput,
  SecurityMechanism,
} from "../mechanism/mechanism.js"
import { createMechanism, type SecurityOptions } from "../mechanism/index.js"
import { z85Encode } from "../wire/z85.js"
// The pure crypto front and backend state: they load no library (issue 7, defect 8).
import { randomBytes } from "../crypto/nacl.js"
import { backendReady, readyBackend } from "../crypto/active-backend.js"
import { Heartbeat } from "./heartbeat.js"
import type { PeerInfo } from "./peer-info.js"

export type { PeerInfo } from "./peer-info.js"

export interface ConnectionOptions {
  /** Our socket type, announced as Socket-Type and checked against the peer's. */
  socketType: SocketTypeName
  /** Our routing id, announced as Identity (REQ/DEALER/ROUTER). */
  routingId?: Uint8Array
  /** Mechanism, role and keys. */
  security: SecurityOptions
  /** Server side: the ZAP domain for authenticate requests. */
  zapDomain?: string
  /**
   * Server side: the authenticate hook. PLAIN and CURVE servers always ask it; NULL asks it
   * only when a zapDomain is set (RFC 27, libzmq). Without a hook a PLAIN server refuses
   * everyone (it cannot check passwords); CURVE and NULL accept, like libzmq, unless
   * `zapEnforceDomain` is set.
   */
  authenticate?: Authenticate
  /** Refuse when authentication is asked for but no hook exists (ZMQ_ZAP_ENFORCE_DOMAIN). */
  zapEnforceDomain?: boolean
  /** Peer's address ("" for ipc), for authenticate requests and the Peer-Address property. */
  peerAddress?: string
  /** Size limits; defaults are finite (see DEFAULT_LIMITS). */
  limits?: Partial<Limits>
  /** ms allowed for greeting + handshake; 0 disables. Default 30 000 (libzmq). */
  handshakeInterval?: number
  heartbeatInterval?: number
  heartbeatTimeout?: number
  heartbeatTimeToLive?: number
  /** Extra metadata properties we announce (e.g. X-* application properties). */
  metadata?: Metadata
  /** Injected clock (ms, monotonic). */
  now?: () => number
  /** Injected randomness. */
  randomBytes?: (n: number) => Uint8Array
  /**
   * Memory for a received frame that arrived spread over several chunks (see FrameDecoder):
   * the driver may give memory that is not zero-filled, since all of it is overwritten.
   * Default: a zero-filled Uint8Array.
   */
  allocate?: BodyAllocator
  /**
   * Optional handshake trace (greeting and each handshake command, in and out), for demos and
   * debugging. It sees command names and sizes only, never command contents.
   */
  trace?: (direction: "in" | "out", step: string) => void
}

export type ConnectionEvent =
  /** The handshake completed; `peer` is attached to every later message too. */
  | { type: "handshake"; peer: PeerInfo }
  /** One complete message (all its frames). */
  | { type: "message"; frames: Uint8Array[] }
  /** The peer (un)subscribed: a SUBSCRIBE/CANCEL command (3.1) or a subscription message (3.0). */
  | { type: "subscription"; subscribe: boolean; topic: Uint8Array }
  | { type: "ping"; context: Uint8Array }
  | { type: "pong"; context: Uint8Array }
  /**
   * The connection failed and is closed: flush takeOutput() (it may hold an ERROR command)
   * and close the transport. `handshake` tells whether it failed before completing it.
   */
  | { type: "error"; error: ProtocolError; handshake: boolean }

const State = {
  GREETING: 0,
  HANDSHAKE: 1,
  WAITING_FOR_AUTH: 2,
  TRAFFIC: 3,
  CLOSED: 4,
} as const
type State = (typeof State)[keyof typeof State]

const DEFAULT_HANDSHAKE_INTERVAL = 30_000
/** Room for the CURVE MESSAGE envelope around a frame of maxMessageSize octets. */
const CURVE_FRAME_OVERHEAD = 64

const EMPTY = new Uint8Array(0)
/** See Connection.readPaused. */
const PINGS_BEFORE_READ_PAUSE = 2
/** RFC 37 "The Identity Property": identity = 0*255OCTET. */
const IDENTITY_MAX = 255

/**
 * Property names only Ironhouse sets (from the handshake's outcome, never from what a peer
 * sends), lower-cased: RFC 37 names are case-insensitive, so "user-id" IS "User-Id".
 */
const LOCAL_PROPERTIES: ReadonlySet<string> = new Set([Property.USER_ID, Property.PEER_ADDRESS].map((n) => n.toLowerCase()))
/**
 * Property names that only the peer's own READY/INITIATE metadata may carry (they describe the
 * peer's socket and are checked or used for routing): an authenticator cannot replace them.
 */
const PEER_PROPERTIES: ReadonlyMap<string, string> = new Map(
  [Property.SOCKET_TYPE, Property.IDENTITY].map((n) => [n.toLowerCase(), n]),
)

/**
 * The connection's property map (issue 7, defect 3). Precedence as in libzmq's
 * stream_engine_base_t::init_properties (locally set > ZAP > ZMTP), but with names compared
 * case-insensitively (RFC 37), so that no spelling of a reserved name can shadow ours for a
 * case-insensitive reader such as getProperty():
 * - a peer's property named like User-Id or Peer-Address (any case) is dropped;
 * - Socket-Type and Identity come from the peer only, under their canonical spelling;
 * - an authenticator's property replaces a peer's property of the same name (any case),
 *   except the reserved four, which it cannot set (User-Id comes from its userId field);
 * - User-Id and Peer-Address are set last from the handshake's outcome.
 */
function connectionProperties(peer: Metadata, auth: Metadata, userId: string, peerAddress: string): Metadata {
  const properties: Metadata = new Map()
  /** lower-case name -> the spelling stored in `properties` */
  const spelling = new Map<string, string>()
  const put = (name: string, value: Uint8Array): void => {
    const key = name.toLowerCase()
    const previous = spelling.get(key)
    if (previous !== undefined) properties.delete(previous)
    spelling.set(key, name)
    properties.set(name, value)
  }
  for (const [name, value] of peer) {
    const key = name.toLowerCase()
    if (LOCAL_PROPERTIES.has(key)) continue
    put(PEER_PROPERTIES.get(key) ?? name, value)
  }
  for (const [name, value] of auth) {
    const key = name.toLowerCase()
    if (LOCAL_PROPERTIES.has(key) || PEER_PROPERTIES.has(key)) continue
    put(name, value)
  }
  put(Property.USER_ID, utf8(userId))
  put(Property.PEER_ADDRESS, utf8(peerAddress))
  return properties
}

export class Connection {
  /** Called when something became ready to drain outside receiveData/tick (async auth). */
  onWake: (() => void) | undefined

  readonly #opts: ConnectionOptions
  readonly #limits: Limits
  readonly #now: () => number
  readonly #randomBytes: (n: number) => Uint8Array
  readonly #decoder: FrameDecoder
  readonly #encoder = new FrameEncoder()
  readonly #heartbeat: Heartbeat
  #events: ConnectionEvent[] = []
  /** Raw bytes (the greeting) to write before any framed output. */
  #pendingRaw: Uint8Array[] = []
  #state: State = State.GREETING
  #greetingBuf: Uint8Array | undefined = new Uint8Array(GREETING_SIZE)
  #greetingLen = 0
  #peerGreeting: Greeting | undefined
  #mechanism: SecurityMechanism | undefined
  #handshakeDeadline: number
  #peer: PeerInfo | undefined
  /**
   * Frames of the message being assembled: the first #partsCount slots (h20: the array is kept
   * from message to message, so a multipart message costs one exact-size copy, not a new
   * array grown slot by slot; dropped after a message of more than PARTS_KEPT frames).
   */
  #parts: (Uint8Array | undefined)[] = []
  #partsCount = 0
  #partsSize = 0
  /** CURVE waits for the crypto backend to finish loading (libsodium-wrappers' WebAssembly). */
  #waitingForCrypto = false
  /** The driver said its transport buffer is full (setOutputBlocked). */
  #outputBlocked = false
  /**
   * The context of the latest PING not answered yet: at most one PONG is ever pending, as in
   * libzmq (zmtp_engine_t keeps one `_pong_msg`, a newer PING overwrites it). It is encoded
   * only when output is taken and the transport is not blocked.
   */
  #pongOwed: Uint8Array | undefined
  /** PINGs received since output became blocked, or -1 once anything else arrived meanwhile. */
  #pingsWhileBlocked = 0
  /** The frame send() passes to the mechanism, reused (see send). */
  readonly #sendFrame: Frame = { more: false, command: false, body: EMPTY }

  constructor(opts: ConnectionOptions) {
    this.#opts = opts
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits }
    const frames: unknown = this.#limits.maxMessageFrames
    if (typeof frames !== "number" || !(Number.isSafeInteger(frames) || frames === Infinity) || frames < 1) {
      throw argumentError(
        "range",
        `expected limits.maxMessageFrames to be a positive integer or Infinity, got ${typeof frames === "number" ? frames : typeof frames}`,
      )
    }
    this.#now = opts.now ?? (() => performance.now())
    this.#randomBytes = opts.randomBytes ?? randomBytes
    this.#decoder = new FrameDecoder(
      {
        maxFrameSize: this.#limits.maxHandshakeCommandSize,
        maxCommandSize: this.#limits.maxHandshakeCommandSize,
      },
      opts.allocate,
    )
    const interval = opts.heartbeatInterval ?? 0
    this.#heartbeat = new Heartbeat({
      interval,
      timeout: opts.heartbeatTimeout ?? interval,
      timeToLive: opts.heartbeatTimeToLive ?? 0,
    })
    const hs = opts.handshakeInterval ?? DEFAULT_HANDSHAKE_INTERVAL
    this.#handshakeDeadline = hs > 0 ? this.#now() + hs : Infinity
    // RFC 37 "Version Negotiation": we never downgrade, so the whole greeting goes at once.
    // RFC 37 "The NULL Security Mechanism": as-server MUST be zero for NULL; our `asServer`
    // then only says which side (the binding one) asks the authenticate hook.
    const asServerBit = opts.security.mechanism !== Mechanism.NULL && opts.security.asServer
    this.#pendingRaw.push(encodeGreeting(opts.security.mechanism, asServerBit))
    opts.trace?.("out", `greeting ZMTP 3.1 ${opts.security.mechanism} as-server=${asServerBit ? 1 : 0}`)
    // Pipelining: a CURVE client's HELLO and a non-authenticating NULL peer's READY do not
    // depend on the peer's greeting, so they leave with ours and save one round trip. A wrong
    // peer learns nothing from them (HELLO holds a fresh short-term key and a box of zeros,
    // READY our public metadata). A PLAIN HELLO carries the password, so PLAIN waits until the
    // peer's greeting shows it speaks ZMTP 3 with PLAIN.
    if (this.#pipelines()) this.#startMechanism()
  }

  #pipelines(): boolean {
    const sec = this.#opts.security
    if (sec.mechanism === Mechanism.CURVE) return !sec.asServer
    return sec.mechanism === Mechanism.NULL && !this.#authenticates()
  }

  /** Whether our mechanism asks the authenticate hook (NULL: only with a ZAP domain). */
  #authenticates(): boolean {
    return this.#opts.security.mechanism !== Mechanism.NULL || (this.#opts.zapDomain ?? "") !== ""
  }

  /** The peer, once the handshake completed. */
  get peer(): PeerInfo | undefined {
    return this.#peer
  }

  /** Frames of the message being assembled, held until its last frame arrives. */
  get partialMessageFrames(): number {
    return this.#partsCount
  }

  get ready(): boolean {
    return this.#state === State.TRAFFIC
  }

  get closed(): boolean {
    return this.#state === State.CLOSED
  }

  /** Peer's ZMTP minor version (0 for a 3.0 peer), once its greeting arrived. */
  get peerMinorVersion(): number | undefined {
    return this.#peerGreeting ? (this.#peerGreeting.major > 3 ? 255 : this.#peerGreeting.minor) : undefined
  }

  // ---- input -------------------------------------------------------------------------------

  /** Feed bytes read from the transport. Never throws for any input. */
  receiveData(chunk: Uint8Array): void {
    if (this.#state === State.CLOSED || chunk.length === 0) return
    try {
      if (this.#state === State.TRAFFIC) this.#heartbeat.onTraffic(this.#now())
      if (this.#state === State.GREETING) {
        chunk = this.#readGreeting(chunk)
        if (chunk.length === 0) return
      }
      this.#decoder.push(chunk)
      // While the authenticate hook is pending, nothing is parsed and a legitimate peer sends
      // nothing (it waits for our WELCOME/READY): bound what a hostile one can make us hold.
      if (this.#state === State.WAITING_FOR_AUTH && this.#decoder.buffered > this.#limits.maxHandshakeCommandSize) {
        throw protocolError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `peer sent more than ${this.#limits.maxHandshakeCommandSize} octets while its authentication was pending`,
        )
      }
      if (this.#waitingForCrypto && this.#decoder.buffered > this.#limits.maxHandshakeCommandSize) {
        throw protocolError(
          ErrorCode.MESSAGE_TOO_LARGE,
          `peer sent more than ${this.#limits.maxHandshakeCommandSize} octets while the crypto backend was loading`,
        )
      }
      this.#processFrames()
    } catch (err) {
      this.#fail(err)
    }
  }

  #readGreeting(chunk: Uint8Array): Uint8Array {
    const buf = this.#greetingBuf as Uint8Array
    const take = Math.min(GREETING_SIZE - this.#greetingLen, chunk.length)
    buf.set(chunk.subarray(0, take), this.#greetingLen)
    this.#greetingLen += take
    // Reject ZMTP 1.0/2.0 and garbage as early as the bytes allow (never deliver anything).
    checkGreetingPrefix(buf.subarray(0, this.#greetingLen))
    if (this.#greetingLen < GREETING_SIZE) return EMPTY
    const greeting = decodeGreeting(buf)
    this.#greetingBuf = undefined
    this.#opts.trace?.(
      "in",
      `greeting ZMTP ${greeting.major}.${greeting.minor} ${greeting.mechanism} as-server=${greeting.asServer ? 1 : 0}`,
    )
    this.#startHandshake(greeting)
    return chunk.subarray(take)
  }

  #startHandshake(greeting: Greeting): void {
    const sec = this.#opts.security
    if (greeting.mechanism !== sec.mechanism) {
      throw protocolError(
        ErrorCode.MECHANISM_MISMATCH,
        `peer uses mechanism ${JSON.stringify(greeting.mechanism)}, we use ${sec.mechanism}`,
      )
    }
    // The as-server octet is not checked: libzmq 4.3.5 always sends it as zero (it writes the
    // mechanism then 32 zero octets), so a PLAIN/CURVE server is indistinguishable on the
    // greeting. Two clients or two servers fail in the handshake instead (UNEXPECTED_COMMAND).
    this.#peerGreeting = greeting
    this.#state = State.HANDSHAKE
    if (this.#mechanism === undefined && !this.#waitingForCrypto) this.#startMechanism()
  }

  #startMechanism(): void {
    const sec = this.#opts.security
    if (sec.mechanism === Mechanism.CURVE && readyBackend() === undefined) {
      // Resolved lazily, at first CURVE use: a WebAssembly backend may still be loading. Wait
      // for it like for an asynchronous authenticate hook (input stays buffered, bounded).
      if (!this.#waitingForCrypto) {
        this.#waitingForCrypto = true
        backendReady().then(
          () => this.#resumeAfterCrypto(undefined),
          (err: unknown) => this.#resumeAfterCrypto(err),
        )
      }
      return
    }
    const metadata: Metadata = new Map()
    metadata.set(Property.SOCKET_TYPE, socketTypeOctets(this.#opts.socketType))
    if (this.#opts.routingId !== undefined) metadata.set(Property.IDENTITY, this.#opts.routingId)
    if (this.#opts.metadata) for (const [k, v] of this.#opts.metadata) metadata.set(k, v)
    const mechanismOptions = {
      metadata,
      peerAddress: this.#opts.peerAddress ?? "",
      authenticate: this.#authenticates(),
      env: { randomBytes: this.#randomBytes, now: this.#now },
      ...(this.#opts.zapDomain !== undefined ? { zapDomain: this.#opts.zapDomain } : {}),
    }
    this.#mechanism = createMechanism(sec, mechanismOptions)
    this.#handleOutputs(this.#mechanism.start())
  }

  #resumeAfterCrypto(failure: unknown): void {
    if (this.#state === State.CLOSED || !this.#waitingForCrypto) return
    this.#waitingForCrypto = false
    try {
      if (failure !== undefined) {
        const reason = failure instanceof Error ? failure.message : String(failure)
        throw protocolError(ErrorCode.UNSPECIFIED, `internal error: the crypto backend did not load: ${reason}`)
      }
      this.#startMechanism()
      this.#processFrames()
    } catch (err) {
      this.#fail(err)
    }
    this.onWake?.()
  }

  #processFrames(): void {
    for (;;) {
      const state = this.#state
      if (state === State.TRAFFIC) {
        const mechanism = this.#mechanism as SecurityMechanism
        if (mechanism.decodeInPlace !== undefined) {
          // CURVE: open each MESSAGE where it lies in the read buffer (no frame view per message).
          const decoder = this.#decoder
          if (decoder.nextInPlace() < 0) return
          this.#onMessageFrame(mechanism.decodeInPlace(decoder.frameBytes, decoder.frameOffset, decoder.frameSize))
          continue
        }
        const frame = this.#decoder.next()
        if (frame === undefined) return
        this.#onMessageFrame(mechanism.decode(frame))
      } else if (state === State.HANDSHAKE) {
        if (this.#mechanism === undefined) return // waiting for the crypto backend
        const frame = this.#decoder.next()
        if (frame === undefined) return
        if (!frame.command) {
          throw protocolError(ErrorCode.UNEXPECTED_COMMAND, "message frame received during the handshake")
        }
        const mechanism = this.#mechanism as SecurityMechanism
        const command = mechanism.decodeHandshakeCommand
          ? mechanism.decodeHandshakeCommand(frame.body)
          : decodeCommand(frame.body)
        this.#opts.trace?.("in", `${command.name} (${frame.body.length} octets)`)
        this.#handleOutputs(mechanism.receive(command))
      } else {
        return // waiting for auth, or closed: frames stay buffered
      }
    }
  }

  /** One frame of traffic, as the mechanism decoded it. */
  #onMessageFrame(frame: Frame): void {
    if (frame.command) {
      this.#onTrafficCommand(frame.body)
      return
    }
    if (this.#outputBlocked) this.#pingsWhileBlocked = -1
    // Checked before the frame is kept: the count bounds what empty frames cost (they add
    // nothing to the size), the size bounds what the bodies cost.
    if (this.#partsCount >= this.#limits.maxMessageFrames) {
      throw protocolError(
        ErrorCode.TOO_MANY_FRAMES,
        `message of more than ${this.#limits.maxMessageFrames} frames (maxMessageFrames)`,
      )
    }
    const size = this.#partsSize + frame.body.length
    if (size > this.#limits.maxMessageSize) {
      throw protocolError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `message of more than ${this.#limits.maxMessageSize} octets (maxMessageSize)`,
      )
    }
    const count = this.#partsCount
    if (!frame.more && count === 0) {
      // A single-frame message: an array of exactly one.
      this.#events.push({ type: "message", frames: [frame.body] })
      return
    }
    this.#parts[count] = frame.body
    this.#partsCount = count + 1
    this.#partsSize = size
    if (frame.more) return
    const frames = this.#parts.slice(0, count + 1) as Uint8Array[]
    this.#dropPartialMessage()
    this.#events.push({ type: "message", frames })
  }

  #onTrafficCommand(body: Uint8Array): void {
    const command = decodeCommand(body)
    if (this.#outputBlocked && command.name !== Command.PING) this.#pingsWhileBlocked = -1
    switch (command.name) {
      case Command.PING: {
        const ping = decodePing(command.data)
        this.#heartbeat.onPeerPing(this.#now(), ping.ttl)
        // Answered in takeOutput(), once: a flood of PINGs costs one pending PONG (issue 7,
        // defect 5). The context (at most 16 octets) is copied so it pins no input chunk.
        this.#pongOwed = new Uint8Array(ping.context)
        if (this.#outputBlocked && this.#pingsWhileBlocked >= 0) this.#pingsWhileBlocked++
        this.#events.push({ type: "ping", context: ping.context })
        return
      }
      case Command.PONG:
        this.#events.push({ type: "pong", context: command.data })
        return
      case Command.SUBSCRIBE:
      case Command.CANCEL:
        this.#events.push({
          type: "subscription",
          subscribe: command.name === Command.SUBSCRIBE,
          topic: command.data,
        })
        return
      case Command.ERROR:
        throw protocolError(ErrorCode.UNSPECIFIED, "peer sent ERROR after the handshake")
      case Command.READY:
      case Command.HELLO:
      case Command.WELCOME:
      case Command.INITIATE:
        // Issue 8 item 7: the handshake is over (RFC 37 "Commands" run them before traffic);
        // a second READY or a late handshake command is a confused or hostile peer. libzmq
        // ignores them; closing is safe and leaves no doubt about which metadata holds.
        throw protocolError(
          ErrorCode.UNEXPECTED_COMMAND,
          `peer sent ${command.name} after the handshake completed`,
        )
      default:
        // RFC 37 leaves unknown commands to the implementation; like libzmq we ignore them.
        return
    }
  }

  #handleOutputs(outputs: MechanismOutput[]): void {
    for (const out of outputs) {
      switch (out.type) {
        case "command": {
          const body = encodeCommand(out.command.name, out.command.data)
          this.#opts.trace?.("out", `${out.command.name} (${body.length} octets)`)
          this.#encoder.add({ more: false, command: true, body })
          break
        }
        case "authenticate":
          this.#askAuthenticate(out.request)
          break
        case "ready":
          this.#onReady(out)
          break
        case "failed":
          throw out.error
      }
    }
  }

  #askAuthenticate(request: AuthRequest): void {
    const hook = this.#opts.authenticate
    let reply: AuthReply | Promise<AuthReply>
    if (hook === undefined) {
      // Policy without a handler (documented in the README): PLAIN is refused, since a PLAIN
      // server that cannot check passwords must not accept everyone; CURVE and NULL are let in
      // like libzmq does (any client holding the server key), unless zapEnforceDomain is set.
      const lenient = !this.#opts.zapEnforceDomain && request.mechanism !== Mechanism.PLAIN
      reply = lenient ? { status: 200 } : { status: 400, statusText: "no authenticator configured" }
    } else {
      try {
        reply = hook(request)
      } catch (err) {
        // A ZAP protocol failure (ERR_ZAP_*) fails the handshake with its code, like libzmq;
        // any other failure of the hook is an internal error, answered with status 500.
        if (err instanceof ProtocolError) throw err
        reply = { status: 500, statusText: "authenticator failed" }
      }
    }
    if (!isPromise(reply)) {
      this.#handleOutputs((this.#mechanism as SecurityMechanism).authReply(reply))
      return
    }
    this.#state = State.WAITING_FOR_AUTH
    reply.then(
      (r) => this.#resumeAfterAuth(r),
      (err: unknown) => this.#resumeAfterAuth(err instanceof ProtocolError ? err : { status: 500, statusText: "authenticator failed" }),
    )
  }

  #resumeAfterAuth(reply: AuthReply | ProtocolError): void {
    if (this.#state !== State.WAITING_FOR_AUTH) return // closed (timeout) meanwhile
    try {
      if (reply instanceof ProtocolError) throw reply
      this.#state = State.HANDSHAKE
      this.#handleOutputs((this.#mechanism as SecurityMechanism).authReply(reply))
      this.#processFrames()
    } catch (err) {
      this.#fail(err)
    }
    this.onWake?.()
  }

  #onReady(out: Extract<MechanismOutput, { type: "ready" }>): void {
    const peerType = utf8Decode(getProperty(out.peerMetadata, Property.SOCKET_TYPE) ?? EMPTY)
    const ours = this.#opts.socketType
    if (!(COMPATIBLE_PEERS[ours] as readonly string[]).includes(peerType)) {
      throw protocolError(
        ErrorCode.SOCKET_TYPE_MISMATCH,
        `peer socket type ${JSON.stringify(peerType)} cannot talk to ${ours}`,
      )
    }
    const routingId = getProperty(out.peerMetadata, Property.IDENTITY) ?? EMPTY
    // RFC 37 "The Identity Property": identity = 0*255OCTET.
    if (routingId.length > IDENTITY_MAX) {
      throw protocolError(
        ErrorCode.INVALID_METADATA,
        `peer announced an Identity of ${routingId.length} octets, at most ${IDENTITY_MAX} allowed`,
      )
    }
    const properties = connectionProperties(out.peerMetadata, out.authMetadata, out.userId, this.#opts.peerAddress ?? "")
    this.#peer = Object.freeze({
      mechanism: this.#opts.security.mechanism,
      socketType: peerType as SocketTypeName,
      routingId,
      userId: out.userId,
      address: this.#opts.peerAddress ?? "",
      publicKey: out.peerPublicKey ? publicKeyText(out.peerPublicKey) : undefined,
      properties,
      zmtpMinor: this.peerMinorVersion ?? 0,
    })
    this.#state = State.TRAFFIC
    this.#handshakeDeadline = Infinity
    const max = this.#limits.maxMessageSize + CURVE_FRAME_OVERHEAD
    this.#decoder.maxFrameSize = max
    this.#decoder.maxCommandSize = max
    this.#heartbeat.start(this.#now())
    this.#events.push({ type: "handshake", peer: this.#peer })
  }

  #fail(err: unknown): void {
    if (this.#state === State.CLOSED) return
    const handshake = this.#state !== State.TRAFFIC
    this.#state = State.CLOSED
    this.#mechanism?.destroy()
    this.#dropPartialMessage()
    const error =
      err instanceof ProtocolError
        ? err
        : // Anything else from network input is a bug; still close just this connection.
          protocolError(ErrorCode.UNSPECIFIED, `internal error: ${err instanceof Error ? err.message : String(err)}`)
    this.#events.push({ type: "error", error, handshake })
  }

  // ---- output ------------------------------------------------------------------------------

  /**
   * Queue one message (all its frames) for the peer. Only after the handshake; the socket
   * layer keeps messages until then. Throws Error if the connection is not ready.
   */
  send(frames: readonly Uint8Array[]): void {
    if (this.#state !== State.TRAFFIC) throw new Error("connection is not ready")
    const mech = this.#mechanism as SecurityMechanism
    const encoder = this.#encoder
    const last = frames.length - 1
    // One frame object for every frame sent (h20: no allocation per frame): encodeInto, encode
    // and the encoder read it at once and keep only its body.
    const frame = this.#sendFrame
    try {
      if (mech.encodeInto !== undefined) {
        for (let i = 0; i <= last; i++) {
          frame.more = i < last
          frame.body = frames[i] as Uint8Array
          mech.encodeInto(frame, encoder)
        }
        return
      }
      for (let i = 0; i <= last; i++) {
        frame.more = i < last
        frame.body = frames[i] as Uint8Array
        encoder.add(mech.encode(frame))
      }
    } finally {
      frame.body = EMPTY // hold no application buffer
    }
  }

  /** Tell the peer we (un)subscribe: SUBSCRIBE/CANCEL to 3.1 peers, a message to 3.0 peers. */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void {
    if (this.#state !== State.TRAFFIC) throw new Error("connection is not ready")
    if ((this.peerMinorVersion ?? 0) >= 1) {
      this.#sendCommand(subscribe ? Command.SUBSCRIBE : Command.CANCEL, topic)
    } else {
      this.send([subscriptionMessage(subscribe, topic)])
    }
  }

  /** Parse a message from a 3.0 SUB/XSUB peer as a subscription (XPUB/PUB use this). */
  static parseSubscription(frames: readonly Uint8Array[]): { subscribe: boolean; topic: Uint8Array } | undefined {
    return frames.length === 1 ? parseSubscriptionMessage(frames[0] as Uint8Array) : undefined
  }

  #sendCommand(name: string, data: Uint8Array): void {
    const frame: Frame = { more: false, command: true, body: encodeCommand(name, data) }
    this.#encoder.add((this.#mechanism as SecurityMechanism).encode(frame))
  }


  /** Bytes to write, in order (empty when nothing is pending). */
  takeOutput(): Uint8Array[] {
    if (this.#pongOwed !== undefined && !this.#outputBlocked && this.#state === State.TRAFFIC) {
      const context = this.#pongOwed
      this.#pongOwed = undefined
      try {
        this.#sendCommand(Command.PONG, encodePong(context))
      } catch (err) {
        this.#fail(err) // CURVE: short nonces exhausted (ProtocolError), the connection closes
      }
    }
    const raw = this.#pendingRaw
    if (this.#encoder.pendingBytes === 0) {
      if (raw.length === 0) return raw
      this.#pendingRaw = []
      return raw
    }
    const framed = this.#encoder.flush()
    if (raw.length === 0) return framed
    this.#pendingRaw = []
    return raw.concat(framed)
  }

  /**
   * The driver's promise that no chunk takeOutput() returned so far is read any more (the
   * operating system has taken all of it): later output may reuse that memory (see
   * FrameEncoder.release). A driver that cannot tell never calls this.
   */
  outputReleased(): void {
    this.#encoder.release()
  }

  /** Octets takeOutput() would return now (what linger must still get out). */
  get pendingOutput(): number {
    let n = this.#encoder.pendingBytes
    for (const raw of this.#pendingRaw) n += raw.length
    return n
  }

  /** Events since the last call, in order. */
  takeEvents(): ConnectionEvent[] {
    const events = this.#events
    if (events.length !== 0) this.#events = []
    return events
  }

  /** True when takeEvents() would return something. */
  get hasEvents(): boolean {
    return this.#events.length !== 0
  }

  // ---- back-pressure ----------------------------------------------------------------------

  /**
   * The driver reports whether its transport can take more output now (false once a write
   * left its buffer over the high-water mark, true again on drain). While blocked, takeOutput()
   * holds back the PONG owed to the peer (one at most: later PINGs replace it), so a peer that
   * sends PINGs and never reads cannot grow our buffers (issue 7, defect 5).
   */
  setOutputBlocked(blocked: boolean): void {
    if (blocked === this.#outputBlocked) return
    this.#outputBlocked = blocked
    this.#pingsWhileBlocked = 0
  }

  get outputBlocked(): boolean {
    return this.#outputBlocked
  }

  /**
   * True when the driver should stop reading until its output drains: output is backed up,
   * a PONG is owed, and since output backed up the peer has sent at least
   * PINGS_BEFORE_READ_PAUSE PINGs and nothing else: it pings without reading (RFC 37
   * "Connection Heartbeating": a peer should not send more than a small number of PINGs
   * without receiving PONG replies). Memory is bounded without this (one owed PONG); the pause
   * stops spending input work on such a peer and pushes back on it through TCP.
   *
   * Why not pause whenever output is backed up: two peers that each stop reading because the
   * other's output is backed up wait for each other forever (bidirectional bulk traffic).
   * Here a peer that sends any message or other command meanwhile is always read; a mutual
   * pause would need both sides to burst at once, each stuck behind two PINGs the other sent
   * in an idle interval before its burst, and even then the heartbeat timeouts (PINGs imply
   * heartbeats are on) close the connection rather than leave it hanging.
   */
  get readPaused(): boolean {
    return (
      this.#outputBlocked &&
      this.#pongOwed !== undefined &&
      this.#pingsWhileBlocked >= PINGS_BEFORE_READ_PAUSE &&
      this.#state === State.TRAFFIC
    )
  }

  // ---- time --------------------------------------------------------------------------------

  /** Act on whatever is due at `now` (handshake timeout, heartbeats). */
  tick(now: number = this.#now()): void {
    if (this.#state === State.CLOSED) return
    if (this.#state !== State.TRAFFIC) {
      if (now >= this.#handshakeDeadline) {
        this.#fail(protocolError(ErrorCode.HANDSHAKE_TIMEOUT, "handshake did not complete in time"))
      }
      return
    }
    const due = this.#heartbeat.poll(now)
    if (due === "dead") {
      this.#fail(protocolError(ErrorCode.HEARTBEAT_TIMEOUT, "no traffic from peer within the heartbeat timeout"))
    } else if (due === "ping" && (this.peerMinorVersion ?? 0) >= 1) {
      this.#sendCommand(Command.PING, encodePing(this.#heartbeat.ttlDeciseconds, EMPTY))
    }
  }

  /** When tick() should next be called (Infinity: never). */
  get nextDeadline(): number {
    if (this.#state === State.CLOSED) return Infinity
    if (this.#state !== State.TRAFFIC) return this.#handshakeDeadline
    return this.#heartbeat.nextDeadline
  }

  /** Close locally: wipes secrets; later input is ignored. */
  close(): void {
    if (this.#state === State.CLOSED) return
    this.#state = State.CLOSED
    this.#mechanism?.destroy()
    this.#dropPartialMessage()
  }

  #dropPartialMessage(): void {
    // Let go of the bodies (they may pin read buffers); keep the array unless it grew large.
    if (this.#parts.length > PARTS_KEPT) this.#parts = []
    else this.#parts.fill(undefined, 0, this.#partsCount)
    this.#partsCount = 0
    this.#partsSize = 0
  }
}

/** A connection keeps its message-assembly array while no message had more frames than this. */
const PARTS_KEPT = 64

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === "function"
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * Socket-Type as octets, encoded once per type name (issue 13: per-connection set-up). The
 * metadata encoder only reads it, so one array per type can be shared.
 */
const SOCKET_TYPE_OCTETS = new Map<string, Uint8Array>()
function socketTypeOctets(type: string): Uint8Array {
  let octets = SOCKET_TYPE_OCTETS.get(type)
  if (octets === undefined) {
    octets = utf8(type)
    SOCKET_TYPE_OCTETS.set(type, octets)
  }
  return octets
}

/**
 * The peer's public key in Z85 (PeerInfo.publicKey). A client meets the same server key on
 * every connection, a server often the same client keys: the last few encodings are kept,
 * keyed by the 32 octets. Public keys only (never a secret); a different key is a miss.
 */
const PUBLIC_KEY_TEXT_CACHE_SIZE = 8
const publicKeyTexts: { key: Uint8Array; text: string }[] = []
function publicKeyText(key: Uint8Array): string {
  for (const entry of publicKeyTexts) if (sameOctets(entry.key, key)) return entry.text
  const text = z85Encode(key)
  if (publicKeyTexts.length >= PUBLIC_KEY_TEXT_CACHE_SIZE) publicKeyTexts.pop()
  publicKeyTexts.unshift({ key: new Uint8Array(key), text })
  return text
}

/** Equal octets (public data: no need for constant time). */
function sameOctets(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
function utf8(s: string): Uint8Array {
  return encoder.encode(s)
}
function utf8Decode(b: Uint8Array): string {
  return decoder.decode(b)
}
