/**
 * The security mechanisms in both roles, driven the way a peer drives them: raw bytes into one
 * sans-IO engine Connection (greeting -> NULL/PLAIN/CURVE handshake -> traffic), the same
 * stream once whole and once cut into odd chunks.
 *
 * Oracle: receiveData never throws; every `error` event carries a typed ProtocolError that is
 * not the engine's "internal error" wrapping of a stray exception; both feedings tell the same
 * story; delivered messages stay within the limits and what we write stays bounded by what came
 * in; after the garbage a valid peer (a fresh pair in memory, same keys and hook) still completes.
 *
 * Determinism: every connection gets the same seeded randomness and a fixed clock, so a
 * recorded valid exchange (our peers, or libzmq through fuzz/record-libzmq.ts) replays exactly:
 * a recorded CURVE INITIATE opens against the server target's cookie.
 */
import { ErrorCode } from "../../src/errors.js"
import { Connection, type ConnectionEvent, type ConnectionOptions } from "../../src/engine/connection.js"
import type { AuthReply, AuthRequest } from "../../src/mechanism/mechanism.js"
import { Mechanism, type MechanismName } from "../../src/wire/constants.js"
import { encodeGreeting } from "../../src/wire/greeting.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../../test/vectors/z85.js"
import { assertThat, concatBytes, Finding, isTypedProtocolError, seededBytes, type FuzzTarget } from "../target.js"

export const FUZZ_CLOCK = 1_000_000
export const SERVER_SEED = 0x5eed5
export const CLIENT_SEED = 0xc11e7
export const LIMITS = { maxMessageSize: 1 << 16, maxHandshakeCommandSize: 16 << 10, maxMessageFrames: 64 }
const decoder = new TextDecoder()

/** The server's hook: PLAIN admin/password, CURVE the libzmq test client key; "temp" 300, "broken" 500. */
export function authenticate(request: AuthRequest): AuthReply {
  if (request.mechanism === Mechanism.PLAIN) {
    const [user, password] = request.credentials.map((c) => decoder.decode(c))
    if (user === "temp") return { status: 300, statusText: "try later" }
    if (user === "broken") return { status: 500 }
    return user === "admin" && password === "password" ? { status: 200, userId: "admin" } : { status: 400, statusText: "no" }
  }
  if (request.mechanism === Mechanism.CURVE) {
    const key = request.credentials[0]
    const ok = key !== undefined && key.length === 32 && key.every((x, i) => x === LIBZMQ_CLIENT_KEYS.publicKey[i])
    return ok ? { status: 200, userId: "client" } : { status: 400 }
  }
  return { status: 200, userId: "anonymous" }
}

export function connectionOptions(mechanism: MechanismName, asServer: boolean, extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
  const security =
    mechanism === Mechanism.CURVE
      ? asServer
        ? { mechanism, asServer, curveSecretKey: LIBZMQ_SERVER_KEYS.secretKey, curvePublicKey: LIBZMQ_SERVER_KEYS.publicKey }
        : {
            mechanism,
            asServer,
            curvePublicKey: LIBZMQ_CLIENT_KEYS.publicKey,
            curveSecretKey: LIBZMQ_CLIENT_KEYS.secretKey,
            curveServerKey: LIBZMQ_SERVER_KEYS.publicKey,
          }
      : mechanism === Mechanism.PLAIN && !asServer
        ? { mechanism, asServer, plainUsername: "admin", plainPassword: "password" }
        : { mechanism, asServer }
  return {
    socketType: asServer ? "ROUTER" : "DEALER",
    ...(asServer ? { zapDomain: "fuzz", authenticate } : { routingId: new TextEncoder().encode("fuzz-client") }),
    security,
    peerAddress: "192.0.2.7",
    limits: LIMITS,
    handshakeInterval: 30_000,
    now: () => FUZZ_CLOCK,
    randomBytes: seededBytes(asServer ? SERVER_SEED : CLIENT_SEED),
    ...extra,
  }
}

const CUTS = [1, 5, 2, 64, 3, 11, 200, 1, 7]

function chunked(data: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = CUTS[i % CUTS.length] as number
    chunks.push(data.subarray(at, at + n))
    at += n
  }
  return chunks
}

/** Feed `chunks` to a fresh connection; returns a summary of what happened (for comparison). */
function drive(mechanism: MechanismName, asServer: boolean, chunks: Uint8Array[]): string {
  const conn = new Connection(connectionOptions(mechanism, asServer))
  const story: string[] = []
  let input = 0
  let output = 0
  const drain = (): void => {
    for (const out of conn.takeOutput()) output += out.length
    for (const e of conn.takeEvents()) story.push(check(e, conn))
  }
  drain()
  for (const chunk of chunks) {
    input += chunk.length
    conn.receiveData(chunk)
    drain()
  }
  conn.tick(FUZZ_CLOCK + 31_000) // the handshake timeout (or heartbeats) fire on the fixed clock
  drain()
  // What we write: greeting + handshake replies + echoes of what came in; never more than
  // a constant per input octet.
  assertThat(output <= 4096 + 3 * input, `engine: wrote ${output} octets for ${input} octets of input`)
  return story.join(",")
}

