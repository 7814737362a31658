/**
 * TlsClient: a TLS session to a TlsServer (or a TLSZMQ server) over a DEALER or REQ socket.
 *
 * Streaming (DEALER, default): TLS records leave as ["", bytes] as soon as Node's TLS produces
 * them, and every ["", bytes] received is fed in. Lockstep (REQ always, DEALER on request):
 * the client sends one request holding all the TLS output it has, waits for the one reply,
 * feeds it, and repeats while TLS has more to say; it never sends an empty payload (TLSZMQ's
 * server would never answer), so with nothing to say it stays quiet until the application
 * sends.
 *
 * `reconnect()` starts a fresh handshake on the same socket, resuming with the session ticket
 * the server gave (TLS 1.3 NewSessionTicket, TLS 1.2 ticket) when there is one: a server that
 * still knows the ticket key skips the certificate exchange.
 */
import { EventEmitter } from "node:events"
import { tlsConnect, type SecureContextOptions, type PeerCertificate } from "../crypto/tls.js"
import { TlsEndReason, TlsSessionError } from "./errors.js"
import { checkMessageOptions, type CheckedMessageOptions, type TlsMessageOptions } from "./options.js"
import { settle } from "./quiescence.js"
import { AlertDescription, fatalAlert, isPlaintextAlert, isServerHello } from "./record.js"
import { TlsSession, type TlsPeer } from "./session.js"
import { asBufferFrames, detectEnvelope, type ClientEnvelope, type MessageSocket } from "./socket-shape.js"
import { toFrames, type MessageLike } from "../socket/message.js"

export interface TlsClientOptions extends SecureContextOptions, TlsMessageOptions {
  /** The name to verify the server's certificate against, and to send as SNI (default "localhost"). */
  servername?: string
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined
  /** Refuse a server whose certificate does not verify (default true). */
  rejectUnauthorized?: boolean
  ALPNProtocols?: string[]
  /** A session ticket from an earlier client's `ticket`, to resume. */
  session?: Buffer
  /** "dealer" or "request"; detected from the socket when not given. */
  envelope?: ClientEnvelope
}

export interface TlsClientEvents {
  secure: [TlsPeer]
  end: [{ reason: TlsEndReason; error: Error | undefined }]
  /** A received payload was not for this session (stale bytes of an earlier one): dropped. */
  drop: [{ reason: string }]
}

const EMPTY = Buffer.alloc(0)
/** How long a lockstep close() waits for the reply to its close_notify. */
const CLOSE_WAIT_MS = 1000
const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref()
  })

function toBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
}

export class TlsClient extends EventEmitter<TlsClientEvents> {
  readonly #socket: MessageSocket
  readonly #options: TlsClientOptions
  readonly #checked: CheckedMessageOptions
  readonly #envelope: ClientEnvelope
  #session: TlsSession | null = null
  #generation: object | null = null
  #ticket: Buffer | undefined
  #awaitingServerHello = false
  #connecting: { promise: Promise<TlsPeer>; resolve: (p: TlsPeer) => void; reject: (e: Error) => void } | null = null
  #endError: TlsSessionError | null = null
  readonly #queue: Buffer[][] = []
  #waiter: { resolve: (m: Buffer[]) => void; reject: (e: Error) => void } | null = null
  #closed = false
  #loopStarted = false
  // lockstep
  #outbox: Buffer[] = []
  /**
   * Lockstep: the handshake finished but connect() has not resolved yet. TLSZMQ's server keeps
   * only the TLS output of its last step per request, so if our TLS 1.3 Finished and the first
   * application record share a request, its reply loses the NewSessionTickets and the stream
   * breaks (bad record MAC, measured against ianbarber/TLSZMQ). Hence the Finished goes alone.
   */
  #unannounced: TlsPeer | null = null
  /** Lockstep, resumed session: keep the Finished until the application sends. */
  #hold = false
  #pumping: Promise<void> | null = null
  // streaming
  #sendChain: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | null = null

