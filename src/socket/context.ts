/**
 * A context: what sockets created in it share, like `zeromq`'s `Context` (there, the libzmq
 * context and its I/O threads; here, no threads at all). It holds the process-wide
 * authentication hook, the counterpart of libzmq's ZAP handler at inproc://zeromq.zap.01
 * (RFC 27): sockets without their own `authenticate` option use the `zapHandler` of their
 * context. `context` is the default every socket uses.
 *
 * The `zeromq` context options (issue 15, item 3), validated as `zeromq` / zmq_ctx_set(3) do
 * (a value out of range: RangeError with `code` "EINVAL" and `errno` 22, like zeromq's EINVAL
 * error; a wrong type: TypeError; `maxSocketsLimit` is read-only; an unknown option: TypeError):
 *
 * | option                 | default    | here                                                        |
 * |------------------------|------------|-------------------------------------------------------------|
 * | blocky                 | true       | honoured: false gives new sockets linger 0                  |
 * | ipv6                   | false      | honoured: the default `ipv6` of sockets created afterwards  |
 * | maxSockets             | 1023       | honoured: one more open socket throws EMFILE, as libzmq     |
 * | maxSocketsLimit        | 65535      | read-only (libzmq's ZMQ_SOCKET_LIMIT)                       |
 * | ioThreads              | 1          | accepted, no effect: Ironhouse runs on Node's event loop    |
 * | maxMessageSize         | 2147483647 | accepted, no effect: libzmq does not apply it either; use   |
 * |                        |            | the socket option `maxMessageSize`                          |
 * | threadPriority         | -1         | accepted, no effect: there are no I/O threads               |
 * | threadSchedulingPolicy | -1         | accepted, no effect: there are no I/O threads               |
 *
 * Numbers are truncated to integers as `zeromq` does (1.7 → 1); NaN and ±Infinity are a
 * RangeError here (`zeromq` turns them into 0 or INT32 garbage).
 */
import { constants as osConstants } from "node:os"
import { argumentError, describeValue } from "../errors.js"
import type { Authenticate } from "../mechanism/mechanism.js"
import { socketError } from "./socket-error.js"

export interface ContextOptions {
  /** The authentication hook for sockets in this context without their own `authenticate`. */
  zapHandler?: Authenticate | undefined
  /** ZMQ_BLOCKY: when false, new sockets get linger 0 (close() discards queued messages). */
  blocky?: boolean
  /** ZMQ_IO_THREADS (default 1, at least 0): accepted for `zeromq` code; no effect (no I/O threads). */
  ioThreads?: number
  /** ZMQ_IPV6 (default false): the `ipv6` option of sockets created in this context afterwards. */
  ipv6?: boolean
  /** ZMQ_MAX_SOCKETS (default 1023, at least 1): open sockets allowed; one more throws EMFILE. */
  maxSockets?: number
  /** ZMQ_MAX_MSGSZ (default 2147483647, 0 to 2^31-1): accepted; no effect (use the socket option). */
  maxMessageSize?: number
  /** ZMQ_THREAD_PRIORITY (at least 0): accepted for `zeromq` code; no effect (no I/O threads). */
  threadPriority?: number
  /** ZMQ_THREAD_SCHED_POLICY (at least 0): accepted for `zeromq` code; no effect (no I/O threads). */
  threadSchedulingPolicy?: number
}

const INT32_MAX = 0x7fffffff
/** libzmq's ZMQ_SOCKET_LIMIT on Linux (clipped_maxsocket of 65535, ctx.cpp). */
const MAX_SOCKETS_LIMIT = 65535

const NUMERIC_OPTIONS = {
  ioThreads: 0,
  maxSockets: 1,
  maxMessageSize: 0,
  threadPriority: 0,
  threadSchedulingPolicy: 0,
} as const
type NumericOption = keyof typeof NUMERIC_OPTIONS

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  "zapHandler",
  "blocky",
  "ipv6",
  ...Object.keys(NUMERIC_OPTIONS),
])

/** zmq_ctx_set(3)'s EINVAL as a bad-argument error with `zeromq`'s code and errno. */
function invalidValue(message: string): RangeError {
  return Object.assign(new RangeError(message), { code: "EINVAL", errno: osConstants.errno.EINVAL })
}

