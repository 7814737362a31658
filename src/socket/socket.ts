/**
 * The base of every socket type: endpoints (bind/unbind/connect/disconnect), connections and
 * their pipes, send()/receive() with `zeromq` v6 behaviour, options, events, close/linger.
 * Each socket type (pair.ts, push.ts, ...) is a small policy on top: how a message is routed
 * out (xsend) and in (xrecv), over the shared strategies (load-balancer.ts, fair-queue.ts,
 * distributor.ts, subscription-trie.ts).
 *
 * send()/receive() follow `zeromq`: one waiting send and one waiting receive at a time (a
 * second concurrent call throws EBUSY, so no hidden queue escapes the high-water mark),
 * sendTimeout/receiveTimeout (EAGAIN on expiry), EBADF (thrown) on a closed socket, and a
 * waiting call rejects with EAGAIN when the socket closes. Both take an optional `{ signal }` to abort.
 * Argument errors throw synchronously (TypeError/RangeError), as in `zeromq`.
 *
 * Process lifetime, like `zeromq`: an open socket does not keep Node alive by itself; it does
 * while a send() or receive() waits, while someone waits on its events, and after close()
 * while it lingers. When the event loop runs dry, open sockets that still hold output are
 * closed and linger, as libzmq's context termination at exit (context.ts, registerForExit).
 */
import { inspect } from "node:util"
import type { Socket as NetSocket } from "node:net"
import { AuthError, ErrorCode, ProtocolError, argumentError, describeValue, protocolError } from "../errors.js"
import type { ConnectionEvent, ConnectionOptions } from "../engine/connection.js"
import type { PeerInfo } from "../engine/peer-info.js"
import type { SecurityOptions } from "../mechanism/index.js"
import { publicFromSecret } from "../crypto/index.js"
import { checkEndpointSyntax } from "../transport/endpoint.js" // unbind/disconnect (h5-endpoints)
import { Mechanism, type SocketTypeName } from "../wire/constants.js"
import { StreamConnection, allocateBody } from "../transport/stream-connection.js"
import { RawConnection } from "../transport/raw-connection.js" // h4-proxy: STREAM sockets
import { Dialer, type DialerEvent } from "../transport/dialer.js"
import { parseSocketEndpoint } from "../transport/endpoint.js"
import { bindInproc, connectInproc, type InprocConnection, type InprocSideInfo } from "../transport/inproc.js" // h4-proxy
import { listen } from "../transport/index.js"
import type { Listener } from "../transport/listener.js"
import { openFileLimit } from "../transport/fd-limit.js"
import {
  Context,
  context as defaultContext,
  registerForExit,
  socketClosed,
  socketOpened,
  type ExitParticipant,
  type ExitRegistration,
} from "./context.js"
import { FairQueue } from "./fair-queue.js"
import { asBuffers, ownSmallFrames, toFrames, type MessageLike } from "./message.js"
import { Observer, type EventErrorDetail, type SocketEvent } from "./observer.js"
import {
  applyOptions,
  convertOption,
  defaultOptions,
  isSecretOption,
  NEXT_CONNECT_WARNING,
  presentOption,
  storeOption,
  type OptionName,
  type OptionValues,
  warnsAfterConnect,
} from "./options.js"
import { Pipe, PipeState, type PipeConnection, type PipeOwner } from "./pipe.js"
import { HandshakeGuard, sourceOf } from "./handshake-guard.js"
import { SocketError, socketError, type SocketErrorCode } from "./socket-error.js"

/** Options for a blocking call. */
export interface OperationOptions {
  /** Abort the wait: the call rejects with `signal.reason` and nothing is sent / taken. */
  signal?: AbortSignal
}

/** A received message with the peer it came from (Ironhouse extension). */
export interface MessageWithPeer {
  message: Buffer[]
  peer: PeerInfo
}

/**
 * After this many calls resolved synchronously, send() resolves from setImmediate once, so a
 * tight `await send()` loop lets I/O (and the batched flush) run; `zeromq` does the same.
 */
const MAX_SYNC_OPERATIONS = 512
/** h19: a burst end with at least this many pipes to flush may hold small ones (Pipe.holdOutput). */
const HOLD_MIN_PIPES = 64
const RESOLVED: Promise<void> = Promise.resolve()
/** The constructor option that is not a socket option (built once, not per socket). */
const CONTEXT_OPTION: ReadonlySet<string> = new Set(["context"])

interface SendWaiter {
  frames: Uint8Array[]
  resolve(): void
  reject(err: unknown): void
  timer: NodeJS.Timeout | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

interface ReceiveWaiter {
  /** Holds a message already taken, resolved from setImmediate (#deferReceive): never woken. */
  deferred?: boolean
  withPeer: boolean
  resolve(value: Buffer[] | MessageWithPeer): void
  reject(err: unknown): void
  timer: NodeJS.Timeout | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

interface ListenerEntry {
  /** Set once listening (connections cannot arrive before). */
  listener: Listener | undefined
  /** The endpoint as given to bind(). */
  requested: string
  pipes: Set<Pipe>
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom")

// ---- h4-proxy: internal access for src/socket/proxy.ts ------------------------------------
/**
 * Internal (not exported from the package): what a Proxy needs from the sockets it runs.
 * One symbol-keyed method keeps this out of the public API and out of autocompletion.
 */
export const SOCKET_ACCESS: unique symbol = Symbol("ironhouse.socketAccess")

export interface SocketAccess {
  /** Endpoints bound or connected now (zeromq's Proxy refuses a socket with none). */
  readonly endpoints: number
  /** Take the socket for `owner`: the application's send()/receive() then fail with EBUSY. */
  lease(owner: object): boolean
  release(owner: object): void
  /** send()/receive() of any socket type, bypassing the lease (and the socket's timeouts). */
  send(frames: Uint8Array[], options?: OperationOptions): Promise<void>
  receive(options?: OperationOptions): Promise<Buffer[]>
  /**
   * Without waiting: the next message if one is ready (else undefined), and queue a message
   * if there is room now (else false; the caller then awaits send()). `frames` becomes the
   * socket's. Both may throw a SocketError (e.g. EHOSTUNREACH from a mandatory ROUTER).
   */
  tryReceive(): Buffer[] | undefined
  trySend(frames: Uint8Array[]): boolean
  /** Messages held in this socket's pipes: received and not yet taken, queued and not yet sent. */
  queued(): { inbound: number; outbound: number }
  /**
   * h13-gateway: forwarding without promises. `readable` is called synchronously, from the
   * socket's own handling of an arriving message, whenever a message may be ready for
   * tryReceive() (and no receive() waits); `writable` is called from a microtask whenever room
   * for trySend() may have appeared (and no send() waits). Neither may throw. undefined
   * removes a hook.
   */
  watch(readable: (() => void) | undefined, writable: (() => void) | undefined): void
}
// ---- end h4-proxy ----------------------------------------------------------------------------

/**
 * libzmq's ZMQ_TYPE numbers (zmq.h), which `zeromq`'s `socket.type` returns. Keyed by string,
 * not SocketTypeName, so that STREAM (a socket type being added on another branch) needs no
 * type change here.
 */
const ZMQ_TYPE: Readonly<Record<string, number>> = {
  PAIR: 0,
  PUB: 1,
  SUB: 2,
  REQ: 3,
  REP: 4,
  DEALER: 5,
  ROUTER: 6,
  PULL: 7,
  PUSH: 8,
  XPUB: 9,
  XSUB: 10,
  STREAM: 11,
}

export abstract class Socket {
  readonly #type: SocketTypeName | "STREAM" // h4-proxy: STREAM (raw TCP) is not an RFC 37 type
  readonly #allowed: ReadonlySet<string>
  readonly #context: Context
  readonly #options: OptionValues = defaultOptions()
  readonly #pipes = new Set<Pipe>()
  readonly #listeners = new Map<string, ListenerEntry>()
  readonly #dialers: Array<{ address: string; dialer: Dialer; pipe: Pipe }> = []
  readonly #owner: PipeOwner
  /** Shared fair queue for the socket types that receive from pipes. */
  protected readonly fq = new FairQueue()
  /** Accepted connections in their greeting/handshake, oldest first (derived from pipe states). */
  readonly #handshakes = new HandshakeGuard<Pipe>()
  /** Closed: connections delivering their last written octets (see StreamConnection.linger). */
  readonly #lingering = new Set<PipeConnection>()
  #fullyClosed = false
  #releasing = false
  #exitRegistration: ExitRegistration | undefined
  readonly #exitParticipant: ExitParticipant
  /** bind() or connect() was called once (zeromq's `endpoints > 0`: options then warn). */
  #endpointUsed = false
  #lastEndpoint: string | null = null
  #observer: Observer | undefined
  #observerWaiting = false
  #closed = false
  #whenClosed: Promise<void> | undefined
  #resolveClosed: (() => void) | undefined
  #lingerTimer: NodeJS.Timeout | undefined
  #pendingListenerCloses = 0
  #sendWaiter: SendWaiter | undefined
  #receiveWaiter: ReceiveWaiter | undefined
  #wakeSendScheduled = false
  #syncOperations = 0
  /** Receives resolved at once since the last deferred one (fairness, see #deferReceive). */
  #syncReceives = 0
  #dirty: Pipe[] = []
  #flushScheduled = false
  #inBurst = false
  #pipesWithQueuedOutput = 0
  readonly #keepAlive: NodeJS.Timeout
  #keptAlive = false
  #peers: WeakMap<Buffer[], PeerInfo> | undefined
  /** h4-proxy: inproc connect()s (for disconnect) and how to cancel one still waiting for its bind. */
  readonly #inprocConnects: Array<{ address: string; pipe: Pipe; cancel: () => void }> = []
  /** h4-proxy: set while a Proxy runs this socket (see SOCKET_ACCESS). */
  #lease: object | undefined
  #leaseBypass = false
  /** h13-gateway: a running Proxy's hooks (see SocketAccess.watch). */
  #readableHook: (() => void) | undefined
  #writableHook: (() => void) | undefined
  #writableHookScheduled = false

