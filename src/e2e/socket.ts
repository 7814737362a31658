/**
 * The socket-level API of the end-to-end layer: a thin adapter that moves frames between a socket
 * of the `zeromq` v6 send/receive shape (Ironhouse's Dealer/Request/Router and the `zeromq`
 * package's alike) and the sans-IO cores (./client-session.ts, ./server-sessions.ts).
 *
 *   const server = new CurveZmqServer(new Router(), { secretKey, authenticate: auth.authenticate })
 *   for await (const { message, peer } of server) await server.send(peer, reply)
 *   const client = new CurveZmqClient(new Dealer(), { serverKey, publicKey, secretKey })
 *   await client.send(["hello"]); const [answer] = await client.receive()
 *
 * Framing (libcurve's, ./common.ts): each command is its own single-frame message. A client over
 * a Request socket (strict send/receive alternation) instead sends the MESSAGE commands of one
 * application message as the frames of one message, and the server answers such a client (its
 * envelope ends in REQ's empty delimiter) the same way; a DEALER/ROUTER libcurve peer never sees
 * this. Over REQ a lost reply stalls the socket (REQ's own rule: no second request before the
 * reply), so a re-handshake cannot go out; use a DEALER where relays may lose messages.
 * Socket sends are serialized (a zeromq socket refuses concurrent sends). Every refusal
 * and drop is an "event" (E2eEvent); the adapters never throw from their receive loop.
 */
import { cryptoReady, randomBytes } from "../crypto/index.js"
import { readyBackend } from "../crypto/active-backend.js"
import { ErrorCode } from "../errors.js"
import type { Authenticate, AuthRequest, MechanismEnvironment } from "../mechanism/mechanism.js"
import { E2eClientSession, type E2eClientOptions, type E2eClientOutput } from "./client-session.js"
import type { MessageInput } from "./common.js"
import { E2eCode, E2eError, type E2eEvent } from "./events.js"
import { E2eServerCore, type E2ePeer, type E2eServerOptions, type E2eServerOutput } from "./server-sessions.js"

import type { MessageSocket } from "../socket/message-socket.js"
export type { MessageSocket } from "../socket/message-socket.js"

const systemEnv: MechanismEnvironment = {
  randomBytes: (n) => randomBytes(n),
  now: () => performance.now(),
}

type Listener = (event: E2eEvent) => void

/** Serialized sends, an inbox with waiters, event listeners: what both adapters share. */
class Pump<T> {
  readonly #socket: MessageSocket
  #sending: Promise<void> = Promise.resolve()
  readonly #inbox: T[] = []
  readonly #waiters: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = []
  readonly #listeners = new Set<Listener>()
  #error: unknown
  readonly #maxInbox: number
  #space: (() => void) | undefined

  constructor(socket: MessageSocket, maxInbox: number) {
    this.#socket = socket
    this.#maxInbox = maxInbox
  }

  send(message: Uint8Array[]): Promise<void> {
    // Nothing in flight: straight to the socket (the common case, one promise less per message).
    const next = this.#inFlight === 0 ? this.#socket.send(message) : this.#sending.then(() => this.#socket.send(message))
    this.#inFlight++
    const settled = next.then(this.#settle, this.#settle)
    this.#sending = settled
    return next
  }

  #inFlight = 0
  readonly #settle = (): void => {
    this.#inFlight--
  }

  deliver(item: T): void {
    const w = this.#waiters.shift()
    if (w !== undefined) w.resolve(item)
    else this.#inbox.push(item)
  }

