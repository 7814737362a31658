/**
 * The end-to-end client session, sans-IO (STYLE.md "Layers above the wire"): RFC 26 CurveZMQ
 * carried in ordinary messages, driving src/mechanism's CurveClient for the handshake and its
 * MESSAGE encode/decode for traffic. Frames in, outputs out; time and randomness injected; the
 * socket adapter (./socket.ts) only moves frames and runs tick() at nextDeadline().
 *
 *   start()              -> send HELLO
 *   receive(WELCOME)     -> send INITIATE
 *   receive(READY)       -> ready; every queued message leaves as MESSAGE commands
 *   send(frames)         -> one MESSAGE per frame, MORE on all but the last (libcurve framing)
 *   receive(MESSAGE...)  -> message (whole, in order, or not at all: ./assembly.ts)
 *
 * Re-handshake by itself (event "rehandshake"), with fresh transient keys, when: the handshake
 * does not complete within handshakeTimeoutMs (also after a refused WELCOME/READY, which may be a
 * stale answer to an earlier HELLO); the server says it has no session for us (ERROR
 * "no session": the session expired or was shed there, or a relay reconnected and our envelope
 * changed — unauthenticated, so all it can cause is a new handshake); the session was idle
 * longer than idleTimeoutMs when the application sends. While re-handshaking, MESSAGEs of the
 * previous session are still opened (replies in flight are not lost), and sends are queued.
 *
 * Delivery guarantee: at most once, in order, whole messages. Messages sent on a session the
 * server no longer has (between a relay reconnect / server-side expiry and our re-handshake) are
 * lost; none is ever duplicated (nothing is re-sent) and none delivered twice (nonces).
 *
 * ERROR "300"/"400"/"500" during the handshake (authentication refused) fails the session for
 * good (RFC 37: not retrying with the same credentials): output "failed".
 */
import { AuthError, ErrorCode, isProtocolError, type ProtocolError } from "../errors.js"
import { wipe } from "../crypto/index.js"
import { CurveClient } from "../mechanism/curve-client.js"
import type { NonceOrder } from "../mechanism/curve-message.js"
import type { MechanismEnvironment } from "../mechanism/mechanism.js"
import { Command } from "../wire/constants.js"
import { decodeCommand, encodeCommand } from "../wire/command.js"
import { decodeError } from "../wire/commands.js"
import type { Metadata } from "../wire/types.js"
import { Assembly } from "./assembly.js"
import {
  DEFAULTS,
  MESSAGE_OVERHEAD,
  READY_NONCE_AT,
  announceMetadata,
  commandName,
  isMessageCommand,
  keyOption,
  messageFrames,
  positiveInteger,
  type MessageInput,
} from "./common.js"
import { E2eCode, E2eError, type E2eEvent } from "./events.js"
import { readNonce } from "./nonce.js"

/** The ERROR reason a server sends for a MESSAGE from an envelope it has no session for. */
export const NO_SESSION_REASON = "no session"

/** WELCOME is 168 octets, READY 30 + metadata: a READY over 16 KiB is refused unread. */
const MAX_HANDSHAKE_COMMAND = 16 * 1024 + 30

export interface E2eClientOptions {
  /** The server's long-term public key S. */
  serverKey: Uint8Array | string
  /** Our long-term key pair C / c (the server sees C on every message, proven by the vouch). */
  publicKey: Uint8Array | string
  secretKey: Uint8Array | string
  /** Properties announced in INITIATE (names are lower-cased by libcurve peers). */
  metadata?: Metadata | Record<string, string | Uint8Array>
  /** Injected randomness and clock. */
  env: MechanismEnvironment
  /** Default 10 s: no READY by then starts a new handshake. */
  handshakeTimeoutMs?: number
  /** Default 240 s (below the server's default expiry of 300 s); 0 = never. */
  idleTimeoutMs?: number
  /** Largest application message (sum of its frames), both ways. Default 1 MiB. */
  maxMessageSize?: number
  maxFrames?: number
  /** Messages held while a handshake runs; send() throws E2eError(QUEUE_FULL) beyond. Default 1000. */
  maxQueuedMessages?: number
  /** Byte order of our short nonces; default "big" (RFC 26). libcurve does not check either way. */
  nonceOrder?: NonceOrder
  /** Byte order of the server's short nonces; default "auto" (detected: libcurve sends little-endian). */
  peerNonceOrder?: NonceOrder | "auto"
}

