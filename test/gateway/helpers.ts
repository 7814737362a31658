/** Helpers for the gateway tests: certificates on disk, config files, an audit sink to await. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as zmq from "zeromq"
import { Certificate } from "../../src/cert/certificate.js"
import type { AuditRecord, AuditSink } from "../../src/gateway/audit.js"
import { Gateway } from "../../src/gateway/gateway.js"
import { loadGatewayConfig } from "../../src/gateway/load.js"
import { formatProblem } from "../../src/gateway/config.js"

export type AuditLine = AuditRecord & { event: string }

/** An audit sink that keeps lines and lets a test await one. */
export class WatchedAudit implements AuditSink {
  readonly lines: AuditLine[] = []
  #waiters: Array<{ match: (l: AuditLine) => boolean; resolve: (l: AuditLine) => void; from: number }> = []

  write(event: string, fields: AuditRecord): void {
    const line: AuditLine = { event, ...JSON.parse(JSON.stringify(fields)) }
    this.lines.push(line)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(line)) return true
      w.resolve(line)
      return false
    })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  /** The first line (already written or future) matching `match`. */
  next(match: (l: AuditLine) => boolean): Promise<AuditLine> {
    const found = this.lines.find(match)
    if (found) return Promise.resolve(found)
    const keepAlive = setInterval(() => undefined, 60_000)
    return new Promise<AuditLine>((resolve) => this.#waiters.push({ match, resolve, from: this.lines.length })).finally(() => clearInterval(keepAlive))
  }

  /** Count of lines matching. */
  count(match: (l: AuditLine) => boolean): number {
    return this.lines.filter(match).length
  }
}

export interface Keys {
  dir: string
  server: Certificate
  client: Certificate
  stranger: Certificate
  /** CURVE options for a libzmq client with `client`'s keys. */
  clientOptions(cert?: Certificate, serverKey?: string): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string }
}

/** Server and client certificates: server.key(_secret), client.key(_secret), clients/ holding client.key. */
export async function makeKeys(dir: string): Promise<Keys> {
  const server = Certificate.generate({ name: "server" })
  const client = Certificate.generate({ name: "client" })
  const stranger = Certificate.generate({ name: "stranger" })
  await server.save(join(dir, "server.key"))
  await client.save(join(dir, "client.key"))
  mkdirSync(join(dir, "clients"), { recursive: true })
  await client.savePublic(join(dir, "clients", "client.key"))
  return {
    dir,
    server,
    client,
    stranger,
    clientOptions(cert = client, serverKey = server.publicKey) {
      return { curveServerKey: serverKey, curvePublicKey: cert.publicKey, curveSecretKey: cert.secretKey as string }
    },
  }
}

export function writeConfig(dir: string, name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

export function writeSecret(dir: string, name: string, text: string, mode = 0o600): string {
  const file = join(dir, name)
  writeFileSync(file, text, { mode })
  chmodSync(file, mode)
  return file
}

/** Load a config file and start a gateway with a watched audit sink. */
export async function startGateway(file: string): Promise<{ gateway: Gateway; audit: WatchedAudit; endpoint(route: string, side: "outside" | "inside"): string }> {
  const loaded = await loadGatewayConfig(file)
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join("\n"))
  const audit = new WatchedAudit()
  const gateway = await Gateway.start(loaded.gateway, { audit })
  return {
    gateway,
    audit,
    endpoint(route, side) {
      const line = audit.lines.find((l) => l.event === "bind" && l.route === route && l.side === side)
      if (!line) throw new Error(`no bind line for ${route} ${side}`)
      return line.address as string
    },
  }
}

/** A libzmq socket's receive(), retried on EAGAIN (zeromq can give it during a ZAP handshake). */
export async function receive(socket: { receive(): Promise<Buffer[]> }): Promise<Buffer[]> {
  for (;;) {
    try {
      return await socket.receive()
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") throw error
    }
  }
}

/** Bind a libzmq socket on an ephemeral localhost port; its endpoint. */
export async function bindLocal(socket: zmq.Socket): Promise<string> {
  await socket.bind("tcp://127.0.0.1:*")
  return socket.lastEndpoint as string
}

/** Send `message` every few ms until `received` settles (pub-sub joins late). */
export async function publishUntil(pub: { send(m: string | string[]): Promise<void> }, messages: string[][], received: Promise<unknown>): Promise<void> {
  let done = false
  void received.finally(() => (done = true)).catch(() => undefined)
  while (!done) {
    for (const message of messages) await pub.send(message)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const toml = String.raw
