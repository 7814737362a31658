/**
 * Proxy: forwards messages between a front-end and a back-end socket, like `zeromq` v6's
 * `Proxy` (libzmq's zmq_proxy_steerable): ROUTER↔DEALER (a shared queue between clients
 * and workers), XPUB↔XSUB (a pub-sub forwarder: messages flow down, subscriptions up),
 * PULL→PUSH (a streamer), or any other pair.
 *
 *   const proxy = new Proxy(new Router(), new Dealer())
 *   await proxy.frontEnd.bind("tcp://*:5555")
 *   await proxy.backEnd.bind("tcp://*:5556")
 *   await proxy.run() // resolves after proxy.terminate(); both sockets are then closed
 *
 * How it forwards. One direction per pair the two socket types allow (front→back when the
 * front end can receive and the back end can send; back→front the other way round). A
 * message is passed on in the same call in which the socket hands it over (h13-gateway: no
 * promise, microtask or event-loop turn per message; the receiving socket calls the proxy as
 * it queues the message, the proxy queues it on the other socket, whose usual flush writes it
 * at the end of that turn). When the other socket has no room, the proxy holds that one
 * message and takes no more in that direction until the socket says it has room again: the
 * proxy itself never holds more than one message per direction, so a slow consumer fills the
 * sending socket's high-water mark, then the receiving socket's, then TCP's window, and the
 * producer's send() waits — back-pressure reaches the producer and nothing grows without
 * bound in between. Frames go through as they were received: the Buffers from the receiving
 * socket are handed to the sending one (no copy of their bytes).
 *
 * Each side has its own options, mechanism and endpoints: a CURVE front end with a NULL back
 * end (the gateway's case) needs nothing special.
 *
 * Ironhouse extensions: a `capture` socket (libzmq's third zmq_proxy argument) that gets a
 * copy of every message forwarded in either direction (the same Buffers, not copies of their
 * bytes; a message goes on only once the capture took its copy, so a slow capture slows the
 * proxy rather than growing a queue — use a PUB capture to drop instead); `statistics()`,
 * libzmq's STATISTICS command.
 *
 * Errors, as `zeromq` where it defines them (and sane where `zeromq` crashes):
 * - `new Proxy(x, y)` with x or y not an Ironhouse socket: TypeError.
 * - run() with a closed socket: EBADF; a socket with no endpoint bound or connected: EINVAL
 *   ("Front-end socket must be bound or connected"); run() while running: EBUSY; after
 *   termination: EBADF. No direction possible (say PUSH front, PULL back): EINVAL.
 * - pause()/resume()/terminate() when not running: EBADF (as `zeromq`).
 * - While running, the application's own send()/receive() on either socket (and on the
 *   capture socket) fail with EBUSY, as `zeromq`'s do.
 * - A socket closed by the application while the proxy runs: the proxy stops, closes the
 *   other one and run() rejects with EBADF. Any other error of send()/receive() does the same
 *   with that error, except a ROUTER with `mandatory` that cannot route a message
 *   (EHOSTUNREACH: its peer left): that message is dropped (counted in statistics()).
 * - The sockets' sendTimeout/receiveTimeout do not apply to the proxy's own calls: it waits as
 *   long as it takes (libzmq's proxy would fail instead).
 */
import { argumentError, describeValue } from "../errors.js"
import type { SocketTypeName } from "../wire/constants.js"
import { Socket, SOCKET_ACCESS, type SocketAccess } from "./socket.js"
import { SocketError, socketError } from "./socket-error.js"

export interface ProxyOptions {
  /** Ironhouse extension: a socket that gets every forwarded message (libzmq's capture socket). */
  capture?: Socket | undefined
}

/** Messages and octets forwarded per direction (libzmq's STATISTICS). */
export interface ProxyStatistics {
  frontEnd: { received: number; receivedBytes: number; sent: number; sentBytes: number }
  backEnd: { received: number; receivedBytes: number; sent: number; sentBytes: number }
  /** Messages the proxy could not route (EHOSTUNREACH from a ROUTER with `mandatory`). */
  dropped: number
}

/** Socket types that can receive / send at all. */
const CANNOT_RECEIVE: ReadonlySet<SocketTypeName | "STREAM"> = new Set(["PUSH", "PUB"])
const CANNOT_SEND: ReadonlySet<SocketTypeName | "STREAM"> = new Set(["PULL", "SUB"])