export type E2eClientOutput =
  /** Send this command as one single-frame message. */
  | { type: "send"; frame: Uint8Array }
  /** A whole application message from the server. */
  | { type: "message"; frames: Uint8Array[] }
  /** A session is established; `metadata` is what the server sent in READY. */
  | { type: "ready"; metadata: Metadata; serverKey: Uint8Array }
  | { type: "event"; event: E2eEvent }
  /** Permanently failed (authentication refused); send() throws from now on. */
  | { type: "failed"; error: ProtocolError }

type State = "idle" | "handshaking" | "ready" | "failed" | "closed"

export class E2eClientSession {
  readonly #keys: { serverKey: Uint8Array; publicKey: Uint8Array; secretKey: Uint8Array }
  readonly #metadata: Metadata
  readonly #env: MechanismEnvironment
  readonly #handshakeTimeoutMs: number
  readonly #idleTimeoutMs: number
  readonly #maxMessageSize: number
  readonly #maxFrames: number
  readonly #maxQueued: number
  readonly #nonceOrder: NonceOrder
  readonly #peerNonceOrder: NonceOrder | "auto"
  #state: State = "idle"
  #mech: CurveClient | undefined
  /** The previous session, still opening MESSAGEs while the next handshake runs. */
  #previous: { mech: CurveClient; assembly: Assembly } | undefined
  #assembly: Assembly | undefined
  #deadline = 0
  #lastActivity = 0
  #queue: Uint8Array[][] = []
  #failure: ProtocolError | undefined
  #handshakes = 0

