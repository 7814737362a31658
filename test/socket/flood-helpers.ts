/**
 * A handshake flood, as an attacker holds it (issue 8 item 6; CVE-2020-15166): many TCP
 * connections to a server, each left in one pre-authentication state and held open:
 *
 * - `silent`: connected, not one octet sent;
 * - `partial`: the first 11 octets of a greeting (signature and major version);
 * - `greeting`: a whole greeting for the server's mechanism, then nothing;
 * - `hello`: the mechanism's first command too, and nothing after it (CURVE: HELLO, pipelined
 *   with the greeting, and no INITIATE; PLAIN: HELLO once the server's greeting came, and no
 *   INITIATE; NULL has no such step, so these stay at `greeting`).
 *
 * The HELLOs are real ones (our engine as the client, fresh keys per connection), so the server
 * does all the work a real flood costs it. Used by test/socket/flood.test.ts and by the bench
 * (bench/flood-attacker.ts).
 */
import net from "node:net"
import { Connection } from "../../src/engine/connection.js"
import { encodeGreeting } from "../../src/wire/greeting.js"
import { z85Decode } from "../../src/wire/z85.js"
import { curveKeyPair } from "../../src/crypto/keys.js"
import { GREETING_SIZE } from "../../src/wire/constants.js"

export const HELD_STATES = ["silent", "partial", "greeting", "hello"] as const
export type HeldState = (typeof HELD_STATES)[number]
export type FloodMechanism = "NULL" | "PLAIN" | "CURVE"

export interface FloodOptions {
  port: number
  host?: string
  mechanism: FloodMechanism
  /** CURVE: the server's public key (Z85). */
  serverKey?: string
  /**
   * PLAIN: the credentials of the held HELLOs. Wrong ones are refused at once (the server asks
   * its authenticator on HELLO), so to hold PLAIN connections at "HELLO, no INITIATE" a flood
   * needs valid ones (an insider); default "flood"/"flood".
   */
  plain?: { username: string; password: string }
  count: number
  /** Local addresses to connect from, in turn (e.g. 127.0.0.2 so the flood is one "other" source). */
  localAddresses?: readonly string[]
  /** Connections opened at once (under the server's listen backlog). */
  batch?: number
}

export interface HeldConnection {
  readonly socket: net.Socket
  readonly state: HeldState
  /** Closed by the server (or reset). */
  closed: boolean
}

export class Flood {
  readonly held: HeldConnection[] = []

  /** Connections still open. */
  get open(): number {
    return this.held.filter((h) => !h.closed).length
  }

  /** Closed connections per state. */
  closedIn(state: HeldState): number {
    return this.held.filter((h) => h.closed && h.state === state).length
  }

  close(): void {
    for (const h of this.held) h.socket.destroy()
  }
}

/** Open `count` connections, cycling through the held states; resolves once all are connected. */
export async function holdFlood(options: FloodOptions): Promise<Flood> {
  const flood = new Flood()
  const batch = options.batch ?? 50
  const sources = options.localAddresses ?? []
  for (let opened = 0; opened < options.count; opened += batch) {
    const pending: Promise<void>[] = []
    for (let i = opened; i < Math.min(options.count, opened + batch); i++) {
      const state = HELD_STATES[i % HELD_STATES.length] as HeldState
      const localAddress = sources.length > 0 ? sources[i % sources.length] : undefined
      pending.push(holdOne(flood, options, state, localAddress))
    }
    await Promise.all(pending)
  }
  return flood
}

function holdOne(flood: Flood, options: FloodOptions, state: HeldState, localAddress: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = net.connect({
      host: options.host ?? "127.0.0.1",
      port: options.port,
      ...(localAddress !== undefined ? { localAddress } : {}),
    })
    const held: HeldConnection = { socket, state, closed: false }
    socket.once("error", reject)
    socket.on("close", () => (held.closed = true))
    socket.once("connect", () => {
      socket.off("error", reject)
      socket.on("error", () => {}) // a reset by the server is an expected outcome
      flood.held.push(held)
      start(socket, options, state)
      resolve()
    })
  })
}

function start(socket: net.Socket, options: FloodOptions, state: HeldState): void {
  const mechanism = options.mechanism
  switch (state) {
    case "silent":
      socket.resume() // read (and drop) what the server says; say nothing
      return
    case "partial":
      socket.write(encodeGreeting(mechanism, false).subarray(0, 11))
      socket.resume()
      return
    case "greeting":
      socket.write(encodeGreeting(mechanism, false))
      socket.resume()
      return
    case "hello":
      if (mechanism === "NULL") {
        socket.write(encodeGreeting(mechanism, false))
        socket.resume()
        return
      }
      sendHello(socket, options)
  }
}

/** Greeting and HELLO from a real client engine; everything after HELLO is withheld. */
function sendHello(socket: net.Socket, options: FloodOptions): void {
  const security =
    options.mechanism === "CURVE"
      ? (() => {
          const pair = curveKeyPair()
          return {
            mechanism: "CURVE" as const,
            asServer: false,
            curvePublicKey: z85Decode(pair.publicKey),
            curveSecretKey: z85Decode(pair.secretKey),
            curveServerKey: z85Decode(options.serverKey ?? ""),
          }
        })()
      : {
          mechanism: "PLAIN" as const,
          asServer: false,
          plainUsername: options.plain?.username ?? "flood",
          plainPassword: options.plain?.password ?? "flood",
        }
  const engine = new Connection({ socketType: "REQ", security, handshakeInterval: 0 })
  const writeAll = (): void => {
    for (const chunk of engine.takeOutput()) socket.write(chunk)
  }
  writeAll() // CURVE: greeting + HELLO (pipelined); PLAIN: greeting
  let fed = 0
  socket.on("data", (chunk: Buffer) => {
    // PLAIN sends HELLO once the server's greeting is in; feed only the greeting, so the
    // engine never sees WELCOME and never sends INITIATE.
    if (fed >= GREETING_SIZE) return
    const part = chunk.subarray(0, GREETING_SIZE - fed)
    fed += part.length
    engine.receiveData(part)
    writeAll()
    engine.takeEvents()
  })
}
