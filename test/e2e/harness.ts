/**
 * In-memory harness for the end-to-end cores: clients (E2eClientSession) and one server
 * (E2eServerCore) joined by 0..n relays. A relay behaves like a ROUTER<->DEALER proxy: towards
 * the server it prepends the id of the hop it came from; towards the client it strips its own
 * frame and routes by it. A `tap` sees (and may rewrite, drop or inject) every command crossing
 * the last relay, as a broker could. Clock and randomness are injected (seeded).
 */
import type { AuthReply, AuthRequest } from "../../src/mechanism/mechanism.js"
import { E2eClientSession, type E2eClientOptions, type E2eClientOutput } from "../../src/e2e/client-session.js"
import { E2eServerCore, type E2ePeer, type E2eServerOptions, type E2eServerOutput } from "../../src/e2e/server-sessions.js"
import type { E2eEvent } from "../../src/e2e/events.js"
import { generateKeyPair } from "../../src/crypto/index.js"
import { testEnv, type TestEnv } from "../mechanism/pump.js"

export interface Received {
  peer: E2ePeer
  frames: Uint8Array[]
}

/** What crosses the broker towards the server (`up`) or the client (`down`). */
export interface Crossing {
  direction: "up" | "down"
  client: number
  frame: Uint8Array
}

/** Return the frames to forward instead (none = drop, several = inject). */
export type Tap = (crossing: Crossing) => Uint8Array[]

export interface HarnessOptions {
  relays?: number
  clients?: number
  server?: Partial<Omit<E2eServerOptions, "env" | "secretKey">>
  client?: Partial<Omit<E2eClientOptions, "env" | "secretKey" | "publicKey" | "serverKey">>
  /** Sync authenticate hook; default accepts every key with userId "user-<first 4 hex>". */
  authenticate?: (request: AuthRequest) => AuthReply
  seed?: number
  /** Do not answer authenticate outputs (they stay pending). */
  holdAuth?: boolean
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

export class Harness {
  readonly env: TestEnv
  readonly serverKeys = generateKeyPair()
  readonly server: E2eServerCore
  readonly clients: E2eClientSession[] = []
  readonly clientKeys: { publicKey: Uint8Array; secretKey: Uint8Array }[] = []
  readonly received: Received[] = []
  readonly clientReceived: Uint8Array[][][] = []
  readonly serverEvents: E2eEvent[] = []
  readonly clientEvents: E2eEvent[][] = []
  readonly failed: boolean[] = []
  readonly pendingAuth: { ticket: number; request: AuthRequest }[] = []
  relays: number
  /** Per client, per relay: the id the relay gave it (changes when a relay "reconnects"). */
  readonly hopIds: Uint8Array[][] = []
  tap: Tap | undefined
  readonly #authenticate: (request: AuthRequest) => AuthReply
  readonly #holdAuth: boolean
  #generation = 0

  constructor(options: HarnessOptions = {}) {
    this.env = testEnv(options.seed ?? 1)
    this.relays = options.relays ?? 0
    this.#holdAuth = options.holdAuth === true
    this.#authenticate = options.authenticate ?? ((r) => ({ status: 200, userId: `user-${hex(r.credentials[0] as Uint8Array).slice(0, 8)}` }))
    this.server = new E2eServerCore({
      secretKey: this.serverKeys.secretKey,
      env: this.env,
      authenticate: true,
      ...options.server,
    })
    for (let i = 0; i < (options.clients ?? 1); i++) this.addClient(options.client)
  }

  addClient(extra: HarnessOptions["client"] = {}): number {
    const i = this.clients.length
    const keys = generateKeyPair()
    this.clientKeys.push(keys)
    this.clientReceived.push([])
    this.clientEvents.push([])
    this.failed.push(false)
    this.hopIds.push(this.#ids(i))
    const session = new E2eClientSession({
      serverKey: this.serverKeys.publicKey,
      publicKey: keys.publicKey,
      secretKey: keys.secretKey,
      env: this.env,
      ...extra,
    })
    this.clients.push(session)
    this.fromClient(i, session.start())
    return i
  }

  #ids(client: number): Uint8Array[] {
    const ids: Uint8Array[] = []
    for (let r = 0; r < this.relays; r++) ids.push(Uint8Array.from([0x00, r, this.#generation, client >> 8, client & 0xff]))
    // A direct ROUTER sees the client's own routing id.
    if (this.relays === 0) ids.push(Uint8Array.from([0x00, 0xff, this.#generation, client >> 8, client & 0xff]))
    return ids
  }

  /** A relay hop reconnects: every client's envelope changes. */
  reconnectRelays(): void {
    this.#generation++
    for (let i = 0; i < this.clients.length; i++) this.hopIds[i] = this.#ids(i)
  }

  send(client: number, message: (Uint8Array | string)[]): void {
    this.fromClient(client, (this.clients[client] as E2eClientSession).send(message))
  }

  tick(): void {
    this.fromServer(this.server.tick())
    for (let i = 0; i < this.clients.length; i++) this.fromClient(i, (this.clients[i] as E2eClientSession).tick())
  }

  advance(ms: number): void {
    this.env.clock += ms
    this.tick()
  }

  fromClient(i: number, outputs: E2eClientOutput[]): void {
    for (const o of outputs) {
      if (o.type === "send") {
        const frames = this.tap === undefined ? [o.frame] : this.tap({ direction: "up", client: i, frame: o.frame })
        for (const f of frames) this.fromServer(this.server.receive(this.hopIds[i] as Uint8Array[], f))
      } else if (o.type === "message") (this.clientReceived[i] as Uint8Array[][]).push(o.frames)
      else if (o.type === "event") (this.clientEvents[i] as E2eEvent[]).push(o.event)
      else if (o.type === "failed") this.failed[i] = true
    }
  }

  fromServer(outputs: E2eServerOutput[]): void {
    for (const o of outputs) {
      if (o.type === "send") {
        const i = this.hopIds.findIndex((ids) => sameEnvelope(ids, o.envelope))
        if (i < 0) continue // routed nowhere: a ROUTER drops it
        const frames = this.tap === undefined ? [o.frame] : this.tap({ direction: "down", client: i, frame: o.frame })
        for (const f of frames) this.fromClient(i, (this.clients[i] as E2eClientSession).receive(f))
      } else if (o.type === "message") this.received.push({ peer: o.peer, frames: o.frames })
      else if (o.type === "event") this.serverEvents.push(o.event)
      else if (o.type === "authenticate") {
        if (this.#holdAuth) this.pendingAuth.push({ ticket: o.ticket, request: o.request })
        else this.fromServer(this.server.authReply(o.ticket, this.#authenticate(o.request)))
      }
    }
  }

  reply(peer: E2ePeer, message: (Uint8Array | string)[]): void {
    this.fromServer(this.server.send(peer, message))
  }
}

function sameEnvelope(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((f, i) => Buffer.from(f).equals(b[i] as Uint8Array))
}

export const text = (frames: Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString())
export const codes = (events: E2eEvent[]): (string | undefined)[] => events.map((e) => e.code)
