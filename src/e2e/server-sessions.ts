/**
 * The end-to-end server, sans-IO: many RFC 26 CurveZMQ sessions carried in messages, each keyed
 * by the envelope it arrives with (every frame before the command: [routing-id] on a ROUTER,
 * [broker-id][client-id] behind a ROUTER<->DEALER proxy, one more per broker). It drives
 * src/mechanism's CurveServer with shared cookie keys (./cookie-keys.ts), so:
 *
 *   HELLO    -> WELCOME, and nothing is kept (the cookie carries C' and s'; RFC 26 "The WELCOME
 *               Command"): a flood of HELLOs from distinct keys leaves no state.
 *   INITIATE -> a fresh CurveServer opens the cookie, the box and the vouch; then the same
 *               `authenticate` hook as the wire mechanisms (the Authenticator works unchanged)
 *               -> READY; the session now exists, its peer carries C (proven by the vouch),
 *               the User-Id and metadata of the hook's answer.
 *   MESSAGE  -> ./assembly.ts: whole messages attributed to that peer, or a "dropped" event.
 *
 * Bounds: at most maxSessions authenticated sessions (a new one sheds the least recently active
 * first, event SHED) plus at most maxPendingAuth waiting for the authenticate answer (more are
 * refused, BUSY: unauthenticated keys cannot push out established sessions), idle sessions expire after idleTimeoutMs (tick(), event EXPIRED), a session waiting for
 * its authenticate answer longer than handshakeTimeoutMs is dropped (HANDSHAKE_TIMEOUT), every
 * received frame is checked against maxMessageSize (+ the MESSAGE overhead) and an INITIATE
 * against maxMetadataSize before anything is allocated for it; a partial multipart message is
 * bounded by maxMessageSize and maxFrames.
 *
 * A MESSAGE from an envelope without a session is dropped (UNKNOWN_SESSION) and, unless
 * signalUnknownSession is false, answered with ERROR "no session" so that the client
 * re-handshakes (RFC 26 "The ERROR Command": the server "MAY respond with ERROR in other failure
 * cases"). Invalid MESSAGEs within a session get no ERROR (RFC 26 "The MESSAGE Command").
 * Never sends ERROR otherwise, except "400"/"500" for a refused authentication (RFC 26). Pure.
 */
import { AuthError, ErrorCode, isProtocolError } from "../errors.js"
import { publicFromSecret, wipe } from "../crypto/index.js"
import { CurveServer } from "../mechanism/curve-server.js"
import type { NonceOrder } from "../mechanism/curve-message.js"
import type { AuthReply, AuthRequest, MechanismEnvironment, MechanismOptions, MechanismOutput } from "../mechanism/mechanism.js"
import { Command } from "../wire/constants.js"
import { decodeCommand, encodeCommand } from "../wire/command.js"
import { encodeError } from "../wire/commands.js"
import type { Metadata } from "../wire/types.js"
import { Assembly } from "./assembly.js"
import { NO_SESSION_REASON } from "./client-session.js"
import {
  DEFAULTS,
  HELLO_SIZE,
  INITIATE_MIN_SIZE,
  INITIATE_NONCE_AT,
  MESSAGE_OVERHEAD,
  announceMetadata,
  commandName,
  isMessageCommand,
  keyOption,
  messageFrames,
  positiveInteger,
  type MessageInput,
} from "./common.js"
import { CookieKeyring } from "./cookie-keys.js"
import { E2eCode, E2eError, type E2eEvent } from "./events.js"
import { readNonce } from "./nonce.js"

/** The client of one session, as the server's application sees it. */
export interface E2ePeer {
  /** Opaque, unique per session: use it (or this object) to address replies. */
  readonly id: string
  /** The client's long-term public key C, proven by the vouch (RFC 26 "The INITIATE Command"). */
  readonly publicKey: Uint8Array
  /** User-Id from the authenticate hook's answer ("" without a hook). */
  readonly userId: string
  /** Properties the client announced in INITIATE. */
  readonly metadata: ReadonlyMap<string, Uint8Array>
  /** Properties the authenticate hook added. */
  readonly authMetadata: ReadonlyMap<string, Uint8Array>
}

