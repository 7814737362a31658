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
import { isMessageCommand, positiveInteger, type MessageInput } from "./common.js"
import { E2eCode, E2eError, type E2eEvent } from "./events.js"
import { E2eServerCore, type E2ePeer, type E2eServerOptions, type E2eServerOutput } from "./server-sessions.js"

import type { MessageSocket } from "../socket/message-socket.js"
import { SOCKET_ACCESS, type SocketAccess } from "../socket/socket.js"
export type { MessageSocket } from "../socket/message-socket.js"

const systemEnv: MechanismEnvironment = {
  randomBytes: (n) => randomBytes(n),
  now: () => performance.now(),
}

type Listener = (event: E2eEvent) => void

function closedError(): E2eError {
  return new E2eError(E2eCode.CLOSED, "the end-to-end socket is closed")
}

function checkSocket(socket: MessageSocket): void {
  if (socket === null || typeof socket !== "object" || typeof socket.send !== "function" || typeof socket.receive !== "function") {
    throw new TypeError("expected a socket with send() and receive() (zeromq v6 shape)")
  }
}

/**
 * What the client and server adapters share: serialized socket sends, the receive loop, an
 * inbox of received items with waiters (bounded: a full inbox stops the loop reading, which is
 * backpressure), event listeners, receive() / for await / close.
 *
 * Per message (the bench rows' path, bench/README.md "End-to-end CurveZMQ rows"): a send with
 * nothing in flight goes straight to the socket, with one derived promise to know when it is
 * settled; the loop drains, per wake-up, every message an Ironhouse socket already holds
 * without a promise per message (SocketAccess.tryReceive, the Proxy's own fast path), then
 * awaits receive() once; an item goes to a waiting receive() without passing the inbox.
 */
abstract class E2eEndpoint<T> implements AsyncIterable<T> {
  readonly socket: MessageSocket
  /** Ironhouse sockets: take a message that is already there, without a promise (else undefined). */
  readonly #tryReceive: (() => Uint8Array[] | undefined) | undefined
  #sending: Promise<void> = Promise.resolve()
  #inFlight = 0
  readonly #inbox: T[] = []
  readonly #waiters: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = []
  readonly #listeners = new Set<Listener>()
  #error: unknown
  readonly #maxInbox: number
  #space: (() => void) | undefined
  protected closed = false

  constructor(socket: MessageSocket, maxInbox: number | undefined) {
    checkSocket(socket)
    this.socket = socket
    this.#maxInbox = positiveInteger(maxInbox, "maxInbox", 1000)
    const access = (socket as Partial<Record<typeof SOCKET_ACCESS, () => SocketAccess>>)[SOCKET_ACCESS]
    this.#tryReceive = typeof access === "function" ? access.call(socket).tryReceive : undefined
  }

  on(type: "event", listener: Listener): this {
    if (type === "event") this.#listeners.add(listener)
    return this
  }

  off(type: "event", listener: Listener): this {
    if (type === "event") this.#listeners.delete(listener)
    return this
  }

