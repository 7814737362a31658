/**
 * inproc:// (zmq_inproc(7)): connections between sockets of one context, in memory. There is
 * no ZMTP here: no greeting, no security handshake, no encoding. A message sent on one side is
 * handed to the other side's socket as the same frames (the array is the receiver's own, the
 * bytes are shared — never copied).
 *
 * Names live in a registry per context (any object serves as the key, so this module needs
 * nothing from the socket layer). As in libzmq 4.x, connect() may come before bind(): the
 * connection waits in the registry and is made when the name is bound.
 *
 * Back-pressure, as libzmq's inproc pipe: the receiving socket pauses its side when its
 * queue for this peer reaches the receive high-water mark; the sender then sees
 * `socket.writableNeedDrain` and keeps messages in its own pipe (up to the send high-water
 * mark, then send() waits), until the receiver has taken half its queue and resumes. At most
 * sendHighWaterMark + receiveHighWaterMark messages are in flight.
 *
 * {@link InprocConnection} has the shape of a {@link StreamConnection} that the socket layer's
 * Pipe uses (`engine.send`, `engine.sendSubscription`, `socket.writableNeedDrain` /
 * `destroyed` / `pause()` / `resume()`, `flush()`, `close()`, `destroy()`), so a pipe carries
 * either without knowing which. Security options do not apply to inproc (as in libzmq): the
 * peer is a socket of the same program; the peer info says mechanism "NULL".
 */
import { ErrorCode, protocolError, type ProtocolError } from "../errors.js"
import type { ConnectionEvent } from "../engine/connection.js"
import type { PeerInfo } from "../engine/peer-info.js"
import { COMPATIBLE_PEERS, Property, type SocketTypeName } from "../wire/constants.js"
import type { Metadata } from "../wire/types.js"
import type { Listener } from "./listener.js"

/** What one side tells the other (what a ZMTP READY would carry). */
export interface InprocSideInfo {
  socketType: SocketTypeName
  /** The socket's routingId option (Identity), if set. */
  routingId: Uint8Array | undefined
}

export interface InprocHandlers {
  /** "handshake" (at once, with the peer's info), "message", "subscription", "error". */
  onEvent(event: ConnectionEvent, conn: InprocConnection): void
  /** This connection ended (closed by either side). */
  onClose?(conn: InprocConnection, hadError: boolean): void
  /** The peer has room again after writableNeedDrain was seen true. */
  onDrain?(conn: InprocConnection): void
}

const EMPTY = new Uint8Array(0)
const encoder = new TextEncoder()

function peerInfo(peer: InprocSideInfo, endpoint: string): PeerInfo {
  const properties: Metadata = new Map()
  properties.set(Property.SOCKET_TYPE, encoder.encode(peer.socketType))
  if (peer.routingId !== undefined && peer.routingId.length > 0) properties.set(Property.IDENTITY, peer.routingId)
  properties.set(Property.USER_ID, EMPTY)
  properties.set(Property.PEER_ADDRESS, encoder.encode(endpoint))
  return Object.freeze({
    mechanism: "NULL",
    socketType: peer.socketType,
    routingId: peer.routingId ?? EMPTY,
    userId: "",
    address: endpoint,
    publicKey: undefined,
    properties,
    zmtpMinor: 1,
  })
}

type Outgoing = { type: "message"; frames: Uint8Array[] } | { type: "subscription"; subscribe: boolean; topic: Uint8Array }

/** One side of an in-memory connection. Create pairs with {@link InprocConnection.pair}. */
export class InprocConnection {
  /** The inproc:// endpoint this connection was made on. */
  readonly endpoint: string
  /** What the peer announced, delivered in the "handshake" event. */
  readonly peer: PeerInfo
  readonly #self: InprocSideInfo
  #other!: InprocConnection
  #handlers: InprocHandlers | undefined
  /** Our "handshake" event was delivered: the peer may hand us messages. */
  #started = false
  /** Our socket paused reading (its queue for this peer is full). */
  #paused = false
  #closed = false
  #wantDrain = false
  /** Sent before the peer started (its xready writes, queued messages): delivered at its start. */
  readonly #early: Outgoing[] = []