  constructor(options: E2eClientOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("expected end-to-end client options as an object")
    this.#keys = {
      serverKey: new Uint8Array(keyOption(options.serverKey, "serverKey")),
      publicKey: new Uint8Array(keyOption(options.publicKey, "publicKey")),
      secretKey: new Uint8Array(keyOption(options.secretKey, "secretKey")),
    }
    this.#metadata = announceMetadata(options.metadata)
    const env: MechanismEnvironment | undefined = options.env
    if (env === undefined || typeof env.randomBytes !== "function" || typeof env.now !== "function") {
      throw new TypeError("expected env with randomBytes(n) and now()")
    }
    this.#env = env
    this.#handshakeTimeoutMs = positiveInteger(options.handshakeTimeoutMs, "handshakeTimeoutMs", DEFAULTS.handshakeTimeoutMs)
    this.#idleTimeoutMs = positiveInteger(options.idleTimeoutMs, "idleTimeoutMs", DEFAULTS.clientIdleTimeoutMs, true)
    this.#maxMessageSize = positiveInteger(options.maxMessageSize, "maxMessageSize", DEFAULTS.maxMessageSize)
    this.#maxFrames = positiveInteger(options.maxFrames, "maxFrames", DEFAULTS.maxFrames)
    this.#maxQueued = positiveInteger(options.maxQueuedMessages, "maxQueuedMessages", DEFAULTS.maxQueuedMessages)
    this.#nonceOrder = options.nonceOrder ?? "big"
    this.#peerNonceOrder = options.peerNonceOrder ?? "auto"
  }

  get isReady(): boolean {
    return this.#state === "ready"
  }

  /** How many handshakes this session started (1 after start()). */
  get handshakes(): number {
    return this.#handshakes
  }

  /** When tick() must run next (ms of env.now()), or undefined. */
  get nextDeadline(): number | undefined {
    return this.#state === "handshaking" ? this.#deadline : undefined
  }

  /** Start the first handshake: HELLO. */
  start(): E2eClientOutput[] {
    if (this.#state !== "idle") throw new Error("E2eClientSession.start() called twice")
    return this.#handshake()
  }

  #handshake(): E2eClientOutput[] {
    this.#mech?.destroy()
    this.#handshakes++
    const mech = new CurveClient(this.#keys, { metadata: this.#metadata, env: this.#env }, {
      nonceOrder: this.#nonceOrder,
      peerNonceOrder: this.#peerNonceOrder,
    })
    this.#mech = mech
    this.#assembly = undefined
    this.#state = "handshaking"
    this.#deadline = this.#env.now() + this.#handshakeTimeoutMs
    return this.#commands(mech.start())
  }

  /** Start over with fresh transient keys; the current session (if ready) keeps opening replies. */
  #rehandshake(code: E2eEvent["code"], detail: string): E2eClientOutput[] {
    if (this.#state === "ready" && this.#mech !== undefined && this.#assembly !== undefined) {
      this.#previous?.mech.destroy()
      this.#previous = { mech: this.#mech, assembly: this.#assembly }
      this.#mech = undefined
    }
    return [{ type: "event", event: { type: "rehandshake", code, detail } }, ...this.#handshake()]
  }

  #commands(outputs: ReturnType<CurveClient["start"]>): E2eClientOutput[] {
    const out: E2eClientOutput[] = []
    for (const o of outputs) {
      if (o.type === "command") out.push({ type: "send", frame: encodeCommand(o.command.name, o.command.data) })
      else if (o.type === "failed") out.push(...this.#fail(o.error))
      else if (o.type === "ready") out.push(...this.#onReady(o.peerMetadata))
    }
    return out
  }

  #onReady(metadata: Metadata): E2eClientOutput[] {
    this.#state = "ready"
    this.#lastActivity = this.#env.now()
    this.#previous?.mech.destroy()
    this.#previous = undefined
    const out: E2eClientOutput[] = [
      { type: "event", event: { type: "session-opened", detail: "session established" } },
      { type: "ready", metadata, serverKey: new Uint8Array(this.#keys.serverKey) },
    ]
    const queue = this.#queue
    this.#queue = []
    const now = this.#env.now()
    for (const frames of queue) this.#encodeInto(out, frames, now)
    return out
  }

  /** The READY nonce starts the assembly's successor check. */
  #readyNonce(frame: Uint8Array): void {
    const mech = this.#mech as CurveClient
    this.#assembly = new Assembly(readNonce(frame, READY_NONCE_AT, mech.peerNonceOrder), this.#maxMessageSize, this.#maxFrames)
  }

  #fail(error: ProtocolError): E2eClientOutput[] {
    this.#failure = error
    this.#state = "failed"
    this.#queue = []
    this.#mech?.destroy()
    this.#mech = undefined
    this.#previous?.mech.destroy()
    this.#previous = undefined
    const status = error instanceof AuthError ? error.status : undefined
    const event: E2eEvent =
      status === undefined
        ? { type: "handshake-refused", code: error.code, detail: error.message }
        : { type: "auth-refused", code: error.code, detail: error.message, status }
    return [{ type: "event", event }, { type: "failed", error }]
  }

  /** Queue or encode one application message. Throws E2eError when failed/closed or the queue is full. */
  send(message: MessageInput): E2eClientOutput[] {
    if (this.#state === "failed") throw new E2eError(this.#failure?.code ?? ErrorCode.UNSPECIFIED, `end-to-end session failed: ${this.#failure?.message ?? ""}`)
    if (this.#state === "closed" || this.#state === "idle") throw new E2eError(E2eCode.CLOSED, `end-to-end session is ${this.#state === "idle" ? "not started" : "closed"}`)
    const frames = messageFrames(message, this.#maxMessageSize, this.#maxFrames)
    const out: E2eClientOutput[] = []
    if (this.#state === "ready") {
      // One clock read per message: the idle check and the activity stamp share it.
      const now = this.#env.now()
      if (this.#idleTimeoutMs === 0 || now - this.#lastActivity < this.#idleTimeoutMs) {
        this.#encodeInto(out, frames, now)
        return out
      }
      for (const o of this.#rehandshake(E2eCode.EXPIRED, `the session was idle ${this.#idleTimeoutMs} ms or more: new handshake before sending`)) out.push(o)
    }
    if (this.#queue.length >= this.#maxQueued) {
      throw new E2eError(E2eCode.QUEUE_FULL, `${this.#maxQueued} messages already wait for the handshake (maxQueuedMessages)`)
    }
    this.#queue.push(frames)
    return out
  }

  /** One MESSAGE per frame, MORE on all but the last, appended to `out`. */
  #encodeInto(out: E2eClientOutput[], frames: Uint8Array[], now: number): void {
    const mech = this.#mech as CurveClient
    const last = frames.length - 1
    for (let i = 0; i <= last; i++) {
      out.push({ type: "send", frame: mech.encode({ more: i < last, command: false, body: frames[i] as Uint8Array }).body })
    }
    this.#lastActivity = now
  }

  /** One received single-frame message. Never throws on network input. */
  receive(frame: Uint8Array): E2eClientOutput[] {
    if (this.#state === "closed" || this.#state === "failed" || this.#state === "idle") return []
    const name = isMessageCommand(frame) ? Command.MESSAGE : commandName(frame)
    if (frame.length > (name === Command.MESSAGE ? this.#maxMessageSize + MESSAGE_OVERHEAD : MAX_HANDSHAKE_COMMAND)) {
      return [this.#dropped(ErrorCode.MESSAGE_TOO_LARGE, `a ${frame.length}-octet command is over the limit (maxMessageSize)`)]
    }
    switch (name) {
      case Command.MESSAGE:
        return this.#onMessage(frame)
      case Command.ERROR:
        return this.#onError(frame)
      case Command.WELCOME:
      case Command.READY:
        return this.#onHandshake(frame, name)
      default:
        return [this.#dropped(E2eCode.NOT_A_COMMAND, "a frame that is no CurveZMQ command for a client")]
    }
  }

  #onHandshake(frame: Uint8Array, name: string): E2eClientOutput[] {
    const mech = this.#mech
    if (this.#state !== "handshaking" || mech === undefined) {
      return [this.#dropped(ErrorCode.UNEXPECTED_COMMAND, `${name} outside a handshake (stale or replayed)`)]
    }
    try {
      const outputs = mech.receive(decodeCommand(frame))
      if (name === Command.READY && mech.isReady) this.#readyNonce(frame)
      return this.#commands(outputs)
    } catch (err) {
      if (!isProtocolError(err)) throw err
      // The mechanism is dead; the deadline starts a fresh handshake (a stale WELCOME for an
      // earlier HELLO must not start a cascade of restarts).
      this.#mech = undefined
      return [{ type: "event", event: { type: "handshake-refused", code: err.code, detail: `${name} refused: ${err.message}` } }]
    }
  }

  #onError(frame: Uint8Array): E2eClientOutput[] {
    let reason: string
    try {
      reason = decodeError(decodeCommand(frame).data)
    } catch (err) {
      if (!isProtocolError(err)) throw err
      return [this.#dropped(err.code, `malformed ERROR: ${err.message}`)]
    }
    if (reason === NO_SESSION_REASON) {
      if (this.#state === "ready") return this.#rehandshake(E2eCode.SESSION_LOST, "the server has no session for us (expired, shed, or our envelope changed): new handshake")
      return [this.#dropped(E2eCode.SESSION_LOST, "ERROR \"no session\" during a handshake (for an earlier message): ignored")]
    }
    if (this.#state === "handshaking" && this.#mech !== undefined) {
      try {
        return this.#commands(this.#mech.receive(decodeCommand(frame)))
      } catch (err) {
        if (!isProtocolError(err)) throw err
        return [this.#dropped(err.code, `malformed ERROR: ${err.message}`)]
      }
    }
    return [this.#dropped(ErrorCode.UNEXPECTED_COMMAND, `ERROR ${JSON.stringify(reason.slice(0, 40))} outside a handshake: ignored`)]
  }

  #onMessage(frame: Uint8Array): E2eClientOutput[] {
    let mech: CurveClient | undefined
    let assembly: Assembly | undefined
    if (this.#state === "ready") {
      mech = this.#mech
      assembly = this.#assembly
    } else if (this.#previous !== undefined) {
      mech = this.#previous.mech
      assembly = this.#previous.assembly
    }
    if (mech === undefined || assembly === undefined) {
      return [this.#dropped(ErrorCode.UNEXPECTED_COMMAND, "MESSAGE before the session is ready")]
    }
    const result = assembly.push(mech, frame, undefined)
    if (result === undefined) return []
    if (!Array.isArray(result)) return [{ type: "event", event: result }]
    if (mech === this.#mech) this.#lastActivity = this.#env.now()
    return [{ type: "message", frames: result }]
  }

  /** Run at nextDeadline: a handshake that did not complete starts over. */
  tick(): E2eClientOutput[] {
    if (this.#state !== "handshaking" || this.#env.now() < this.#deadline) return []
    return this.#rehandshake(E2eCode.HANDSHAKE_TIMEOUT, `no READY within ${this.#handshakeTimeoutMs} ms: new handshake`)
  }

  #dropped(code: E2eEvent["code"], detail: string): E2eClientOutput {
    return { type: "event", event: { type: "dropped", code, detail } }
  }

  /** Wipe every key; the session is unusable afterwards. */
  close(): void {
    if (this.#state === "closed") return
    this.#state = "closed"
    this.#mech?.destroy()
    this.#previous?.mech.destroy()
    this.#mech = undefined
    this.#previous = undefined
    this.#queue = []
    wipe(this.#keys.secretKey)
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `E2eClientSession { state: ${this.#state} }`
  }
}
