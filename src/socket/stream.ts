/**
 * STREAM (zmq_socket(3) ZMQ_STREAM, `zeromq` v6's `Stream`): raw TCP to and from peers that do
 * not speak ZMTP — an HTTP client, a telnet session, a device. No greeting, no security.
 *
 * - Every message is `[routingId, data]`. receive() gives one message per chunk the operating
 *   system delivered (TCP has no message boundaries: a peer's write may arrive in pieces or
 *   merged); send([id, data]) writes `data` to that peer (further frames are written after
 *   it). An unknown id fails with EHOSTUNREACH, as libzmq's STREAM.
 * - send([id, ""]) (an empty data frame) closes that connection after what was sent before.
 * - `notify` (ZMQ_STREAM_NOTIFY, default true as in libzmq): a peer connecting or
 *   disconnecting is announced as `[id, ""]`.
 * - A routing id is generated per connection (0x00 + a 32-bit counter, like libzmq) unless
 *   connect(address, { routingId }) names it; a reconnect gets a new id.
 * - Back-pressure: send() waits while the peer's pipe is at sendHighWaterMark; reading pauses
 *   at receiveHighWaterMark chunks.
 * - tcp:// and ipc:// only (inproc:// is EPROTONOSUPPORT); security options do not apply.
 */
import { randomInt } from "node:crypto"
import { argumentError, describeValue } from "../errors.js"
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
import { Socket, type MessageWithPeer, type OperationOptions } from "./socket.js"
import { socketError } from "./socket-error.js"

const OPTIONS: OptionName[] = [...COMMON_OPTIONS, ...WRITABLE_OPTIONS, ...READABLE_OPTIONS]

export type StreamOptions = SocketOptions &
  WritableSocketOptions &
  ReadableSocketOptions & {
    /** ZMQ_STREAM_NOTIFY (default true): deliver `[id, ""]` when a peer connects or disconnects. */
    notify?: boolean
  }

export interface StreamConnectOptions {
  /** The routing id for this connection (1-255 octets, not starting with a zero octet). */
  routingId?: string | Uint8Array
}

const EMPTY = Buffer.alloc(0)

function splitOptions(options: StreamOptions | undefined): { notify: unknown; rest: object | undefined } {
  if (options === undefined || options === null || typeof options !== "object" || !("notify" in options)) {
    return { notify: undefined, rest: options }
  }
  const { notify, ...rest } = options
  return { notify, rest }
}

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Stream extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  readonly #byId = new Map<string, Pipe>()
  #nextId = randomInt(0, 0xffffffff)
  #notify = true

  constructor(options?: StreamOptions) {
    const { notify, rest } = splitOptions(options)
    super("STREAM", ALLOWED_OPTIONS, rest)
    if (notify !== undefined) this.notify = notify as boolean
    if (new.target === Stream) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
  }

  /** ZMQ_STREAM_NOTIFY: announce connects and disconnects as `[id, ""]` (default true). */
  get notify(): boolean {
    return this.#notify
  }
  set notify(value: boolean) {
    if (typeof value !== "boolean") throw argumentError("type", `notify: expected a boolean, got ${describeValue(value)}`)
    this.#notify = value
  }

  /** Connect to a TCP server; `routingId` names the connection instead of a generated id. */
  override connect(address: string, options?: StreamConnectOptions): void {
    const id = options?.routingId
    if (id !== undefined) {
      const bytes = typeof id === "string" ? Buffer.from(id) : id
      if (!(bytes instanceof Uint8Array)) throw argumentError("type", `routingId: expected a string or Uint8Array, got ${describeValue(id)}`)
      if (bytes.length === 0 || bytes.length > 255) {
        throw argumentError("range", `routingId: expected 1-255 octets, got ${bytes.length}`)
      }
      if (bytes[0] === 0) throw argumentError("range", "routingId: must not start with a zero octet (reserved for generated ids)")
    }
    this.connectEndpoint(address, id)
  }

  send(message: [MessageLike, MessageLike] | MessageLike[], options?: OperationOptions): Promise<void> {
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

  protected override get rawTransport(): boolean {
    return true
  }

  #generateId(): Buffer {
    const id = Buffer.allocUnsafe(5)
    id[0] = 0
    id.writeUInt32BE(this.#nextId, 1)
    this.#nextId = (this.#nextId + 1) >>> 0
    return id
  }

  protected xattach(pipe: Pipe): boolean {
    let id = pipe.connectRoutingId ?? this.#generateId()
    if (this.#byId.has(id.toString("latin1"))) id = this.#generateId() // a second connect with the same id
    pipe.routingId = id
    this.#byId.set(id.toString("latin1"), pipe)
    if (this.#notify) this.#announce(pipe, id)
    return true
  }

  protected xdetach(pipe: Pipe): void {
    const id = pipe.routingId
    if (id === undefined) return
    const key = id.toString("latin1")
    if (this.#byId.get(key) === pipe) this.#byId.delete(key)
    pipe.routingId = undefined
    if (this.#notify && !this.closed) this.#announce(pipe, id)
  }

  #announce(pipe: Pipe, id: Buffer): void {
    this.fq.push(pipe, [id, EMPTY])
    this.wakeReceiver()
  }

  protected override xmessage(pipe: Pipe, frames: Uint8Array[]): void {
    const id = pipe.routingId
    if (id === undefined) return
    frames.unshift(id)
    this.fq.push(pipe, frames)
    this.wakeReceiver()
  }

  protected xrecv(): Uint8Array[] | undefined {
    const frames = this.fq.next()
    this.receivedFrom = this.fq.lastPipe
    return frames
  }

  protected xsend(frames: Uint8Array[]): boolean {
    if (frames.length < 2) {
      throw argumentError("type", `expected a Stream message [routingId, data], got ${frames.length} frame`)
    }
    const idFrame = frames[0] as Uint8Array
    const key = Buffer.from(idFrame.buffer, idFrame.byteOffset, idFrame.byteLength).toString("latin1")
    const pipe = this.#byId.get(key)
    if (pipe === undefined) throw socketError("EHOSTUNREACH")
    if (!pipe.hasRoom) return false
    pipe.write(frames.slice(1))
    return true
  }

  protected override xhasOut(): boolean {
    return true
  }
}

export interface Stream extends SocketOptionProperties, WritableOptionProperties, ReadableOptionProperties {}
