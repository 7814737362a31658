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
 * How it forwards. One loop per direction that the two socket types allow (front→back when
 * the front end can receive and the back end can send; back→front the other way round).
 * Each loop takes one message, awaits its send() on the other side, and only then takes the
 * next: the proxy itself never holds more than one message per direction, so a slow
 * consumer fills the sending socket's high-water mark, then the receiving socket's, then
 * TCP's window, and the producer's send() waits — back-pressure reaches the producer and
 * nothing grows without bound in between. Frames go through as they were received: the
 * Buffers from receive() are handed to send() (no copy of their bytes); only the array that
 * holds them is the socket's.
 *
 * Each side has its own options, mechanism and endpoints: a CURVE front end with a NULL back
 * end (the gateway's case) needs nothing special.
 *
 * Ironhouse extensions: a `capture` socket (libzmq's third zmq_proxy argument) that gets a
 * copy of every message forwarded in either direction (the same Buffers, not copies of their
 * bytes; its send() is awaited too, so a slow capture slows the proxy rather than growing a
 * queue — use a PUB capture to drop instead); `statistics()`, libzmq's STATISTICS command.
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

/** The abort reason of an interrupted wait (pause or terminate); never seen outside. */
const INTERRUPTED = Object.freeze({ interrupted: true })

/** After this many messages moved without waiting, a loop yields to the event loop once. */
const YIELD_EVERY = 256

type State = "idle" | "running" | "terminated"
type Side = "frontEnd" | "backEnd"

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
  /** Aborts the waiting receive()s on pause/terminate. */
  #interrupt = new AbortController()
  /** Aborts waiting send()s on terminate only (a message taken before pause() is still sent). */
  readonly #terminate = new AbortController()
  #whenResumed: Promise<void> | undefined
  #resumed: (() => void) | undefined
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
    let failure: unknown
    const loops: Promise<void>[] = []
    const fail = (err: unknown): void => {
      if (failure === undefined) failure = err
      this.#stop()
    }
    // A socket the application closes stops the proxy even while no loop waits on it.
    for (const [name, socket] of sockets) {
      const side = name === "Front-end" ? "frontEnd" : name === "Back-end" ? "backEnd" : "Capture"
      void socket.whenClosed.then(() => {
        if (this.#state === "running") fail(closedError(side))
      })
    }
    if (forward) loops.push(this.#loop("frontEnd", "backEnd").catch(fail))
    if (backward) loops.push(this.#loop("backEnd", "frontEnd").catch(fail))
    await Promise.all(loops)
    clearInterval(this.#keepAlive)
    this.#keepAlive = undefined
    for (const a of leased) a.release(this)
    this.#front.close()
    this.#back.close()
    if (failure !== undefined) throw failure
  }

  /** Stop taking messages from either socket (they queue there, up to their high-water marks). */
  pause(): void {
    this.#checkRunning()
    if (this.#paused) return
    this.#paused = true
    this.#whenResumed = new Promise<void>((resolve) => (this.#resumed = resolve))
    this.#interrupt.abort(INTERRUPTED)
  }

  /** Resume forwarding after pause(). */
  resume(): void {
    this.#checkRunning()
    if (!this.#paused) return
    this.#paused = false
    this.#interrupt = new AbortController()
    this.#resumed?.()
    this.#resumed = undefined
    this.#whenResumed = undefined
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
    this.#interrupt.abort(INTERRUPTED)
    this.#terminate.abort(INTERRUPTED)
    this.#resumed?.()
    this.#resumed = undefined
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

  /** One direction: take a message from `from`, send it on `to` (and capture), repeat. */
  async #loop(fromSide: Side, toSide: Side): Promise<void> {
    const from = this.#socket(fromSide)
    const to = this.#socket(toSide)
    const source = from[SOCKET_ACCESS]()
    const target = to[SOCKET_ACCESS]()
    const captureSocket = this.#capture
    const capture = captureSocket?.[SOCKET_ACCESS]()
    const inStats = this.#stats[fromSide]
    const outStats = this.#stats[toSide]
    let moved = 0
    while (this.#state === "running") {
      if (this.#paused) {
        await this.#whenResumed
        continue
      }
      // Fast path: a message ready now is taken without a promise; else wait for one.
      let frames: Buffer[] | undefined
      try {
        frames = source.tryReceive()
        if (frames === undefined) {
          moved = 0
          frames = await source.receive({ signal: this.#interrupt.signal })
        }
      } catch (err) {
        if (err === INTERRUPTED) continue
        if (from.closed) throw closedError(fromSide)
        throw err
      }
      const bytes = size(frames)
      inStats.received++
      inStats.receivedBytes += bytes
      if (capture !== undefined && captureSocket !== undefined) {
        // Its own array of the same frames (no byte copy): a socket keeps the array it sends.
        const captured = this.#send(capture, captureSocket, frames.slice(), "Capture")
        if (typeof captured !== "boolean") await captured
        if (this.#state !== "running") return
      }
      const forwarded = this.#send(target, to, frames, toSide)
      if (typeof forwarded === "boolean" ? forwarded : await forwarded) {
        outStats.sent++
        outStats.sentBytes += bytes
      }
      // A long run of ready messages yields now and then, so I/O and the other direction run.
      if (++moved >= YIELD_EVERY) {
        moved = 0
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    }
  }

  /**
   * Send: at once when there is room, else waiting as long as it takes (the proxy's calls
   * ignore sendTimeout). False when the proxy terminated meanwhile or the message was
   * unroutable (dropped, counted).
   */
  #send(target: SocketAccess, socket: Socket, frames: Buffer[], side: Side | "Capture"): boolean | Promise<boolean> {
    if (this.#state !== "running") return false
    try {
      if (target.trySend(frames)) return true
    } catch (err) {
      return this.#sendFailed(err, socket, side)
    }
    return target.send(frames, { signal: this.#terminate.signal }).then(
      () => true,
      (err: unknown) => this.#sendFailed(err, socket, side),
    )
  }

  #sendFailed(err: unknown, socket: Socket, side: Side | "Capture"): boolean {
    if (err === INTERRUPTED) return false
    if (socket.closed) throw closedError(side)
    if (err instanceof SocketError && err.code === "EHOSTUNREACH") {
      this.#stats.dropped++
      return false
    }
    throw err
  }
}

function closedError(side: Side | "Capture"): SocketError {
  const name = side === "frontEnd" ? "Front-end" : side === "backEnd" ? "Back-end" : "Capture"
  return socketError("EBADF", `${name} socket was closed while the proxy was running`)
}