/** One shared empty map for every peer without properties (read-only by type): 190 B less each. */
const NO_PROPERTIES: ReadonlyMap<string, Uint8Array> = new Map()

export interface E2eServerOptions {
  /** Our long-term secret key s. */
  secretKey: Uint8Array | string
  /** Our long-term public key S (derived from secretKey when absent). */
  publicKey?: Uint8Array | string
  /**
   * The same hook as the wire mechanisms (`Authenticator.authenticate` works as is); asked with
   * mechanism "CURVE" and credentials [C]. Absent: every client with a valid vouch is accepted.
   */
  authenticate?: boolean
  /** ZAP domain put into each AuthRequest. Default "". */
  zapDomain?: string
  /** Properties announced in READY. */
  metadata?: Metadata | Record<string, string | Uint8Array>
  env: MechanismEnvironment
  /** Authenticated sessions kept; default 10 000. */
  maxSessions?: number
  /** Sessions waiting for their authenticate answer (not counted against maxSessions until they pass); default 1 000. */
  maxPendingAuth?: number
  /** Default 300 s. */
  idleTimeoutMs?: number
  /** Longest wait for the authenticate answer. Default 10 s. */
  handshakeTimeoutMs?: number
  /** Largest application message (sum of its frames), both ways. Default 1 MiB. */
  maxMessageSize?: number
  maxFrames?: number
  /** Largest INITIATE metadata. Default 8 KiB. */
  maxMetadataSize?: number
  /** Cookie key lifetime (RFC 26: "for example 60 seconds"). Default 60 s. */
  cookieLifetimeMs?: number
  /** Answer a MESSAGE without a session with ERROR "no session". Default true. */
  signalUnknownSession?: boolean
  /** Byte order of our short nonces; default "big". */
  nonceOrder?: NonceOrder
  /** Byte order of the clients' short nonces; default "auto" (libcurve clients send little-endian). */
  peerNonceOrder?: NonceOrder | "auto"
  /** Accept every HELLO version and padding (libcurve sends uninitialised version octets). Default true. */
  lenientHello?: boolean
}

export type E2eServerOutput =
  /** Send [...envelope, frame]. */
  | { type: "send"; envelope: Uint8Array[]; frame: Uint8Array }
  /** Ask the authenticate hook, then call authReply(ticket, answer). */
  | { type: "authenticate"; ticket: number; request: AuthRequest }
  | { type: "message"; peer: E2ePeer; frames: Uint8Array[] }
  | { type: "event"; event: E2eEvent }

interface Session {
  /** envelopeKey() of its envelope: the envelope itself is decoded from it to send (one typed array less per idle session). */
  readonly key: string
  mech: CurveServer
  peer: E2ePeer | undefined
  assembly: Assembly | undefined
  lastActive: number
  /** Pending authentication: its ticket and deadline. */
  ticket: number
  deadline: number
}

/** A string key for an envelope: each frame as its length (2 chars) and its octets. */
export function envelopeKey(envelope: readonly Uint8Array[]): string {
  let s = ""
  for (const f of envelope) {
    s += String.fromCharCode(f.length >>> 16, f.length & 0xffff)
    for (let i = 0; i < f.length; i++) s += String.fromCharCode(f[i] as number)
  }
  return s
}

/** Whether `key` is envelopeKey(envelope), compared without building a string. */
function envelopeHasKey(envelope: readonly Uint8Array[], key: string): boolean {
  let at = 0
  for (const f of envelope) {
    const n = f.length
    if (at + 2 + n > key.length || key.charCodeAt(at) !== n >>> 16 || key.charCodeAt(at + 1) !== (n & 0xffff)) return false
    at += 2
    for (let i = 0; i < n; i++) if (key.charCodeAt(at + i) !== f[i]) return false
    at += n
  }
  return at === key.length
}

