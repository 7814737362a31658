/**
 * Drives one sans-IO {@link Connection} over a Node stream socket (TCP or IPC): the only glue
 * between `node:net` and the engine. Reads go straight into the engine; writes are batched
 * (one cork/uncork per drain, so many frames leave in one syscall); the engine's deadlines
 * become one unref'd timer.
 *
 * Closing: close() ends the socket and destroys it a second later at the latest (for errors,
 * unbind, refused peers); linger() ends it once everything written has been handed to the
 * operating system, with no deadline of its own (the socket's linger decides, as in libzmq);
 * destroy() and abort() drop it at once.
 */
import { Buffer } from "node:buffer"
import type { Socket } from "node:net"
import { Connection, type ConnectionEvent, type ConnectionOptions } from "../engine/connection.js"
import { ErrorCode, protocolError, type ProtocolError } from "../errors.js"

export interface StreamConnectionHandlers {
  /** Every engine event, in order. After an `error` event the socket is being closed. */
  onEvent(event: ConnectionEvent, conn: StreamConnection): void
  /** The transport closed (after an error, a local close, or the peer going away). */
  onClose?(conn: StreamConnection, hadError: boolean): void
  /** The socket has room again after write() returned false (back-pressure). */
  onDrain?(conn: StreamConnection): void
}

export interface StreamConnectionOptions {
  /**
   * ms the peer has to send its whole greeting (64 octets) before the connection is dropped
   * with ERR_ZMTP_HANDSHAKE_TIMEOUT; 0: only the engine's handshakeInterval applies.
   */
  greetingTimeout?: number
  /**
   * Accepted connections (issue 13): hold our first output (the greeting) for at most one more
   * turn of the event loop, so that it leaves in the same write as our answer to what the
   * peer sent with its own greeting (a CURVE server's WELCOME to the client's greeting +
   * HELLO). A client that pipelines its greeting has its octets here by the next poll phase,
   * and then gets one segment (one write, one read, one wake-up) instead of two. A peer that
   * waits for our greeting still gets it a turn later (RFC 37 "Version Negotiation": the
   * greeting is sent on establishing the connection, not after the peer's; no deadlock).
   */
  coalesceGreeting?: boolean
}

/**
 * Bodies at least this large that arrive over several reads are assembled in memory that is not
 * zero-filled first (the decoder overwrites every octet): for a 64 KiB message that fill was
 * 5 % of the receiving process's CPU (perf, issue 13 item 4). Smaller ones stay plain
 * Uint8Arrays, which V8 allocates as cheaply.
 */
const UNZEROED_FROM = 4096

export function allocateBody(size: number): Uint8Array {
  return size >= UNZEROED_FROM ? Buffer.allocUnsafeSlow(size) : new Uint8Array(size)
}

/** After linger() handed the last byte to the OS: how long to wait for the peer's FIN. */
const LINGER_GRACE_MS = 1000

export class StreamConnection {
  readonly engine: Connection
  readonly socket: Socket
  /** Reading paused because the peer pings without reading (Connection.readPaused). */
  #pausedForOutput = false
  /** A 'drain' listener for the engine's back-pressure state is registered. */
  #drainAwaited = false
  readonly #handlers: StreamConnectionHandlers
  #timer: NodeJS.Timeout | undefined
  #timerAt = Infinity
  #greetingTimer: NodeJS.Timeout | undefined
  /** coalesceGreeting: the setImmediate that writes the held greeting (two turns: see #holdGreeting). */
  #heldGreeting: NodeJS.Immediate | undefined
  #closed = false
  #ending = false