/** A context option number as `zeromq` takes it: a number, truncated, within [min, INT32_MAX]. */
function contextInteger(name: NumericOption, value: unknown): number {
  if (typeof value !== "number") throw argumentError("type", `${name}: expected a number, got ${describeValue(value)}`)
  if (!Number.isFinite(value)) throw invalidValue(`${name}: expected a finite number, got ${value}`)
  const n = Math.trunc(value)
  const min = NUMERIC_OPTIONS[name]
  if (n < min || n > INT32_MAX) throw invalidValue(`${name}: expected an integer from ${min} to ${INT32_MAX}, got ${value}`)
  return n
}

function contextBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw argumentError("type", `${name}: expected a boolean, got ${describeValue(value)}`)
  return value
}

/** Socket internals: count an open socket in its context (throws EMFILE past maxSockets). */
export let socketOpened: (ctx: Context) => void
/** Socket internals: an open socket of the context was closed. */
export let socketClosed: (ctx: Context) => void

export class Context {
  #zapHandler: Authenticate | undefined
  #blocky = true
  #ipv6 = false
  #ioThreads = 1
  #maxSockets = 1023
  #maxMessageSize = INT32_MAX
  #threadPriority = -1
  #threadSchedulingPolicy = -1
  #openSockets = 0

  static {
    socketOpened = (ctx) => {
      if (ctx.#openSockets >= ctx.#maxSockets) {
        // libzmq's zmq_socket() fails with EMFILE past ZMQ_MAX_SOCKETS; zeromq's message.
        throw socketError("EMFILE")
      }
      ctx.#openSockets++
    }
    socketClosed = (ctx) => {
      if (ctx.#openSockets > 0) ctx.#openSockets--
    }
  }

  constructor(options?: ContextOptions) {
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw argumentError("type", `expected context options as an object, got ${describeValue(options)}`)
      }
      for (const key of Object.keys(options)) {
        if (key === "maxSocketsLimit") throw new TypeError("maxSocketsLimit is read-only (libzmq's ZMQ_SOCKET_LIMIT)")
        if (!KNOWN_OPTIONS.has(key)) {
          throw new TypeError(`unknown context option ${JSON.stringify(key.slice(0, 40))}`)
        }
      }
      // Assign through the setters: the same checks as later assignments.
      for (const [key, value] of Object.entries(options)) {
        if (value === undefined && key === "zapHandler") continue
        ;(this as unknown as Record<string, unknown>)[key] = value
      }
    }
    // Sealed like zeromq's Context: a misspelt option (`ctx.ioThread = 2`) is a TypeError in
    // strict code instead of being ignored. Only for Context itself: a subclass may add fields.
    if (new.target === Context) Object.seal(this)
  }

  /** The authentication hook (e.g. an Authenticator's handler); undefined: none. */
  get zapHandler(): Authenticate | undefined {
    return this.#zapHandler
  }

  set zapHandler(handler: Authenticate | undefined) {
    if (handler !== undefined && typeof handler !== "function") {
      throw argumentError("type", `zapHandler: expected a function or undefined, got ${describeValue(handler)}`)
    }
    this.#zapHandler = handler
  }

  /** ZMQ_BLOCKY (default true): when false, sockets created afterwards get linger 0. */
  get blocky(): boolean {
    return this.#blocky
  }

  set blocky(value: boolean) {
    if (typeof value !== "boolean") throw argumentError("type", `blocky: expected a boolean, got ${describeValue(value)}`)
    this.#blocky = value
  }

  /** ZMQ_IPV6: the default `ipv6` option of sockets created in this context afterwards. */
  get ipv6(): boolean {
    return this.#ipv6
  }

  set ipv6(value: boolean) {
    this.#ipv6 = contextBoolean("ipv6", value)
  }

  /** ZMQ_IO_THREADS (default 1): accepted and kept; no effect, Ironhouse has no I/O threads. */
  get ioThreads(): number {
    return this.#ioThreads
  }

  set ioThreads(value: number) {
    this.#ioThreads = contextInteger("ioThreads", value)
  }

  /** ZMQ_MAX_SOCKETS (default 1023): open sockets allowed in this context (EMFILE past it). */
  get maxSockets(): number {
    return this.#maxSockets
  }

  set maxSockets(value: number) {
    this.#maxSockets = contextInteger("maxSockets", value)
  }

  /** ZMQ_SOCKET_LIMIT: the largest maxSockets libzmq would honour (read-only). */
  get maxSocketsLimit(): number {
    return MAX_SOCKETS_LIMIT
  }

  /** ZMQ_MAX_MSGSZ (default 2147483647): accepted and kept; no effect (socket option `maxMessageSize` limits). */
  get maxMessageSize(): number {
    return this.#maxMessageSize
  }

  set maxMessageSize(value: number) {
    this.#maxMessageSize = contextInteger("maxMessageSize", value)
  }

  /** ZMQ_THREAD_PRIORITY (-1 = not set; `zeromq` cannot read it back): no effect, no I/O threads. */
  get threadPriority(): number {
    return this.#threadPriority
  }

  set threadPriority(value: number) {
    this.#threadPriority = contextInteger("threadPriority", value)
  }

  /** ZMQ_THREAD_SCHED_POLICY (-1 = not set; `zeromq` cannot read it back): no effect, no I/O threads. */
  get threadSchedulingPolicy(): number {
    return this.#threadSchedulingPolicy
  }

  set threadSchedulingPolicy(value: number) {
    this.#threadSchedulingPolicy = contextInteger("threadSchedulingPolicy", value)
  }
}

