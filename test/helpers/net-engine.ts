/**
 * Test helper: our engine driven by a plain node:net socket (no socket layer), with its
 * events turned into awaitable values.
 */
import net from "node:net"
import type { ConnectionEvent, ConnectionOptions } from "../../src/engine/connection.js"
import { StreamConnection } from "../../src/transport/stream-connection.js"

type EventOf<T extends ConnectionEvent["type"]> = Extract<ConnectionEvent, { type: T }>

/** Events of one engine connection as an awaitable queue. */
export class EngineProbe {
  readonly events: ConnectionEvent[] = []
  conn: StreamConnection | undefined
  closed = false
  #waiters: Array<() => void> = []

  push(event: ConnectionEvent): void {
    this.events.push(event)
    this.#wake()
  }

  markClosed(): void {
    this.closed = true
    this.#wake()
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  /** Wait for the next event of `type` (consuming it and everything before it). */
  async next<T extends ConnectionEvent["type"]>(type: T, timeoutMs = 5000): Promise<EventOf<T>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.events.findIndex((e) => e.type === type)
      if (i >= 0) {
        const [event] = this.events.splice(0, i + 1).slice(-1)
        return event as EventOf<T>
      }
      if (type !== "error") {
        const err = this.events.find((e) => e.type === "error")
        if (err && err.type === "error") throw new Error(`engine failed: ${err.error.code}: ${err.error.message}`)
      }
      if (this.closed && type !== "error") throw new Error(`connection closed while waiting for ${type}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for ${type}; saw ${this.events.map((e) => e.type).join(",")}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Wait until the transport closed. */
  async untilClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error("timed out waiting for close")
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  send(frames: Uint8Array[]): void {
    if (!this.conn) throw new Error("not connected")
    this.conn.send(frames)
  }

  close(): void {
    this.conn?.destroy()
  }
}

function attach(socket: net.Socket, options: ConnectionOptions, probe: EngineProbe): void {
  probe.conn = new StreamConnection(socket, options, {
    onEvent: (event) => probe.push(event),
    onClose: () => probe.markClosed(),
  })
}

/** Connect our engine (as the connecting side) to host:port. */
export async function connectEngine(port: number, options: ConnectionOptions, host = "127.0.0.1"): Promise<EngineProbe> {
  const probe = new EngineProbe()
  const socket = net.connect({ port, host })
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  attach(socket, { peerAddress: host, ...options }, probe)
  return probe
}

/** Listen with our engine on an ephemeral loopback port; each accepted connection gets a probe. */
export async function listenEngine(
  options: ConnectionOptions,
): Promise<{ port: number; accepted: Promise<EngineProbe>; probes: EngineProbe[]; close(): Promise<void> }> {
  const probes: EngineProbe[] = []
  let first: (p: EngineProbe) => void = () => {}
  const accepted = new Promise<EngineProbe>((resolve) => (first = resolve))
  const server = net.createServer((socket) => {
    const probe = new EngineProbe()
    attach(socket, { peerAddress: socket.remoteAddress ?? "", ...options }, probe)
    probes.push(probe)
    if (probes.length === 1) first(probe)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no port")
  return {
    port: address.port,
    accepted,
    probes,
    close: async () => {
      for (const p of probes) p.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const str = (b: Uint8Array): string => new TextDecoder().decode(b)
