/**
 * XPUB (RFC 29 "PUB-SUB"): a PUB that also receives. receive() returns subscription messages
 * — 0x01 + prefix when a prefix gets its first subscriber, 0x00 + prefix when its last one
 * cancels or goes away (all of them with `verbosity`) — and any other message a subscriber
 * sent upstream.
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
import type { Pipe } from "./pipe.js"
import { PublisherBase } from "./publisher-base.js"
import { Queue } from "./queue.js"
import type { MessageWithPeer, OperationOptions } from "./socket.js"
import { subscriptionMessage } from "../wire/commands.js"

const OPTIONS: OptionName[] = [...COMMON_OPTIONS, ...WRITABLE_OPTIONS, ...READABLE_OPTIONS, "noDrop", "verbosity", "welcomeMessage"]

export type XPublisherOptions = SocketOptions &
  WritableSocketOptions &
  ReadableSocketOptions & {
    /** ZMQ_XPUB_NODROP: wait (or fail with EAGAIN) instead of dropping for a full subscriber. */
    noDrop?: boolean
    /** ZMQ_XPUB_VERBOSE ("allSubs") / ZMQ_XPUB_VERBOSER ("allSubsUnsubs"): report duplicates too. */
    verbosity?: null | "allSubs" | "allSubsUnsubs"
    /** ZMQ_XPUB_WELCOME_MSG: a message sent to every new subscriber. */
    welcomeMessage?: string | Uint8Array | null
  }

export class XPublisher extends PublisherBase {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  readonly #inbox = new Queue<{ frames: Uint8Array[]; pipe: Pipe }>()

  constructor(options?: XPublisherOptions) {
    super("XPUB", new Set(OPTIONS), options)
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

  protected override xready(pipe: Pipe): void {
    const welcome = this.option("welcomeMessage")
    if (welcome !== null) pipe.write([welcome])
  }

  protected override notify(pipe: Pipe, subscribe: boolean, topic: Uint8Array, unique: boolean): void {
    const verbosity = this.option("verbosity")
    const report = unique || (subscribe ? verbosity !== null : verbosity === "allSubsUnsubs")
    if (!report) return
    this.#inbox.push({ frames: [subscriptionMessage(subscribe, topic)], pipe })
    this.wakeReceiver()
  }

  protected override upstreamMessage(pipe: Pipe, frames: Uint8Array[]): void {
    this.#inbox.push({ frames, pipe })
    this.wakeReceiver()
  }

  protected xrecv(): Uint8Array[] | undefined {
    const item = this.#inbox.shift()
    if (item === undefined) return undefined
    this.receivedFrom = item.pipe
    return item.frames
  }

  protected override xhasIn(): boolean {
    return this.#inbox.length > 0
  }
}

export interface XPublisher
  extends SocketOptionProperties,
    WritableOptionProperties,
    ReadableOptionProperties {
  noDrop: boolean
  verbosity: null | "allSubs" | "allSubsUnsubs"
  get welcomeMessage(): Uint8Array | null
  set welcomeMessage(value: string | Uint8Array | null)
}
