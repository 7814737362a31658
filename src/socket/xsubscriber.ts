/**
 * XSUB (RFC 29 "PUB-SUB"): a SUB that subscribes by sending subscription messages — 0x01 +
 * prefix to subscribe, 0x00 + prefix to cancel — and can send other messages upstream to
 * every publisher (dropped for one at its high-water mark). Receives like SUB.
 */
import { COMMON_OPTIONS, READABLE_OPTIONS, WRITABLE_OPTIONS, type OptionName } from "./options.js"
import type {
  ReadableOptionProperties,
  ReadableSocketOptions,
  SocketOptionProperties,
  SocketOptions,
  WritableOptionProperties,
  WritableSocketOptions,
} from "./option-types.js"
import type { MessageLike } from "./message.js"
import type { MessageWithPeer, OperationOptions } from "./socket.js"
import { SubscriberBase } from "./subscriber-base.js"
import { parseSubscriptionMessage } from "../wire/commands.js"

const OPTIONS: OptionName[] = [...COMMON_OPTIONS, ...WRITABLE_OPTIONS, ...READABLE_OPTIONS]

export type XSubscriberOptions = SocketOptions & WritableSocketOptions & ReadableSocketOptions

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class XSubscriber extends SubscriberBase {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }

  constructor(options?: XSubscriberOptions) {
    super("XSUB", ALLOWED_OPTIONS, options)
    if (new.target === XSubscriber) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
  }

  send(message: MessageLike | MessageLike[], options?: OperationOptions): Promise<void> {
    return this.sendMessage(message, options)
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

  protected xsend(frames: Uint8Array[]): boolean {
    const sub = parseSubscriptionMessage(frames[0] as Uint8Array)
    if (sub === undefined) {
      this.dist.sendToAll(frames)
    } else if (sub.subscribe) {
      this.addSubscription(new Uint8Array(sub.topic))
    } else {
      this.removeSubscription(sub.topic)
    }
    return true
  }

  protected override xhasOut(): boolean {
    return true
  }
}

export interface XSubscriber extends SocketOptionProperties, WritableOptionProperties, ReadableOptionProperties {}
