/**
 * ROUTER (RFC 28 "REQ-REP"): every received message is prefixed with the routing id of the
 * peer it came from; a sent message's first frame names the peer to route it to. A peer's
 * routing id is the Identity it announced in its handshake, or the id given to
 * connect(address, { routingId }), or else a generated 5-octet id (0x00 + a 32-bit counter,
 * like libzmq). A peer announcing an id already in use is ignored (its messages dropped, it
 * gets none) unless `handover` is set, in which case it takes the id over and the old
 * connection is closed.
 *
 * Unroutable messages are dropped, and so are messages for a peer at its high-water mark;
 * with `mandatory` (ZMQ_ROUTER_MANDATORY) the first fails with EHOSTUNREACH and the second
 * makes send() wait (or fail with EAGAIN after sendTimeout).
 */
import { randomInt } from "node:crypto"
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
  "mandatory",
  "handover",
]

export type RouterOptions = SocketOptions &
  WritableSocketOptions &
  ReadableSocketOptions &
  RoutingIdSocketOptions &
  ProbeRouterSocketOptions & {
    /** ZMQ_ROUTER_MANDATORY: unroutable messages fail with EHOSTUNREACH; full peers make send() wait. */
    mandatory?: boolean
    /** The name issue 3 uses for `mandatory` (ZMQ_ROUTER_MANDATORY). */
    routerMandatory?: boolean
    /** ZMQ_ROUTER_HANDOVER: a new peer with a routing id in use takes it over. */
    handover?: boolean
  }

export interface RouterConnectOptions {
  /** The routing id to give this peer (ZMQ_CONNECT_ROUTING_ID), 1-255 octets. */
  routingId?: string | Uint8Array
}

const EMPTY = new Uint8Array(0)

/** `routerMandatory` is accepted as another name for `mandatory`. */
function normalize(options: RouterOptions | undefined): RouterOptions | undefined {
  if (options === undefined || options === null || typeof options !== "object" || !("routerMandatory" in options)) return options
  const { routerMandatory, ...rest } = options
  return { ...rest, mandatory: routerMandatory as boolean }
}

/** Built once, not per socket (issue 13: socket set-up per connection). */
const ALLOWED_OPTIONS: ReadonlySet<string> = new Set(OPTIONS)

export class Router extends Socket {
  static {
    this.defineOptions(this.prototype, OPTIONS)
  }
  readonly #byId = new Map<string, Pipe>()
  #nextId = randomInt(0, 0xffffffff)

  constructor(options?: RouterOptions) {
    super("ROUTER", ALLOWED_OPTIONS, normalize(options))
    if (new.target === Router) Object.seal(this) // sealed like zeromq's sockets (issue 15): see Socket
  }

  /** Another name for `mandatory` (ZMQ_ROUTER_MANDATORY). */
  get routerMandatory(): boolean {
    return this.mandatory
  }
  set routerMandatory(value: boolean) {
    this.mandatory = value
  }

  /** Connect; `routingId` names this peer for routing instead of the id it announces. */
  override connect(address: string, options?: RouterConnectOptions): void {
    this.connectEndpoint(address, options?.routingId)
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

  #generateId(): Buffer {
    const id = Buffer.allocUnsafe(5)
    id[0] = 0
    id.writeUInt32BE(this.#nextId, 1)
    this.#nextId = (this.#nextId + 1) >>> 0
    return id
  }

  /**
   * A peer connected with `connect(address, { routingId })` is routable from connect() on, as
   * in libzmq (its pipe exists from zmq_connect unless `immediate`): messages to it wait in
   * its queue while the connection and handshake run, instead of failing with EHOSTUNREACH
   * under `mandatory` or being dropped (issue 15, item 7).
   */
  protected override attachAtConnect(pipe: Pipe): boolean {
    return pipe.connectRoutingId !== undefined
  }

  protected xattach(pipe: Pipe): boolean {
    const announced = pipe.peer?.routingId
    let id: Buffer
    if (pipe.connectRoutingId !== undefined) id = pipe.connectRoutingId
    else if (announced !== undefined && announced.length > 0) id = Buffer.from(announced)
    else id = this.#generateId()
    const key = id.toString("latin1")
    const existing = this.#byId.get(key)
    if (existing !== undefined && existing !== pipe) {
      if (!this.option("handover")) {
        pipe.routingId = undefined // ignored, like libzmq's anonymous pipes
        return true
      }
      // Handover: the old peer gets a throw-away id and its connection is closed.
      const spare = this.#generateId()
      existing.routingId = spare
      this.#byId.set(spare.toString("latin1"), existing)
      this.dropConnection(existing)
    }
    pipe.routingId = id
    this.#byId.set(key, pipe)
    return true
  }

  protected override xready(pipe: Pipe): void {
    if (pipe.routingId !== undefined && this.option("probeRouter")) pipe.write([EMPTY])
  }

  protected xdetach(pipe: Pipe): void {
    const id = pipe.routingId
    if (id === undefined) return
    const key = id.toString("latin1")
    if (this.#byId.get(key) === pipe) this.#byId.delete(key)
    pipe.routingId = undefined
  }

  protected override xmessage(pipe: Pipe, frames: Uint8Array[]): void {
    const id = pipe.routingId
    if (id === undefined) return
    // The id goes in now, so messages stay routable-back even if the peer leaves meanwhile.
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
    if (frames.length < 2) return true // an id without a body: dropped, like libzmq
    const idFrame = frames[0] as Uint8Array
    const key = Buffer.from(idFrame.buffer, idFrame.byteOffset, idFrame.byteLength).toString("latin1")
    const pipe = this.#byId.get(key)
    const mandatory = this.option("mandatory")
    if (pipe === undefined) {
      if (mandatory) throw socketError("EHOSTUNREACH")
      return true
    }
    if (!pipe.hasRoom) return !mandatory
    pipe.write(frames.slice(1))
    return true
  }

  protected override xhasOut(): boolean {
    return true
  }
}

export interface Router
  extends SocketOptionProperties,
    WritableOptionProperties,
    ReadableOptionProperties,
    RoutingIdOptionProperties,
    ProbeRouterOptionProperties {
  mandatory: boolean
  handover: boolean
}
