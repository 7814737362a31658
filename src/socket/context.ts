/**
 * A context: what sockets created in it share, like `zeromq`'s `Context` (there, the libzmq
 * context and its I/O threads; here, no threads at all). It holds the process-wide
 * authentication hook, the counterpart of libzmq's ZAP handler at inproc://zeromq.zap.01
 * (RFC 27): sockets without their own `authenticate` option use the `zapHandler` of their
 * context. `context` is the default every socket uses.
 */
import { argumentError, describeValue } from "../errors.js"
import type { Authenticate } from "../mechanism/mechanism.js"

export interface ContextOptions {
  /** The authentication hook for sockets in this context without their own `authenticate`. */
  zapHandler?: Authenticate | undefined
  /** ZMQ_BLOCKY: when false, new sockets get linger 0 (close() discards queued messages). */
  blocky?: boolean
}

export class Context {
  #zapHandler: Authenticate | undefined
  #blocky = true

  constructor(options?: ContextOptions) {
    if (options === undefined) return
    if (typeof options !== "object" || options === null) {
      throw argumentError("type", `expected context options as an object, got ${describeValue(options)}`)
    }
    for (const key of Object.keys(options)) {
      if (key !== "zapHandler" && key !== "blocky") {
        throw new TypeError(`unknown context option ${JSON.stringify(key.slice(0, 40))}`)
      }
    }
    if (options.zapHandler !== undefined) this.zapHandler = options.zapHandler
    if (options.blocky !== undefined) this.blocky = options.blocky
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