  constructor(socket: MessageSocket, options: TlsClientOptions = {}) {
    super()
    if (typeof socket?.send !== "function" || typeof socket?.receive !== "function") {
      throw new TypeError("TlsClient: expected a socket with send() and receive() (a Dealer or Request), got " + typeof socket)
    }
    const envelope = options.envelope ?? detectEnvelope(socket)
    if (envelope !== "dealer" && envelope !== "request") {
      throw new TypeError('TlsClient: cannot tell a Dealer from a Request here; pass envelope: "dealer" or "request"')
    }
    if (envelope === "request" && options.lockstep === false) {
      throw new TypeError("TlsClient: a Request socket is lockstep by nature; lockstep: false needs a Dealer")
    }
    this.#checked = checkMessageOptions({ ...options, lockstep: options.lockstep ?? envelope === "request" })
    this.#envelope = envelope
    this.#socket = socket
    this.#options = options
    this.#ticket = options.session
  }

  /** The server, once the handshake finished. */
  get peer(): TlsPeer | null {
    return this.#session?.peer ?? null
  }

  /** The latest session ticket, for `new TlsClient(…, { session })` or reconnect(). */
  get ticket(): Buffer | undefined {
    return this.#ticket
  }

  get lockstep(): boolean {
    return this.#checked.lockstep
  }

