/**
 * SUB (RFC 29 "PUB-SUB"): receives the messages whose first frame starts with one of its
 * subscribed prefixes. A new SUB receives nothing until subscribe() is called; subscribe()
 * with no argument subscribes to everything. SUB cannot send.
 */
import { COMMON_OPTIONS, READABLE_OPTIONS, type OptionName } from "./options.js"
import type { ReadableOptionProperties, ReadableSocketOptions, SocketOptionProperties, SocketOptions } from "./option-types.js"
import { socketError } from "./socket-error.js"
import type { MessageWithPeer, OperationOptions } from "./socket.js"
import { SubscriberBase } from "./subscriber-base.js"
import { argumentError, describeValue } from "../errors.js"

const OPTIONS: OptionName[] = [...COMMON_OPTIONS, ...READABLE_OPTIONS, "conflate", "invertMatching"]

export type SubscriberOptions = SocketOptions &
  ReadableSocketOptions & {
    /** ZMQ_CONFLATE (default false): keep only the newest message from each publisher (receiveHighWaterMark ignored). */
    conflate?: boolean
    /** ZMQ_INVERT_MATCHING (default false): receive the messages that match none of the prefixes. */
    invertMatching?: boolean
  }

const ALL = new Uint8Array(0)

function toPrefix(prefix: unknown): Uint8Array {
  if (typeof prefix === "string") return Buffer.from(prefix, "utf8")
  if (prefix instanceof Uint8Array) return new Uint8Array(prefix)
  throw argumentError("type", `expected a subscription prefix (string or Buffer), got ${describeValue(prefix)}`)
}

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Subscriber extends SubscriberBase {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }

  constructor(options?: SubscriberOptions) {
    super("SUB", ALLOWED_OPTIONS, options)
    if (new.target === Subscriber) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
  }

  /** Receive messages starting with any of `prefixes` (all messages when none is given). */
  subscribe(...prefixes: Array<Buffer | Uint8Array | string>): void {
    if (this.closed) throw socketError("EBADF")
    const list = prefixes.length === 0 ? [ALL] : prefixes.map(toPrefix)
    for (const prefix of list) this.addSubscription(prefix)
  }

  /** Cancel a subscribe() to each of `prefixes` (to "everything" when none is given). */
  unsubscribe(...prefixes: Array<Buffer | Uint8Array | string>): void {
    if (this.closed) throw socketError("EBADF")
    const list = prefixes.length === 0 ? [ALL] : prefixes.map(toPrefix)
    for (const prefix of list) this.removeSubscription(prefix)
  }

  receive(options?: OperationOptions): Promise<Buffer[]> {
    return this.receiveMessage(options)
  }
  receiveWithPeer(options?: OperationOptions): Promise<MessageWithPeer> {
    return this.receiveMessageWithPeer(options)
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer[], undefined> {
    return this.iterate()
  }

  protected xsend(): boolean {
    return false
  }
}

export interface Subscriber extends SocketOptionProperties, ReadableOptionProperties {
  conflate: boolean
  invertMatching: boolean
}
