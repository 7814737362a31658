/**
 * REQ (RFC 28 "REQ-REP"): strict alternation of send() and receive(). A request goes to the
 * next peer with room (round-robin) behind an empty delimiter frame; only a reply from that
 * peer, starting with the delimiter, is accepted (others are dropped). send() during a
 * request and receive() before one reject with EFSM. `relaxed` allows a new request at any
 * time; `correlate` prefixes each request with a request id and accepts only the reply that
 * carries it (libzmq ZMQ_REQ_RELAXED / ZMQ_REQ_CORRELATE).
 *
 * If the peer that got the request goes away for good, the reply never comes: use
 * receiveTimeout, or `relaxed` to send the request again.
 */
import { randomInt } from "node:crypto"
import { LoadBalancer } from "./load-balancer.js"
import { COMMON_OPTIONS, READABLE_OPTIONS, WRITABLE_OPTIONS, type OptionName } from "./options.js"
import type {
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
import { socketError } from "./socket-error.js"

const OPTIONS: OptionName[] = [
  ...COMMON_OPTIONS,
  ...WRITABLE_OPTIONS,
  ...READABLE_OPTIONS,
  "routingId",
  "probeRouter",
  "correlate",
  "relaxed",
]

export type RequestOptions = SocketOptions &
  WritableSocketOptions &
  ReadableSocketOptions &
  RoutingIdSocketOptions &
  ProbeRouterSocketOptions & {
    /** ZMQ_REQ_CORRELATE: prefix requests with a request id; accept only the matching reply. */
    correlate?: boolean
    /** ZMQ_REQ_RELAXED: allow a new request before the previous reply arrived. */
    relaxed?: boolean
  }

const EMPTY = new Uint8Array(0)

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Request extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  readonly #lb = new LoadBalancer()
  #receivingReply = false
  #replyPipe: Pipe | undefined
  #requestId = randomInt(0, 0xffffffff)

  constructor(options?: RequestOptions) {
    super("REQ", ALLOWED_OPTIONS, options)
    if (new.target === Request) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
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
    // libzmq (req.cpp xpipe_terminated): then accept the reply from any peer.
    if (this.#replyPipe === pipe) this.#replyPipe = undefined
  }

  protected xsend(frames: Uint8Array[]): boolean {
    if (this.#receivingReply && !this.option("relaxed")) {
      throw socketError("EFSM", "Operation cannot be accomplished in current state: a REQ socket must receive the reply before sending again")
    }
    const pipe = this.#lb.pick()
    if (pipe === undefined) return false
    // Drop replies still queued from earlier requests (libzmq req.cpp does the same).
    while (this.fq.next() !== undefined) {
      /* discard */
    }
    let request: Uint8Array[]
    if (this.option("correlate")) {
      this.#requestId = (this.#requestId + 1) >>> 0
      const id = Buffer.allocUnsafe(4)
      id.writeUInt32LE(this.#requestId) // libzmq copies the uint32 in host order
      request = [id, EMPTY, ...frames]
    } else {
      request = [EMPTY, ...frames]
    }
    pipe.write(request)
    this.#replyPipe = pipe
    this.#receivingReply = true
    return true
  }

  protected xrecv(): Uint8Array[] | undefined {
    if (!this.#receivingReply) {
      throw socketError("EFSM", "Operation cannot be accomplished in current state: a REQ socket must send a request first")
    }
    const correlate = this.option("correlate")
    for (;;) {
      const frames = this.fq.next()
      if (frames === undefined) return undefined
      const pipe = this.fq.lastPipe
      if (this.#replyPipe !== undefined && pipe !== this.#replyPipe) continue
      let start = 0
      if (correlate) {
        const id = frames[0] as Uint8Array
        if (id.length !== 4 || Buffer.from(id.buffer, id.byteOffset, 4).readUInt32LE(0) !== this.#requestId) continue
        start = 1
      }
      // The delimiter, followed by at least one body frame (RFC 28).
      if (frames.length < start + 2 || (frames[start] as Uint8Array).length !== 0) continue
      frames.splice(0, start + 1)
      this.#receivingReply = false
      this.receivedFrom = pipe
      return frames
    }
  }

  protected override xhasIn(): boolean {
    return this.#receivingReply && this.fq.hasMessages
  }
  protected override xhasOut(): boolean {
    return !(this.#receivingReply && !this.option("relaxed")) && this.#lb.hasRoom
  }
}

export interface Request
  extends SocketOptionProperties,
    WritableOptionProperties,
    ReadableOptionProperties,
    RoutingIdOptionProperties,
    ProbeRouterOptionProperties {
  correlate: boolean
  relaxed: boolean
}