function check(e: ConnectionEvent, conn: Connection): string {
  switch (e.type) {
    case "error":
      if (!isTypedProtocolError(e.error)) throw new Finding(`engine: error event without a typed ProtocolError: ${String(e.error)}`)
      if (e.error.code === ErrorCode.UNSPECIFIED && e.error.message.startsWith("internal error")) {
        throw new Finding(`engine: a stray exception was wrapped: ${e.error.message}`)
      }
      assertThat(conn.closed, "engine: error event but the connection is not closed")
      return `error:${e.error.code}`
    case "message": {
      const size = e.frames.reduce((n, f) => n + f.length, 0)
      assertThat(size <= LIMITS.maxMessageSize && e.frames.length <= LIMITS.maxMessageFrames, "engine: message over the limits")
      if (conn.ready) conn.send(e.frames) // echo: exercises encode() after decode()
      return `message:${e.frames.length}`
    }
    case "handshake":
      return "handshake"
    default:
      return e.type
  }
}

/** Move bytes between two connections until quiet (the valid-peer check and the seed recorder). */
export function pumpPair(client: Connection, server: Connection, record?: { toServer: Uint8Array[]; toClient: Uint8Array[] }): void {
  for (let round = 0; round < 50; round++) {
    const a = client.takeOutput()
    const b = server.takeOutput()
    if (a.length === 0 && b.length === 0) return
    for (const chunk of a) {
      record?.toServer.push(chunk)
      server.receiveData(chunk)
    }
    for (const chunk of b) {
      record?.toClient.push(chunk)
      client.receiveData(chunk)
    }
  }
}

/** A valid exchange between our own client and server with the targets' options. */
export function recordExchange(mechanism: MechanismName, minor = 1): { toServer: Uint8Array; toClient: Uint8Array; ok: boolean } {
  const client = new Connection(connectionOptions(mechanism, false, { heartbeatInterval: 1000, heartbeatTimeout: 5000 }))
  const server = new Connection(connectionOptions(mechanism, true))
  const record = { toServer: [] as Uint8Array[], toClient: [] as Uint8Array[] }
  pumpPair(client, server, record)
  const ok = client.ready && server.ready
  if (ok) {
    client.send([new TextEncoder().encode("hello"), new Uint8Array(300).fill(0x78)])
    client.send([new Uint8Array(0)])
    server.send([new TextEncoder().encode("fuzz-client"), new TextEncoder().encode("reply")])
    client.tick(FUZZ_CLOCK + 1500) // a PING
    pumpPair(client, server, record)
  }
  let toServer = concatBytes(record.toServer)
  if (minor === 0 && toServer.length >= 11) {
    toServer = toServer.slice()
    toServer[11] = 0 // a ZMTP 3.0 peer
  }
  return { toServer, toClient: concatBytes(record.toClient), ok }
}

function validPeerCompletes(mechanism: MechanismName): void {
  const client = new Connection(connectionOptions(mechanism, false, { randomBytes: seededBytes(Date.now() >>> 0) }))
  const server = new Connection(connectionOptions(mechanism, true, { randomBytes: seededBytes((Date.now() >>> 0) ^ 0x55) }))
  pumpPair(client, server)
  if (!(client.ready && server.ready)) throw new Finding(`a valid ${mechanism} peer did not complete its handshake`)
  client.send([new TextEncoder().encode("ping")])
  pumpPair(client, server)
  const got = server.takeEvents().some((e) => e.type === "message")
  if (!got) throw new Finding(`a valid ${mechanism} peer's message did not arrive`)
}

const DICTIONARY = [
  encodeGreeting(Mechanism.NULL, false),
  "\x05READY",
  "\x05HELLO",
  "\x07WELCOME",
  "\x08INITIATE",
  "\x05ERROR",
  "\x07MESSAGE",
  "\x04PING",
  "\x04PONG",
  "\x09SUBSCRIBE",
  "\x06CANCEL",
  "\x0bSocket-Type",
  "\x08Identity",
  "\x07User-Id",
  "DEALER",
  "ROUTER",
  "NULL",
  "PLAIN",
  "CURVE",
]

function engineTarget(mechanism: MechanismName, asServer: boolean): FuzzTarget {
  const role = asServer ? "server" : "client"
  return {
    name: `${mechanism.toLowerCase()}-${role}`,
    about: `engine Connection as a ${mechanism} ${role}: greeting, handshake, traffic from a hostile ${asServer ? "client" : "server"}`,
    maxLength: 2048,
    dictionary: DICTIONARY,
    seeds() {
      const seeds: Uint8Array[] = []
      for (const minor of [1, 0]) {
        const r = recordExchange(mechanism, minor)
        if (!r.ok) throw new Error(`seed exchange for ${mechanism} did not complete`)
        seeds.push(asServer ? r.toServer : r.toClient)
      }
      return seeds
    },
    run(data) {
      // Each feeding gets its own copy: the engine owns what it is given (CURVE decrypts
      // MESSAGE boxes in place).
      const whole = drive(mechanism, asServer, [data.slice()])
      const cut = drive(mechanism, asServer, chunked(data.slice()))
      assertThat(whole === cut, `engine: chunking changed what happened: ${whole} vs ${cut}`)
    },
    check() {
      validPeerCompletes(mechanism)
    },
  }
}

export const ENGINE_TARGETS: FuzzTarget[] = [
  engineTarget(Mechanism.NULL, true),
  engineTarget(Mechanism.NULL, false),
  engineTarget(Mechanism.PLAIN, true),
  engineTarget(Mechanism.PLAIN, false),
  engineTarget(Mechanism.CURVE, true),
  engineTarget(Mechanism.CURVE, false),
]
