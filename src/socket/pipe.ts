/**
 * A pipe: the socket's view of one peer (libzmq's pipe + session). It queues outbound
 * messages up to the send high-water mark and inbound messages up to the receive high-water
 * mark, and carries the connection to that peer while there is one.
 *
 * - Bind side: one pipe per accepted connection; it ends with the connection.
 * - Connect side: one pipe per connect() endpoint; it outlives reconnects, so messages queued
 *   while the peer is away are sent once a connection completes its handshake (libzmq does
 *   the same unless ZMQ_IMMEDIATE is set).
 *
 * Outbound messages go straight into the engine while the transport accepts data; the engine
 * output is flushed once per event-loop turn (or at FLUSH_BYTES) by the owning socket, so
 * many messages leave in one write. When the transport needs to drain, messages wait in the
 * pipe's queue; that queue is what the high-water mark bounds. Inbound: when the queue reaches
 * the receive high-water mark the transport stops reading (TCP back-pressure) until the
 * application has taken half of it.
 *
 * The pipe's connection state is one field, {@link PipeState}; every change goes through one
 * setter that tells the owner (`pipeStateChanged`), so counts such as "connections in their
 * handshake" are derived from it and cannot drift.
 */
import type { PeerInfo } from "../engine/peer-info.js"
import type { ProtocolError } from "../errors.js"
import type { Dialer } from "../transport/dialer.js"
import { Queue } from "./queue.js"
import { ownSmallFrames } from "./message.js"
import type { SubscriptionTrie } from "./subscription-trie.js"

/** Flush engine output at once when this many octets are waiting (else once per turn). */
export const FLUSH_BYTES = 64 * 1024
/**
 * h19: a pipe's output may be held (holdOutput) for at most this many turns, and only while it
 * is under this many octets. Eight turns: in the ROUTER round-robin to 1000 DEALERs bench row,
 * 2 turns gave no gain, 4 most of it (about 8 messages per write at 8).
 */
export const HOLD_TURNS = 8
export const HOLD_BYTES = 1024

/**
 * Issue 14 item 3: besides the receive high-water mark (messages, as libzmq counts them),
 * reading from a peer also pauses when its queued inbound messages hold this many frames or
 * octets, so that what a peer can make us hold does not depend on how it shapes messages: a
 * message of 65 536 one-octet frames costs ≈ 6.8 MB of heap for 196 KiB on the wire (measured,
 * ≈ 104 octets per frame object), and 1000 of them (the default mark) would be 6.8 GB. A
 * message is never split: the one that crosses a budget is kept, then reading pauses. Off
 * with `receiveHighWaterMark: 0` (no limit), like the mark itself.
 */
export const INBOUND_FRAME_BUDGET = 65_536
export const INBOUND_OCTET_BUDGET = 32 * 1024 * 1024

/** Where a pipe's connection is. */
export const PipeState = {
  /** No connection: a connect() pipe waiting for its dialer (a bind-side pipe starts here too). */
  CONNECTING: "connecting",
  /** A connection is attached and in its greeting / security handshake. */
  HANDSHAKING: "handshaking",
  /** The handshake completed: messages flow. */
  READY: "ready",
  /** Gone for good (bind side closed, disconnect(), or socket closed). */
  CLOSED: "closed",
} as const
export type PipeState = (typeof PipeState)[keyof typeof PipeState]

export interface PipeOwner {
  /** The pipe's state changed (the only place a state change is reported). */
  pipeStateChanged(pipe: Pipe, from: PipeState, to: PipeState): void
  /** This pipe's outbound queue became non-empty (+1) or empty (-1). */
  queuedOutputChanged(pipe: Pipe, delta: 1 | -1): void
  /** This pipe has engine output to flush soon. */
  scheduleFlush(pipe: Pipe): void
  /** This pipe went from full to having room for another message. */
  pipeHasRoom(pipe: Pipe): void
}

