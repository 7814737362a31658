/**
 * TlsServer: one TLS session per peer over a ROUTER-shaped socket (the thin adapter over
 * ./session-table.ts, ./envelope.ts, ./record.ts, ./framing.ts and ./session.ts).
 *
 * Requests are [envelope…][""][tls-bytes] (TLSZMQ's layout, ./envelope.ts); the session key is
 * the last non-empty envelope frame, so clients behind a ROUTER↔DEALER proxy keep their own
 * sessions. A ClientHello on a key that has a session replaces it (the peer reconnected, or
 * restarted its handshake); garbage, a TLS error, a framing error, a handshake timeout or idle
 * expiry end that one session with a `session:end` event. Nothing a peer sends can throw out of
 * the receive loop or touch another session.
 */
import { EventEmitter } from "node:events"
import { randomBytes } from "node:crypto"
import { createSecureContext, TLSSocket, type SecureContext, type SecureContextOptions } from "../crypto/tls.js"
import { parseRequest, replyFrames, type RequestProblem } from "./envelope.js"
import { TlsEndReason } from "./errors.js"
import { checkInteger, checkMessageOptions, type CheckedMessageOptions, type TlsMessageOptions } from "./options.js"
import { settle } from "./quiescence.js"
import { AlertDescription, RecordBoundary, fatalAlert, isClientHello } from "./record.js"
import { TlsSession, type TlsPeer } from "./session.js"
import { SessionTable } from "./session-table.js"
import { asBufferFrames, type MessageSocket } from "./socket-shape.js"
import { toFrames, type MessageLike } from "../socket/message.js"

/** What respond() may return: a message, or nothing (no reply to this message). */
export type TlsReply = MessageLike | MessageLike[] | undefined | void

export interface TlsServerOptions extends SecureContextOptions, TlsMessageOptions {
  /** Ask clients for a certificate (mutual TLS). */
  requestCert?: boolean
  /** With requestCert: refuse a client without a certificate that verifies against `ca` (default true). */
  rejectUnauthorized?: boolean
  ALPNProtocols?: string[]
  SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void
  /** A prepared context instead of key/cert/ca/…. */
  secureContext?: SecureContext
  /**
   * Answer every message: called for each received message, its result (if any) sent back on
   * the same session. Required with lockstep (the reply must be known before the one ZeroMQ
   * reply leaves); otherwise read messages with receive() / for await.
   */
  respond?: (message: Buffer[], session: TlsServerSession) => TlsReply | Promise<TlsReply>
  /** Most sessions at once; a new handshake over the cap evicts the least recently active (default 10 000). */
  maxSessions?: number
  /** ms without traffic after which a session is dropped (default 300 000; 0 disables). */
  sessionIdleTimeout?: number
  /** Received messages held for receive() before the server stops reading the socket (default 1000). */
  maxQueuedMessages?: number
}

/** One message from one session. */
export interface TlsServerMessage {
  readonly message: Buffer[]
  readonly session: TlsServerSession
  /** The client (its certificate's subject and fingerprint with mutual TLS). */
  readonly peer: TlsPeer
}

export interface TlsServerEvents {
  /** A handshake completed. */
  session: [{ session: TlsServerSession; peer: TlsPeer }]
  /** A session ended, and why. */
  "session:end": [{ key: Buffer; reason: TlsEndReason; error: Error | undefined; peer: TlsPeer | null }]
  /** A request that belongs to no session was dropped (answered with a fatal alert where possible). */
  drop: [{ key: Buffer | null; reason: RequestProblem | "no session" }]
  /** respond() threw or rejected: that message got no reply (the session goes on). */
  "respond:error": [{ session: TlsServerSession; error: unknown }]
}

/** The application's handle on one peer's session. */
export class TlsServerSession {
  readonly key: Buffer
  /** @internal */ envelope: readonly Uint8Array[]
  /** @internal */ readonly core: TlsSession
  readonly #server: TlsServer
  constructor(server: TlsServer, key: Buffer, envelope: readonly Uint8Array[], core: TlsSession) {
    this.#server = server
    this.key = key
    this.envelope = envelope
    this.core = core
  }
  /** The peer, once the handshake finished. */
  get peer(): TlsPeer | null {
    return this.core.peer
  }
  get ended(): boolean {
    return this.core.ended
  }
  /**
   * Send a message to this peer (lockstep: it leaves with the next reply). Resolves at once,
   * or when TLS has drained if it buffered past its high-water mark.
   */
  send(message: MessageLike | MessageLike[]): Promise<void> {
    return this.core.send(toFrames(message)) ? Promise.resolve() : this.core.drained()
  }
  /** close_notify, then the session ends (reason local-close). */
  close(): void {
    this.#server.closeSession(this)
  }
}


function toBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
}

export class TlsServer extends EventEmitter<TlsServerEvents> {
  readonly #socket: MessageSocket
  readonly #options: TlsServerOptions
  readonly #checked: CheckedMessageOptions
  readonly #context: SecureContext
  readonly #table = new SessionTable<TlsServerSession>()
  readonly #maxSessions: number
  readonly #idleMs: number
  readonly #maxQueued: number
  readonly #queue: TlsServerMessage[] = []
  #waiter: { resolve: (m: TlsServerMessage | null) => void } | null = null
  #room: (() => void) | null = null
  #sendChain: Promise<void> = Promise.resolve()
  #closed = false
  readonly #sweep: NodeJS.Timeout | null
  /** Per session (lockstep): the output collected for the request being answered. */
  readonly #collected = new WeakMap<TlsSession, Buffer[]>()
  readonly #pending = new WeakMap<TlsSession, Set<Promise<unknown>>>()
  readonly #records = new WeakMap<TlsSession, RecordBoundary>()
  readonly #chains = new WeakMap<TlsServerSession, Promise<void>>()
  readonly #loop: Promise<void>

  constructor(socket: MessageSocket, options: TlsServerOptions) {
    super()
    if (typeof socket?.send !== "function" || typeof socket?.receive !== "function") {
      throw new TypeError("TlsServer: expected a socket with send() and receive() (a Router), got " + typeof socket)
    }
    this.#checked = checkMessageOptions(options)
    if (this.#checked.lockstep && typeof options.respond !== "function") {
      throw new TypeError("TlsServer: lockstep needs a respond(message, session) function")
    }
    if (options.respond !== undefined && typeof options.respond !== "function") {
      throw new TypeError(`respond: expected a function, got ${typeof options.respond}`)
    }
    this.#maxSessions = checkInteger("maxSessions", options.maxSessions, 10_000, 1)
    this.#idleMs = checkInteger("sessionIdleTimeout", options.sessionIdleTimeout, 300_000, 0)
    this.#maxQueued = checkInteger("maxQueuedMessages", options.maxQueuedMessages, 1000, 1)
    this.#socket = socket
    this.#options = options
    // A session id context is what OpenSSL needs to resume sessions of a server that verifies
    // clients (without one a resumed mutual-TLS handshake fails with internal_error, measured);
    // tls.Server sets one itself, a bare TLSSocket does not.
    this.#context =
      options.secureContext ?? createSecureContext({ sessionIdContext: randomBytes(16).toString("hex"), ...options })
    if (this.#idleMs > 0) {
      this.#sweep = setInterval(() => this.#reap(), Math.max(50, Math.min(this.#idleMs / 2, 10_000)))
      this.#sweep.unref()
    } else {
      this.#sweep = null
    }
    this.#loop = this.#run()
  }

  /** Sessions in the table (handshaking or established). */
  get sessionCount(): number {
    return this.#table.size
  }

