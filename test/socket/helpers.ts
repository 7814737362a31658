/**
 * Test helpers for the socket layer: build a socket of either implementation (Ironhouse or
 * the `zeromq` package, libzmq 4.3.5) behind one small interface, endpoints, payloads.
 */
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as zmq from "zeromq"
import * as ih from "../../src/index.js"
import type { SocketTypeName } from "../../src/wire/constants.js"
import type { PeerInfo } from "../../src/engine/peer-info.js"

export type Impl = "ironhouse" | "zeromq"

/** What the tests need from a socket of either implementation. */
export interface AnySocket {
  bind(address: string): Promise<void>
  connect(address: string): void
  close(): void
  readonly lastEndpoint: string | null
  send(message: Array<string | Buffer> | string | Buffer): Promise<void>
  receive(): Promise<Buffer[]>
  subscribe(...prefixes: string[]): void
  /** Ironhouse only: receive with the peer's metadata. */
  receiveWithPeer?(): Promise<{ message: Buffer[]; peer: PeerInfo }>
  receiveTimeout: number
}

type Options = Record<string, unknown>

const IRONHOUSE: Record<SocketTypeName, new (options?: Options) => unknown> = {
  PAIR: ih.Pair,
  PUSH: ih.Push,
  PULL: ih.Pull,
  REQ: ih.Request,
  REP: ih.Reply,
  DEALER: ih.Dealer,
  ROUTER: ih.Router,
  PUB: ih.Publisher,
  SUB: ih.Subscriber,
  XPUB: ih.XPublisher,
  XSUB: ih.XSubscriber,
} as unknown as Record<SocketTypeName, new (options?: Options) => unknown>

const ZEROMQ: Record<SocketTypeName, new (options?: Options) => unknown> = {
  PAIR: zmq.Pair,
  PUSH: zmq.Push,
  PULL: zmq.Pull,
  REQ: zmq.Request,
  REP: zmq.Reply,
  DEALER: zmq.Dealer,
  ROUTER: zmq.Router,
  PUB: zmq.Publisher,
  SUB: zmq.Subscriber,
  XPUB: zmq.XPublisher,
  XSUB: zmq.XSubscriber,
} as unknown as Record<SocketTypeName, new (options?: Options) => unknown>

/** A socket of `impl` and `type` with `options` (same option names in both). */
export function makeSocket(impl: Impl, type: SocketTypeName, options: Options = {}): AnySocket {
  const ctor = impl === "ironhouse" ? IRONHOUSE[type] : ZEROMQ[type]
  return new ctor(options) as AnySocket
}

/** Which implementation a socket from makeSocket() is. */
export function implOf(socket: AnySocket): Impl {
  return socket instanceof ih.Socket ? "ironhouse" : "zeromq"
}

let counter = 0
/** A fresh endpoint to bind: tcp on an ephemeral loopback port, or a unique ipc path. */
export function freshEndpoint(transport: "tcp" | "ipc"): string {
  if (transport === "tcp") return "tcp://127.0.0.1:*"
  counter++
  return `ipc://${join(tmpdir(), `ih-${process.pid}-${counter}-${randomBytes(3).toString("hex")}.sock`)}`
}

/** A large payload with a pattern that reveals reordering or truncation. */
export function bigPayload(size: number): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i += 4) b.writeUInt32LE(i >>> 2, Math.min(i, size - 4))
  return b
}

export const text = (b: Buffer | Uint8Array | undefined): string => (b === undefined ? "<none>" : Buffer.from(b).toString())

/** Wait (polling a condition, never asserting on time) until `check` returns true. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