/**
 * h4-proxy: what a pipe needs from its connection. A StreamConnection (ZMTP over TCP/IPC) has
 * this shape, and so does an InprocConnection (../transport/inproc.ts, in memory, no ZMTP):
 * `engine` takes messages and subscriptions, `socket` is the flow control (writableNeedDrain:
 * wait for the drain callback; pause/resume: our reading side).
 */
export interface PipeConnection {
  readonly engine: {
    send(frames: readonly Uint8Array[]): void
    sendSubscription(subscribe: boolean, topic: Uint8Array): void
  }
  readonly socket: {
    readonly writableNeedDrain: boolean
    /**
     * A node:net socket's octets not yet handed to the operating system, and its high-water
     * mark; absent for a connection whose flow control is writableNeedDrain alone (inproc).
     */
    readonly writableLength?: number
    readonly writableHighWaterMark?: number
    readonly destroyed: boolean
    pause(): unknown
    resume(): unknown
  }
  flush(): void
  close(): void
  destroy(): void
  /** Octets written but not yet handed to the operating system (linger, process exit). */
  readonly pendingOutput: number
  /** Close once everything written is out (no deadline of its own), then call `done`. */
  linger(done: () => void): void
  /** Drop at once for a reason of ours: an `error` event with `error`, then closed. */
  abort(error: ProtocolError): void
}

let nextPipeId = 1

/**
 * Whether the transport has no room for more output now (write into the engine later, on the
 * drain callback). For a node:net socket this is its buffered octets at or over its high-water
 * mark, not `writableNeedDrain`: that flag stays set after a write the OS took at once, until
 * the 'drain' event on a later tick, so a burst of sends within one tick (an `await send()` loop
 * runs in microtasks) would otherwise queue, and copy, every message after the first 16 KiB
 * flush although the kernel had room (h18-gateway: measured on the CURVE sender). Bounded the
 * same way: at most the high-water mark buffered, plus what the engine holds until FLUSH_BYTES.
 */
function transportFull(socket: PipeConnection["socket"]): boolean {
  const length = socket.writableLength
  if (length === undefined) return socket.writableNeedDrain
  return length >= (socket.writableHighWaterMark ?? 0)
}

export class Pipe {
  readonly id = nextPipeId++
  readonly owner: PipeOwner
  /** The endpoint this pipe belongs to, for events: the bound endpoint or the connect() address. */
  readonly address: string
  /** Connect side: the dialer that (re)creates the connection. */
  readonly dialer: Dialer | undefined
  /** The current connection, if any. */
  conn: PipeConnection | undefined
  /** The peer of the last completed handshake. */
  peer: PeerInfo | undefined
  /** Bind side: the address the connection came from, grouped for the handshake guard. */
  source: string | undefined
  /** Held by the socket's routing strategies. */
  attached = false
  /** Registered in the owner's flush list. */
  dirty = false
  /** h19: burst ends this pipe's output has been held (holdOutput). */
  heldTurns = 0
  /** h19: the peer sent a message since our last flush (it may be waiting for a reply). */
  peerSpoke = true
  /** In the fair queue's list of pipes with messages. */
  fqActive = false
  /** ROUTER: the routing id this pipe is known by. */
  routingId: Buffer | undefined
  /** ROUTER connect(): the routing id to give this peer (ZMQ_CONNECT_ROUTING_ID). */
  connectRoutingId: Buffer | undefined
  /** PUB/XPUB: what the peer subscribed to. */
  subscriptions: SubscriptionTrie | undefined
  /** The listener that accepted this pipe's connection (bind side), for unbind(). */
  listenerKey: string | undefined
  /**
   * ZMQ_CONFLATE: at most one message waits in each direction, the newest (libzmq's
   * ypipe_conflate); the high-water marks do not apply, so reading never pauses.
   */
  conflate = false