/** The envelope a key stands for. */
export function envelopeFromKey(key: string): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  while (at < key.length) {
    const n = (key.charCodeAt(at) << 16) | key.charCodeAt(at + 1)
    at += 2
    const f = new Uint8Array(n)
    for (let i = 0; i < n; i++) f[i] = key.charCodeAt(at + i)
    at += n
    out.push(f)
  }
  return out
}

export class E2eServerCore {
  readonly #secretKey: Uint8Array
  readonly #publicKey: Uint8Array
  readonly #env: MechanismEnvironment
  readonly #authenticate: boolean
  readonly #zapDomain: string
  readonly #metadata: Metadata
  readonly #maxSessions: number
  readonly #maxPending: number
  readonly #idleTimeoutMs: number
  readonly #handshakeTimeoutMs: number
  readonly #maxMessageSize: number
  readonly #maxFrames: number
  readonly #maxInitiate: number
  readonly #signalUnknown: boolean
  readonly #curve: { cookieKeys: CookieKeyring; lenientHello: boolean; nonceOrder: NonceOrder; peerNonceOrder: NonceOrder | "auto" }
  /** Sessions in order of last activity, least recent first (Map insertion order). */
  readonly #sessions = new Map<string, Session>()
  /** Sessions waiting for their authenticate answer, by ticket, oldest first. */
  readonly #pending = new Map<number, Session>()
  #nextTicket = 1
  #closed = false
  /**
   * The session touched last (the newest entry of #sessions, when set): a stream of messages
   * from one client skips the Map re-insertion that keeps the LRU order.
   */
  #newest: Session | undefined
  /** The key of the envelope seen last: a client sending again reuses the string (no rebuild, no rehash). */
  #lastKey = ""
  readonly #mechanismOptions: MechanismOptions

  constructor(options: E2eServerOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("expected end-to-end server options as an object")
    this.#secretKey = new Uint8Array(keyOption(options.secretKey, "secretKey"))
    this.#publicKey = options.publicKey === undefined ? publicFromSecret(this.#secretKey) : new Uint8Array(keyOption(options.publicKey, "publicKey"))
    const env = options.env
    if (env === undefined || typeof env.randomBytes !== "function" || typeof env.now !== "function") {
      throw new TypeError("expected env with randomBytes(n) and now()")
    }
    this.#env = env
    this.#authenticate = options.authenticate === true
    this.#zapDomain = options.zapDomain ?? ""
    this.#metadata = announceMetadata(options.metadata)
    this.#maxSessions = positiveInteger(options.maxSessions, "maxSessions", DEFAULTS.maxSessions)
    this.#maxPending = positiveInteger(options.maxPendingAuth, "maxPendingAuth", 1_000)
    this.#idleTimeoutMs = positiveInteger(options.idleTimeoutMs, "idleTimeoutMs", DEFAULTS.idleTimeoutMs)
    this.#handshakeTimeoutMs = positiveInteger(options.handshakeTimeoutMs, "handshakeTimeoutMs", DEFAULTS.handshakeTimeoutMs)
    this.#maxMessageSize = positiveInteger(options.maxMessageSize, "maxMessageSize", DEFAULTS.maxMessageSize)
    this.#maxFrames = positiveInteger(options.maxFrames, "maxFrames", DEFAULTS.maxFrames)
    this.#maxInitiate = INITIATE_MIN_SIZE + positiveInteger(options.maxMetadataSize, "maxMetadataSize", DEFAULTS.maxMetadataSize, true)
    this.#signalUnknown = options.signalUnknownSession !== false
    this.#mechanismOptions = { metadata: this.#metadata, env, authenticate: this.#authenticate, zapDomain: this.#zapDomain }
    const lifetime = positiveInteger(options.cookieLifetimeMs, "cookieLifetimeMs", 60_000)
    this.#curve = {
      cookieKeys: new CookieKeyring(env, lifetime, 2 * this.#maxSessions),
      lenientHello: options.lenientHello !== false,
      nonceOrder: options.nonceOrder ?? "big",
      peerNonceOrder: options.peerNonceOrder ?? "auto",
    }
  }

