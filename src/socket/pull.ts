/** PULL (RFC 30 "PIPELINE"): messages fair-queued from the connected PUSH peers. */
import { COMMON_OPTIONS, READABLE_OPTIONS } from "./options.js"
import type {
  ConflateOptionProperties,
  ConflateSocketOptions,
  ReadableOptionProperties,
  ReadableSocketOptions,
  SocketOptionProperties,
  SocketOptions,
} from "./option-types.js"
import type { Pipe } from "./pipe.js"
import { Socket, type MessageWithPeer, type OperationOptions } from "./socket.js"

const OPTIONS = [...COMMON_OPTIONS, ...READABLE_OPTIONS, "conflate" as const]

export type PullOptions = SocketOptions & ReadableSocketOptions & ConflateSocketOptions

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Pull extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }

  constructor(options?: PullOptions) {
    super("PULL", ALLOWED_OPTIONS, options)
    if (new.target === Pull) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
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
  protected xdetach(_pipe: Pipe): void {}
  protected xsend(): boolean {
    return false
  }
  protected xrecv(): Uint8Array[] | undefined {
    const frames = this.fq.next()
    this.receivedFrom = this.fq.lastPipe
    return frames
  }
}

export interface Pull extends SocketOptionProperties, ReadableOptionProperties, ConflateOptionProperties {}
