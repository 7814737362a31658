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
