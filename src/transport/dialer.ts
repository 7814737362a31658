/**
 * One connect() endpoint: dials, and redials with back-off (./backoff.ts) after a failed
 * attempt or a lost connection, until stopped. Reports what libzmq's monitor reports for a
 * connecter: `connect:delay` when an attempt starts, `close` when it fails, `connect:retry`
 * (with the interval) when the next one is scheduled. Its handles are unref'd: the socket
 * layer decides what keeps the process alive.
 */
import type { Socket } from "node:net"
import { Backoff } from "./backoff.js"
import type { Endpoint } from "./endpoint.js"
import { dialIpc } from "./ipc.js"
import { dialTcp, dialledPeerAddress, type TcpKeepaliveOptions } from "./tcp.js"

export interface DialerOptions {
  /** ms before the first retry; -1: never retry (ZMQ_RECONNECT_IVL). */
  reconnectInterval: number
  /** Upper bound of the doubling back-off; 0: no doubling (ZMQ_RECONNECT_IVL_MAX). */
  reconnectMaxInterval: number
  /** ms allowed for one TCP connect; 0: the OS default (ZMQ_CONNECT_TIMEOUT). */
  connectTimeout: number
  /** tcp: the family an interface-name source prefers for a host-name destination (ZMQ_IPV6). */
  ipv6?: boolean
  /** tcp: ZMQ_TCP_KEEPALIVE(_IDLE) for the connection (default: the OS's). */
  keepalive?: TcpKeepaliveOptions
}

export type DialerEvent =
  | { type: "connect:delay" }
  | { type: "connect:retry"; interval: number }
  | { type: "close"; error: Error | undefined }

export interface DialerHandlers {
  /** A transport connection is up; the dialer is idle until connectionLost() or stop(). */
  onConnected(socket: Socket, peerAddress: string): void
  onEvent(event: DialerEvent): void
}

export class Dialer {
  readonly endpoint: Endpoint
  readonly #options: DialerOptions
  readonly #handlers: DialerHandlers
  readonly #backoff: Backoff
  #attempt: Socket | undefined
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(endpoint: Endpoint, options: DialerOptions, handlers: DialerHandlers, random?: () => number) {
    this.endpoint = endpoint
    this.#options = options
    this.#handlers = handlers
    this.#backoff = new Backoff(options.reconnectInterval, options.reconnectMaxInterval, random)
  }

  get stopped(): boolean {
    return this.#stopped
  }

  /** Dial now. */
  start(): void {
    if (this.#stopped || this.#attempt !== undefined) return
    this.#clearTimer()
    let socket: Socket
    try {
      socket =
        this.endpoint.transport === "tcp"
          ? dialTcp(this.endpoint, {
              ...(this.#options.ipv6 !== undefined ? { ipv6: this.#options.ipv6 } : {}),
              ...(this.#options.keepalive !== undefined ? { keepalive: this.#options.keepalive } : {}),
            })
          : dialIpc(this.endpoint)
    } catch (err) {
      // The source interface is gone (or has no address of the family): like a failed
      // connect, reported and retried.
      this.#handlers.onEvent({ type: "connect:delay" })
      this.#handlers.onEvent({ type: "close", error: err instanceof Error ? err : new Error(String(err)) })
      this.#scheduleRetry()
      return
    }
    socket.unref()
    this.#attempt = socket
    let settled = false
    let timeout: NodeJS.Timeout | undefined
    const fail = (error: Error | undefined): void => {
      if (settled) return
      settled = true
      if (timeout !== undefined) clearTimeout(timeout)
      socket.removeListener("connect", onConnect)
      socket.destroy()
      this.#attempt = undefined
      if (this.#stopped) return
      this.#handlers.onEvent({ type: "close", error })
      this.#scheduleRetry()
    }
    const onConnect = (): void => {
      if (settled) return
      settled = true
      if (timeout !== undefined) clearTimeout(timeout)
      socket.removeListener("error", fail)
      socket.removeListener("close", onEarlyClose)
      this.#attempt = undefined
      this.#backoff.reset()
      const peer = this.endpoint.transport === "tcp" ? dialledPeerAddress(socket, this.endpoint) : ""
      this.#handlers.onConnected(socket, peer)
    }
    const onEarlyClose = (): void => fail(undefined)
    socket.once("connect", onConnect)
    socket.once("error", fail)
    socket.once("close", onEarlyClose)
    if (this.#options.connectTimeout > 0) {
      timeout = setTimeout(() => fail(new Error("connect timed out")), this.#options.connectTimeout)
      timeout.unref()
    }
    this.#handlers.onEvent({ type: "connect:delay" })
  }

  /** The connection from onConnected ended: dial again after the back-off interval. */
  connectionLost(): void {
    if (this.#stopped) return
    this.#scheduleRetry()
  }

  /** Never dial again; abandon an attempt in progress. */
  stop(): void {
    this.#stopped = true
    this.#clearTimer()
    const attempt = this.#attempt
    this.#attempt = undefined
    attempt?.destroy()
  }

  #scheduleRetry(): void {
    if (this.#options.reconnectInterval < 0 || this.#timer !== undefined) return
    const interval = this.#backoff.next()
    this.#handlers.onEvent({ type: "connect:retry", interval })
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.start()
    }, interval)
    this.#timer.unref()
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
