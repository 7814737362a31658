/**
 * XPUB (RFC 29 "PUB-SUB"): a PUB that also receives. receive() returns subscription messages
 * — 0x01 + prefix when a prefix gets its first subscriber, 0x00 + prefix when its last one
 * cancels or goes away (all of them with `verbosity`) — and any other message a subscriber
 * sent upstream.
 *
 * What XPUB receives is queued per peer like any inbound message (fair-queued, counted against
 * receiveHighWaterMark, reading from that peer paused at the mark), so a subscriber that
 * streams subscriptions or upstream messages at an application that does not read them costs
 * at most the high-water mark, not unbounded memory.
 *
 * `manual` (ZMQ_XPUB_MANUAL): subscriptions from peers are reported (every one, duplicates and
 * cancellations included) but not applied; the application applies them with subscribe() /
 * unsubscribe(), which act on the peer of the last message received (as libzmq's
 * ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE on an XPUB). When that peer goes away, a 0x00 cancellation
 * is reported for each prefix the application applied to it.
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
import { socketError } from "./socket-error.js"
import type { MessageWithPeer, OperationOptions } from "./socket.js"
import { subscriptionMessage } from "../wire/commands.js"
import { argumentError, describeValue } from "../errors.js"

const OPTIONS: OptionName[] = [
  ...COMMON_OPTIONS,
  ...WRITABLE_OPTIONS,
  ...READABLE_OPTIONS,
  "noDrop",
  "verbosity",
  "welcomeMessage",
  "manual",
  "invertMatching",
  "maxSubscriptionSize",
  "maxSubscriptions",
]

export type XPublisherOptions = SocketOptions &
  WritableSocketOptions &
  ReadableSocketOptions & {
    /** ZMQ_XPUB_NODROP: wait (or fail with EAGAIN) instead of dropping for a full subscriber. */
    noDrop?: boolean
    /** ZMQ_XPUB_VERBOSE ("allSubs") / ZMQ_XPUB_VERBOSER ("allSubsUnsubs"): report duplicates too. */
    verbosity?: null | "allSubs" | "allSubsUnsubs"
    /** ZMQ_XPUB_WELCOME_MSG: a message sent to every new subscriber. */
    welcomeMessage?: string | Uint8Array | null
    /** ZMQ_XPUB_MANUAL (default false): report subscriptions, apply them only through subscribe()/unsubscribe(). */
    manual?: boolean
    /** ZMQ_INVERT_MATCHING (default false): send each message to the peers with no matching prefix. */
    invertMatching?: boolean
    /** Ironhouse (default 1024; -1 no limit): longest prefix a peer may subscribe to; longer drops it. */
    maxSubscriptionSize?: number
    /** Ironhouse (default 10 000; -1 no limit): most prefixes one peer may hold; one more drops it. */
    maxSubscriptions?: number
  }

const ALL = new Uint8Array(0)

function toPrefix(prefix: unknown): Uint8Array {
  if (typeof prefix === "string") return Buffer.from(prefix, "utf8")
  if (prefix instanceof Uint8Array) return new Uint8Array(prefix)
  throw argumentError("type", `expected a subscription prefix (string or Buffer), got ${describeValue(prefix)}`)
}

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class XPublisher extends PublisherBase {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }

  constructor(options?: XPublisherOptions) {
    super("XPUB", ALLOWED_OPTIONS, options)
    if (new.target === XPublisher) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
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

  /**
   * Manual mode: subscribe the peer that sent the last message received to each of `prefixes`
   * (to everything when none is given). Returns false when there is no such peer any more (it
   * went away, or nothing was received yet); nothing is applied then. Throws a SocketError
   * EINVAL unless `manual` is set (as libzmq's ZMQ_SUBSCRIBE on an XPUB).
   */
  subscribe(...prefixes: Array<Buffer | Uint8Array | string>): boolean {
    return this.#manualApply("subscribe", true, prefixes)
  }

  /** Manual mode: the reverse of subscribe() for the same peer. */
  unsubscribe(...prefixes: Array<Buffer | Uint8Array | string>): boolean {
    return this.#manualApply("unsubscribe", false, prefixes)
  }

  #manualApply(what: string, subscribe: boolean, prefixes: unknown[]): boolean {
    if (this.closed) throw socketError("EBADF")
    if (!this.option("manual")) throw socketError("EINVAL", `XPublisher.${what}() needs the manual option set to true`)
    const list = prefixes.length === 0 ? [ALL] : prefixes.map(toPrefix)
    const pipe = this.receivedFrom
    if (pipe === undefined || pipe.subscriptions === undefined) return false
    for (const prefix of list) this.applySubscription(pipe, subscribe, prefix)
    return true
  }

  protected override xready(pipe: Pipe): void {
    const welcome = this.option("welcomeMessage")
    if (welcome !== null) pipe.write([welcome])
  }

  protected override xsubscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    if (!this.option("manual")) {
      super.xsubscription(pipe, subscribe, topic)
      return
    }
    // Manual: nothing is stored for the peer, every request is the application's to judge.
    if (pipe.subscriptions === undefined) return
    if (subscribe && !this.subscriptionFits(pipe, topic)) return
    this.#queue(pipe, [subscriptionMessage(subscribe, topic)])
  }

  protected override notify(pipe: Pipe, subscribe: boolean, topic: Uint8Array, unique: boolean): void {
    const verbosity = this.option("verbosity")
    const report = unique || this.option("manual") || (subscribe ? verbosity !== null : verbosity === "allSubsUnsubs")
    if (!report) return
    this.#queue(pipe, [subscriptionMessage(subscribe, topic)])
  }

  protected override upstreamMessage(pipe: Pipe, frames: Uint8Array[]): void {
    this.#queue(pipe, frames)
  }

  /** Into the peer's inbound queue: its high-water mark and read pause apply (issue 7, defect 6). */
  #queue(pipe: Pipe, frames: Uint8Array[]): void {
    this.fq.push(pipe, frames)
    this.wakeReceiver()
  }

  protected xrecv(): Uint8Array[] | undefined {
    const frames = this.fq.next()
    this.receivedFrom = this.fq.lastPipe
    return frames
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
  manual: boolean
  invertMatching: boolean
  maxSubscriptionSize: number
  maxSubscriptions: number
}