/**
 * After this many messages moved in one go (say, a backlog released by a drain), the rest
 * moves from setImmediate, so I/O and timers run in between.
 */
const YIELD_EVERY = 256

type State = "idle" | "running" | "terminated"
type Side = "frontEnd" | "backEnd"

/** One direction of forwarding, and the one message it may hold. */
interface Direction {
  readonly fromSide: Side
  readonly toSide: Side
  readonly from: Socket
  readonly to: Socket
  readonly source: SocketAccess
  readonly target: SocketAccess
  readonly inStats: ProxyStatistics["frontEnd"]
  readonly outStats: ProxyStatistics["frontEnd"]
  /** Taken from `from`, not yet queued on `to` (it had no room), with its size. */
  held: Buffer[] | undefined
  heldBytes: number
  /** The capture socket already has its copy of `held`. */
  captured: boolean
}

function size(frames: readonly Uint8Array[]): number {
  let n = 0
  for (let i = 0; i < frames.length; i++) n += (frames[i] as Uint8Array).length
  return n
}

export class Proxy<F extends Socket = Socket, B extends Socket = Socket> {
  readonly #front: F
  readonly #back: B
  readonly #capture: Socket | undefined
  #state: State = "idle"
  #paused = false
  #directions: Direction[] = []
  /** A pump is running (hooks that fire meanwhile only ask for another pass). */
  #pumping = false
  #pumpAgain = false
  #pumpDeferred = false
  #failure: unknown
  #stopped: (() => void) | undefined
  #keepAlive: NodeJS.Timeout | undefined
  readonly #stats: ProxyStatistics = {
    frontEnd: { received: 0, receivedBytes: 0, sent: 0, sentBytes: 0 },
    backEnd: { received: 0, receivedBytes: 0, sent: 0, sentBytes: 0 },
    dropped: 0,
  }

  /**
   * A proxy between `frontEnd` and `backEnd` (set their options and bind/connect them, then
   * call run()). `options.capture` is an Ironhouse extension.
   */
  constructor(frontEnd: F, backEnd: B, options?: ProxyOptions) {
    if (!(frontEnd instanceof Socket)) {
      throw argumentError("type", `Front-end must be a socket object (an Ironhouse socket), got ${describeValue(frontEnd)}`)
    }
    if (!(backEnd instanceof Socket)) {
      throw argumentError("type", `Back-end must be a socket object (an Ironhouse socket), got ${describeValue(backEnd)}`)
    }
    if (frontEnd === (backEnd as Socket)) {
      throw argumentError("range", "expected two different sockets for the front end and the back end")
    }
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw argumentError("type", `expected proxy options as an object, got ${describeValue(options)}`)
    }
    for (const key of Object.keys(options ?? {})) {
      if (key !== "capture") throw argumentError("type", `unknown proxy option ${JSON.stringify(key.slice(0, 40))}`)
    }
    const capture = options?.capture
    if (capture !== undefined) {
      if (!(capture instanceof Socket)) {
        throw argumentError("type", `capture: expected an Ironhouse socket, got ${describeValue(capture)}`)
      }
      if (capture === (frontEnd as Socket) || capture === (backEnd as Socket)) {
        throw argumentError("range", "capture: expected a socket other than the front end and the back end")
      }
      if (CANNOT_SEND.has(capture.socketType)) {
        throw argumentError("range", `capture: expected a socket type that can send, got ${capture.socketType}`)
      }
    }
    this.#front = frontEnd
    this.#back = backEnd
    this.#capture = capture
  }

  /** The front-end socket given to the constructor. */
  get frontEnd(): F {
    return this.#front
  }

  /** The back-end socket given to the constructor. */
  get backEnd(): B {
    return this.#back
  }

  /** Whether the proxy is running and paused. */
  get paused(): boolean {
    return this.#state === "running" && this.#paused
  }

  /** Whether run() was called and the proxy has not terminated yet. */
  get running(): boolean {
    return this.#state === "running"
  }

  /** Messages and octets received and sent on each side so far (libzmq's STATISTICS). */
  statistics(): ProxyStatistics {
    return { frontEnd: { ...this.#stats.frontEnd }, backEnd: { ...this.#stats.backEnd }, dropped: this.#stats.dropped }
  }

  /**
   * Forward messages until terminate() is called; then close both sockets and resolve.
   * Rejects (after closing both) when a socket fails; see the module comment for the errors.
   */
  async run(): Promise<void> {
    if (this.#state === "running") throw socketError("EBUSY", "Proxy is already running")
    if (this.#state === "terminated") throw socketError("EBADF", "Proxy has terminated")
    const sockets: Array<[string, Socket]> = [
      ["Front-end", this.#front],
      ["Back-end", this.#back],
    ]
    if (this.#capture !== undefined) sockets.push(["Capture", this.#capture])
    for (const [name, socket] of sockets) {
      if (socket.closed) throw socketError("EBADF", `${name} socket is closed`)
      if (name !== "Capture" && socket[SOCKET_ACCESS]().endpoints === 0) {
        throw socketError("EINVAL", `${name} socket must be bound or connected`)
      }
    }
    const forward = this.#canReceive(this.#front) && this.#canSend(this.#back)
    const backward = this.#canReceive(this.#back) && this.#canSend(this.#front)
    if (!forward && !backward) {
      throw socketError(
        "EINVAL",
        `a ${this.#front.socketType} front end and a ${this.#back.socketType} back end cannot forward in either direction`,
      )
    }
    const leased: SocketAccess[] = []
    for (const [name, socket] of sockets) {
      const access = socket[SOCKET_ACCESS]()
      if (!access.lease(this)) {
        for (const a of leased) a.release(this)
        throw socketError("EBUSY", `${name} socket is used by another running Proxy`)
      }
      leased.push(access)
    }
    this.#state = "running"
    // A running proxy keeps the process alive, as `zeromq`'s (a worker thread) does.
    this.#keepAlive = setInterval(() => {}, 0x7fffffff)
    const finished = new Promise<void>((resolve) => (this.#stopped = resolve))
    // A socket the application closes stops the proxy even while nothing flows through it.
    for (const [name, socket] of sockets) {
      const side = name === "Front-end" ? "frontEnd" : name === "Back-end" ? "backEnd" : "Capture"
      void socket.whenClosed.then(() => {
        if (this.#state === "running") this.#fail(closedError(side))
      })
    }
    if (forward) this.#directions.push(this.#direction("frontEnd", "backEnd"))
    if (backward) this.#directions.push(this.#direction("backEnd", "frontEnd"))
    // Forwarding is driven by the sockets: a message that arrives is passed on in the same
    // call (no promise, no event-loop turn), room that appears lets a held message go.
    const pump = (): void => this.#pump()
    const front = this.#front[SOCKET_ACCESS]()
    const back = this.#back[SOCKET_ACCESS]()
    front.watch(pump, pump)
    back.watch(pump, pump)
    this.#capture?.[SOCKET_ACCESS]().watch(undefined, pump)
    this.#pump() // messages that arrived before run()
    await finished
    front.watch(undefined, undefined)
    back.watch(undefined, undefined)
    this.#capture?.[SOCKET_ACCESS]().watch(undefined, undefined)
    this.#directions = []
    clearInterval(this.#keepAlive)
    this.#keepAlive = undefined
    for (const a of leased) a.release(this)
    this.#front.close()
    this.#back.close()
    if (this.#failure !== undefined) throw this.#failure
  }

  /** Stop taking messages from either socket (they queue there, up to their high-water marks). */
  pause(): void {
    this.#checkRunning()
    this.#paused = true
  }

  /** Resume forwarding after pause(). */
  resume(): void {
    this.#checkRunning()
    if (!this.#paused) return
    this.#paused = false
    // What waited in the front/back ends moves now (not inside the caller's own code).
    queueMicrotask(() => this.#pump())
  }

  /**
   * Stop the proxy: run() closes both sockets and resolves (soon, not at once). A message
   * taken but not yet sent is dropped; messages already sent are delivered as the sockets'
   * linger allows.
   */
  terminate(): void {
    this.#checkRunning()
    this.#stop()
  }

  #stop(): void {
    if (this.#state !== "running") return
    this.#state = "terminated"
    for (const d of this.#directions) d.held = undefined // taken, not sent: dropped
    this.#stopped?.()
    this.#stopped = undefined
  }

  #fail(err: unknown): void {
    if (this.#failure === undefined) this.#failure = err
    this.#stop()
  }

  #checkRunning(): void {
    if (this.#state !== "running") {
      throw socketError("EBADF", this.#state === "idle" ? "Proxy is not running" : "Proxy has terminated")
    }
  }

  #canReceive(socket: Socket): boolean {
    return !CANNOT_RECEIVE.has(socket.socketType)
  }

  #canSend(socket: Socket): boolean {
    return !CANNOT_SEND.has(socket.socketType)
  }

  #socket(side: Side): Socket {
    return side === "frontEnd" ? this.#front : this.#back
  }

  #direction(fromSide: Side, toSide: Side): Direction {
    const from = this.#socket(fromSide)
    const to = this.#socket(toSide)
    return {
      fromSide,
      toSide,
      from,
      to,
      source: from[SOCKET_ACCESS](),
      target: to[SOCKET_ACCESS](),
      inStats: this.#stats[fromSide],
      outStats: this.#stats[toSide],
      held: undefined,
      heldBytes: 0,
      captured: false,
    }
  }

  /**
   * Move what can move now, in both directions. Called by the sockets' hooks (a message
   * arrived, room appeared), by resume() and at the start. Never re-entered: a hook that fires
   * while a pump runs (the send of one direction making the other one readable) asks for one
   * more pass instead. Never throws (it runs inside the sockets' own event handling): a
   * failure stops the proxy and run() rejects with it.
   */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true
      return
    }
    if (this.#state !== "running" || this.#pumpDeferred) return
    this.#pumping = true
    try {
      let budget = YIELD_EVERY
      do {
        this.#pumpAgain = false
        for (const d of this.#directions) {
          budget = this.#move(d, budget)
          if (this.#state !== "running") return
        }
        if (budget <= 0) {
          // A long backlog: the rest after I/O has had a turn.
          this.#pumpDeferred = true
          setImmediate(() => {
            this.#pumpDeferred = false
            this.#pump()
          })
          return
        }
      } while (this.#pumpAgain)
    } catch (err) {
      this.#fail(err)
    } finally {
      this.#pumping = false
    }
  }

  /**
   * One direction: send the held message if there is one, then take and send messages until
   * the source has none, the target has no room or `budget` runs out. Returns what is left of
   * the budget. A message taken before pause() is still sent; no new one is taken while paused.
   */
  #move(d: Direction, budget: number): number {
    const capture = this.#capture
    for (; budget > 0; budget--) {
      let frames = d.held
      if (frames === undefined) {
        if (this.#paused) return budget
        try {
          frames = d.source.tryReceive()
        } catch (err) {
          throw d.from.closed ? closedError(d.fromSide) : err
        }
        if (frames === undefined) return budget
        const bytes = size(frames)
        d.inStats.received++
        d.inStats.receivedBytes += bytes
        d.held = frames
        d.heldBytes = bytes
        d.captured = capture === undefined
      }
      if (!d.captured && capture !== undefined) {
        // Its own array of the same frames (no byte copy): a socket keeps the array it sends.
        const sent = this.#trySend(capture[SOCKET_ACCESS](), capture, frames.slice(), "Capture")
        if (sent === "full") return budget // the capture's room comes back through its hook
        d.captured = true
      }
      const sent = this.#trySend(d.target, d.to, frames, d.toSide)
      if (sent === "full") return budget // the target's hook calls again when there is room
      d.held = undefined
      if (sent === "sent") {
        d.outStats.sent++
        d.outStats.sentBytes += d.heldBytes
      }
    }
    return budget
  }

  /** Queue a message if there is room: "sent", "full" (try again later) or "dropped" (counted). */
  #trySend(target: SocketAccess, socket: Socket, frames: Buffer[], side: Side | "Capture"): "sent" | "full" | "dropped" {
    try {
      return target.trySend(frames) ? "sent" : "full"
    } catch (err) {
      if (socket.closed) throw closedError(side)
      if (err instanceof SocketError && err.code === "EHOSTUNREACH") {
        this.#stats.dropped++
        return "dropped"
      }
      throw err
    }
  }
}

function closedError(side: Side | "Capture"): SocketError {
  const name = side === "frontEnd" ? "Front-end" : side === "backEnd" ? "Back-end" : "Capture"
  return socketError("EBADF", `${name} socket was closed while the proxy was running`)
}
