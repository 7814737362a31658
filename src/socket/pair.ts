/**
 * PAIR (RFC 31 "Exclusive Pair"): one peer at a time; a second peer's connection is closed at
 * its handshake. send() waits while there is no peer or its queue is full; nothing is dropped.
 */
import { COMMON_OPTIONS, READABLE_OPTIONS, WRITABLE_OPTIONS } from "./options.js"
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
import { Socket, type MessageWithPeer, type OperationOptions } from "./socket.js"

const OPTIONS = [...COMMON_OPTIONS, ...WRITABLE_OPTIONS, ...READABLE_OPTIONS]

export type PairOptions = SocketOptions & WritableSocketOptions & ReadableSocketOptions

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Pair extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  #pipe: Pipe | undefined

  constructor(options?: PairOptions) {
    super("PAIR", ALLOWED_OPTIONS, options)
    if (new.target === Pair) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
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
    if (this.#pipe !== undefined && this.#pipe !== pipe) return false
    this.#pipe = pipe
    return true
  }
  protected xdetach(pipe: Pipe): void {
    if (this.#pipe === pipe) this.#pipe = undefined
  }
  protected xsend(frames: Uint8Array[]): boolean {
    const pipe = this.#pipe
    if (pipe === undefined || !pipe.hasRoom) return false
    pipe.write(frames)
    return true
  }
  protected xrecv(): Uint8Array[] | undefined {
    const frames = this.fq.next()
    this.receivedFrom = this.fq.lastPipe
    return frames
  }
  protected override xhasOut(): boolean {
    return this.#pipe?.hasRoom ?? false
  }
}

export interface Pair extends SocketOptionProperties, WritableOptionProperties, ReadableOptionProperties {}