  /** What the Pipe calls the engine: hand a message or a subscription to the peer. */
  readonly engine = {
    send: (frames: readonly Uint8Array[]): void => this.#send({ type: "message", frames: frames.slice() }),
    sendSubscription: (subscribe: boolean, topic: Uint8Array): void => this.#send({ type: "subscription", subscribe, topic }),
  }

  /** What the Pipe calls the transport socket: flow control towards the peer, and our pause. */
  readonly socket: { readonly writableNeedDrain: boolean; readonly destroyed: boolean; pause(): void; resume(): void }

  private constructor(endpoint: string, self: InprocSideInfo, peer: InprocSideInfo) {
    this.endpoint = endpoint
    this.#self = self
    this.peer = peerInfo(peer, endpoint)
    const conn = this
    this.socket = {
      get writableNeedDrain(): boolean {
        const other = conn.#other
        const full = !other.#started || other.#paused
        if (full) conn.#wantDrain = true
        return full && !other.#closed
      },
      get destroyed(): boolean {
        return conn.#closed || conn.#other.#closed
      },
      pause: () => {
        this.#paused = true
      },
      resume: () => {
        if (!this.#paused) return
        this.#paused = false
        // From a microtask: the peer's pump must not run inside our socket's receive path.
        queueMicrotask(() => this.#other.#drained())
      },
    }
  }

  /** A connected pair: [the connecting side, the binding side]. */
  static pair(endpoint: string, connecter: InprocSideInfo, binder: InprocSideInfo): [InprocConnection, InprocConnection] {
    const a = new InprocConnection(endpoint, connecter, binder)
    const b = new InprocConnection(endpoint, binder, connecter)
    a.#other = b
    b.#other = a
    return [a, b]
  }

  /**
   * Begin: the socket's handlers get "handshake" from a microtask (or "error" with
   * ERR_ZMTP_SOCKET_TYPE_MISMATCH when the two socket types cannot talk, as over ZMTP).
   */
  start(handlers: InprocHandlers): void {
    this.#handlers = handlers
    queueMicrotask(() => {
      if (this.#closed) return
      const ours = this.#self.socketType
      const theirs = this.peer.socketType
      if (!(COMPATIBLE_PEERS[ours] as readonly string[]).includes(theirs)) {
        const error = protocolError(ErrorCode.SOCKET_TYPE_MISMATCH, `peer socket type ${JSON.stringify(theirs)} cannot talk to ${ours}`)
        handlers.onEvent({ type: "error", error, handshake: true }, this)
        this.destroy()
        return
      }
      this.#started = true
      handlers.onEvent({ type: "handshake", peer: this.peer }, this)
      // What the peer sent before we started (subscriptions from its xready, ...).
      const other = this.#other
      while (other.#early.length > 0 && !this.#closed) this.#receive(other.#early.shift() as Outgoing)
      other.#drained()
    })
  }

  #send(item: Outgoing): void {
    if (this.#closed) return
    const other = this.#other
    if (other.#closed) return
    if (!other.#started) {
      this.#early.push(item)
      return
    }
    other.#receive(item)
  }

  /**
   * Hand one item to our socket. A handler that throws is a bug (there is no network input
   * here), but as with StreamConnection it costs only this connection, never the sender's
   * call or the process: both sides close, and a process warning says why.
   */
  #receive(item: Outgoing): void {
    try {
      this.#handlers?.onEvent(item, this)
    } catch (err) {
      const what = err instanceof Error ? err.message : String(err)
      process.emitWarning(`Ironhouse dropped an inproc connection: handling its ${item.type} event failed: ${what}`, {
        code: "IRONHOUSE_EVENT_HANDLER_FAILED",
      })
      this.close()
    }
  }

  /** The peer may have room: wake our sender if it waited. */
  #drained(): void {
    if (!this.#wantDrain || this.#closed) return
    if (!this.#other.#started || this.#other.#paused) return
    this.#wantDrain = false
    this.#handlers?.onDrain?.(this)
  }

  /** Nothing to do: delivery is immediate. */
  flush(): void {}

  /** End the connection; both sides get onClose (from a microtask). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#early.length = 0
    queueMicrotask(() => {
      this.#handlers?.onClose?.(this, false)
      const other = this.#other
      if (!other.#closed) {
        other.#closed = true
        other.#early.length = 0
        other.#handlers?.onClose?.(other, false)
      }
    })
  }

  /** Same as close(): there is nothing unsent to discard beyond the pipe's own queue. */
  destroy(): void {
    this.close()
  }

  /** Delivery is immediate: nothing is ever held here (the pipes' queues are the buffers). */
  get pendingOutput(): number {
    return 0
  }

  /** Nothing to wait for (see pendingOutput): close, then `done`. */
  linger(done: () => void): void {
    this.close()
    done()
  }

  /** Drop for a reason of ours: the owner gets an `error` event, then both sides close. */
  abort(error: ProtocolError): void {
    if (this.#closed) return
    const handshake = !this.#started
    this.close()
    this.#handlers?.onEvent({ type: "error", error, handshake }, this)
  }
}

// ---- the registry: bound names per context ----------------------------------------------------

interface PendingConnect {
  info: InprocSideInfo
  onConnected(conn: InprocConnection): void
}

interface Binding {
  info: InprocSideInfo
  onConnection(conn: InprocConnection): void
}

interface Registry {
  bound: Map<string, Binding>
  pending: Map<string, Set<PendingConnect>>
}

const registries = new WeakMap<object, Registry>()

function registry(context: object): Registry {
  let r = registries.get(context)
  if (r === undefined) {
    r = { bound: new Map(), pending: new Map() }
    registries.set(context, r)
  }
  return r
}

function link(endpoint: string, connect: PendingConnect, binding: Binding): void {
  const [a, b] = InprocConnection.pair(endpoint, connect.info, binding.info)
  binding.onConnection(b)
  connect.onConnected(a)
}

/**
 * Bind `name` in `context`. Throws an Error with code EADDRINUSE when the name is bound already.
 * Connects waiting for the name are linked right after (from a microtask).
 */
export function bindInproc(
  context: object,
  name: string,
  info: InprocSideInfo,
  onConnection: (conn: InprocConnection) => void,
): Listener {
  const r = registry(context)
  const endpoint = `inproc://${name}`
  if (r.bound.has(name)) throw Object.assign(new Error(`${endpoint} is bound already`), { code: "EADDRINUSE" })
  const binding: Binding = { info, onConnection }
  r.bound.set(name, binding)
  // Connects that waited for this name are linked once bind() has returned (from a microtask),
  // so the binding socket has registered the endpoint by then.
  queueMicrotask(() => {
    const waiting = r.pending.get(name)
    if (waiting === undefined || r.bound.get(name) !== binding) return
    r.pending.delete(name)
    for (const p of waiting) link(endpoint, p, binding)
  })
  return {
    endpoint,
    close: () => {
      if (r.bound.get(name) === binding) r.bound.delete(name)
      return Promise.resolve()
    },
  }
}

/**
 * Connect to `name` in `context`: linked now if it is bound, else when it is. Returns a
 * function that cancels a connect still waiting (no effect once linked).
 */
export function connectInproc(
  context: object,
  name: string,
  info: InprocSideInfo,
  onConnected: (conn: InprocConnection) => void,
): () => void {
  const r = registry(context)
  const pending: PendingConnect = { info, onConnected }
  const binding = r.bound.get(name)
  if (binding !== undefined) {
    link(`inproc://${name}`, pending, binding)
    return () => {}
  }
  let set = r.pending.get(name)
  if (set === undefined) {
    set = new Set()
    r.pending.set(name, set)
  }
  set.add(pending)
  return () => {
    const s = r.pending.get(name)
    if (s === undefined) return
    s.delete(pending)
    if (s.size === 0) r.pending.delete(name)
  }
}
