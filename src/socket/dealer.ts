/**
 * DEALER (RFC 28 "REQ-REP"): round-robin out to peers with room, fair-queued in. send() waits
 * when every peer is full or none is connected; nothing is dropped.
 */
import { LoadBalancer } from "./load-balancer.js"
import { COMMON_OPTIONS, READABLE_OPTIONS, WRITABLE_OPTIONS } from "./options.js"
import type {
  ConflateOptionProperties,
  ConflateSocketOptions,
  ProbeRouterOptionProperties,
  ProbeRouterSocketOptions,
  ReadableOptionProperties,
  ReadableSocketOptions,
  RoutingIdOptionProperties,
  RoutingIdSocketOptions,
  SocketOptionProperties,
  SocketOptions,
  WritableOptionProperties,
  WritableSocketOptions,
} from "./option-types.js"
import type { MessageLike } from "./message.js"
import type { Pipe } from "./pipe.js"
import { Socket, type MessageWithPeer, type OperationOptions } from "./socket.js"
import type { OptionName } from "./options.js"

const OPTIONS: OptionName[] = [...COMMON_OPTIONS, ...WRITABLE_OPTIONS, ...READABLE_OPTIONS, "routingId", "probeRouter", "conflate"]

export type DealerOptions = SocketOptions &
  WritableSocketOptions &
  ReadableSocketOptions &
  RoutingIdSocketOptions &
  ProbeRouterSocketOptions &
  ConflateSocketOptions

const EMPTY = new Uint8Array(0)

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Dealer extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  readonly #lb = new LoadBalancer()

  constructor(options?: DealerOptions) {
    super("DEALER", ALLOWED_OPTIONS, options)
    if (new.target === Dealer) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
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

  protected override get earlyAttach(): boolean {
    return true
  }
  protected xattach(pipe: Pipe): boolean {
    this.#lb.add(pipe)
    return true
  }
  protected override xready(pipe: Pipe): void {
    if (this.option("probeRouter")) pipe.write([EMPTY])
  }
  protected xdetach(pipe: Pipe): void {
    this.#lb.remove(pipe)
  }
  protected xsend(frames: Uint8Array[]): boolean {
    const pipe = this.#lb.pick()
    if (pipe === undefined) return false
    pipe.write(frames)
    return true
  }
  protected xrecv(): Uint8Array[] | undefined {
    const frames = this.fq.next()
    this.receivedFrom = this.fq.lastPipe
    return frames
  }
  protected override xhasOut(): boolean {
    return this.#lb.hasRoom
  }
}

export interface Dealer
  extends SocketOptionProperties,
    WritableOptionProperties,
    ReadableOptionProperties,
    RoutingIdOptionProperties,
    ProbeRouterOptionProperties,
    ConflateOptionProperties {}
