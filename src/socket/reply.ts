/**
 * REP (RFC 28 "REQ-REP"): strict alternation of receive() and send(). A request is taken by
 * fair-queuing; its envelope (every frame up to and including the empty delimiter) is kept
 * and put back in front of the reply, which goes to the peer the request came from (dropped
 * silently if that peer is gone, like libzmq). receive() while a reply is due and send()
 * without a request reject with EFSM. Requests without a delimiter are dropped.
 */
import { COMMON_OPTIONS, READABLE_OPTIONS, WRITABLE_OPTIONS, type OptionName } from "./options.js"
import type {
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

const OPTIONS: OptionName[] = [...COMMON_OPTIONS, ...WRITABLE_OPTIONS, ...READABLE_OPTIONS, "routingId"]

export type ReplyOptions = SocketOptions & WritableSocketOptions & ReadableSocketOptions & RoutingIdSocketOptions

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Reply extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  #sendingReply = false
  #envelope: Uint8Array[] = []
  #replyPipe: Pipe | undefined

  constructor(options?: ReplyOptions) {
    super("REP", ALLOWED_OPTIONS, options)
    if (new.target === Reply) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
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

  protected xattach(_pipe: Pipe): boolean {
    return true
  }
  protected xdetach(pipe: Pipe): void {
    if (this.#replyPipe === pipe) this.#replyPipe = undefined
  }

  protected xrecv(): Uint8Array[] | undefined {
    if (this.#sendingReply) {
      throw socketError("EFSM", "Operation cannot be accomplished in current state: a REP socket must send the reply first")
    }
    for (;;) {
      const frames = this.fq.next()
      if (frames === undefined) return undefined
      let delimiter = -1
      for (let i = 0; i < frames.length; i++) {
        if ((frames[i] as Uint8Array).length === 0) {
          delimiter = i
          break
        }
      }
      if (delimiter < 0 || delimiter === frames.length - 1) continue // malformed: no envelope or no body
      this.#envelope = frames.splice(0, delimiter + 1)
      this.#replyPipe = this.fq.lastPipe
      this.#sendingReply = true
      this.receivedFrom = this.#replyPipe
      return frames
    }
  }

  protected xsend(frames: Uint8Array[]): boolean {
    if (!this.#sendingReply) {
      throw socketError("EFSM", "Operation cannot be accomplished in current state: a REP socket must receive a request first")
    }
    const pipe = this.#replyPipe
    const envelope = this.#envelope
    this.#sendingReply = false
    this.#replyPipe = undefined
    this.#envelope = []
    // Like a ROUTER without `mandatory`: a reply to a peer that is gone or full is dropped.
    if (pipe !== undefined && pipe.attached && pipe.hasRoom) pipe.write(envelope.concat(frames))
    return true
  }

  protected override xhasIn(): boolean {
    return !this.#sendingReply && this.fq.hasMessages
  }
  protected override xhasOut(): boolean {
    return this.#sendingReply
  }
}

export interface Reply
  extends SocketOptionProperties,
    WritableOptionProperties,
    ReadableOptionProperties,
    RoutingIdOptionProperties {}