  /** Established sessions. */
  *sessions(): IterableIterator<TlsServerSession> {
    for (const [, s] of this.#table) if (s.core.secure && !s.core.ended) yield s
  }

  /** The next message from any session; null once the server is closed. */
  receive(): Promise<TlsServerMessage | null> {
    const next = this.#queue.shift()
    if (next !== undefined) {
      this.#room?.()
      return Promise.resolve(next)
    }
    if (this.#closed) return Promise.resolve(null)
    if (this.#waiter !== null) return Promise.reject(new Error("TlsServer: receive() is already waiting"))
    return new Promise((resolve) => (this.#waiter = { resolve }))
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TlsServerMessage> {
    for (;;) {
      const m = await this.receive()
      if (m === null) return
      yield m
    }
  }

  /** close_notify to every session and stop. The ZeroMQ socket is the caller's to close after. */
  async close(): Promise<void> {
    if (this.#closed) return
    for (const [, s] of this.#table) this.closeSession(s)
    await this.#sendChain
    this.#closed = true
    if (this.#sweep !== null) clearInterval(this.#sweep)
    this.#waiter?.resolve(null)
    this.#waiter = null
    this.#room?.()
  }

  /** @internal */
  closeSession(s: TlsServerSession): void {
    // Lockstep: close_notify can only travel in a reply, and there may be no request to answer;
    // the peer then learns at its next request (a fatal alert: no session).
    s.core.close()
  }

  async #run(): Promise<void> {
    for (;;) {
      let frames: Buffer[]
      try {
        frames = asBufferFrames(await this.#socket.receive())
      } catch {
        // The socket closed (EAGAIN/EBADF/ETERM): every session ends with it.
        for (const [, s] of this.#table) s.core.destroy(TlsEndReason.SOCKET)
        this.#closed = true
        this.#waiter?.resolve(null)
        this.#waiter = null
        return
      }
      if (this.#closed) return
      while (this.#queue.length >= this.#maxQueued && !this.#closed) {
        await new Promise<void>((resolve) => (this.#room = resolve))
        this.#room = null
      }
      this.#onRequest(frames)
    }
  }

  #onRequest(frames: Buffer[]): void {
    const request = parseRequest(frames)
    if (typeof request === "string") {
      const envelopeEnd = frames.findIndex((f) => f.byteLength === 0)
      this.emit("drop", { key: envelopeEnd > 0 ? frames[envelopeEnd - 1]! : null, reason: request })
      return
    }
    const key = toBuffer(request.key)
    const id = key.toString("latin1")
    const payload = toBuffer(request.payload)
    const now = Date.now()
    let session = this.#table.get(id)
    if (isClientHello(payload)) {
      if (session !== undefined) {
        // The seed's failure: a reconnecting peer must get a fresh handshake, not its old state.
        session.core.destroy(TlsEndReason.REPLACED)
      } else if (this.#table.size >= this.#maxSessions) {
        const oldest = this.#table.oldest()
        if (oldest !== undefined) oldest[1].core.destroy(TlsEndReason.EVICTED)
      }
      session = this.#open(key, request.envelope)
      this.#table.set(id, session, now)
    } else if (session === undefined || session.core.ended) {
      this.emit("drop", { key, reason: "no session" })
      this.#enqueueSend(replyFrames(request.envelope, fatalAlert(AlertDescription.UNEXPECTED_MESSAGE)))
      return
    } else {
      session.envelope = request.envelope
      this.#table.touch(id, now)
    }
    if (this.#checked.lockstep) {
      const s = session
      const previous = this.#chains.get(s) ?? Promise.resolve()
      const next = previous.then(() => this.#lockstep(s, payload))
      this.#chains.set(s, next)
    } else {
      session.core.feed(payload)
    }
  }

  /** One request in, exactly one reply out, holding everything TLS produced for it. */
  async #lockstep(s: TlsServerSession, payload: Buffer): Promise<void> {
    const core = s.core
    const envelope = s.envelope
    const collected: Buffer[] = []
    this.#collected.set(core, collected)
    let records = this.#records.get(core)
    if (records === undefined) this.#records.set(core, (records = new RecordBoundary()))
    records.push(payload)
    if (!records.atBoundary) {
      // A lockstep request holds whole records; one cut inside a record can never be completed.
      core.destroy(TlsEndReason.TLS_ERROR, new Error("truncated TLS record in a lockstep request"))
      this.#collected.delete(core)
      this.#enqueueSend(replyFrames(envelope, fatalAlert(AlertDescription.UNEXPECTED_MESSAGE)))
      return
    }
    core.feed(payload)
    const pending = this.#pending.get(core) ?? new Set<Promise<unknown>>()
    this.#pending.set(core, pending)
    await settle({
      get activity() {
        return core.activity
      },
      pending: () => (pending.size > 0 ? Promise.all(pending) : undefined),
    })
    if (this.#checked.framing === "raw") {
      const plaintext = core.takeRaw()
      if (plaintext !== null) {
        this.#deliver(s, [plaintext])
        await settle({
          get activity() {
            return core.activity
          },
          pending: () => (pending.size > 0 ? Promise.all(pending) : undefined),
        })
      }
    }
    if (collected.length === 0 && core.sendNoop()) {
      // The request needed no answer from TLS (a resumed client's Finished), but REQ waits for one.
      await settle({
        get activity() {
          return core.activity
        },
        pending: () => undefined,
      })
    }
    this.#collected.delete(core)
    if (collected.length > 0) {
      this.#enqueueSend(replyFrames(envelope, collected.length === 1 ? collected[0]! : Buffer.concat(collected)))
    } else {
      // Nothing to say, but a REQ peer waits for exactly one reply: a fatal alert is the only
      // meaningful one (an empty frame is not; TLSZMQ would wait forever). The session ends.
      if (!core.ended) core.destroy(TlsEndReason.TLS_ERROR, new Error("lockstep request produced no TLS output to reply with"))
      this.#enqueueSend(replyFrames(envelope, fatalAlert(AlertDescription.UNEXPECTED_MESSAGE)))
    }
  }

  #open(key: Buffer, envelope: readonly Uint8Array[]): TlsServerSession {
    const o = this.#options
    const lockstep = this.#checked.lockstep
    let handle: TlsServerSession | null = null
    let timer: NodeJS.Timeout | null = null
    const requireAuthorized = o.requestCert === true && o.rejectUnauthorized !== false
    const core: TlsSession = new TlsSession({
      framing: this.#checked.framing,
      limits: this.#checked.limits,
      secureEvent: "secure",
      requireAuthorized,
      servername: (tls) => {
        const name = (tls as { servername?: unknown }).servername
        return typeof name === "string" ? name : null
      },
      open: (transport) =>
        new TLSSocket(transport, {
          isServer: true,
          secureContext: this.#context,
          requestCert: o.requestCert === true,
          rejectUnauthorized: false,
          ...(o.ALPNProtocols !== undefined ? { ALPNProtocols: o.ALPNProtocols } : {}),
          ...(o.SNICallback !== undefined ? { SNICallback: o.SNICallback } : {}),
        }),
      handlers: {
        output: (chunk, done) => {
          if (lockstep) {
            const into = this.#collected.get(core)
            // Output outside a request (a late close_notify) has no reply to ride on: dropped.
            if (into !== undefined) into.push(Buffer.from(chunk))
            done()
            return
          }
          const s = handle!
          this.#enqueueSend(replyFrames(s.envelope, chunk), done)
        },
        message: (frames) => this.#deliver(handle!, frames),
        secure: (peer) => {
          if (timer !== null) clearTimeout(timer)
          this.emit("session", { session: handle!, peer })
        },
        end: (reason, error) => {
          if (timer !== null) clearTimeout(timer)
          this.#table.delete(key.toString("latin1"), handle!)
          this.emit("session:end", { key, reason, error, peer: core.peer })
        },
      },
    })
    handle = new TlsServerSession(this, key, envelope, core)
    if (this.#checked.handshakeTimeout > 0) {
      timer = setTimeout(() => {
        if (!core.secure) core.destroy(TlsEndReason.HANDSHAKE_TIMEOUT)
      }, this.#checked.handshakeTimeout)
      timer.unref()
    }
    return handle
  }

  #deliver(s: TlsServerSession, message: Buffer[]): void {
    const peer = s.core.peer
    if (peer === null) return
    const respond = this.#options.respond
    if (respond === undefined) {
      const item: TlsServerMessage = { message, session: s, peer }
      if (this.#waiter !== null) {
        const w = this.#waiter
        this.#waiter = null
        w.resolve(item)
      } else {
        this.#queue.push(item)
      }
      return
    }
    const pending = this.#pending.get(s.core) ?? new Set<Promise<unknown>>()
    this.#pending.set(s.core, pending)
    const work = (async () => {
      try {
        const reply = await respond(message, s)
        if (reply !== undefined && !s.core.ended) await s.send(reply as MessageLike | MessageLike[])
      } catch (error) {
        this.emit("respond:error", { session: s, error })
      }
    })()
    pending.add(work)
    void work.finally(() => pending.delete(work))
  }

  #enqueueSend(frames: Uint8Array[], done?: (error?: Error | null) => void): void {
    this.#sendChain = this.#sendChain.then(async () => {
      try {
        if (!this.#closed) await this.#socket.send(frames)
      } catch {
        // The socket refused (closed, or no route to a peer that left): the session's bytes
        // are lost with the peer; the session ends by idle expiry or a new ClientHello.
      }
      done?.()
    })
  }

  #reap(): void {
    const now = Date.now()
    for (const [, s] of this.#table.idle(now, this.#idleMs)) s.core.destroy(TlsEndReason.IDLE)
  }

  /** Resolves when the receive loop has stopped (after the socket closed). */
  get stopped(): Promise<void> {
    return this.#loop
  }
}