  /** Resolves when the inbox has room (backpressure on the receive loop). */
  room(): Promise<void> | undefined {
    if (this.#inbox.length < this.#maxInbox) return undefined
    return new Promise((resolve) => (this.#space = resolve))
  }

  take(): Promise<T> {
    const item = this.#inbox.shift()
    if (item !== undefined) {
      const s = this.#space
      this.#space = undefined
      s?.()
      return Promise.resolve(item)
    }
    if (this.#error !== undefined) return Promise.reject(this.#error)
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  end(error: unknown): void {
    if (this.#error !== undefined) return
    this.#error = error
    for (const w of this.#waiters.splice(0)) w.reject(error)
    this.#space?.()
  }

  get ended(): boolean {
    return this.#error !== undefined
  }

  on(listener: Listener): void {
    this.#listeners.add(listener)
  }

  off(listener: Listener): void {
    this.#listeners.delete(listener)
  }

  emit(event: E2eEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event)
      } catch {
        // A throwing listener must not stop the session (STYLE.md: never out of the event loop).
      }
    }
  }
}

function closedError(): E2eError {
  return new E2eError(E2eCode.CLOSED, "the end-to-end socket is closed")
}

export interface CurveZmqClientOptions extends Omit<E2eClientOptions, "env"> {
  /** Injected randomness and clock (default: the crypto backend and performance.now()). */
  env?: MechanismEnvironment
  /** Received messages held before the socket is read no further (backpressure). Default 1000. */
  maxInbox?: number
  /**
   * "command": every command its own message (libcurve; DEALER). "message": the MESSAGE
   * commands of one application message as the frames of one message (needed over REQ).
   * Default: "message" for a socket whose class is named Request, else "command".
   */
  framing?: "command" | "message"
}

/** An end-to-end CurveZMQ client over a DEALER (or REQ) socket. */
export class CurveZmqClient implements AsyncIterable<Uint8Array[]> {
  readonly socket: MessageSocket
  readonly #session: E2eClientSession
  readonly #pump: Pump<Uint8Array[]>
  readonly #batched: boolean
  readonly #timer: ReturnType<typeof setInterval>
  #closed = false
  #failure: unknown
  #ready: Promise<void>
  #readyResolve: (() => void) | undefined
  /** Set while the crypto backend is still loading: resolves once the session has started. */
  #started: Promise<void> | undefined
  /** REQ: requests sent and not yet answered; the loop receives only while there is one. */
  #outstanding = 0
  #wake: (() => void) | undefined

  constructor(socket: MessageSocket, options: CurveZmqClientOptions) {
    if (socket === null || typeof socket !== "object" || typeof socket.send !== "function" || typeof socket.receive !== "function") {
      throw new TypeError("expected a socket with send() and receive() (zeromq v6 shape)")
    }
    this.socket = socket
    const env = options?.env ?? systemEnv
    this.#session = new E2eClientSession({ ...options, env })
    this.#pump = new Pump(socket, options.maxInbox ?? 1000)
    const framing = options.framing ?? (socket.constructor?.name === "Request" ? "message" : "command")
    this.#batched = framing === "message"
    this.#ready = new Promise((resolve) => (this.#readyResolve = resolve))
    const period = Math.max(10, Math.min(1000, Math.floor((options.handshakeTimeoutMs ?? 10_000) / 4)))
    this.#timer = setInterval(() => this.#handle(this.#session.tick()), period)
    this.#timer.unref?.()
    // The WebAssembly backend is usable once loaded: start at once when the backend is ready
    // (sodium-native always is), else as soon as it is; send() waits for that start.
    const start = (): void => {
      if (this.#closed) return
      this.#handle(this.#session.start())
      void this.#loop()
    }
    if (readyBackend() !== undefined) start()
    else {
      this.#started = cryptoReady().then(start, (error: unknown) => {
        this.#failure = error
        this.#pump.end(error)
      })
    }
  }

  /** Resolves once the first session is established. */
  get ready(): Promise<void> {
    return this.#ready
  }

  get handshakes(): number {
    return this.#session.handshakes
  }

  on(type: "event", listener: Listener): this {
    if (type === "event") this.#pump.on(listener)
    return this
  }

  off(type: "event", listener: Listener): this {
    if (type === "event") this.#pump.off(listener)
    return this
  }

  async #loop(): Promise<void> {
    for (;;) {
      const room = this.#pump.room()
      if (room !== undefined) await room
      if (this.#closed) return
      if (this.#batched) {
        // A REQ socket refuses receive() before send(): wait for a request to be on its way.
        while (this.#outstanding === 0 && !this.#closed) await new Promise<void>((resolve) => (this.#wake = resolve))
        if (this.#closed) return
      }
      let message: Uint8Array[]
      try {
        message = await this.socket.receive()
      } catch (err) {
        this.#pump.end(this.#closed ? closedError() : err)
        return
      }
      if (this.#batched) this.#outstanding--
      // REQ strips its delimiter; a DEALER may get [command] (or several, batched).
      for (const frame of message) {
        if (this.#closed) return
        this.#handle(this.#session.receive(frame))
      }
    }
  }

  #handle(outputs: E2eClientOutput[]): Promise<void> {
    let last: Promise<void> = Promise.resolve()
    let batch: Uint8Array[] = []
    const flush = (): void => {
      if (batch.length === 0) return
      last = this.#pump.send(batch)
      if (this.#batched) {
        void last.then(
          () => {
            this.#outstanding++
            const wake = this.#wake
            this.#wake = undefined
            wake?.()
          },
          () => undefined,
        )
      }
      last.catch((err: unknown) => this.#pump.emit({ type: "dropped", code: E2eCode.CLOSED, detail: `socket send failed: ${String(err)}` }))
      batch = []
    }
    for (const o of outputs) {
      if (o.type === "send") {
        batch.push(o.frame)
        if (!this.#batched || !isMessageCommand(o.frame)) flush()
      } else if (o.type === "message") {
        flush()
        this.#pump.deliver(o.frames)
      } else if (o.type === "event") this.#pump.emit(o.event)
      else if (o.type === "ready") this.#readyResolve?.()
      else if (o.type === "failed") {
        this.#failure = o.error
        this.#pump.end(o.error)
      }
    }
    flush()
    return last
  }

  /** Send one application message (frames kept). Queued while a handshake runs. */
  async send(message: MessageInput): Promise<void> {
    if (this.#started !== undefined) await this.#started
    if (this.#closed) throw closedError()
    if (this.#failure !== undefined) throw this.#failure
    await this.#handle(this.#session.send(message))
  }

  /** The next whole message from the server. */
  receive(): Promise<Uint8Array[]> {
    return this.#pump.take()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array[]> {
    for (;;) {
      try {
        yield await this.receive()
      } catch (err) {
        if (this.#closed) return
        throw err
      }
    }
  }

  /** Close the session (wiping its keys) and the socket. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    this.#wake?.()
    this.#session.close()
    this.#pump.end(closedError())
    this.socket.close?.()
  }
}

function isMessageCommand(frame: Uint8Array): boolean {
  return frame[0] === 7 && frame[1] === 0x4d && frame[2] === 0x45 && frame[3] === 0x53 && frame[4] === 0x53
}

export interface CurveZmqServerOptions extends Omit<E2eServerOptions, "env" | "authenticate"> {
  /** The wire mechanisms' hook (e.g. `authenticator.authenticate`). Absent: every valid vouch is accepted. */
  authenticate?: Authenticate
  env?: MechanismEnvironment
  /** Received messages held before the socket is read no further. Default 1000. */
  maxInbox?: number
  /** How often idle sessions are expired. Default 1000 ms. */
  tickMs?: number
}

export interface E2eIncoming {
  message: Uint8Array[]
  peer: E2ePeer
}

/** An end-to-end CurveZMQ server over a ROUTER socket, serving many clients at once. */
export class CurveZmqServer implements AsyncIterable<E2eIncoming> {
  readonly socket: MessageSocket
  readonly #core: E2eServerCore
  readonly #pump: Pump<E2eIncoming>
  readonly #hook: Authenticate | undefined
  readonly #timer: ReturnType<typeof setInterval>
  #closed = false

  constructor(socket: MessageSocket, options: CurveZmqServerOptions) {
    if (socket === null || typeof socket !== "object" || typeof socket.send !== "function" || typeof socket.receive !== "function") {
      throw new TypeError("expected a socket with send() and receive() (zeromq v6 shape)")
    }
    if (options?.authenticate !== undefined && typeof options.authenticate !== "function") {
      throw new TypeError("expected authenticate as a function (AuthRequest) => AuthReply | Promise<AuthReply>")
    }
    this.socket = socket
    this.#hook = options.authenticate
    const { authenticate: _hook, ...rest } = options
    this.#core = new E2eServerCore({ ...rest, env: options.env ?? systemEnv, authenticate: this.#hook !== undefined })
    this.#pump = new Pump(socket, options.maxInbox ?? 1000)
    this.#timer = setInterval(() => this.#handle(this.#core.tick()), options.tickMs ?? 1000)
    this.#timer.unref?.()
    // Nothing is read before the crypto backend is ready (the WebAssembly one loads first).
    if (readyBackend() !== undefined) void this.#loop()
    else void cryptoReady().then(() => this.#loop(), (error: unknown) => this.#pump.end(error))
  }

  get sessionCount(): number {
    return this.#core.sessionCount
  }

  on(type: "event", listener: Listener): this {
    if (type === "event") this.#pump.on(listener)
    return this
  }

  off(type: "event", listener: Listener): this {
    if (type === "event") this.#pump.off(listener)
    return this
  }

  async #loop(): Promise<void> {
    for (;;) {
      const room = this.#pump.room()
      if (room !== undefined) await room
      if (this.#closed) return
      let message: Uint8Array[]
      try {
        message = await this.socket.receive()
      } catch (err) {
        this.#pump.end(this.#closed ? closedError() : err)
        return
      }
      if (this.#closed) return
      // Envelope: up to and including REQ's empty delimiter when there is one (then every
      // following frame is a command), else every frame but the last.
      const delimiter = message.findIndex((f) => f.length === 0)
      const split = delimiter >= 0 ? delimiter + 1 : message.length - 1
      if (split <= 0 || split >= message.length) {
        this.#pump.emit({ type: "dropped", code: E2eCode.NOT_A_COMMAND, detail: `a ${message.length}-frame message without envelope and command` })
        continue
      }
      const envelope = message.slice(0, split)
      for (let i = split; i < message.length; i++) this.#handle(this.#core.receive(envelope, message[i] as Uint8Array))
    }
  }

  #handle(outputs: E2eServerOutput[]): Promise<void> {
    let last: Promise<void> = Promise.resolve()
    let batch: Uint8Array[] = []
    let batchEnvelope: Uint8Array[] | undefined
    const flush = (): void => {
      if (batchEnvelope === undefined) return
      last = this.#pump.send([...batchEnvelope, ...batch])
      last.catch((err: unknown) => this.#pump.emit({ type: "dropped", code: E2eCode.CLOSED, detail: `socket send failed: ${String(err)}` }))
      batch = []
      batchEnvelope = undefined
    }
    for (const o of outputs) {
      if (o.type === "send") {
        if (batchEnvelope !== undefined && batchEnvelope !== o.envelope) flush()
        batchEnvelope = o.envelope
        batch.push(o.frame)
        // REQ peers (envelope ends with the empty delimiter) get one message per application message.
        const req = o.envelope.length > 0 && (o.envelope[o.envelope.length - 1] as Uint8Array).length === 0
        if (!req || !isMessageCommand(o.frame)) flush()
      } else if (o.type === "message") {
        flush()
        this.#pump.deliver({ message: o.frames, peer: o.peer })
      } else if (o.type === "event") this.#pump.emit(o.event)
      else if (o.type === "authenticate") this.#ask(o.ticket, o.request)
    }
    flush()
    return last
  }

  #ask(ticket: number, request: AuthRequest): void {
    const hook = this.#hook
    if (hook === undefined) return
    Promise.resolve()
      .then(() => hook(request))
      .then(
        (reply) => this.#handle(this.#core.authReply(ticket, reply)),
        (err: unknown) => {
          this.#pump.emit({ type: "auth-refused", code: ErrorCode.ZAP_UNSPECIFIED, detail: `the authenticate hook threw: ${err instanceof Error ? err.message : String(err)}`, status: 500 })
          return this.#handle(this.#core.authReply(ticket, { status: 500, statusText: "authenticate hook failed" }))
        },
      )
      .catch(() => undefined)
  }

  /** Send one application message to `peer` (frames kept). Throws E2eError(UNKNOWN_SESSION) once its session is gone. */
  async send(peer: E2ePeer, message: MessageInput): Promise<void> {
    if (this.#closed) throw closedError()
    await this.#handle(this.#core.send(peer, message))
  }

  receive(): Promise<E2eIncoming> {
    return this.#pump.take()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<E2eIncoming> {
    for (;;) {
      try {
        yield await this.receive()
      } catch (err) {
        if (this.#closed) return
        throw err
      }
    }
  }

  /** Close every session (wiping keys) and the socket. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    this.#core.close()
    this.#pump.end(closedError())
    this.socket.close?.()
  }
}
