/**
 * PUB (RFC 29 "PUB-SUB"): messages go to every subscriber with a matching prefix; a slow
 * subscriber at its high-water mark misses messages (send() never waits, unless `noDrop`).
 * PUB cannot receive.
 */
import { COMMON_OPTIONS, WRITABLE_OPTIONS, type OptionName } from "./options.js"
import type { SocketOptionProperties, SocketOptions, WritableOptionProperties, WritableSocketOptions } from "./option-types.js"
import type { MessageLike } from "./message.js"
import { PublisherBase } from "./publisher-base.js"
import type { OperationOptions } from "./socket.js"

const OPTIONS: OptionName[] = [
  ...COMMON_OPTIONS,
  ...WRITABLE_OPTIONS,
  "noDrop",
  "conflate",
  "invertMatching",
  "maxSubscriptionSize",
  "maxSubscriptions",
]

export type PublisherOptions = SocketOptions &
  WritableSocketOptions & {
    /** ZMQ_XPUB_NODROP: wait (or fail with EAGAIN) instead of dropping for a full subscriber. */
    noDrop?: boolean
    /** ZMQ_CONFLATE (default false): keep only the newest message waiting for each subscriber; single-frame messages only. */
    conflate?: boolean
    /** ZMQ_INVERT_MATCHING (default false): send each message to the subscribers with no matching prefix. */
    invertMatching?: boolean
    /** Ironhouse (default 1024; -1 no limit): longest prefix a peer may subscribe to; longer drops it. */
    maxSubscriptionSize?: number
    /** Ironhouse (default 10 000; -1 no limit): most prefixes one peer may hold; one more drops it. */
    maxSubscriptions?: number
  }

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Publisher extends PublisherBase {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }

  constructor(options?: PublisherOptions) {
    super("PUB", ALLOWED_OPTIONS, options)
    if (new.target === Publisher) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
  }

  send(message: MessageLike | MessageLike[], options?: OperationOptions): Promise<void> {
    return this.sendMessage(message, options)
  }

  protected xrecv(): Uint8Array[] | undefined {
    return undefined
  }
}

export interface Publisher extends SocketOptionProperties, WritableOptionProperties {
  noDrop: boolean
  conflate: boolean
  invertMatching: boolean
  maxSubscriptionSize: number
  maxSubscriptions: number
}