  /**
   * Sockets are sealed, like `zeromq`'s (issue 15): assigning a property a socket does not
   * have (a misspelt option, `sock.sendHighWatermark = 5`) throws a TypeError in strict code
   * instead of being silently ignored. Each concrete class seals at the end of its own
   * constructor when it is the most-derived class (`new.target`), after its fields exist;
   * an application's subclass is left extensible (zeromq's native sockets refuse even that).
   */
  protected constructor(type: SocketTypeName | "STREAM", allowed: ReadonlySet<string>, options: object | undefined) {
    this.#type = type
    this.#allowed = allowed
    let ctx = defaultContext
    if (options !== undefined && options !== null && typeof options === "object" && "context" in options) {
      const given = (options as { context?: unknown }).context
      if (!(given instanceof Context)) {
        throw argumentError("type", `context: expected a Context, got ${describeValue(given)}`)
      }
      ctx = given
    }
    this.#context = ctx
    if (!ctx.blocky) this.#options.linger = 0
    if (ctx.ipv6) this.#options.ipv6 = true // ZMQ_IPV6 of the context: the sockets' default (issue 15)
    applyOptions(this.#options, allowed, options, this.constructor.name, CONTEXT_OPTION)
    socketOpened(ctx) // the context's maxSockets (EMFILE), after every check that may throw (issue 15)
    if (this.#options.trackPeers) this.#peers = new WeakMap()
    // One timer per socket decides whether it keeps the process alive; never fires in practice.
    this.#keepAlive = setInterval(() => {}, 0x7fffffff)
    this.#keepAlive.unref()
    // Held weakly by the exit hook: this socket keeps the participant alive, not the reverse.
    this.#exitParticipant = {
      closeAtExit: () => this.#closeAtExit(),
      get blockyContext() {
        return ctx.blocky
      },
    }
    this.#exitRegistration = registerForExit(this.#exitParticipant)
    this.#owner = {
      pipeStateChanged: (pipe, from, to) => {
        if (from === PipeState.HANDSHAKING) this.#handshakes.delete(pipe)
        if (to === PipeState.HANDSHAKING && pipe.source !== undefined) this.#handshakes.add(pipe, pipe.source)
      },
      queuedOutputChanged: (_pipe, delta) => {
        this.#pipesWithQueuedOutput += delta
        this.#updateKeepAlive()
        if (delta < 0 && this.#closed) this.#checkLinger()
      },
      scheduleFlush: (pipe) => this.#scheduleFlush(pipe),
      pipeHasRoom: () => this.wakeSender(),
    }
  }

  /** Define the option properties of a socket class (its getters/setters, validated). */
  protected static defineOptions(proto: object, names: readonly OptionName[]): void {
    for (const name of names) {
      Object.defineProperty(proto, name, {
        configurable: true,
        enumerable: false,
        get(this: Socket) {
          return presentOption(name, this.#options[name])
        },
        set(this: Socket, value: unknown) {
          storeOption(this.#options, name, convertOption(name, value))
          // zeromq's warning for options that apply to later connections only (issue 15).
          if (this.#endpointUsed && warnsAfterConnect(name)) process.emitWarning(NEXT_CONNECT_WARNING)
          if (name === "trackPeers") this.#peers = this.#options.trackPeers ? (this.#peers ?? new WeakMap()) : undefined
          this.optionChanged(name)
        },
      })
    }
  }

  // ---- to be provided by socket types ----------------------------------------------------

  /** Queue a message; false when there is no room now (send() then waits). May throw SocketError. */
  protected abstract xsend(frames: Uint8Array[]): boolean
  /** Take the next message for the application, setting `receivedFrom`; undefined if none. */
  protected abstract xrecv(): Uint8Array[] | undefined
  /** h4-proxy: connections carry raw bytes (STREAM), not ZMTP: no engine, no security. */
  protected get rawTransport(): boolean {
    return false
  }
  /** Whether connect-side pipes join the routing strategies before their connection exists. */
  protected get earlyAttach(): boolean {
    return false
  }
  /**
   * Whether this connect-side pipe joins the routing strategies at connect() (before its
   * connection exists). Default: `earlyAttach`. ROUTER: only pipes with a connect routing id
   * (issue 15, item 7: libzmq routes to them from connect on).
   */
  protected attachAtConnect(_pipe: Pipe): boolean {
    return this.earlyAttach
  }
  /** A pipe joins the routing strategies. Return false to refuse it (its connection is closed). */
  protected abstract xattach(pipe: Pipe): boolean
  /** A pipe's handshake completed (after xattach). */
  protected xready(_pipe: Pipe): void {}
  /** A pipe leaves the routing strategies. */
  protected abstract xdetach(pipe: Pipe): void
  /** A message arrived on a pipe. Default: fair-queue it. */
  protected xmessage(pipe: Pipe, frames: Uint8Array[]): void {
    this.fq.push(pipe, frames)
    this.wakeReceiver()
  }
  /** A SUBSCRIBE/CANCEL arrived on a pipe. Default: ignore. */
  protected xsubscription(_pipe: Pipe, _subscribe: boolean, _topic: Uint8Array): void {}
  /** Whether a message could be taken now (the `readable` property). */
  protected xhasIn(): boolean {
    return this.fq.hasMessages
  }
  /** Whether a message could be queued now (the `writable` property). */
  protected xhasOut(): boolean {
    return false
  }
  /** An option property was set. */
  protected optionChanged(_name: OptionName): void {}

  /** The pipe the message last returned by xrecv() came from. */
  protected receivedFrom: Pipe | undefined

  /** Read an option (for socket types). */
  protected option<K extends OptionName>(name: K): OptionValues[K] {
    return this.#options[name]
  }

  /** Every pipe with a completed handshake. */
  protected readyPipes(): Pipe[] {
    const out: Pipe[] = []
    for (const pipe of this.#pipes) if (pipe.ready && pipe.attached) out.push(pipe)
    return out
  }

  /**
   * Close a pipe's connection (e.g. a second PAIR peer, a duplicate ROUTER identity). With a
   * `reason` (the peer broke a limit after its handshake) the peer is gone at once, as after a
   * protocol error: nothing more it sent is handled, and the `disconnect` event carries the reason.
   */
  protected dropConnection(pipe: Pipe, reason?: ProtocolError): void {
    const conn = pipe.conn
    if (conn === undefined) return
    conn.close()
    if (reason !== undefined) this.#connectionClosed(pipe, conn, reason)
  }

  /** h4-proxy: internal access for src/socket/proxy.ts (not part of the public API). */
  [SOCKET_ACCESS](): SocketAccess {
    const bypass = <T>(call: () => Promise<T>): Promise<T> => {
      this.#leaseBypass = true
      try {
        return call()
      } catch (err) {
        return Promise.reject(err) // EBADF/EBUSY are thrown to applications (zeromq); the Proxy awaits
      } finally {
        this.#leaseBypass = false
      }
    }
    return {
      endpoints: this.#listeners.size + this.#dialers.length + this.#inprocConnects.length,
      lease: (owner) => {
        if (this.#lease !== undefined && this.#lease !== owner) return false
        this.#lease = owner
        return true
      },
      release: (owner) => {
        if (this.#lease === owner) this.#lease = undefined
      },
      send: (frames, options) => bypass(() => this.sendMessage(frames, options)),
      receive: (options) => bypass(() => this.receiveMessage(options)),
      tryReceive: () => {
        if (this.#closed || this.#receiveWaiter !== undefined) return undefined
        const frames = this.xrecv()
        return frames === undefined ? undefined : (this.#deliver(frames, false) as Buffer[])
      },
      trySend: (frames) => {
        if (this.#closed || this.#sendWaiter !== undefined) return false
        return this.xsend(frames)
      },
      queued: () => {
        let inbound = 0
        let outbound = 0
        for (const pipe of this.#pipes) {
          inbound += pipe.inbound.length
          outbound += pipe.queuedOutput
        }
        return { inbound, outbound }
      },
      watch: (readable, writable) => {
        this.#readableHook = readable
        this.#writableHook = writable
      },
    }
  }

  /** h4-proxy: the EBUSY a leased socket gives the application, or undefined. */
  #leasedError(): SocketError | undefined {
    if (this.#lease === undefined || this.#leaseBypass) return undefined
    return socketError("EBUSY", "Socket is used by a running Proxy")
  }

  // ---- properties ------------------------------------------------------------------------

  /** The socket type name (RFC 37 Socket-Type), e.g. "DEALER". */
  get socketType(): SocketTypeName | "STREAM" {
    return this.#type
  }

  /**
   * ZMQ_TYPE as `zeromq` reports it: libzmq's number (PAIR 0, PUB 1, SUB 2, REQ 3, REP 4,
   * DEALER 5, ROUTER 6, PULL 7, PUSH 8, XPUB 9, XSUB 10), see `SocketType` (issue 15).
   */
  get type(): number {
    return ZMQ_TYPE[this.#type] ?? -1
  }

  /** The context this socket belongs to. */
  get context(): Context {
    return this.#context
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Resolves once the socket is closed and has released every connection and endpoint
   * (after linger). Ironhouse extension; `closed` stays a boolean as in `zeromq`.
   */
  get whenClosed(): Promise<void> {
    if (this.#whenClosed === undefined) {
      this.#whenClosed = this.#fullyClosed
        ? Promise.resolve()
        : new Promise<void>((resolve) => (this.#resolveClosed = resolve))
      if (this.#closed) this.#checkFullyClosed()
    }
    return this.#whenClosed
  }

  /** ZMQ_LAST_ENDPOINT: the last endpoint bound (with the real port / path) or connected. */
  get lastEndpoint(): string | null {
    return this.#lastEndpoint
  }

  /** Whether receive() would resolve at once. */
  get readable(): boolean {
    return !this.#closed && this.xhasIn()
  }

  /** Whether send() would queue at once. */
  get writable(): boolean {
    return !this.#closed && this.xhasOut()
  }

  /** ZMQ_MECHANISM as `zeromq` reports it: null, "plain" or "curve". */
  get securityMechanism(): null | "plain" | "curve" {
    const m = this.#mechanismName()
    return m === Mechanism.NULL ? null : m === Mechanism.PLAIN ? "plain" : "curve"
  }

  /** Socket events (observer), created on first access like `zeromq`'s. */
  get events(): Observer {
    if (this.#observer === undefined) {
      this.#observer = new Observer((waiting) => {
        this.#observerWaiting = waiting
        this.#updateKeepAlive()
      })
      if (this.#closed) {
        this.#observer.push({ type: "end" })
        this.#observer.close()
      }
    }
    return this.#observer
  }

  #emit(event: SocketEvent): void {
    this.#observer?.push(event)
  }

  // ---- endpoints -------------------------------------------------------------------------

  /** Bind to an endpoint (`tcp://host:port`, `tcp://*:*`, `ipc:///path`, `inproc://name`, ...). */
  bind(address: string): Promise<void> {
    this.#checkEndpointOperation()
    return this.#endpointOperation(() => this.#bind(address))
  }

  /**
   * EBADF (closed) and EBUSY (a bind/unbind pending) are thrown synchronously by bind() and
   * unbind(), as `zeromq` does (issue 15, item 11); endpoint errors are rejections, as there.
   */
  #checkEndpointOperation(): void {
    if (this.#closed) throw socketError("EBADF")
    if (this.#endpointOperationPending) throw socketError("EBUSY", "Socket is blocked by a bind or unbind operation")
  }

  /**
   * One bind() or unbind() at a time, as `zeromq`: a second one while one is pending rejects
   * with EBUSY (zeromq's "Socket is blocked by a bind or unbind operation").
   */
  #endpointOperationPending = false

  async #endpointOperation(operation: () => Promise<void>): Promise<void> {
    if (this.#endpointOperationPending) throw socketError("EBUSY", "Socket is blocked by a bind or unbind operation")
    this.#endpointOperationPending = true
    try {
      await operation()
    } finally {
      this.#endpointOperationPending = false
    }
  }

  async #bind(address: string): Promise<void> {
    if (this.#closed) throw socketError("EBADF")
    const endpoint = parseSocketEndpoint(address, "bind")
    if (endpoint.transport === "inproc") return this.#bindInproc(address, endpoint.name) // h4-proxy
    this.#securityOptions() // fail now, not on the first connection, when keys are missing
    const entry: ListenerEntry = { listener: undefined, requested: address, pipes: new Set() }
    let listener: Listener
    try {
      listener = await listen(
        endpoint,
        {
          backlog: this.#options.backlog,
          ipv6: this.#options.ipv6,
          keepalive: this.#keepaliveOptions(),
          onAcceptError: (err) => this.#acceptFailed(entry, err),
        },
        (socket, peerAddress) => this.#accept(entry, socket, peerAddress),
      )
    } catch (err) {
      const error = bindError(err, address)
      this.#emit({ type: "bind:error", address, error })
      throw error
    }
    entry.listener = listener
    if (this.#closed) {
      // close() while this bind was pending: the bind completes (resolves) and the endpoint is
      // released again before it does, as `zeromq` lets a pending bind finish (issue 15, item 6).
      await listener.close()
      return
    }
    this.#listeners.set(listener.endpoint, entry)
    this.#endpointUsed = true
    this.#lastEndpoint = listener.endpoint
    this.#emit({ type: "bind", address: listener.endpoint })
  }

  /** Stop listening on an endpoint (as given to bind() or as lastEndpoint reported it). */
  unbind(address: string): Promise<void> {
    this.#checkEndpointOperation()
    return this.#endpointOperation(() => this.#unbind(address))
  }

  async #unbind(address: string): Promise<void> {
    if (this.#closed) throw socketError("EBADF")
    checkEndpointSyntax(address) // EINVAL / EPROTONOSUPPORT before the lookup (ENOENT), as zeromq
    let key: string | undefined
    if (this.#listeners.has(address)) key = address
    else for (const [k, e] of this.#listeners) if (e.requested === address) key = k
    const entry = key === undefined ? undefined : this.#listeners.get(key)
    if (key === undefined || entry === undefined) throw socketError("ENOENT", undefined, address)
    this.#listeners.delete(key)
    // libzmq closes the connections accepted through the endpoint too.
    for (const pipe of entry.pipes) this.#terminatePipe(pipe, true)
    await entry.listener?.close()
    this.#emit({ type: "close", address: key })
  }

  /** Connect to an endpoint; the connection is made (and remade) in the background. */
  connect(address: string): void {
    this.connectEndpoint(address, undefined)
  }

  /** connect() with ROUTER's per-connection routing id (ZMQ_CONNECT_ROUTING_ID). */
  protected connectEndpoint(address: string, routingId: string | Uint8Array | undefined): void {
    if (this.#closed) throw socketError("EBADF")
    const endpoint = parseSocketEndpoint(address, "connect")
    if (endpoint.transport === "inproc") return this.#connectInproc(address, endpoint.name, routingId) // h4-proxy
    this.#securityOptions()
    this.#endpointUsed = true
    const dialer: Dialer = new Dialer(
      endpoint,
      {
        reconnectInterval: this.#options.reconnectInterval,
        reconnectMaxInterval: this.#options.reconnectMaxInterval,
        connectTimeout: this.#options.connectTimeout,
        ipv6: this.#options.ipv6,
        keepalive: this.#keepaliveOptions(),
      },
      {
        onConnected: (socket, peerAddress) => this.#connected(pipe, socket, peerAddress),
        onEvent: (event) => this.#dialerEvent(address, event),
      },
    )
    const pipe = new Pipe(this.#owner, address, dialer, this.#options.sendHighWaterMark, this.#options.receiveHighWaterMark)
    if (routingId !== undefined) {
      const id = convertOption("routingId", routingId) as Uint8Array
      pipe.connectRoutingId = Buffer.from(id)
    }
    this.#pipes.add(pipe)
    this.#dialers.push({ address, dialer, pipe })
    this.#lastEndpoint = address
    if (this.attachAtConnect(pipe) && !this.#options.immediate) this.#attach(pipe)
    dialer.start()
  }

  /** Stop connecting to an endpoint given to connect(); its connection closes. */
  disconnect(address: string): void {
    if (this.#closed) throw socketError("EBADF")
    checkEndpointSyntax(address) // EINVAL / EPROTONOSUPPORT before the lookup (ENOENT), as zeromq
    const matching = this.#dialers.filter((d) => d.address === address)
    const inproc = this.#inprocConnects.filter((c) => c.address === address) // h4-proxy
    if (matching.length === 0 && inproc.length === 0) throw socketError("ENOENT", undefined, address)
    for (const c of inproc) {
      this.#inprocConnects.splice(this.#inprocConnects.indexOf(c), 1)
      this.#terminatePipe(c.pipe, true)
    }
    for (const d of matching) {
      this.#dialers.splice(this.#dialers.indexOf(d), 1)
      d.dialer.stop()
      this.#terminatePipe(d.pipe, true)
    }
  }

  // ---- connections -----------------------------------------------------------------------

  #accept(entry: ListenerEntry, socket: NetSocket, peerAddress: string): void {
    const address = entry.listener?.endpoint ?? entry.requested
    if (this.#closed || !this.#listeners.has(address)) {
      socket.destroy()
      return
    }
    // Safe by default under a handshake flood (handshake-guard.ts): the connections in their
    // handshake stay within maxPendingHandshakes, and a newcomer is never refused for it: the
    // oldest one of the most represented source (else the oldest) makes room.
    const limit = pendingHandshakeLimit(this.#options.maxPendingHandshakes)
    while (this.#handshakes.size >= limit) {
      const victim = this.#handshakes.victim() as Pipe
      this.#shed(
        victim,
        `shed: ${limit} connections were in their handshake (maxPendingHandshakes); this was the oldest ` +
          `of the most represented source`,
      )
      if (this.#handshakes.has(victim)) break // cannot happen (#shed always ends its handshake); never loop
    }
    const pipe = new Pipe(this.#owner, address, undefined, this.#options.sendHighWaterMark, this.#options.receiveHighWaterMark)
    pipe.listenerKey = address
    pipe.source = sourceOf(peerAddress)
    entry.pipes.add(pipe)
    this.#pipes.add(pipe)
    this.#emit({ type: "accept", address })
    this.#startConnection(pipe, socket, peerAddress)
  }

  #connected(pipe: Pipe, socket: NetSocket, peerAddress: string): void {
    if (pipe.terminated || (this.#closed && pipe.queuedOutput === 0)) {
      socket.destroy()
      return
    }
    this.#emit({ type: "connect", address: pipe.address })
    this.#startConnection(pipe, socket, peerAddress)
  }

  /**
   * accept() failed (zeromq's `accept:error`). Out of file descriptors (EMFILE/ENFILE), a
   * handshake flood would lock newcomers out below maxPendingHandshakes: shed one pending
   * connection per failure (the same choice as #accept), so the next attempt gets a descriptor.
   */
  #acceptFailed(entry: ListenerEntry, err: Error): void {
    if (this.#closed) return
    const address = entry.listener?.endpoint ?? entry.requested
    const given = (err as { code?: unknown; errno?: unknown })
    const code = typeof given.code === "string" ? given.code : "EUNKNOWN"
    const error: EventErrorDetail = Object.assign(new Error(err.message), {
      code,
      ...(typeof given.errno === "number" ? { errno: given.errno } : {}),
    })
    this.#emit({ type: "accept:error", address, error })
    if ((code === "EMFILE" || code === "ENFILE") && this.#handshakes.size > 0) {
      this.#shed(
        this.#handshakes.victim() as Pipe,
        `shed: out of file descriptors (${code}) with ${this.#handshakes.size} connections in their handshake; ` +
          `this was the oldest of the most represented source`,
      )
    }
  }

  /** Drop a connection still in its handshake to make room (see #accept). */
  #shed(pipe: Pipe, reason: string): void {
    const conn = pipe.conn
    const error = protocolError(ErrorCode.HANDSHAKE_LIMIT, reason)
    if (conn !== undefined) conn.abort(error) // reports handshake:error:other, then the pipe goes
    if (pipe.conn === conn) {
      // Not reported through the connection (already closing): let the pipe go here.
      this.#terminatePipe(pipe, false)
      pipe.detachConnection()
      conn?.destroy()
    }
  }

  #startConnection(pipe: Pipe, socket: NetSocket, peerAddress: string): void {
    socket.unref()
    if (this.rawTransport) {
      // h4-proxy: STREAM: the bytes as they come, a "handshake" at once (raw-connection.ts).
      const raw = new RawConnection(socket, peerAddress, {
        onEvent: (event, c) => this.#connectionEvent(pipe, c, event),
        onClose: (c) => this.#connectionClosed(pipe, c),
        onDrain: (c) => {
          if (pipe.conn === c) pipe.pump()
        },
      })
      pipe.attachConnection(raw)
      return
    }
    const conn = new StreamConnection(
      socket,
      this.#connectionOptions(peerAddress),
      {
        onEvent: (event, c) => this.#connectionEvent(pipe, c, event),
        onClose: (c) => this.#connectionClosed(pipe, c),
        onDrain: (c) => {
          if (pipe.conn === c) pipe.pump()
        },
      },
      // The greeting deadline guards accepted connections (a flood); dialled ones have handshakeInterval.
      // Accepted ones also send their greeting with their first answer (issue 13, stream-connection.ts).
      pipe.dialer === undefined ? { greetingTimeout: this.#options.greetingTimeout, coalesceGreeting: true } : {},
    )
    pipe.attachConnection(conn)
  }

  #connectionEvent(pipe: Pipe, conn: PipeConnection, event: ConnectionEvent): void {
    if (pipe.conn !== conn) return
    switch (event.type) {
      case "message":
        if (pipe.attached && !this.#closed) this.xmessage(pipe, event.frames)
        return
      case "subscription":
        if (pipe.attached && !this.#closed) this.xsubscription(pipe, event.subscribe, event.topic)
        return
      case "handshake":
        this.#handshakeDone(pipe, conn, event.peer)
        return
      case "error":
        if (event.handshake) this.#emit(handshakeErrorEvent(pipe.address, event.error))
        // The transport closes in the background (flushing any ERROR); the peer is gone now.
        this.#connectionClosed(pipe, conn)
        return
      default:
        return // ping / pong: the engine answered already
    }
  }

  #handshakeDone(pipe: Pipe, conn: PipeConnection, peer: PeerInfo): void {
    pipe.onHandshake(peer)
    this.#emit({ type: "handshake", address: pipe.address, peer })
    if (this.#closed) {
      // Lingering: deliver what is queued, nothing else.
      pipe.pump()
      this.#checkLinger()
      return
    }
    if (!pipe.attached && !this.#attach(pipe)) {
      conn.close()
      return
    }
    this.xready(pipe)
    pipe.pump()
    this.wakeSender()
  }

  #attach(pipe: Pipe): boolean {
    // ZMQ_CONFLATE applies to the socket types that have the option (libzmq: DEALER, PULL, PUSH, PUB, SUB).
    pipe.conflate = this.#allowed.has("conflate") && this.#options.conflate
    if (!this.xattach(pipe)) return false
    pipe.attached = true
    this.wakeSender()
    return true
  }

  #connectionClosed(pipe: Pipe, conn: PipeConnection, error?: ProtocolError): void {
    if (pipe.conn !== conn) return
    pipe.detachConnection()
    if (!this.#closed) this.#emit({ type: "disconnect", address: pipe.address, ...(error !== undefined ? { error } : {}) })
    const dialer = pipe.dialer
    if (dialer === undefined || pipe.terminated) {
      this.#terminatePipe(pipe, false)
    } else {
      // Connect side: keep the pipe (and, for load-balancing types, its queued messages)
      // and reconnect. Other types rejoin their strategies at the next handshake.
      if (pipe.attached && !(this.earlyAttach && !this.#options.immediate)) {
        pipe.attached = false
        this.xdetach(pipe)
        pipe.discardOutput()
      }
      if (this.#closed && pipe.queuedOutput === 0) {
        dialer.stop()
        this.#pipes.delete(pipe)
      } else {
        dialer.connectionLost()
      }
    }
    if (this.#closed) this.#checkLinger()
  }

  /** Remove a pipe for good; `closeConnection`: also close its connection (gracefully). */
  #terminatePipe(pipe: Pipe, closeConnection: boolean): void {
    if (pipe.terminated && !this.#pipes.has(pipe)) return
    pipe.terminate()
    for (const c of this.#inprocConnects) if (c.pipe === pipe) c.cancel() // h4-proxy: stop waiting for a bind
    if (pipe.attached) {
      pipe.attached = false
      this.xdetach(pipe)
    }
    pipe.discardOutput()
    if (closeConnection && pipe.conn !== undefined) {
      const conn = pipe.conn
      pipe.detachConnection()
      conn.close()
    }
    if (pipe.listenerKey !== undefined) this.#listeners.get(pipe.listenerKey)?.pipes.delete(pipe)
    this.#pipes.delete(pipe)
    // Messages already received stay readable (libzmq reads a terminated pipe to its end).
  }

  // ---- h4-proxy: inproc:// (src/transport/inproc.ts) --------------------------------------
  // The same pipes, routing and events as tcp/ipc; the connection is an InprocConnection
  // (no ZMTP, no security: as in libzmq, security options do not apply to inproc).

  #inprocInfo(): InprocSideInfo {
    // Never STREAM: #bindInproc/#connectInproc refuse raw sockets first.
    return { socketType: this.#type as SocketTypeName, routingId: this.#options.routingId ?? undefined }
  }

  #bindInproc(address: string, name: string): void {
    if (this.rawTransport) throw socketError("EPROTONOSUPPORT", "a Stream socket speaks tcp:// or ipc://, not inproc://", address)
    const entry: ListenerEntry = { listener: undefined, requested: address, pipes: new Set() }
    let listener: Listener
    try {
      listener = bindInproc(this.#context, name, this.#inprocInfo(), (conn) => this.#acceptInproc(entry, conn))
    } catch (err) {
      const error = bindError(err, address)
      this.#emit({ type: "bind:error", address, error })
      throw error
    }
    entry.listener = listener
    this.#listeners.set(listener.endpoint, entry)
    this.#lastEndpoint = listener.endpoint
    this.#emit({ type: "bind", address: listener.endpoint })
  }

  #connectInproc(address: string, name: string, routingId: string | Uint8Array | undefined): void {
    if (this.rawTransport) throw socketError("EPROTONOSUPPORT", "a Stream socket speaks tcp:// or ipc://, not inproc://", address)
    const pipe = new Pipe(this.#owner, address, undefined, this.#options.sendHighWaterMark, this.#options.receiveHighWaterMark)
    if (routingId !== undefined) pipe.connectRoutingId = Buffer.from(convertOption("routingId", routingId) as Uint8Array)
    this.#pipes.add(pipe)
    this.#lastEndpoint = address
    const record = { address, pipe, cancel: () => {} }
    this.#inprocConnects.push(record)
    if (this.earlyAttach && !this.#options.immediate) this.#attach(pipe)
    // A connect before the bind waits in the context's registry (libzmq 4.x).
    record.cancel = connectInproc(this.#context, name, this.#inprocInfo(), (conn) => {
      if (pipe.terminated || (this.#closed && pipe.queuedOutput === 0)) {
        conn.close()
        return
      }
      this.#emit({ type: "connect", address })
      this.#startInproc(pipe, conn)
    })
  }

  #acceptInproc(entry: ListenerEntry, conn: InprocConnection): void {
    const address = entry.listener?.endpoint ?? entry.requested
    if (this.#closed || !this.#listeners.has(address)) {
      conn.close()
      return
    }
    const pipe = new Pipe(this.#owner, address, undefined, this.#options.sendHighWaterMark, this.#options.receiveHighWaterMark)
    pipe.listenerKey = address
    entry.pipes.add(pipe)
    this.#pipes.add(pipe)
    this.#emit({ type: "accept", address })
    this.#startInproc(pipe, conn)
  }

  #startInproc(pipe: Pipe, conn: InprocConnection): void {
    pipe.attachConnection(conn)
    conn.start({
      onEvent: (event, c) => this.#connectionEvent(pipe, c, event),
      onClose: (c) => this.#connectionClosed(pipe, c),
      onDrain: (c) => {
        if (pipe.conn === c) pipe.pump()
      },
    })
  }
  // ---- end h4-proxy inproc ------------------------------------------------------------------

  #dialerEvent(address: string, event: DialerEvent): void {
    if (this.#closed) return
    switch (event.type) {
      case "connect:delay":
        this.#emit({ type: "connect:delay", address })
        return
      case "connect:retry":
        this.#emit({ type: "connect:retry", address, interval: event.interval })
        return
      case "close":
        this.#emit({ type: "close", address })
        return
    }
  }

  /** ZMQ_TCP_KEEPALIVE(_IDLE) for the transport, read when an endpoint is bound or connected. */
  #keepaliveOptions(): { keepalive: number; keepaliveIdle: number } {
    return { keepalive: this.#options.tcpKeepalive, keepaliveIdle: this.#options.tcpKeepaliveIdle }
  }

  #connectionOptions(peerAddress: string): ConnectionOptions {
    const o = this.#options
    const heartbeatTimeout = o.heartbeatTimeout < 0 ? o.heartbeatInterval : o.heartbeatTimeout
    const authenticate = o.authenticate ?? this.#context.zapHandler
    return {
      socketType: this.#type as SocketTypeName, // never STREAM: raw sockets use no engine
      ...(o.routingId !== null ? { routingId: o.routingId } : {}),
      security: this.#securityOptions(),
      ...(o.zapDomain !== null ? { zapDomain: o.zapDomain } : {}),
      ...(authenticate !== undefined ? { authenticate } : {}),
      zapEnforceDomain: o.zapEnforceDomain,
      peerAddress,
      allocate: allocateBody, // memory for frames spread over reads, not zero-filled (stream-connection.ts)
      limits: { maxMessageSize: o.maxMessageSize < 0 ? Number.MAX_SAFE_INTEGER : o.maxMessageSize },
      handshakeInterval: o.handshakeInterval,
      heartbeatInterval: o.heartbeatInterval,
      heartbeatTimeout,
      heartbeatTimeToLive: o.heartbeatTimeToLive,
    }
  }

  /** Mechanism chosen like libzmq: CURVE server/client, PLAIN server/client, else NULL. */
  #mechanismName(): SecurityOptions["mechanism"] {
    const o = this.#options
    if (o.curveServer || o.curveServerKey !== null) return Mechanism.CURVE
    if (o.plainServer || o.plainUsername !== null || o.plainPassword !== null) return Mechanism.PLAIN
    return Mechanism.NULL
  }

  /** The public half of the CURVE secret key, derived once per key (not once per connection). */
  #derivedPublicKey: { secretKey: Uint8Array; publicKey: Uint8Array } | undefined

  #derivePublicKey(secretKey: Uint8Array): Uint8Array {
    const cached = this.#derivedPublicKey
    if (cached !== undefined && cached.secretKey === secretKey) return cached.publicKey
    const publicKey = publicFromSecret(secretKey)
    this.#derivedPublicKey = { secretKey, publicKey }
    return publicKey
  }

  #securityOptions(): SecurityOptions {
    const o = this.#options
    const mechanism = this.#mechanismName()
    if (mechanism === Mechanism.CURVE) {
      const secretKey = o.curveSecretKey
      if (secretKey === null) {
        throw argumentError(
          "type",
          `curveSecretKey: expected a key (40-character Z85 or 32 octets) for a CURVE ${o.curveServer ? "server" : "client"}, got null`,
        )
      }
      const publicKey = o.curvePublicKey ?? this.#derivePublicKey(secretKey)
      if (o.curveServer) return { mechanism, asServer: true, curveSecretKey: secretKey, curvePublicKey: publicKey }
      return {
        mechanism,
        asServer: false,
        curveSecretKey: secretKey,
        curvePublicKey: publicKey,
        curveServerKey: o.curveServerKey as Uint8Array,
      }
    }
    if (mechanism === Mechanism.PLAIN) {
      if (o.plainServer) return { mechanism, asServer: true }
      return { mechanism, asServer: false, plainUsername: o.plainUsername ?? "", plainPassword: o.plainPassword ?? "" }
    }
    return { mechanism, asServer: false }
  }

  // ---- sending ---------------------------------------------------------------------------

  /**
   * Send a message (one frame or an array of frames). Resolves once it is queued; waits while
   * the high-water mark is reached (or no peer is there, for the types that wait).
   */
  protected sendMessage(message: MessageLike | MessageLike[], options?: OperationOptions): Promise<void> {
    // EBADF and EBUSY are thrown, not returned as a rejection, as `zeromq` does (issue 15,
    // item 11): `await send()` sees the same error either way.
    if (this.#closed) throw socketError("EBADF")
    const leased = this.#leasedError() // h4-proxy: the socket is run by a Proxy
    if (leased !== undefined) throw leased
    if (this.#sendWaiter !== undefined) {
      throw socketError("EBUSY", "Socket is busy writing; only one send operation may be in progress at any time")
    }
    const frames = toFrames(message)
    if (frames.length > 1 && this.#options.conflate && this.#allowed.has("conflate")) {
      // libzmq's conflate queue holds one frame, so it would deliver a fragment: refuse instead.
      throw argumentError("range", `conflate: expected a single-frame message, got ${frames.length} frames`)
    }
    const signal = options?.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    let sent: boolean
    try {
      sent = this.xsend(frames)
    } catch (err) {
      return Promise.reject(err)
    }
    if (sent) {
      if (++this.#syncOperations < MAX_SYNC_OPERATIONS) return RESOLVED
      this.#syncOperations = 0
      return new Promise<void>((resolve) => setImmediate(resolve))
    }
    // h4-proxy: a Proxy's own calls wait as long as it takes (its sockets' timeouts are the app's).
    const timeout = this.#leaseBypass ? -1 : this.#options.sendTimeout
    if (timeout === 0) return Promise.reject(socketError("EAGAIN"))
    return new Promise<void>((resolve, reject) => {
      // The waiting message is kept: small frames are copied (issue 15, see message.ts COPY_MAX).
      const waiter: SendWaiter = { frames: ownSmallFrames(frames), resolve, reject, timer: undefined, signal, onAbort: undefined }
      if (timeout > 0) {
        waiter.timer = setTimeout(() => this.#finishSend(waiter, socketError("EAGAIN")), timeout)
      }
      if (signal !== undefined) {
        waiter.onAbort = () => this.#finishSend(waiter, signal.reason)
        signal.addEventListener("abort", waiter.onAbort, { once: true })
      }
      this.#sendWaiter = waiter
      this.#updateKeepAlive()
    })
  }

  #finishSend(waiter: SendWaiter, error?: unknown): void {
    if (this.#sendWaiter !== waiter) return
    this.#sendWaiter = undefined
    if (waiter.timer !== undefined) clearTimeout(waiter.timer)
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener("abort", waiter.onAbort)
    this.#updateKeepAlive()
    if (error === undefined) waiter.resolve()
    else waiter.reject(error)
  }

  /** Room may have appeared: retry a waiting send() (from a microtask, never re-entrantly). */
  protected wakeSender(): void {
    if (this.#writableHook !== undefined && this.#sendWaiter === undefined) {
      // h13-gateway: a Proxy forwards into this socket; tell it (from a microtask, as below).
      if (this.#writableHookScheduled) return
      this.#writableHookScheduled = true
      queueMicrotask(() => {
        this.#writableHookScheduled = false
        if (!this.#closed) this.#writableHook?.()
      })
      return
    }
    if (this.#sendWaiter === undefined || this.#wakeSendScheduled) return
    this.#wakeSendScheduled = true
    queueMicrotask(() => {
      this.#wakeSendScheduled = false
      const waiter = this.#sendWaiter
      if (waiter === undefined || this.#closed) return
      let sent: boolean
      try {
        sent = this.xsend(waiter.frames)
      } catch (err) {
        this.#finishSend(waiter, err)
        return
      }
      if (sent) this.#finishSend(waiter)
    })
  }

  // ---- receiving -------------------------------------------------------------------------

  /** Take the next message; waits when there is none. */
  protected receiveMessage(options?: OperationOptions): Promise<Buffer[]> {
    return this.#receive(false, options) as Promise<Buffer[]>
  }

  /**
   * Like receive(), with the peer the message came from: its mechanism, User-Id, Socket-Type,
   * routing id, address, CURVE public key and every connection property (Ironhouse extension).
   */
  protected receiveMessageWithPeer(options?: OperationOptions): Promise<MessageWithPeer> {
    return this.#receive(true, options) as Promise<MessageWithPeer>
  }

  #receive(withPeer: boolean, options: OperationOptions | undefined): Promise<Buffer[] | MessageWithPeer> {
    // Thrown like `zeromq` (issue 15, item 11); see sendMessage().
    if (this.#closed) throw socketError("EBADF")
    const leased = this.#leasedError() // h4-proxy
    if (leased !== undefined) throw leased
    if (this.#receiveWaiter !== undefined) {
      throw socketError("EBUSY", "Socket is busy reading; only one receive operation may be in progress at any time")
    }
    const signal = options?.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    let frames: Uint8Array[] | undefined
    try {
      frames = this.xrecv()
    } catch (err) {
      return Promise.reject(err)
    }
    if (frames !== undefined) {
      if (++this.#syncReceives < MAX_SYNC_OPERATIONS) return Promise.resolve(this.#deliver(frames, withPeer))
      return this.#deferReceive(frames, withPeer)
    }
    const timeout = this.#leaseBypass ? -1 : this.#options.receiveTimeout // h4-proxy: see sendMessage
    if (timeout === 0) return Promise.reject(socketError("EAGAIN"))
    return new Promise<Buffer[] | MessageWithPeer>((resolve, reject) => {
      const waiter: ReceiveWaiter = { withPeer, resolve, reject, timer: undefined, signal, onAbort: undefined }
      if (timeout > 0) {
        waiter.timer = setTimeout(() => this.#finishReceive(waiter, undefined, socketError("EAGAIN")), timeout)
      }
      if (signal !== undefined) {
        waiter.onAbort = () => this.#finishReceive(waiter, undefined, signal.reason)
        signal.addEventListener("abort", waiter.onAbort, { once: true })
      }
      this.#receiveWaiter = waiter
      this.#updateKeepAlive()
    })
  }

  /**
   * Fairness (issue 15, item 10): after MAX_SYNC_OPERATIONS receives that resolved at once
   * from a long queue, one resolves from setImmediate, so timers and I/O run during a long
   * receive loop (as with `zeromq`). It holds the receive slot meanwhile (a concurrent
   * receive() gets EBUSY, so order is kept); close() meanwhile rejects it with EAGAIN.
   */
  #deferReceive(frames: Uint8Array[], withPeer: boolean): Promise<Buffer[] | MessageWithPeer> {
    this.#syncReceives = 0
    const value = this.#deliver(frames, withPeer)
    return new Promise<Buffer[] | MessageWithPeer>((resolve, reject) => {
      const waiter: ReceiveWaiter = { deferred: true, withPeer, resolve, reject, timer: undefined, signal: undefined, onAbort: undefined }
      this.#receiveWaiter = waiter
      setImmediate(() => this.#finishReceive(waiter, value))
    })
  }

  #deliver(frames: Uint8Array[], withPeer: boolean): Buffer[] | MessageWithPeer {
    const message = asBuffers(frames)
    const peer = this.receivedFrom?.peer
    if (this.#peers !== undefined && peer !== undefined) this.#peers.set(message, peer)
    return withPeer ? { message, peer: peer as PeerInfo } : message
  }

  #finishReceive(waiter: ReceiveWaiter, value: Buffer[] | MessageWithPeer | undefined, error?: unknown): void {
    if (this.#receiveWaiter !== waiter) return
    this.#receiveWaiter = undefined
    if (waiter.timer !== undefined) clearTimeout(waiter.timer)
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener("abort", waiter.onAbort)
    this.#updateKeepAlive()
    if (error !== undefined) waiter.reject(error)
    else waiter.resolve(value as Buffer[] | MessageWithPeer)
  }

  /** A message may be available: hand it to a waiting receive(). */
  protected wakeReceiver(): void {
    const waiter = this.#receiveWaiter
    if (waiter === undefined) {
      // h13-gateway: a Proxy takes messages as they arrive, in this same call (no promise).
      if (this.#readableHook !== undefined && !this.#closed) this.#readableHook()
      return
    }
    if (waiter.deferred === true) return
    let frames: Uint8Array[] | undefined
    try {
      frames = this.xrecv()
    } catch (err) {
      this.#finishReceive(waiter, undefined, err)
      return
    }
    if (frames !== undefined) this.#finishReceive(waiter, this.#deliver(frames, waiter.withPeer))
  }

  /**
   * The peer a message returned by receive() came from, when the `trackPeers` option is on
   * (Ironhouse extension). Keyed by the array receive() returned; costs one WeakMap entry per
   * message, hence opt-in. receiveWithPeer() needs no option.
   */
  peerOf(message: Buffer[]): PeerInfo | undefined {
    return this.#peers?.get(message)
  }

  /** Async iteration over received messages, ending when the socket closes (like `zeromq`). */
  protected iterate(): AsyncIterator<Buffer[], undefined> {
    const done: IteratorResult<Buffer[], undefined> = { done: true, value: undefined }
    const endOnClose = (err: unknown): IteratorResult<Buffer[], undefined> => {
      if (this.#closed && err instanceof SocketError && err.code === "EAGAIN") return done
      throw err
    }
    return {
      next: (): Promise<IteratorResult<Buffer[], undefined>> => {
        if (this.#closed) return Promise.resolve(done)
        // Fast path: a message is waiting; no intermediate promise.
        if (this.#receiveWaiter === undefined && this.#lease === undefined) {
          let frames: Uint8Array[] | undefined
          try {
            frames = this.xrecv()
          } catch (err) {
            return Promise.reject(err)
          }
          if (frames !== undefined) {
            if (++this.#syncReceives < MAX_SYNC_OPERATIONS) {
              return Promise.resolve({ done: false, value: this.#deliver(frames, false) as Buffer[] })
            }
            return this.#deferReceive(frames, false).then((v) => ({ done: false, value: v as Buffer[] }), endOnClose)
          }
        }
        try {
          return this.receiveMessage().then((value) => ({ done: false, value }), endOnClose)
        } catch (err) {
          return Promise.reject(err) // EBUSY (thrown by receive()): next() always returns a promise
        }
      },
      return: (): Promise<IteratorResult<Buffer[], undefined>> => Promise.resolve(done),
    }
  }

  // ---- flushing & process lifetime -------------------------------------------------------

  /**
   * Flush policy: the first message after a quiet spell is flushed from a microtask (low
   * latency for request-reply); messages that follow in the same event-loop turn are flushed
   * together from setImmediate (one write for many messages under load).
   */
  #scheduleFlush(pipe: Pipe): void {
    pipe.dirty = true
    this.#dirty.push(pipe)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    if (this.#inBurst) return // #endBurst will flush
    this.#inBurst = true
    queueMicrotask(this.#flushAll)
    setImmediate(this.#endBurst)
  }

  readonly #flushAll = (): void => {
    this.#flushScheduled = false
    const dirty = this.#dirty
    if (dirty.length === 0) return
    if (dirty.length === 1) {
      // One pipe (every single-peer socket): keep the list instead of a fresh one per flush
      // (h20: a push onto a new [] allocates 17 slots, once per request-reply round trip).
      const pipe = dirty.pop() as Pipe
      pipe.dirty = false
      pipe.flush()
      return
    }
    this.#dirty = []
    for (const pipe of dirty) {
      pipe.dirty = false
      pipe.flush()
    }
  }

  readonly #endBurst = (): void => {
    this.#inBurst = false
    if (this.#dirty.length < HOLD_MIN_PIPES) {
      this.#flushAll()
      return
    }
    // h19: a burst spread over many pipes (a ROUTER round-robin, a PUB to many): a pipe with
    // little output and a silent peer waits a few more turns to share one write (Pipe.holdOutput).
    const now: Pipe[] = []
    const held: Pipe[] = []
    for (const pipe of this.#dirty) (pipe.holdOutput() ? held : now).push(pipe)
    this.#dirty = held
    this.#flushScheduled = held.length > 0
    if (held.length > 0) {
      this.#inBurst = true
      setImmediate(this.#endBurst)
    }
    for (const pipe of now) {
      pipe.dirty = false
      pipe.flush()
    }
  }

  #updateKeepAlive(): void {
    const wanted =
      this.#sendWaiter !== undefined ||
      this.#receiveWaiter !== undefined ||
      this.#observerWaiting ||
      // Closed and lingering (queued messages, or octets the transport still holds): like
      // libzmq's context termination, Node stays up until they are out or linger expires.
      (this.#closed && !this.#fullyClosed)
    if (wanted === this.#keptAlive) return
    this.#keptAlive = wanted
    if (wanted) this.#keepAlive.ref()
    else this.#keepAlive.unref()
  }

  /** Whether anything written is still on its way: queued in a pipe, or in a transport. */
  #holdsOutput(): boolean {
    if (this.#pipesWithQueuedOutput > 0) return true
    for (const pipe of this.#pipes) if (pipe.conn !== undefined && pipe.conn.pendingOutput > 0) return true
    return false
  }

  /** The exit hook (context.ts): close if output is still on its way and linger allows it. */
  #closeAtExit(): Promise<void> | undefined {
    if (this.#closed || this.#options.linger === 0) return undefined
    this.#flushAll()
    if (!this.#holdsOutput()) return undefined
    this.close()
    return this.whenClosed
  }

  // ---- closing ---------------------------------------------------------------------------

  /**
   * Close the socket. A waiting send()/receive() rejects with EAGAIN; later calls reject
   * with EBADF. What was sent is still delivered for up to `linger` ms (-1: until done,
   * 0: discarded): messages queued in pipes, on connections that exist or that connect
   * meanwhile, and then every octet already written to a connection, until the operating
   * system has taken the last one (libzmq's linger ends at the same point). `whenClosed`
   * resolves once that is done or linger expired, and Node stays up until then.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#exitRegistration?.unregister()
    this.#exitRegistration = undefined
    socketClosed(this.#context) // frees its place under the context's maxSockets (issue 15)
    const sw = this.#sendWaiter
    if (sw !== undefined) this.#finishSend(sw, socketError("EAGAIN"))
    const rw = this.#receiveWaiter
    if (rw !== undefined) this.#finishReceive(rw, undefined, socketError("EAGAIN"))
    for (const [key, entry] of this.#listeners) {
      this.#pendingListenerCloses++
      void (entry.listener?.close() ?? Promise.resolve()).then(() => {
        this.#pendingListenerCloses--
        this.#checkFullyClosed()
      })
      this.#emit({ type: "close", address: key })
    }
    this.#listeners.clear()
    this.#flushAll()
    const linger = this.#options.linger
    for (const pipe of [...this.#pipes]) {
      if (linger !== 0 && pipe.queuedOutput > 0) continue // lingers: see #checkLinger
      this.#releasePipe(pipe, linger === 0)
    }
    if (linger > 0 && (this.#pipes.size > 0 || this.#lingering.size > 0)) {
      this.#lingerTimer = setTimeout(() => this.#endLinger(), linger)
    }
    this.#updateKeepAlive()
    this.#emit({ type: "end" })
    this.#observer?.close()
    this.#checkLinger()
  }

  /**
   * Closed: let a pipe go. Its connection, if any, is destroyed (`discard`) or delivers the
   * octets it holds before it closes (tracked in #lingering until the last one is out).
   */
  #releasePipe(pipe: Pipe, discard: boolean): void {
    pipe.dialer?.stop()
    const conn = pipe.conn
    const releasing = this.#releasing
    this.#releasing = true // discarding its queue must not re-enter #checkLinger
    try {
      this.#terminatePipe(pipe, false)
    } finally {
      this.#releasing = releasing
    }
    if (conn === undefined) return
    pipe.detachConnection()
    if (discard) {
      conn.destroy()
      return
    }
    this.#lingering.add(conn)
    conn.linger(() => {
      if (!this.#lingering.delete(conn)) return
      if (this.#lingering.size === 0 && this.#pipes.size === 0) this.#clearLingerTimer()
      this.#checkFullyClosed()
    })
  }

  /** Closed and lingering: release pipes whose queue is empty. */
  #checkLinger(): void {
    if (!this.#closed || this.#releasing) return
    for (const pipe of [...this.#pipes]) {
      if (pipe.queuedOutput > 0) continue
      this.#releasePipe(pipe, false)
    }
    if (this.#pipes.size === 0 && this.#lingering.size === 0) this.#clearLingerTimer()
    this.#checkFullyClosed()
  }

  #clearLingerTimer(): void {
    if (this.#lingerTimer === undefined) return
    clearTimeout(this.#lingerTimer)
    this.#lingerTimer = undefined
  }

  /** Linger expired: drop whatever is still undelivered. */
  #endLinger(): void {
    this.#lingerTimer = undefined
    for (const pipe of [...this.#pipes]) this.#releasePipe(pipe, true)
    const lingering = [...this.#lingering]
    this.#lingering.clear()
    for (const conn of lingering) conn.destroy()
    this.#checkFullyClosed()
  }

  #checkFullyClosed(): void {
    if (!this.#closed || this.#fullyClosed) return
    if (this.#pipes.size > 0 || this.#lingering.size > 0 || this.#pendingListenerCloses > 0) return
    this.#fullyClosed = true
    this.#clearLingerTimer()
    this.#updateKeepAlive()
    clearInterval(this.#keepAlive)
    const resolve = this.#resolveClosed
    this.#resolveClosed = undefined
    resolve?.()
  }

  /** `await using sock = new Dealer()`: closes and waits for whenClosed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
    await this.whenClosed
  }

  // ---- inspection ------------------------------------------------------------------------

  /** util.inspect() output: state and options, with secrets redacted. */
  [INSPECT](depth: number, opts: object): string {
    const options: Record<string, unknown> = {}
    for (const name of this.#allowed) {
      const value = this.#options[name as OptionName]
      options[name] = isSecretOption(name) && value !== null ? "[redacted]" : presentOption(name as OptionName, value)
    }
    const state = {
      closed: this.#closed,
      lastEndpoint: this.#lastEndpoint,
      bound: [...this.#listeners.keys()],
      connected: this.#dialers.map((d) => d.address),
      peers: [...this.#pipes].filter((p) => p.ready).length,
      securityMechanism: this.securityMechanism,
      options,
    }
    return `${this.constructor.name} ${inspect(state, { ...opts, depth: depth < 0 ? 0 : depth })}`
  }
}

/**
 * The effective cap on accepted connections in their handshake: maxPendingHandshakes, and at
 * most half the process's file descriptors (the other half for established connections, files
 * and listeners), since a process out of descriptors drops every newcomer (fd-limit.ts).
 */
function pendingHandshakeLimit(option: number): number {
  return Math.max(1, Math.min(option, Math.floor(openFileLimit() / 2)))
}

/** Node's bind failure → SocketError with the errno name `zeromq` would give. */
function bindError(err: unknown, address: string): SocketError {
  const code = (err as { code?: unknown })?.code
  const known: SocketErrorCode[] = ["EADDRINUSE", "EADDRNOTAVAIL", "EACCES", "EINVAL", "ENODEV"]
  if (typeof code === "string" && (known as string[]).includes(code)) {
    return socketError(code as SocketErrorCode, code === "ENODEV" && err instanceof Error ? err.message : undefined, address)
  }
  // libzmq binds IP addresses and interface names only and reports any other name as ENODEV.
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return socketError("ENODEV", `cannot resolve the host of ${address}`, address)
  if (code === "ENOENT") return socketError("ENOENT", `no such directory for ${address}`, address)
  return socketError("EINVAL", err instanceof Error ? err.message : String(err), address)
}

/** Map an engine handshake failure to the `zeromq` monitor event. */
function handshakeErrorEvent(address: string, error: ProtocolError): SocketEvent {
  if (error instanceof AuthError) return { type: "handshake:error:auth", address, error }
  switch (error.code) {
    case ErrorCode.HANDSHAKE_TIMEOUT:
    case ErrorCode.HANDSHAKE_LIMIT:
    case ErrorCode.BAD_GREETING:
      return { type: "handshake:error:other", address, error }
    default:
      return { type: "handshake:error:protocol", address, error }
  }
}
