/** Shared pieces of the TLS tests: the fixture certificates and socket pairs of both libraries. */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as zmq from "zeromq"
import { Dealer, Request, Router } from "../../src/index.js"
import type { MessageSocket } from "../../src/tls/index.js"

zmq.context.blocky = false

const dir = fileURLToPath(new URL("../../../test/fixtures/tls/", import.meta.url))
const read = (name: string): Buffer => readFileSync(dir + name)

export const pem = {
  ca: read("ca.crt"),
  serverCert: read("server.crt"),
  serverKey: read("server.key"),
  clientCert: read("client.crt"),
  clientKey: read("client.key"),
  otherCa: read("other-ca.crt"),
  strangerCert: read("stranger.crt"),
  strangerKey: read("stranger.key"),
  otherServerCert: read("other-server.crt"),
  otherServerKey: read("other-server.key"),
}

export const serverTls = { key: pem.serverKey, cert: pem.serverCert }
export const clientTls = { ca: pem.ca }
export const mutualServer = { ...serverTls, ca: pem.ca, requestCert: true }
export const mutualClient = { ca: pem.ca, key: pem.clientKey, cert: pem.clientCert }

export type Lib = "ironhouse" | "zeromq"

export interface Closable extends MessageSocket {
  close(): void
}

export interface RouterLike extends Closable {
  bind(address: string): Promise<void>
  readonly lastEndpoint: string | null
}

export interface ClientLike extends Closable {
  connect(address: string): void
}

/** `handover`: a reconnecting peer with a routing id in use takes it over (ZMQ_ROUTER_HANDOVER). */
export function router(lib: Lib, handover = false): RouterLike {
  const o = { linger: 0, handover }
  return (lib === "ironhouse" ? new Router(o) : new zmq.Router(o)) as unknown as RouterLike
}

export function dealer(lib: Lib, routingId?: string): ClientLike {
  const o = { linger: 0, ...(routingId !== undefined ? { routingId } : {}) }
  return (lib === "ironhouse" ? new Dealer(o) : new zmq.Dealer(o)) as unknown as ClientLike
}

export function request(lib: Lib, routingId?: string): ClientLike {
  const o = { linger: 0, ...(routingId !== undefined ? { routingId } : {}) }
  return (lib === "ironhouse" ? new Request(o) : new zmq.Request(o)) as unknown as ClientLike
}

export async function boundRouter(lib: Lib, handover = false): Promise<{ socket: RouterLike; address: string }> {
  const socket = router(lib, handover)
  await socket.bind("tcp://127.0.0.1:*")
  return { socket, address: socket.lastEndpoint as string }
}

/** Resolves when `predicate` holds (checked every 10 ms); fails after `ms`. */
export async function until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const text = (frames: Buffer[]): string[] => frames.map((f) => f.toString())

/** A `zeromq` ROUTER↔DEALER proxy in front of `serverAddress`; clients connect to `address`. */
export async function proxyTo(serverAddress: string): Promise<{ address: string; stop: () => Promise<void> }> {
  const front = new zmq.Router({ linger: 0 })
  const back = new zmq.Dealer({ linger: 0 })
  const proxy = new zmq.Proxy(front, back)
  await front.bind("tcp://127.0.0.1:*")
  back.connect(serverAddress)
  const running = proxy.run()
  return {
    address: front.lastEndpoint as string,
    stop: async () => {
      proxy.terminate()
      await running
      front.close()
      back.close()
    },
  }
}

/** Records a TlsServer's session ends and drops, and lets a test wait for one. */
export function watch(server: import("../../src/index.js").TlsServer): {
  ends: Array<{ key: string; reason: string; error: string | undefined }>
  drops: Array<{ key: string | null; reason: string }>
  ended: (key: string, reason: string) => Promise<void>
} {
  const ends: Array<{ key: string; reason: string; error: string | undefined }> = []
  const drops: Array<{ key: string | null; reason: string }> = []
  server.on("session:end", (e) => ends.push({ key: e.key.toString(), reason: e.reason, error: e.error?.message }))
  server.on("drop", (e) => drops.push({ key: e.key?.toString() ?? null, reason: e.reason }))
  return {
    ends,
    drops,
    ended: (key, reason) =>
      until(() => ends.some((e) => e.key === key && e.reason === reason), `session ${key} ends with ${reason}`),
  }
}

/** A client that keeps exchanging: `check()` proves its session still works (same server session). */
export async function bystander(
  lib: Lib,
  address: string,
  routingId = "bystander",
  tlsOptions: import("../../src/index.js").TlsClientOptions = clientTls,
): Promise<{ check: () => Promise<void>; close: () => Promise<void> }> {
  const { TlsClient } = await import("../../src/index.js")
  const socket = dealer(lib, routingId)
  socket.connect(address)
  const client = new TlsClient(socket, tlsOptions)
  let ended = false
  client.on("end", () => (ended = true))
  let n = 0
  const check = async (): Promise<void> => {
    const body = `bystander ${n++}`
    await client.send(body)
    const reply = await client.receive()
    if (!reply.some((f) => f.toString() === body)) throw new Error(`bystander got ${reply.map(String).join("|")}`)
    if (ended) throw new Error("the bystander's session ended")
  }
  await check()
  return {
    check,
    close: async () => {
      await client.close()
      socket.close()
    },
  }
}