  /** Handshake (once); resolves with the server's description. */
  connect(): Promise<TlsPeer> {
    if (this.#closed) return Promise.reject(new TlsSessionError(TlsEndReason.LOCAL_CLOSE, "TlsClient is closed"))
    if (this.#connecting !== null) return this.#connecting.promise
    if (this.#session !== null && this.#session.peer !== null && !this.#session.ended) {
      return Promise.resolve(this.#session.peer)
    }
    return this.#start()
  }

  /** Drop the current session and handshake again (resuming with the ticket when there is one). */
  reconnect(): Promise<TlsPeer> {
    if (this.#closed) return Promise.reject(new TlsSessionError(TlsEndReason.LOCAL_CLOSE, "TlsClient is closed"))
    const old = this.#session
    if (old !== null && !old.ended) old.destroy(TlsEndReason.REPLACED)
    this.#connecting = null
    return this.#start()
  }

  /** Send one message (frames kept). Connects first if needed. Lockstep: resolves after its reply. */
  async send(message: MessageLike | MessageLike[]): Promise<void> {
    const frames = toFrames(message)
    await this.connect()
    const session = this.#session!
    if (session.ended) throw this.#endError ?? new TlsSessionError(TlsEndReason.CLOSED, "TLS session ended")
    const room = session.send(frames)
    this.#hold = false
    if (this.#checked.lockstep) await this.#kick()
    else if (!room) await session.drained() // back-pressure: the socket's send() paces TLS output
  }

  /** The next message from the server. */
  receive(): Promise<Buffer[]> {
    const next = this.#queue.shift()
    if (next !== undefined) return Promise.resolve(next)
    if (this.#endError !== null && (this.#session === null || this.#session.ended) && this.#connecting === null) {
      return Promise.reject(this.#endError)
    }
    if (this.#waiter !== null) return Promise.reject(new Error("TlsClient: receive() is already waiting"))
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }))
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer[]> {
    for (;;) {
      try {
        yield await this.receive()
      } catch (error) {
        if (error instanceof TlsSessionError && (error.reason === TlsEndReason.CLOSED || error.reason === TlsEndReason.LOCAL_CLOSE)) return
        throw error
      }
    }
  }

  /**
   * close_notify, then stop. The ZeroMQ socket stays open (close it after; a pending receive on
   * it rejects then, which ends the client's read loop).
   */
  async close(): Promise<void> {
    if (this.#closed) return
    const s = this.#session
    if (s !== null && !s.ended) {
      s.close()
      this.#hold = false
      // Lockstep: close_notify needs a request, whose reply may never come (the server is gone).
      if (this.#checked.lockstep) await Promise.race([this.#kick().catch(() => undefined), delay(CLOSE_WAIT_MS)])
      else await settle(liveActivity(s)).then(() => this.#sendChain)
    }
    this.#closed = true
    this.#fail(new TlsSessionError(TlsEndReason.LOCAL_CLOSE, "TlsClient closed"))
  }

  #start(): Promise<TlsPeer> {
    let resolve!: (p: TlsPeer) => void
    let reject!: (e: Error) => void
    const promise = new Promise<TlsPeer>((res, rej) => {
      resolve = res
      reject = rej
    })
    promise.catch(() => undefined)
    this.#connecting = { promise, resolve, reject }
    this.#endError = null
    this.#outbox = []
    this.#unannounced = null
    this.#hold = false
    this.#awaitingServerHello = true
    const o = this.#options
    // Handlers may run during the TlsSession constructor (the ClientHello is written at once),
    // so they identify their session by this token, not by the variable.
    const generation = {}
    this.#generation = generation
    const session: TlsSession = new TlsSession({
      framing: this.#checked.framing,
      limits: this.#checked.limits,
      secureEvent: "secureConnect",
      requireAuthorized: false, // tls.connect checks (rejectUnauthorized) and fails with an error
      servername: () => o.servername ?? "localhost",
      open: (transport) => {
        const tls = tlsConnect({
          ...o,
          socket: transport,
          servername: o.servername ?? "localhost",
          ...(this.#ticket !== undefined ? { session: this.#ticket } : {}),
        })
        tls.on("session", (ticket: Buffer) => {
          if (this.#generation === generation) this.#ticket = ticket
        })
        return tls
      },
      handlers: {
        output: (chunk, done) => {
          if (this.#generation !== generation) return done()
          if (this.#checked.lockstep) {
            this.#outbox.push(Buffer.from(chunk))
            done()
            void this.#kick().catch(() => undefined)
            return
          }
          const frames = this.#envelope === "dealer" ? [EMPTY, chunk] : [chunk]
          this.#sendChain = this.#sendChain.then(async () => {
            try {
              await this.#socket.send(frames)
            } catch (error) {
              session.destroy(TlsEndReason.SOCKET, error instanceof Error ? error : new Error(String(error)))
            }
            done()
          })
        },
        message: (frames) => this.#push(frames),
        secure: (peer) => {
          if (this.#timer !== null) clearTimeout(this.#timer)
          if (this.#checked.lockstep && !peer.sessionReused) {
            // Full handshake: the server answers our last flight (TLS 1.2: its Finished; TLS 1.3:
            // its NewSessionTickets). Announced when the pump goes idle, so that flight travels
            // alone and the application's first message follows in a request of its own.
            this.#unannounced = peer
            void this.#kick().catch(() => undefined)
            return
          }
          if (this.#checked.lockstep) {
            // Resumed: nothing answers our Finished (measured: OpenSSL sends no ticket after a
            // resumption), so it waits for the application's first message and shares its request.
            this.#hold = true
          }
          this.#announce(peer)
        },
        end: (reason, error) => {
          if (this.#timer !== null) clearTimeout(this.#timer)
          if (this.#generation !== generation) return
          const e = new TlsSessionError(reason, `TLS session ended (${reason})${error ? `: ${error.message}` : ""}`, "ERR_IRONHOUSE_TLS_SESSION", error)
          if (reason === TlsEndReason.UNAUTHORIZED) this.#tellServer(fatalAlert(AlertDescription.BAD_CERTIFICATE))
          this.emit("end", { reason, error })
          this.#fail(e)
        },
      },
    })
    this.#session = session
    if (this.#checked.lockstep) void this.#kick().catch(() => undefined)
    if (this.#checked.handshakeTimeout > 0) {
      this.#timer = setTimeout(() => {
        if (!session.secure) session.destroy(TlsEndReason.HANDSHAKE_TIMEOUT)
      }, this.#checked.handshakeTimeout)
      this.#timer.unref()
    }
    if (!this.#checked.lockstep && !this.#loopStarted) {
      this.#loopStarted = true
      void this.#readLoop()
    }
    return promise
  }

  /**
   * Node refuses an untrusted server after OpenSSL finished the handshake, and sends no alert;
   * the server would keep a session for a client that is gone. A plaintext fatal alert ends it
   * there (OpenSSL fails on it either way).
   */
  #tellServer(alert: Uint8Array): void {
    const payload = Buffer.from(alert)
    if (this.#checked.lockstep) {
      this.#outbox.push(payload)
      void this.#kick().catch(() => undefined)
      return
    }
    const frames = this.#envelope === "dealer" ? [EMPTY, payload] : [payload]
    this.#sendChain = this.#sendChain.then(() => this.#socket.send(frames).catch(() => undefined))
  }

  #announce(peer: TlsPeer): void {
    this.#unannounced = null
    const c = this.#connecting
    this.#connecting = null
    c?.resolve(peer)
    this.emit("secure", peer)
  }

  #push(frames: Buffer[]): void {
    if (this.#waiter !== null) {
      const w = this.#waiter
      this.#waiter = null
      w.resolve(frames)
    } else {
      this.#queue.push(frames)
    }
  }

  #fail(error: TlsSessionError): void {
    this.#endError = error
    const c = this.#connecting
    this.#connecting = null
    c?.reject(error)
    if (this.#queue.length === 0 && this.#waiter !== null) {
      const w = this.#waiter
      this.#waiter = null
      w.reject(error)
    }
  }

  /** A payload from the server, for the current session (stale ones dropped while a new handshake waits). */
  #incoming(payload: Buffer): void {
    const session = this.#session
    if (session === null || session.ended) {
      this.emit("drop", { reason: "no session" })
      return
    }
    if (this.#awaitingServerHello) {
      if (!isServerHello(payload) && !isPlaintextAlert(payload)) {
        this.emit("drop", { reason: "not a ServerHello (bytes of an earlier session?)" })
        return
      }
      this.#awaitingServerHello = false
    }
    session.feed(payload)
  }

  async #readLoop(): Promise<void> {
    for (;;) {
      let frames: Buffer[]
      try {
        frames = asBufferFrames(await this.#socket.receive())
      } catch (error) {
        const s = this.#session
        if (s !== null && !s.ended) s.destroy(TlsEndReason.SOCKET, error instanceof Error ? error : new Error(String(error)))
        return
      }
      if (this.#closed) return
      // DEALER: ["", bytes]. Anything else is not from a TLS server: dropped.
      if (frames.length !== 2 || frames[0]!.byteLength !== 0 || frames[1]!.byteLength === 0) {
        this.emit("drop", { reason: "not an [\"\", tls-bytes] message" })
        continue
      }
      this.#incoming(toBuffer(frames[1]!))
    }
  }

  /** Lockstep: send what TLS produced as one request, feed the reply, repeat while there is more. */
  #kick(): Promise<void> {
    if (this.#pumping !== null) return this.#pumping
    let finished = false
    const run = (async () => {
      await undefined
      try {
        for (;;) {
          const session = this.#session
          if (session === null) return
          await settle(liveActivity(session))
          if (this.#hold) return
          if (this.#outbox.length === 0) {
            if (this.#unannounced !== null && this.#session === session && !session.ended) this.#announce(this.#unannounced)
            return
          }
          const payload = this.#outbox.length === 1 ? this.#outbox[0]! : Buffer.concat(this.#outbox)
          this.#outbox = []
          const frames = this.#envelope === "dealer" ? [EMPTY, payload] : [payload]
          let reply: Buffer[]
          try {
            await this.#socket.send(frames)
            reply = asBufferFrames(await this.#socket.receive())
          } catch (error) {
            if (!session.ended) session.destroy(TlsEndReason.SOCKET, error instanceof Error ? error : new Error(String(error)))
            return
          }
          const body = this.#envelope === "dealer" ? (reply.length === 2 && reply[0]!.byteLength === 0 ? reply[1] : undefined) : reply.length === 1 ? reply[0] : undefined
          if (body === undefined || body.byteLength === 0) {
            if (!session.ended) session.destroy(TlsEndReason.TLS_ERROR, new Error("lockstep reply is not one TLS payload"))
            return
          }
          this.#incoming(toBuffer(body))
          await settle(liveActivity(session))
          if (this.#checked.framing === "raw") {
            const plaintext = session.takeRaw()
            if (plaintext !== null) this.#push([plaintext])
          }
        }
      } finally {
        finished = true
        this.#pumping = null
      }
    })()
    if (!finished) this.#pumping = run
    return run
  }
}

function liveActivity(session: TlsSession): { readonly activity: number; pending(): undefined } {
  return {
    get activity() {
      return session.activity
    },
    pending: () => undefined,
  }
}
