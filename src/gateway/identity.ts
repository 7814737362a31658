/**
 * Identity inward (opt-in, `identity = "user-id" | "public-key" | "json"` on a server-side
 * route): the gateway adds ONE frame with the authenticated identity of the outside peer to
 * every message it forwards inward, so an application behind it can tell its clients apart
 * without speaking CURVE (ghostunnel answers the same need with the PROXY protocol,
 * ghostunnel#698). Off by default: unmodified applications see exactly their own messages.
 *
 * Framing (documented in the README's gateway section):
 * - req-rep: the frame goes right after the envelope's empty delimiter, so a REP application
 *   receives `[identity, ...request]` and replies as usual (REP keeps the envelope, and the
 *   identity frame is not part of it: the reply carries only what the app sends). A ROUTER
 *   application sees `[dealer-id, client-id, "", identity, ...request]`. A message without a
 *   delimiter (a DEALER client that sends none) gets the frame after its routing id.
 * - push-pull (flow "in"): the frame comes first: `[identity, ...message]`.
 * - Content: "user-id": the User-Id the Authenticator gave (CURVE: the client key in Z85, or
 *   what a key check returned; PLAIN: the user name), UTF-8; "public-key": the client's CURVE
 *   public key, 40 Z85 characters; "json": `{"userId","publicKey","address","mechanism","route"}`
 *   as UTF-8 JSON (publicKey omitted for PLAIN).
 *
 * `IdentityForwarder` is the Proxy's former loop (one message per direction in flight, each send
 * awaited, so back-pressure reaches the producer) with receiveWithPeer() on the outside
 * socket; the Proxy itself cannot stamp, as it never sees peers.
 */
import type { PeerInfo } from "../engine/peer-info.js"
import type { ProxyStatistics } from "../socket/proxy.js"
import type { MessageWithPeer, OperationOptions, Socket } from "../socket/socket.js"
import { SocketError } from "../socket/socket-error.js"
import type { IdentityMode } from "./config.js"

const EMPTY = Buffer.alloc(0)

/** The identity frame for one peer (pure). */
export function identityFrame(mode: Exclude<IdentityMode, "off">, peer: PeerInfo, route: string): Buffer {
  switch (mode) {
    case "user-id":
      return Buffer.from(peer.userId, "utf8")
    case "public-key":
      return peer.publicKey === undefined ? EMPTY : Buffer.from(peer.publicKey, "latin1")
    case "json":
      return Buffer.from(
        JSON.stringify({ userId: peer.userId, ...(peer.publicKey !== undefined ? { publicKey: peer.publicKey } : {}), address: peer.address, mechanism: peer.mechanism, route }),
        "utf8",
      )
  }
}

/** Insert the identity frame where the pattern wants it (pure; the frames are not copied). */
export function stamp(frames: Buffer[], identity: Buffer, pattern: "req-rep" | "push-pull"): Buffer[] {
  if (pattern === "push-pull") return [identity, ...frames]
  let at = frames.findIndex((f) => f.length === 0)
  at = at < 0 ? Math.min(1, frames.length) : at + 1
  return [...frames.slice(0, at), identity, ...frames.slice(at)]
}

interface Receiving {
  receiveWithPeer(options?: OperationOptions): Promise<MessageWithPeer>
}
interface Sending {
  send(frames: Buffer[], options?: OperationOptions): Promise<void>
}
interface PlainReceiving {
  receive(options?: OperationOptions): Promise<Buffer[]>
}

const STOPPED = Object.freeze({ stopped: true })

function size(frames: readonly Buffer[]): number {
  let n = 0
  for (const f of frames) n += f.length
  return n
}

export class IdentityForwarder {
  readonly #outside: Socket
  readonly #inside: Socket
  readonly #mode: Exclude<IdentityMode, "off">
  readonly #pattern: "req-rep" | "push-pull"
  readonly #route: string
  readonly #stop = new AbortController()
  readonly #stamps = new WeakMap<PeerInfo, Buffer>()
  #running = false
  readonly #stats: ProxyStatistics = {
    frontEnd: { received: 0, receivedBytes: 0, sent: 0, sentBytes: 0 },
    backEnd: { received: 0, receivedBytes: 0, sent: 0, sentBytes: 0 },
    dropped: 0,
  }

  /** `outside` is the front end (ROUTER or PULL), `inside` the back end (DEALER or PUSH). */
  constructor(outside: Socket, inside: Socket, mode: Exclude<IdentityMode, "off">, pattern: "req-rep" | "push-pull", route: string) {
    this.#outside = outside
    this.#inside = inside
    this.#mode = mode
    this.#pattern = pattern
    this.#route = route
  }

  get running(): boolean {
    return this.#running
  }

  statistics(): ProxyStatistics {
    return { frontEnd: { ...this.#stats.frontEnd }, backEnd: { ...this.#stats.backEnd }, dropped: this.#stats.dropped }
  }

  /** Forward until terminate(); then close both sockets. Rejects (after closing) on a socket failure. */
  async run(): Promise<void> {
    this.#running = true
    const signal = this.#stop.signal
    let failure: unknown
    const fail = (error: unknown): void => {
      if (error !== STOPPED && failure === undefined && !signal.aborted) failure = error
      this.#stop.abort(STOPPED)
    }
    const loops = [this.#inward(signal).catch(fail)]
    if (this.#pattern === "req-rep") loops.push(this.#outward(signal).catch(fail))
    await Promise.all(loops)
    this.#running = false
    this.#outside.close()
    this.#inside.close()
    if (failure !== undefined) throw failure
  }

  terminate(): void {
    this.#stop.abort(STOPPED)
  }

  #identity(peer: PeerInfo): Buffer {
    let frame = this.#stamps.get(peer)
    if (frame === undefined) {
      frame = identityFrame(this.#mode, peer, this.#route)
      this.#stamps.set(peer, frame)
    }
    return frame
  }

  async #inward(signal: AbortSignal): Promise<void> {
    const from = this.#outside as unknown as Receiving // ROUTER or PULL: both have receiveWithPeer
    const to = this.#inside as unknown as Sending // DEALER or PUSH
    while (!signal.aborted) {
      const { message, peer } = await from.receiveWithPeer({ signal })
      this.#stats.frontEnd.received++
      this.#stats.frontEnd.receivedBytes += size(message)
      await to.send(stamp(message, this.#identity(peer), this.#pattern), { signal })
      this.#stats.backEnd.sent++
      this.#stats.backEnd.sentBytes += size(message)
    }
  }

  async #outward(signal: AbortSignal): Promise<void> {
    const from = this.#inside as unknown as PlainReceiving // DEALER
    const to = this.#outside as unknown as Sending // ROUTER
    while (!signal.aborted) {
      const message = await from.receive({ signal })
      this.#stats.backEnd.received++
      this.#stats.backEnd.receivedBytes += size(message)
      try {
        await to.send(message, { signal })
      } catch (error) {
        if (error instanceof SocketError && error.code === "EHOSTUNREACH") {
          this.#stats.dropped++
          continue
        }
        throw error
      }
      this.#stats.frontEnd.sent++
      this.#stats.frontEnd.sentBytes += size(message)
    }
  }
}
