/**
 * Socket events (`socket.events`), with the `zeromq` Observer's names and shapes: an async
 * iterable of `{ type, address, ... }`, also readable with `receive()` or, mutually
 * exclusively, with `on(type, listener)` / `off()`.
 *
 * Like libzmq's monitor (a PAIR socket with a high-water mark of 1000), at most
 * {@link EVENT_QUEUE_LIMIT} unread events are kept; later ones are dropped until the
 * application reads. Events start when `socket.events` is first read, as in `zeromq`.
 */
import type { AuthError, ProtocolError } from "../errors.js"
import type { PeerInfo } from "../engine/peer-info.js"
import { Queue } from "./queue.js"
import { socketError } from "./socket-error.js"

export const EVENT_QUEUE_LIMIT = 1000

/** An error attached to an event: `code` always; `errno` for OS-level errors. */
export interface EventErrorDetail extends Error {
  code: string
  errno?: number
}

export type SocketEvent =
  | { type: "accept"; address: string }
  | { type: "accept:error"; address: string; error: EventErrorDetail }
  | { type: "bind"; address: string }
  | { type: "bind:error"; address: string; error: EventErrorDetail }
  | { type: "connect"; address: string }
  | { type: "connect:delay"; address: string }
  | { type: "connect:retry"; address: string; interval: number }
  | { type: "close"; address: string }
  /**
   * Ironhouse adds `error` when this side closed the connection because of what the peer sent
   * after its handshake (e.g. ERR_IRONHOUSE_TOO_MANY_SUBSCRIPTIONS); absent when the peer went away.
   */
  | { type: "disconnect"; address: string; error?: ProtocolError }
  /** Ironhouse adds the authenticated `peer` (frozen, shared with its messages). */
  | { type: "handshake"; address: string; peer: PeerInfo }
  | { type: "handshake:error:protocol"; address: string; error: ProtocolError }
  | { type: "handshake:error:auth"; address: string; error: AuthError }
  | { type: "handshake:error:other"; address: string; error: ProtocolError }
  | { type: "end" }

export type SocketEventType = SocketEvent["type"]
export type SocketEventOfType<T extends SocketEventType> = Extract<SocketEvent, { type: T }>

type Listener = (event: SocketEvent) => void

export class Observer {
  readonly #queue = new Queue<SocketEvent>()
  #waiter: { resolve(e: SocketEvent): void; reject(e: Error): void } | undefined
  #listeners: Map<SocketEventType, Set<Listener>> | undefined
  #dispatchScheduled = false
  #closed = false
  /** Called when a receive() starts or stops waiting (the socket keeps the process alive meanwhile). */
  readonly #onWaitingChange: (waiting: boolean) => void

  constructor(onWaitingChange: (waiting: boolean) => void = () => {}) {
    this.#onWaitingChange = onWaitingChange
  }

  /** Whether the observer was closed, by close() or because its socket closed. */
  get closed(): boolean {
    return this.#closed
  }

  /** Socket internals: record one event. */
  push(event: SocketEvent): void {
    if (this.#closed) return
    const waiter = this.#waiter
    if (waiter !== undefined) {
      this.#waiter = undefined
      this.#onWaitingChange(false)
      waiter.resolve(event)
      return
    }
    if (this.#queue.length >= EVENT_QUEUE_LIMIT) return
    this.#queue.push(event)
    if (this.#listeners !== undefined) this.#scheduleDispatch()
  }

  /** The next event; rejects with EAGAIN once closed and drained, EBUSY if a receive() waits. */
  receive(): Promise<SocketEvent> {
    if (this.#listeners !== undefined) {
      return Promise.reject(
        new Error("Observer is in event emitter mode. After a call to events.on() it is not possible to read events with events.receive()."),
      )
    }
    const event = this.#queue.shift()
    if (event !== undefined) return Promise.resolve(event)
    if (this.#closed) return Promise.reject(socketError("EAGAIN", "Observer is closed"))
    if (this.#waiter !== undefined) {
      return Promise.reject(socketError("EBUSY", "Observer is busy reading; only one receive operation may be in progress at any time"))
    }
    return new Promise<SocketEvent>((resolve, reject) => {
      this.#waiter = { resolve, reject }
      this.#onWaitingChange(true)
    })
  }

  /** Call `listener` for every event of `type` (switches to event emitter mode). */
  on<T extends SocketEventType>(type: T, listener: (event: SocketEventOfType<T>) => void): this {
    if (this.#listeners === undefined) {
      this.#listeners = new Map()
      if (this.#queue.length > 0) this.#scheduleDispatch()
    }
    let set = this.#listeners.get(type)
    if (set === undefined) this.#listeners.set(type, (set = new Set()))
    set.add(listener as Listener)
    return this
  }

  off<T extends SocketEventType>(type: T, listener: (event: SocketEventOfType<T>) => void): this {
    this.#listeners?.get(type)?.delete(listener as Listener)
    return this
  }

  /** Stop observing. A waiting receive() rejects with EAGAIN; the async iterator ends. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    const waiter = this.#waiter
    this.#waiter = undefined
    if (waiter !== undefined) {
      this.#onWaitingChange(false)
      waiter.reject(socketError("EAGAIN", "Observer is closed"))
    }
    if (this.#listeners !== undefined) this.#scheduleDispatch()
  }

  [Symbol.asyncIterator](): AsyncIterator<SocketEvent, undefined> {
    return {
      next: async (): Promise<IteratorResult<SocketEvent, undefined>> => {
        if (this.#closed && this.#queue.length === 0) return { done: true, value: undefined }
        try {
          return { done: false, value: await this.receive() }
        } catch (err) {
          if (this.#closed && (err as { code?: unknown }).code === "EAGAIN") return { done: true, value: undefined }
          throw err
        }
      },
    }
  }

  /** Listeners run from a microtask, never inside socket internals (they may close the socket). */
  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return
    this.#dispatchScheduled = true
    queueMicrotask(() => {
      this.#dispatchScheduled = false
      const listeners = this.#listeners
      if (listeners === undefined) return
      for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
        const set = listeners.get(event.type)
        if (set !== undefined) for (const listener of [...set]) listener(event)
      }
    })
  }
}
