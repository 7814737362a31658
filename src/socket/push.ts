/**
 * PUSH (RFC 30 "PIPELINE"): messages go round-robin to the connected PULL peers that have
 * room. send() waits when every peer is full or none is connected; nothing is dropped.
 * Connect-side peers take messages before their connection exists (unless `immediate`).
 */
import { LoadBalancer } from "./load-balancer.js"
import { COMMON_OPTIONS, WRITABLE_OPTIONS } from "./options.js"
import type {
  ConflateOptionProperties,
  ConflateSocketOptions,
  SocketOptionProperties,
  SocketOptions,
  WritableOptionProperties,
  WritableSocketOptions,
} from "./option-types.js"
import type { MessageLike } from "./message.js"
import type { Pipe } from "./pipe.js"
import { Socket, type OperationOptions } from "./socket.js"

const OPTIONS = [...COMMON_OPTIONS, ...WRITABLE_OPTIONS, "conflate" as const]

export type PushOptions = SocketOptions & WritableSocketOptions & ConflateSocketOptions

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Push extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  readonly #lb = new LoadBalancer()

  constructor(options?: PushOptions) {
    super("PUSH", ALLOWED_OPTIONS, options)
    if (new.target === Push) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
  }

  send(message: MessageLike | MessageLike[], options?: OperationOptions): Promise<void> {
    return this.sendMessage(message, options)
  }

  protected override get earlyAttach(): boolean {
    return true
  }
  protected xattach(pipe: Pipe): boolean {
    this.#lb.add(pipe)
    return true
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
    return undefined
  }
  /** A PULL peer never sends; anything that comes is dropped. */
  protected override xmessage(): void {}
  protected override xhasOut(): boolean {
    return this.#lb.hasRoom
  }
}

export interface Push extends SocketOptionProperties, WritableOptionProperties, ConflateOptionProperties {}