  protected emit(event: E2eEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event)
      } catch {
        // A throwing listener must not stop the session (STYLE.md: never out of the event loop).
      }
    }
  }

  /**
   * Send one socket message, after any still in flight (a zeromq socket refuses concurrent
   * sends). A failure is an event as well as the returned rejection.
   */
  protected sendToSocket(message: Uint8Array[]): Promise<void> {
    let next: Promise<void>
    if (this.#inFlight === 0) {
      try {
        next = this.socket.send(message)
      } catch (err) {
        // Ironhouse and zeromq throw EBADF/EBUSY rather than reject.
        next = Promise.reject(err)
      }
    } else {
      next = this.#sending.then(() => this.socket.send(message))
    }
    this.#inFlight++
    this.#sending = next.then(this.#sent, this.#sendFailed)
    return next
  }

  readonly #sent = (): void => {
    this.#inFlight--
  }

  readonly #sendFailed = (err: unknown): void => {
    this.#inFlight--
    this.emit({ type: "dropped", code: E2eCode.CLOSED, detail: `socket send failed: ${String(err)}` })
  }

  protected deliver(item: T): void {
    const w = this.#waiters.shift()
    if (w !== undefined) w.resolve(item)
    else this.#inbox.push(item)
  }

  /** End the stream: waiting and later receive() calls reject with `error`. */
  protected end(error: unknown): void {
    if (this.#error !== undefined) return
    this.#error = error
    for (const w of this.#waiters.splice(0)) w.reject(error)
    this.#space?.()
  }

  /** Client over REQ: resolves when the socket may be read (undefined: now). */
  protected readable(): Promise<void> | undefined {
    return undefined
  }

  /** One message from the socket. */
  protected abstract received(message: Uint8Array[]): void

  /** The receive loop: never throws (a socket error ends the stream). */
  protected async run(): Promise<void> {
    const tryReceive = this.#tryReceive
    for (;;) {
      if (this.#inbox.length >= this.#maxInbox) await new Promise<void>((resolve) => (this.#space = resolve))
      if (this.closed) return
      const gate = this.readable()
      if (gate !== undefined) {
        await gate
        if (this.closed) return
      }
      let message: Uint8Array[] | undefined
      try {
        message = tryReceive?.()
        if (message === undefined) message = await this.socket.receive()
      } catch (err) {
        this.end(this.closed ? closedError() : err)
        return
      }
      if (this.closed) return
      this.received(message)
    }
  }

  /** The next item. */
  receive(): Promise<T> {
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

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.receive()
      } catch (err) {
        if (this.closed) return
        throw err
      }
    }
  }

  /** Close the session(s), wiping keys, and the socket. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.shutdown()
    this.end(closedError())
    this.socket.close?.()
  }

  /** The subclass's part of close(). */
  protected abstract shutdown(): void
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
export class CurveZmqClient extends E2eEndpoint<Uint8Array[]> {
  readonly #session: E2eClientSession
  readonly #batched: boolean
  readonly #timer: ReturnType<typeof setInterval>
  #failure: unknown
  #ready: Promise<void>
  #readyResolve: (() => void) | undefined
  /** Set while the crypto backend is still loading: resolves once the session has started. */
  #started: Promise<void> | undefined
  /** REQ: requests sent and not yet answered; the loop receives only while there is one. */
  #outstanding = 0
  #wake: (() => void) | undefined

  constructor(socket: MessageSocket, options: CurveZmqClientOptions) {
    super(socket, options?.maxInbox)
    const env = options?.env ?? systemEnv
    this.#session = new E2eClientSession({ ...options, env })
    const framing = options.framing ?? (socket.constructor?.name === "Request" ? "message" : "command")
    this.#batched = framing === "message"
    this.#ready = new Promise((resolve) => (this.#readyResolve = resolve))
    const period = Math.max(10, Math.min(1000, Math.floor((options.handshakeTimeoutMs ?? 10_000) / 4)))
    this.#timer = setInterval(() => this.#handle(this.#session.tick()), period)
    this.#timer.unref?.()
    // The WebAssembly backend is usable once loaded: start at once when the backend is ready
    // (sodium-native always is), else as soon as it is; send() waits for that start.
    const start = (): void => {
      this.#started = undefined
      if (this.closed) return
      this.#handle(this.#session.start())
      void this.run()
    }
    if (readyBackend() !== undefined) start()
    else {
      this.#started = cryptoReady().then(start, (error: unknown) => {
        this.#started = undefined
        this.#failure = error
        this.end(error)
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

  protected override readable(): Promise<void> | undefined {
    // A REQ socket refuses receive() before send(): wait for a request to be on its way.
    if (!this.#batched || this.#outstanding > 0) return undefined
    return (async () => {
      while (this.#outstanding === 0 && !this.closed) await new Promise<void>((resolve) => (this.#wake = resolve))
    })()
  }

  protected received(message: Uint8Array[]): void {
    if (this.#batched) this.#outstanding--
    // REQ strips its delimiter; a DEALER may get [command] (or several, batched).
    for (const frame of message) {
      if (this.closed) return
      this.#handle(this.#session.receive(frame))
    }
  }

  #handle(outputs: E2eClientOutput[]): Promise<void> {
    // The per-message case: one MESSAGE command, its own socket message.
    if (outputs.length === 1 && !this.#batched) {
      const o = outputs[0] as E2eClientOutput
      if (o.type === "send") {
        // Built by push, not as the literal [o.frame]: a receiving ROUTER unshift()s the routing
        // id into this very array over inproc, which V8 made ~1 µs slower on the literal.
        const m: Uint8Array[] = []
        m.push(o.frame)
        return this.sendToSocket(m)
      }
    }
    let last: Promise<void> = RESOLVED
    let batch: Uint8Array[] = []
    for (const o of outputs) {
      if (o.type === "send") {
        batch.push(o.frame)
        if (this.#batched && isMessageCommand(o.frame)) continue
        last = this.#flush(batch)
        batch = []
      } else if (o.type === "message") {
        if (batch.length > 0) last = this.#flush(batch)
        batch = []
        this.deliver(o.frames)
      } else if (o.type === "event") this.emit(o.event)
      else if (o.type === "ready") this.#readyResolve?.()
      else if (o.type === "failed") {
        this.#failure = o.error
        this.end(o.error)
      }
    }
    if (batch.length > 0) last = this.#flush(batch)
    return last
  }

  #flush(batch: Uint8Array[]): Promise<void> {
    const sent = this.sendToSocket(batch)
    if (this.#batched) {
      sent.then(
        () => {
          this.#outstanding++
          const wake = this.#wake
          this.#wake = undefined
          wake?.()
        },
        () => undefined,
      )
    }
    return sent
  }

  /** Send one application message (frames kept). Queued while a handshake runs. */
  send(message: MessageInput): Promise<void> {
    if (this.#started !== undefined) return this.#started.then(() => this.send(message))
    if (this.closed) return Promise.reject(closedError())
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    let outputs: E2eClientOutput[]
    try {
      outputs = this.#session.send(message)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#handle(outputs)
  }

  protected shutdown(): void {
    clearInterval(this.#timer)
    this.#wake?.()
    this.#session.close()
  }
}

const RESOLVED: Promise<void> = Promise.resolve()

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
export class CurveZmqServer extends E2eEndpoint<E2eIncoming> {
  readonly #core: E2eServerCore
  readonly #hook: Authenticate | undefined
  readonly #timer: ReturnType<typeof setInterval>

  constructor(socket: MessageSocket, options: CurveZmqServerOptions) {
    super(socket, options?.maxInbox)
    if (options?.authenticate !== undefined && typeof options.authenticate !== "function") {
      throw new TypeError("expected authenticate as a function (AuthRequest) => AuthReply | Promise<AuthReply>")
    }
    this.#hook = options.authenticate
    const { authenticate: _hook, ...rest } = options
    this.#core = new E2eServerCore({ ...rest, env: options.env ?? systemEnv, authenticate: this.#hook !== undefined })
    this.#timer = setInterval(() => this.#handle(this.#core.tick()), options.tickMs ?? 1000)
    this.#timer.unref?.()
    // Nothing is read before the crypto backend is ready (the WebAssembly one loads first).
    if (readyBackend() !== undefined) void this.run()
    else void cryptoReady().then(() => this.run(), (error: unknown) => this.end(error))
  }

  get sessionCount(): number {
    return this.#core.sessionCount
  }

  protected received(message: Uint8Array[]): void {
    // Envelope: up to and including REQ's empty delimiter when there is one (then every
    // following frame is a command), else every frame but the last.
    let split = message.length - 1
    for (let i = 0; i < message.length; i++) {
      if ((message[i] as Uint8Array).length === 0) {
        split = i + 1
        break
      }
    }
    if (split <= 0 || split >= message.length) {
      this.emit({ type: "dropped", code: E2eCode.NOT_A_COMMAND, detail: `a ${message.length}-frame message without envelope and command` })
      return
    }
    const envelope = message.slice(0, split)
    for (let i = split; i < message.length; i++) this.#handle(this.#core.receive(envelope, message[i] as Uint8Array))
  }

  #handle(outputs: E2eServerOutput[]): Promise<void> {
    // The per-message cases: one whole message in, one MESSAGE command out.
    if (outputs.length === 1) {
      const o = outputs[0] as E2eServerOutput
      if (o.type === "message") {
        this.deliver({ message: o.frames, peer: o.peer })
        return RESOLVED
      }
      if (o.type === "send" && !endsWithDelimiter(o.envelope)) return this.sendToSocket([...o.envelope, o.frame])
    }
    let last: Promise<void> = RESOLVED
    let batch: Uint8Array[] = []
    let batchEnvelope: Uint8Array[] | undefined
    for (const o of outputs) {
      if (o.type === "send") {
        if (batchEnvelope !== undefined && batchEnvelope !== o.envelope) {
          last = this.sendToSocket([...batchEnvelope, ...batch])
          batch = []
        }
        batchEnvelope = o.envelope
        batch.push(o.frame)
        // REQ peers (envelope ends with the empty delimiter) get one message per application message.
        if (endsWithDelimiter(o.envelope) && isMessageCommand(o.frame)) continue
        last = this.sendToSocket([...batchEnvelope, ...batch])
        batch = []
        batchEnvelope = undefined
      } else {
        if (batchEnvelope !== undefined) {
          last = this.sendToSocket([...batchEnvelope, ...batch])
          batch = []
          batchEnvelope = undefined
        }
        if (o.type === "message") this.deliver({ message: o.frames, peer: o.peer })
        else if (o.type === "event") this.emit(o.event)
        else if (o.type === "authenticate") this.#ask(o.ticket, o.request)
      }
    }
    if (batchEnvelope !== undefined) last = this.sendToSocket([...batchEnvelope, ...batch])
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
          this.emit({ type: "auth-refused", code: ErrorCode.ZAP_UNSPECIFIED, detail: `the authenticate hook threw: ${err instanceof Error ? err.message : String(err)}`, status: 500 })
          return this.#handle(this.#core.authReply(ticket, { status: 500, statusText: "authenticate hook failed" }))
        },
      )
      .catch(() => undefined)
  }

  /** Send one application message to `peer` (frames kept). Throws E2eError(UNKNOWN_SESSION) once its session is gone. */
  send(peer: E2ePeer, message: MessageInput): Promise<void> {
    if (this.closed) return Promise.reject(closedError())
    let outputs: E2eServerOutput[]
    try {
      outputs = this.#core.send(peer, message)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#handle(outputs)
  }

  protected shutdown(): void {
    clearInterval(this.#timer)
    this.#core.close()
  }
}

/** REQ's empty delimiter ends the envelope. */
function endsWithDelimiter(envelope: Uint8Array[]): boolean {
  return envelope.length > 0 && (envelope[envelope.length - 1] as Uint8Array).length === 0
}