  constructor(
    socket: Socket,
    options: ConnectionOptions,
    handlers: StreamConnectionHandlers,
    transport: StreamConnectionOptions = {},
  ) {
    this.socket = socket
    this.#handlers = handlers
    // The sockets pass allocateBody in the options they build per connection; a copy of the
    // options is made only for a caller that gave no allocator.
    this.engine = new Connection(options.allocate === undefined ? { ...options, allocate: allocateBody } : options)
    this.engine.onWake = () => this.pump()
    socket.setNoDelay(true)
    const greetingTimeout = transport.greetingTimeout ?? 0
    if (greetingTimeout > 0) {
      this.#greetingTimer = setTimeout(() => {
        this.#greetingTimer = undefined
        if (this.engine.peerMinorVersion === undefined) {
          this.abort(protocolError(ErrorCode.HANDSHAKE_TIMEOUT, `no greeting within ${greetingTimeout} ms (greetingTimeout)`))
        }
      }, greetingTimeout)
      this.#greetingTimer.unref()
    }
    socket.on("data", (chunk: Buffer) => {
      this.engine.receiveData(chunk)
      if (this.#greetingTimer !== undefined && this.engine.peerMinorVersion !== undefined) this.#clearGreetingTimer()
      this.pump()
    })
    socket.on("drain", () => this.#guard("drain", () => this.#handlers.onDrain?.(this)))
    socket.on("error", () => {
      /* reported through close(hadError) */
    })
    socket.on("close", (hadError) => this.#onClose(hadError))
    if (transport.coalesceGreeting === true) this.#holdGreeting()
    else this.pump()
  }

  /**
   * Write the greeting after the next poll phase at the latest: a first setImmediate runs in
   * this turn's check phase (before the peer's octets can be read: Node reads a new socket
   * from the next poll on), the second one in the next turn's, after that poll. If the peer's
   * octets arrive in between, the 'data' handler's pump() writes the greeting with the answer
   * and cancels this.
   */
  #holdGreeting(): void {
    this.#heldGreeting = setImmediate(() => {
      this.#heldGreeting = setImmediate(() => {
        this.#heldGreeting = undefined
        if (!this.#closed) this.pump()
      })
    })
  }

  #releaseGreeting(): void {
    if (this.#heldGreeting === undefined) return
    clearImmediate(this.#heldGreeting)
    this.#heldGreeting = undefined
  }

  /** True when the kernel buffer is full and the caller should wait for onDrain. */
  get writable(): boolean {
    return !this.socket.writableNeedDrain
  }

  /** Queue one message and flush it (with anything else pending) to the socket. */
  send(frames: readonly Uint8Array[]): void {
    this.engine.send(frames)
    this.flush()
  }

  /** Write whatever the engine has to say, as one batch. */
  flush(): void {
    const out = this.engine.takeOutput()
    if (out.length === 0 || this.socket.destroyed) return
    if (out.length === 1) {
      this.socket.write(out[0] as Uint8Array)
    } else {
      this.socket.cork()
      for (const chunk of out) this.socket.write(chunk)
      this.socket.uncork()
    }
    // Nothing left in node:net's buffer: the kernel copied every octet during write() (a
    // partial write keeps its rest, and so a reference to our chunk, counted here until it is
    // done). The engine may then write its next frames over the same memory instead of
    // allocating a fresh 64 KiB buffer per flush (h18-gateway: per-message CPU of busy senders).
    if (this.socket.writableLength === 0) this.engine.outputReleased()
    this.#updateOutputBlocked()
  }

  /**
   * Tell the engine whether the socket's buffer is over its high-water mark, for what it writes
   * on its own (PONGs; see Connection.readPaused), and wait for the drain when it is.
   */
  #updateOutputBlocked(): void {
    const blocked = this.socket.writableNeedDrain
    if (blocked && !this.#drainAwaited) {
      this.#drainAwaited = true
      this.socket.once("drain", () => {
        this.#drainAwaited = false
        this.#outputDrained()
      })
    }
    this.engine.setOutputBlocked(blocked)
  }

  /** Output has room again: read again if we had paused, and send the PONG the engine owes. */
  #outputDrained(): void {
    this.#updateOutputBlocked() // the owner's drain handler may have filled the buffer again
    if (this.#pausedForOutput && !this.engine.outputBlocked) {
      this.#pausedForOutput = false
      this.socket.resume()
    }
    this.flush()
  }

  /** Drain engine events and output, then re-arm the deadline timer. */
  pump(): void {
    this.#releaseGreeting()
    this.flush()
    if (this.engine.hasEvents) {
      for (const event of this.engine.takeEvents()) {
        if (!this.#deliver(event)) return
        if (event.type === "error") {
          this.flush()
          this.socket.end()
          // A peer that never reads must not keep us waiting: destroy soon after.
          setTimeout(() => this.socket.destroy(), 1000).unref()
        }
      }
      this.flush()
    }
    this.#armTimer()
    // A peer that only pings while our output is backed up is not read until it drains.
    if (this.engine.readPaused && !this.#pausedForOutput) {
      this.#pausedForOutput = true
      this.socket.pause()
    }
  }

  /**
   * Hand one event to the owner. Events carry what a peer sent, so a handler that throws on
   * one (a bug) must cost only this connection, never the process: the connection is dropped,
   * the owner gets an `error` event for it, and the failure is reported as a process warning.
   */
  #deliver(event: ConnectionEvent): boolean {
    try {
      this.#handlers.onEvent(event, this)
      return true
    } catch (err) {
      const what = err instanceof Error ? err.message : String(err)
      process.emitWarning(`Ironhouse dropped a connection: handling its ${event.type} event failed: ${what}`, {
        code: "IRONHOUSE_EVENT_HANDLER_FAILED",
      })
      const handshake = !this.engine.ready
      this.destroy()
      if (event.type !== "error") {
        try {
          const error = protocolError(ErrorCode.UNSPECIFIED, `internal error handling a ${event.type} event: ${what}`)
          this.#handlers.onEvent({ type: "error", error, handshake }, this)
        } catch {
          // already reported above
        }
      }
      return false
    }
  }

  #armTimer(): void {
    const at = this.engine.nextDeadline
    if (at === this.#timerAt || this.#closed) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = at
    if (at === Infinity) return
    // Whole milliseconds: Node keeps one timer list per distinct duration, so a fractional
    // delay (a deadline minus now) would create, schedule and drop a list per connection; a
    // whole one (30 000 for every new connection's handshake) shares one (issue 13). Rounded
    // up, so a deadline never fires early (tick() checks it against the clock anyway).
    const delay = Math.max(0, Math.ceil(at - performance.now()))
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#timerAt = Infinity
      this.engine.tick()
      this.pump()
    }, delay)
    this.#timer.unref()
  }

  /**
   * Octets written but not yet handed to the operating system: engine output not flushed yet
   * plus what the socket buffers (`writableLength`). What linger waits for.
   */
  get pendingOutput(): number {
    if (this.socket.destroyed) return 0
    return this.engine.pendingOutput + this.socket.writableLength
  }

  /** Close this connection (no linger: pending output is flushed, then the socket ends). */
  close(): void {
    if (this.#closed) return
    this.flush()
    this.engine.close()
    this.socket.end()
    setTimeout(() => this.socket.destroy(), 1000).unref()
  }

  /**
   * Close once every octet written so far has been handed to the operating system (the point
   * where libzmq's linger ends: the kernel still delivers its buffers after that), then call
   * `done`. Waits as long as that takes (the caller's linger timer calls destroy() to stop
   * waiting); `done` also runs when the transport closes first. After the last octet, the
   * peer's FIN is awaited for a moment so the close is graceful, then the socket is destroyed.
   */
  linger(done: () => void): void {
    if (this.#closed || this.socket.destroyed) {
      this.#closed = true
      done()
      return
    }
    if (this.#ending) {
      this.socket.once("close", () => done()) // a second caller: done when the first one is
      return
    }
    this.#ending = true
    this.flush()
    this.engine.close()
    let called = false
    const finish = (): void => {
      if (called) return
      called = true
      this.socket.off("close", finish)
      done()
    }
    this.socket.once("close", finish)
    this.socket.end(() => {
      finish()
      if (!this.socket.destroyed) setTimeout(() => this.socket.destroy(), LINGER_GRACE_MS).unref()
    })
  }

  /** Close at once, discarding anything unsent. */
  destroy(): void {
    this.#releaseGreeting()
    this.engine.close()
    this.socket.destroy()
  }

  /**
   * Drop the connection at once for a reason of ours (greeting deadline, shed under a
   * handshake flood): the owner gets an `error` event with `error`, then the socket closes.
   */
  abort(error: ProtocolError): void {
    if (this.#closed || this.engine.closed) return
    const handshake = !this.engine.ready
    this.destroy()
    try {
      this.#handlers.onEvent({ type: "error", error, handshake }, this)
    } catch (err) {
      const what = err instanceof Error ? err.message : String(err)
      process.emitWarning(`Ironhouse: handling an error event failed: ${what}`, { code: "IRONHOUSE_EVENT_HANDLER_FAILED" })
    }
  }

  #clearGreetingTimer(): void {
    if (this.#greetingTimer !== undefined) clearTimeout(this.#greetingTimer)
    this.#greetingTimer = undefined
  }

  #onClose(hadError: boolean): void {
    if (this.#closed) return
    this.#closed = true
    this.#clearGreetingTimer()
    this.#releaseGreeting()
    if (this.#timer) clearTimeout(this.#timer)
    this.engine.close()
    this.#guard("close", () => this.#handlers.onClose?.(this, hadError))
  }

  /**
   * Run a handler for a transport event (close, drain) that cannot be allowed to throw out of
   * Node's event emitter: that would be an uncaught exception, i.e. one peer taking the process
   * down. A failure is reported as a process warning and, for drain, costs this connection.
   */
  #guard(what: string, run: () => void): void {
    try {
      run()
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      process.emitWarning(`Ironhouse: handling a connection's ${what} failed: ${message}`, {
        code: "IRONHOUSE_EVENT_HANDLER_FAILED",
      })
      if (what !== "close") this.destroy()
    }
  }
}