/** The default context of every socket created without a `context` option. */
export const context = new Context()

// ---- process exit (libzmq's context termination) ------------------------------------------

/** What the exit hook needs from a socket (socket.ts implements it; no import cycle). */
export interface ExitParticipant {
  /**
   * The process is about to exit (nothing else keeps Node running): if this socket still holds
   * output it may deliver (linger ≠ 0), close it so it lingers, and return a promise that
   * settles once it is fully closed; else return undefined.
   */
  closeAtExit(): Promise<void> | undefined
  /** Whether the socket's context is blocky (for the wording of the warning). */
  readonly blockyContext: boolean
}

export interface ExitRegistration {
  unregister(): void
}

/** zeromq 6's warning (src/module.h, printed when terminating the context takes over 500 ms). */
export const LINGER_WARNING = "Waiting for queued ZeroMQ messages to be delivered."
const BLOCKY_HINT = " Set 'context.blocky = false' to change this behaviour."
/** zeromq warns when termination has taken this long. */
const LINGER_WARNING_AFTER_MS = 500

const participants = new Set<WeakRef<ExitParticipant>>()
const finalizer = new FinalizationRegistry<WeakRef<ExitParticipant>>((ref) => participants.delete(ref))
let hookInstalled = false

/**
 * Take part in the exit-time termination. Sockets do not keep Node running by themselves (like
 * `zeromq`'s); when the event loop runs dry ('beforeExit'), the open sockets that still hold
 * output are closed, as libzmq's zmq_ctx_term() does at exit, and Node then runs for as long as
 * their linger allows (-1: until delivered; N: at most N ms; 0: not at all). When that takes
 * more than 500 ms, `zeromq`'s warning is emitted once. Held weakly: a socket that is garbage
 * collected drops out by itself.
 */
export function registerForExit(participant: ExitParticipant): ExitRegistration {
  if (!hookInstalled) {
    hookInstalled = true
    process.on("beforeExit", terminateAtExit)
  }
  const ref = new WeakRef(participant)
  participants.add(ref)
  finalizer.register(participant, ref, ref)
  return {
    unregister: () => {
      participants.delete(ref)
      finalizer.unregister(ref)
    },
  }
}

let warned = false

function terminateAtExit(): void {
  const waiting: Promise<void>[] = []
  let blocky = false
  for (const ref of [...participants]) {
    const participant = ref.deref()
    if (participant === undefined) {
      participants.delete(ref)
      continue
    }
    const closed = participant.closeAtExit()
    if (closed === undefined) continue
    waiting.push(closed)
    blocky ||= participant.blockyContext
  }
  if (waiting.length === 0 || warned) return
  const timer = setTimeout(() => {
    warned = true
    process.emitWarning(`${LINGER_WARNING}${blocky ? BLOCKY_HINT : ""}`)
  }, LINGER_WARNING_AFTER_MS)
  timer.unref()
  void Promise.all(waiting).then(() => clearTimeout(timer))
}