  sendHighWaterMark: number
  receiveHighWaterMark: number
  readonly inbound = new Queue<Uint8Array[]>()
  /** Frames and octets in `inbound` (the budgets above). */
  #inFrames = 0
  #inOctets = 0
  readonly #out = new Queue<Uint8Array[]>()
  #unflushed = 0
  #paused = false
  #state: PipeState = PipeState.CONNECTING

  constructor(owner: PipeOwner, address: string, dialer: Dialer | undefined, sendHwm: number, receiveHwm: number) {
    this.owner = owner
    this.address = address
    this.dialer = dialer
    this.sendHighWaterMark = sendHwm
    this.receiveHighWaterMark = receiveHwm
  }

  get state(): PipeState {
    return this.#state
  }

  #setState(next: PipeState): void {
    const prev = this.#state
    if (prev === next || prev === PipeState.CLOSED) return
    this.#state = next
    this.owner.pipeStateChanged(this, prev, next)
  }

  /** A connection is attached and its handshake completed. */
  get ready(): boolean {
    return this.#state === PipeState.READY
  }

  /** The connection is in its greeting/handshake (counted against maxPendingHandshakes). */
  get handshaking(): boolean {
    return this.#state === PipeState.HANDSHAKING
  }

  /** Gone for good (bind side closed, disconnect(), or socket closed). */
  get terminated(): boolean {
    return this.#state === PipeState.CLOSED
  }

  /** Mark the pipe gone for good (its connection, if any, is the caller's to close). */
  terminate(): void {
    this.#setState(PipeState.CLOSED)
  }

  /** Room for one more outbound message (below the send high-water mark; 0 = no limit). */
  get hasRoom(): boolean {
    return this.conflate || this.sendHighWaterMark === 0 || this.#out.length < this.sendHighWaterMark
  }

  /** Messages waiting in this pipe (not yet given to the engine). */
  get queuedOutput(): number {
    return this.#out.length
  }

  // ---- outbound ------------------------------------------------------------------------

  /** Queue or send one message. The caller checked hasRoom (or deliberately ignores it). */
  write(frames: Uint8Array[]): void {
    const conn = this.conn
    if (this.ready && this.#out.length === 0 && conn !== undefined && !transportFull(conn.socket)) {
      conn.engine.send(frames)
      let size = 0
      for (let i = 0; i < frames.length; i++) size += (frames[i] as Uint8Array).length + 9
      this.#unflushed += size
      if (this.#unflushed >= FLUSH_BYTES) this.flush()
      else if (!this.dirty) this.owner.scheduleFlush(this)
      return
    }
    if (this.#out.length === 0) this.owner.queuedOutputChanged(this, 1)
    else if (this.conflate) this.#out.clear() // conflate: the newest replaces what waits
    this.#out.push(ownSmallFrames(frames)) // kept, not encoded: copy small frames (issue 15, message.ts)
  }

  /** Send a SUBSCRIBE/CANCEL to the peer now (only while ready; otherwise sent at handshake). */
  writeSubscription(subscribe: boolean, topic: Uint8Array): void {
    const conn = this.conn
    if (!this.ready || conn === undefined) return
    conn.engine.sendSubscription(subscribe, topic)
    if (!this.dirty) this.owner.scheduleFlush(this)
  }

  /** Write the engine's pending output to the transport. */
  flush(): void {
    this.#unflushed = 0
    this.heldTurns = 0
    this.peerSpoke = false
    this.conn?.flush()
  }

  /**
   * h19: at the end of a burst over many pipes, whether this pipe's output waits one more turn:
   * a little output (under HOLD_BYTES), not held HOLD_TURNS turns yet, and a silent peer — one
   * that sent nothing since our last flush, so it is not waiting for a reply.
   */
  holdOutput(): boolean {
    if (this.peerSpoke || this.heldTurns >= HOLD_TURNS || this.#unflushed >= HOLD_BYTES || !this.ready) return false
    this.heldTurns++
    return true
  }

  /** Move queued messages into the engine while the transport takes more (after drain/handshake). */
  pump(): void {
    const conn = this.conn
    if (!this.ready || conn === undefined || this.#out.length === 0) return
    const wasFull = !this.hasRoom
    let bytes = this.#unflushed
    while (this.#out.length > 0 && !transportFull(conn.socket) && !conn.socket.destroyed) {
      const frames = this.#out.shift() as Uint8Array[]
      conn.engine.send(frames)
      for (let i = 0; i < frames.length; i++) bytes += (frames[i] as Uint8Array).length + 9
      if (bytes >= FLUSH_BYTES) {
        conn.flush()
        bytes = 0
      }
    }
    if (bytes > 0) conn.flush()
    this.#unflushed = 0
    if (this.#out.length === 0) this.owner.queuedOutputChanged(this, -1)
    if (wasFull && this.hasRoom) this.owner.pipeHasRoom(this)
  }

  /** Drop every queued outbound message. */
  discardOutput(): void {
    if (this.#out.length === 0) return
    this.#out.clear()
    this.owner.queuedOutputChanged(this, -1)
  }

  // ---- inbound -------------------------------------------------------------------------

  /** A message arrived from the peer; pause reading at the receive high-water mark. */
  pushInbound(frames: Uint8Array[]): void {
    this.peerSpoke = true
    if (this.conflate) {
      this.inbound.clear()
      this.inbound.push(frames)
      return
    }
    this.inbound.push(frames)
    let octets = 0
    for (let i = 0; i < frames.length; i++) octets += (frames[i] as Uint8Array).length
    this.#inFrames += frames.length
    this.#inOctets += octets
    if (!this.#paused && this.receiveHighWaterMark > 0 && this.#overInboundBudget()) {
      this.#paused = true
      this.conn?.socket.pause()
    }
  }

  /** At the receive high-water mark, or over the frame or octet budget. */
  #overInboundBudget(): boolean {
    return (
      this.inbound.length >= this.receiveHighWaterMark ||
      this.#inFrames >= INBOUND_FRAME_BUDGET ||
      this.#inOctets >= INBOUND_OCTET_BUDGET
    )
  }

  /** The oldest inbound message; resumes reading once below half the mark and half each budget. */
  shiftInbound(): Uint8Array[] | undefined {
    const frames = this.inbound.shift()
    if (frames !== undefined && !this.conflate) {
      let octets = 0
      for (let i = 0; i < frames.length; i++) octets += (frames[i] as Uint8Array).length
      this.#inFrames -= frames.length
      this.#inOctets -= octets
    }
    if (
      this.#paused &&
      this.inbound.length <= this.receiveHighWaterMark >> 1 &&
      this.#inFrames <= INBOUND_FRAME_BUDGET >> 1 &&
      this.#inOctets <= INBOUND_OCTET_BUDGET >> 1
    ) {
      this.#paused = false
      this.conn?.socket.resume()
    }
    return frames
  }

  /** Drop every inbound message. */
  clearInbound(): void {
    this.inbound.clear()
    this.#inFrames = 0
    this.#inOctets = 0
  }

  // ---- connection ----------------------------------------------------------------------

  attachConnection(conn: PipeConnection): void {
    this.conn = conn
    this.#setState(PipeState.HANDSHAKING)
    this.#unflushed = 0
    this.#paused = false
    if (this.receiveHighWaterMark > 0 && !this.conflate && this.#overInboundBudget()) {
      this.#paused = true
      conn.socket.pause()
    }
  }

  /** The handshake completed: send what waited. */
  onHandshake(peer: PeerInfo): void {
    this.peer = peer
    this.#setState(PipeState.READY)
  }

  detachConnection(): void {
    this.conn = undefined
    this.#setState(PipeState.CONNECTING)
    this.#unflushed = 0
    this.#paused = false
  }
}
