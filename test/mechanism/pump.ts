/**
 * Test helpers for the mechanisms: a deterministic environment, and an in-memory pump that wires
 * a client and a server mechanism together, answers `authenticate` outputs with a configurable
 * hook, and optionally carries every command through the real frame codec (encodeFrame +
 * FrameDecoder) cut into arbitrary chunks, or tampers with one command on the way.
 */
import { ProtocolError } from "../../src/errors.js"
import { decodeCommand, encodeCommand } from "../../src/wire/command.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { FrameDecoder } from "../../src/wire/frame-decoder.js"
import { makeMetadata } from "../../src/wire/metadata.js"
import type { CommandFrame, Metadata } from "../../src/wire/types.js"
import type {
  AuthReply,
  AuthRequest,
  MechanismEnvironment,
  MechanismOptions,
  MechanismOutput,
  SecurityMechanism,
} from "../../src/mechanism/mechanism.js"
import { seededRandom } from "../helpers/chunking.js"

export interface TestEnv extends MechanismEnvironment {
  /** Current time in ms; tests move it forward. */
  clock: number
  /** How many octets randomBytes handed out. */
  drawn: number
  /** Every buffer randomBytes handed out, in order (to check that secrets get wiped). */
  issued: Uint8Array[]
}

/** Seeded randomness (a fresh buffer per call, as the contract requires) and a manual clock. */
export function testEnv(seed = 1): TestEnv {
  const random = seededRandom(seed)
  const env: TestEnv = {
    clock: 0,
    drawn: 0,
    issued: [],
    randomBytes(n: number): Uint8Array {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256)
      env.drawn += n
      env.issued.push(out)
      return out
    },
    now(): number {
      return env.clock
    },
  }
  return env
}

/**
 * Mechanism options with test defaults: Socket-Type DEALER, domain "test", authenticate ON
 * (what a server gets from the engine; pass `authenticate: false` for a NULL client).
 */
export function mechanismOptions(overrides: Partial<MechanismOptions> & { env: MechanismEnvironment }): MechanismOptions {
  return {
    metadata: makeMetadata({ "Socket-Type": "DEALER" }),
    zapDomain: "test",
    peerAddress: "192.0.2.1",
    authenticate: true,
    ...overrides,
  }
}

export type Direction = "toServer" | "toClient"

export interface TranscriptEntry {
  direction: Direction
  /** The command body as it went on the wire (name-length octet, name, data). */
  body: Uint8Array
}

export interface SideResult {
  ready?: Extract<MechanismOutput, { type: "ready" }>
  /** From a `failed` output. */
  failed?: ProtocolError
  /** Thrown by the mechanism (or by decoding the command it was given). */
  thrown?: unknown
}

export interface PumpResult {
  client: SideResult
  server: SideResult
  transcript: TranscriptEntry[]
  authRequests: AuthRequest[]
}

export interface PumpOptions {
  /** Answers the server's `authenticate` outputs (default: 200 with userId "alice"). */
  authenticate?: (request: AuthRequest) => AuthReply
  /** Carry commands through encodeFrame + FrameDecoder, cut into chunks by this function. */
  chunk?: (bytes: Uint8Array) => Uint8Array[]
  /** Replace the body of the `index`-th command sent (0-based, both directions counted). */
  tamper?: (index: number, direction: Direction, body: Uint8Array) => Uint8Array
  /** Stop after this many commands were delivered (default 32). */
  maxCommands?: number
}

const defaultAuthenticate = (): AuthReply => ({ status: 200, userId: "alice" })

/** A ProtocolError's code, or fail loudly when `err` is anything else. */
export function codeOf(err: unknown): string {
  if (err instanceof ProtocolError) return err.code
  throw new Error(`expected a ProtocolError, got ${String(err)}`, { cause: err })
}

/** Run the handshake between `client` and `server` until both are ready or one side stops. */
export function pump(client: SecurityMechanism, server: SecurityMechanism, options: PumpOptions = {}): PumpResult {
  const authenticate = options.authenticate ?? defaultAuthenticate
  const result: PumpResult = { client: {}, server: {}, transcript: [], authRequests: [] }
  const queues: Record<Direction, Uint8Array[]> = { toServer: [], toClient: [] }
  let sent = 0
  const stopped = (side: SideResult): boolean => side.failed !== undefined || side.thrown !== undefined

  const handle = (outputs: MechanismOutput[], from: "client" | "server"): void => {
    const side = result[from]
    const mechanism = from === "client" ? client : server
    const direction: Direction = from === "client" ? "toServer" : "toClient"
    for (const output of outputs) {
      switch (output.type) {
        case "command": {
          let body = encodeCommand(output.command.name, output.command.data)
          if (options.tamper) body = options.tamper(sent, direction, body)
          sent++
          result.transcript.push({ direction, body })
          queues[direction].push(body)
          break
        }
        case "authenticate": {
          result.authRequests.push(output.request)
          let next: MechanismOutput[]
          try {
            next = mechanism.authReply(authenticate(output.request))
          } catch (err) {
            side.thrown = err
            return
          }
          handle(next, from)
          break
        }
        case "ready":
          side.ready = output
          break
        case "failed":
          side.failed = output.error
          break
      }
    }
  }

  const start = (mechanism: SecurityMechanism, from: "client" | "server"): void => {
    try {
      handle(mechanism.start(), from)
    } catch (err) {
      result[from].thrown = err
    }
  }
  start(client, "client")
  start(server, "server")

  const decoders: Record<Direction, FrameDecoder> = {
    toServer: new FrameDecoder({ maxFrameSize: 1 << 20, maxCommandSize: 1 << 20 }),
    toClient: new FrameDecoder({ maxFrameSize: 1 << 20, maxCommandSize: 1 << 20 }),
  }
  const carry = (direction: Direction, body: Uint8Array): Uint8Array => {
    if (options.chunk === undefined) return body.slice()
    const decoder = decoders[direction]
    for (const piece of options.chunk(encodeFrame({ more: false, command: true, body }))) decoder.push(piece)
    const frame = decoder.next()
    if (frame === undefined || !frame.command || decoder.next() !== undefined) {
      throw new Error("pump: the frame codec did not give back exactly one command frame")
    }
    return frame.body
  }

  let delivered = 0
  const maxCommands = options.maxCommands ?? 32
  for (;;) {
    // A side that failed or threw receives nothing more; what it sent before still arrives.
    const canReceive = (d: Direction): boolean =>
      queues[d].length > 0 && !stopped(d === "toServer" ? result.server : result.client)
    const direction: Direction | undefined = canReceive("toServer") ? "toServer" : canReceive("toClient") ? "toClient" : undefined
    if (direction === undefined || delivered >= maxCommands) break
    const body = carry(direction, queues[direction].shift() as Uint8Array)
    delivered++
    const to = direction === "toServer" ? "server" : "client"
    const mechanism = to === "server" ? server : client
    let command: CommandFrame
    try {
      command = mechanism.decodeHandshakeCommand ? mechanism.decodeHandshakeCommand(body) : decodeCommand(body)
    } catch (err) {
      result[to].thrown = err
      break
    }
    try {
      handle(mechanism.receive(command), to)
    } catch (err) {
      result[to].thrown = err
    }
  }
  return result
}

/** Metadata for tests. */
export function metadata(props: Record<string, string>): Metadata {
  return makeMetadata(props)
}

/** Hex of a byte array, for readable assertions. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