  /** Live sessions (including those waiting for authentication). */
  get sessionCount(): number {
    return this.#sessions.size
  }

  /** Client transient keys remembered against INITIATE replay (bounded, see ./cookie-keys.ts). */
  get replayGuardSize(): number {
    return this.#curve.cookieKeys.claimCount
  }

  /** The earliest time tick() has work, or undefined. */
  get nextDeadline(): number | undefined {
    let next: number | undefined
    const firstPending = this.#pending.values().next()
    if (!firstPending.done) next = firstPending.value.deadline
    const first = this.#sessions.values().next()
    if (!first.done) {
      const t = first.value.lastActive + this.#idleTimeoutMs
      if (next === undefined || t < next) next = t
    }
    return next
  }

  #mechanism(): CurveServer {
    return new CurveServer({ secretKey: this.#secretKey, publicKey: this.#publicKey }, this.#mechanismOptions, this.#curve)
  }

  /** One received message: its envelope frames and its last frame (the command). Never throws on network input. */
  receive(envelope: Uint8Array[], frame: Uint8Array): E2eServerOutput[] {
    if (this.#closed) return []
    // MESSAGE is tested by its bytes first (the per-message path), other commands by name.
    const name = isMessageCommand(frame) ? Command.MESSAGE : commandName(frame)
    if (name === Command.MESSAGE) {
      if (frame.length > this.#maxMessageSize + MESSAGE_OVERHEAD) {
        return [dropped(ErrorCode.MESSAGE_TOO_LARGE, `a ${frame.length}-octet MESSAGE is over maxMessageSize`)]
      }
      return this.#onMessage(envelope, frame)
    }
    if (name === Command.HELLO) return this.#onHello(envelope, frame)
    if (name === Command.INITIATE) return this.#onInitiate(envelope, frame)
    return [dropped(E2eCode.NOT_A_COMMAND, "a frame that is no CurveZMQ command for a server")]
  }

  #onHello(envelope: Uint8Array[], frame: Uint8Array): E2eServerOutput[] {
    if (frame.length !== HELLO_SIZE) {
      return [refused(ErrorCode.MALFORMED_COMMAND_HELLO, `HELLO of ${frame.length} octets, expected ${HELLO_SIZE}`)]
    }
    const mech = this.#mechanism()
    try {
      const out: E2eServerOutput[] = []
      for (const o of mech.receive(decodeCommand(frame))) {
        if (o.type === "command") out.push({ type: "send", envelope, frame: encodeCommand(o.command.name, o.command.data) })
      }
      return out
    } catch (err) {
      if (!isProtocolError(err)) throw err
      return [refused(err.code, `HELLO refused: ${err.message}`)]
    } finally {
      mech.destroy()
    }
  }

  #onInitiate(envelope: Uint8Array[], frame: Uint8Array): E2eServerOutput[] {
    if (frame.length > this.#maxInitiate) {
      return [refused(ErrorCode.MESSAGE_TOO_LARGE, `INITIATE of ${frame.length} octets is over maxMetadataSize`)]
    }
    const mech = this.#mechanism()
    let outputs: MechanismOutput[]
    try {
      outputs = mech.receive(decodeCommand(frame))
    } catch (err) {
      mech.destroy()
      if (!isProtocolError(err)) throw err
      return [refused(err.code, `INITIATE refused: ${err.message}`)]
    }
    // A valid INITIATE: only now does the session exist.
    const out: E2eServerOutput[] = []
    if (outputs.some((o) => o.type === "authenticate") && this.#pending.size >= this.#maxPending) {
      // Valid INITIATEs from keys not yet authenticated never push out established sessions:
      // they wait in a bounded set of their own (the client retries at its deadline).
      mech.destroy()
      return [refused(E2eCode.BUSY, `${this.#maxPending} handshakes already wait for their authenticate answer (maxPendingAuth)`)]
    }
    const key = envelopeKey(envelope)
    const old = this.#sessions.get(key)
    if (old !== undefined) out.push(...this.#close(old, E2eCode.REPLACED, "a new handshake from the same envelope replaces the session"))
    const now = this.#env.now()
    const session: Session = {
      key,
      mech,
      peer: undefined,
      assembly: undefined,
      lastActive: now,
      ticket: 0,
      deadline: 0,
    }
    this.#sessions.set(key, session)
    this.#newest = session
    const initiateNonce = readNonce(frame, INITIATE_NONCE_AT, mech.peerNonceOrder)
    session.assembly = new Assembly(initiateNonce, this.#maxMessageSize, this.#maxFrames)
    out.push(...this.#mechanismOutputs(session, outputs))
    return out
  }

  #mechanismOutputs(session: Session, outputs: MechanismOutput[]): E2eServerOutput[] {
    const out: E2eServerOutput[] = []
    for (const o of outputs) {
      if (o.type === "command") out.push({ type: "send", envelope: envelopeFromKey(session.key), frame: encodeCommand(o.command.name, o.command.data) })
      else if (o.type === "authenticate") {
        session.ticket = this.#nextTicket++
        session.deadline = this.#env.now() + this.#handshakeTimeoutMs
        this.#pending.set(session.ticket, session)
        out.push({ type: "authenticate", ticket: session.ticket, request: o.request })
      } else if (o.type === "ready") {
        // Room for an authenticated session: shed the least recently active others.
        for (const lru of this.#sessions.values()) {
          if (this.#sessions.size <= this.#maxSessions) break
          if (lru === session) continue
          out.push(...this.#close(lru, E2eCode.SHED, `maxSessions (${this.#maxSessions}) reached: the least recently active session is shed`))
        }
        session.peer = Object.freeze({
          id: session.key,
          publicKey: o.peerPublicKey ?? new Uint8Array(32),
          userId: o.userId,
          metadata: o.peerMetadata.size === 0 ? NO_PROPERTIES : o.peerMetadata,
          authMetadata: o.authMetadata.size === 0 ? NO_PROPERTIES : o.authMetadata,
        })
        out.push({ type: "event", event: { type: "session-opened", detail: "session established", peerId: session.key } })
      } else if (o.type === "failed") {
        const status = o.error instanceof AuthError ? o.error.status : undefined
        this.#forget(session)
        out.push({
          type: "event",
          event:
            status === undefined
              ? { type: "handshake-refused", code: o.error.code, detail: o.error.message, peerId: session.key }
              : { type: "auth-refused", code: o.error.code, detail: o.error.message, peerId: session.key, status },
        })
      }
    }
    return out
  }

  /** The authenticate hook's answer for `ticket` (late answers for gone sessions are ignored). */
  authReply(ticket: number, reply: AuthReply): E2eServerOutput[] {
    const session = this.#pending.get(ticket)
    if (session === undefined || this.#closed) return []
    this.#pending.delete(ticket)
    session.ticket = 0
    try {
      return this.#mechanismOutputs(session, session.mech.authReply(reply))
    } catch (err) {
      this.#forget(session)
      if (!isProtocolError(err)) throw err
      return [{ type: "event", event: { type: "auth-refused", code: err.code, detail: `bad authenticate answer: ${err.message}`, peerId: session.key } }]
    }
  }

  #onMessage(envelope: Uint8Array[], frame: Uint8Array): E2eServerOutput[] {
    let key = this.#lastKey
    if (!envelopeHasKey(envelope, key)) this.#lastKey = key = envelopeKey(envelope)
    const session = this.#sessions.get(key)
    if (session === undefined || session.peer === undefined || session.assembly === undefined) {
      const out: E2eServerOutput[] = [dropped(E2eCode.UNKNOWN_SESSION, "MESSAGE from an envelope without a session")]
      if (session === undefined && this.#signalUnknown) {
        out.push({ type: "send", envelope, frame: encodeCommand(Command.ERROR, encodeError(NO_SESSION_REASON)) })
      }
      return out
    }
    const result = session.assembly.push(session.mech, frame, session.key)
    if (result === undefined) return []
    if (!Array.isArray(result)) return [{ type: "event", event: result }]
    this.#touch(session)
    return [{ type: "message", peer: session.peer, frames: result }]
  }

  #touch(session: Session): void {
    session.lastActive = this.#env.now()
    if (this.#newest === session) return // already last in the LRU order
    this.#sessions.delete(session.key)
    this.#sessions.set(session.key, session)
    this.#newest = session
  }

  /** Encode a message to `peer`. Throws E2eError(UNKNOWN_SESSION) when that session is gone. */
  send(peer: E2ePeer | string, message: MessageInput): E2eServerOutput[] {
    const id = typeof peer === "string" ? peer : peer?.id
    const session = typeof id === "string" ? this.#sessions.get(id) : undefined
    if (session === undefined || session.peer === undefined || (typeof peer !== "string" && session.peer !== peer)) {
      throw new E2eError(E2eCode.UNKNOWN_SESSION, "no such end-to-end session (it expired, was shed, replaced or closed)")
    }
    const frames = messageFrames(message, this.#maxMessageSize, this.#maxFrames)
    const out: E2eServerOutput[] = []
    const last = frames.length - 1
    const envelope = envelopeFromKey(session.key)
    for (let i = 0; i <= last; i++) {
      out.push({ type: "send", envelope, frame: session.mech.encode({ more: i < last, command: false, body: frames[i] as Uint8Array }).body })
    }
    this.#touch(session)
    return out
  }

  /** Expire idle sessions and overdue authentications. */
  tick(): E2eServerOutput[] {
    const now = this.#env.now()
    const out: E2eServerOutput[] = []
    for (const session of this.#pending.values()) {
      if (session.deadline > now) break
      out.push(...this.#close(session, E2eCode.HANDSHAKE_TIMEOUT, `no authenticate answer within ${this.#handshakeTimeoutMs} ms`))
    }
    for (const session of this.#sessions.values()) {
      if (session.lastActive + this.#idleTimeoutMs > now) break
      out.push(...this.#close(session, E2eCode.EXPIRED, `no traffic for ${this.#idleTimeoutMs} ms`))
    }
    return out
  }

  /** Close one session (the application's choice). */
  closeSession(peer: E2ePeer | string): E2eServerOutput[] {
    const session = this.#sessions.get(typeof peer === "string" ? peer : peer.id)
    return session === undefined ? [] : this.#close(session, E2eCode.CLOSED, "closed by the application")
  }

  #close(session: Session, code: E2eCode, detail: string): E2eServerOutput[] {
    this.#forget(session)
    return [{ type: "event", event: { type: "session-closed", code, detail, peerId: session.key } }]
  }

  #forget(session: Session): void {
    if (this.#sessions.get(session.key) === session) this.#sessions.delete(session.key)
    if (this.#newest === session) this.#newest = undefined
    if (session.ticket !== 0) this.#pending.delete(session.ticket)
    session.ticket = 0
    session.mech.destroy()
  }

  /** Close every session and wipe every key. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const s of [...this.#sessions.values()]) this.#forget(s)
    this.#curve.cookieKeys.destroy()
    wipe(this.#secretKey)
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `E2eServerCore { sessions: ${this.#sessions.size} }`
  }
}

function dropped(code: E2eEvent["code"], detail: string): E2eServerOutput {
  return { type: "event", event: { type: "dropped", code, detail } }
}

function refused(code: E2eEvent["code"], detail: string): E2eServerOutput {
  return { type: "event", event: { type: "handshake-refused", code, detail } }
}


