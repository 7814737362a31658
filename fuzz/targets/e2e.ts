/**
 * End-to-end CurveZMQ sessions (src/e2e): the server core that keeps many sessions, and the
 * client session. Input: length-prefixed parts (see splitParts); for the server, each part's
 * first octet picks one of four envelopes (relay routing ids) and the rest is the frame.
 *
 * Oracle: receive() never throws (its contract: "never throws on network input"); events carry
 * typed codes; the server keeps at most maxSessions sessions and a bounded replay guard; and a
 * long-lived server core that sees a share of all inputs still opens a session for a valid
 * client and delivers its message (checked every few seconds).
 */
import { ErrorCode } from "../../src/errors.js"
import { E2eClientSession, type E2eClientOutput } from "../../src/e2e/client-session.js"
import { E2eCode } from "../../src/e2e/events.js"
import { E2eServerCore, type E2eServerOutput } from "../../src/e2e/server-sessions.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../../test/vectors/z85.js"
import { assertThat, bytes, Finding, joinParts, seededBytes, splitParts, type FuzzTarget } from "../target.js"
import { FUZZ_CLOCK } from "./engine.js"

const CODES: ReadonlySet<string> = new Set([...Object.values(ErrorCode), ...Object.values(E2eCode)])
const MAX_SESSIONS = 8
const ENVELOPES = [[bytes(0, 0, 0, 1)], [bytes(0, 0, 0, 2)], [bytes("relay"), bytes(0, 0, 0, 3)], []]

function env(seed: number) {
  return { randomBytes: seededBytes(seed), now: () => FUZZ_CLOCK }
}

function newServer(seed: number): E2eServerCore {
  return new E2eServerCore({
    secretKey: LIBZMQ_SERVER_KEYS.secretKey,
    publicKey: LIBZMQ_SERVER_KEYS.publicKey,
    env: env(seed),
    authenticate: true,
    maxSessions: MAX_SESSIONS,
    maxPendingAuth: 4,
    maxMessageSize: 4096,
    maxFrames: 16,
    metadata: { "x-role": "fuzz" },
  })
}

function newClient(seed: number): E2eClientSession {
  return new E2eClientSession({
    serverKey: LIBZMQ_SERVER_KEYS.publicKey,
    publicKey: LIBZMQ_CLIENT_KEYS.publicKey,
    secretKey: LIBZMQ_CLIENT_KEYS.secretKey,
    env: env(seed),
    maxMessageSize: 4096,
    maxFrames: 16,
    metadata: { "x-client": "fuzz" },
  })
}

function checkEvent(code: string | undefined, where: string): void {
  if (code !== undefined && !CODES.has(code)) throw new Finding(`${where}: event with an unknown code ${code}`)
}

/** Run server outputs: answer authenticate (accept the libzmq test client key), check events. */
function serve(core: E2eServerCore, outputs: E2eServerOutput[], sent: E2eServerOutput[] = []): void {
  for (const o of outputs) {
    if (o.type === "authenticate") {
      const key = o.request.credentials[0]
      const ok = key !== undefined && key.every((x, i) => x === LIBZMQ_CLIENT_KEYS.publicKey[i])
      serve(core, core.authReply(o.ticket, ok ? { status: 200, userId: "client" } : { status: 400 }), sent)
    } else if (o.type === "event") checkEvent(o.event.code, "e2e server")
    else sent.push(o)
  }
}

function feedServer(core: E2eServerCore, data: Uint8Array): void {
  for (const part of splitParts(data)) {
    const envelope = ENVELOPES[(part[0] ?? 0) & 3] as Uint8Array[]
    const sent: E2eServerOutput[] = []
    serve(core, core.receive(envelope, part.subarray(1)), sent)
    for (const o of sent) {
      if (o.type === "message") {
        // Echo: exercises send() on an established session.
        serve(core, core.send(o.peer, o.frames))
      }
    }
  }
  serve(core, core.tick())
  assertThat(core.sessionCount <= MAX_SESSIONS, `e2e server: ${core.sessionCount} sessions, over maxSessions ${MAX_SESSIONS}`)
  assertThat(core.replayGuardSize <= 4 * MAX_SESSIONS + 64, `e2e server: replay guard grew to ${core.replayGuardSize}`)
}

/** A valid exchange of our client with a fresh server: the frames each side received, in order. */
export function recordE2e(): { toServer: Uint8Array[]; toClient: Uint8Array[] } {
  const core = newServer(0x5e)
  const client = newClient(0xc1)
  const toServer: Uint8Array[] = []
  const toClient: Uint8Array[] = []
  let pending: E2eClientOutput[] = [...client.start(), ...client.send([bytes("hello"), bytes("world")])]
  for (let round = 0; round < 10 && pending.length > 0; round++) {
    const next: E2eClientOutput[] = []
    for (const o of pending) {
      if (o.type !== "send") continue
      toServer.push(o.frame)
      const sent: E2eServerOutput[] = []
      serve(core, core.receive(ENVELOPES[0] as Uint8Array[], o.frame), sent)
      for (const s of sent) {
        if (s.type === "message") serve(core, core.send(s.peer, [bytes("reply")]), sent)
      }
      for (const s of sent) {
        if (s.type === "send") {
          toClient.push(s.frame)
          next.push(...client.receive(s.frame))
        }
      }
    }
    pending = next
  }
  return { toServer, toClient }
}

/** One core that lives as long as the worker: the shared state a valid client must still get through. */
let persistent: E2eServerCore | undefined
let fed = 0

function validClientGetsThrough(core: E2eServerCore): void {
  const client = newClient(Date.now() >>> 0)
  const envelope = [bytes("valid"), bytes(Date.now() & 0xff)]
  let delivered = false
  let pending: E2eClientOutput[] = [...client.start(), ...client.send([bytes("still here")])]
  for (let round = 0; round < 10 && pending.length > 0; round++) {
    const next: E2eClientOutput[] = []
    for (const o of pending) {
      if (o.type !== "send") continue
      const sent: E2eServerOutput[] = []
      serve(core, core.receive(envelope, o.frame), sent)
      for (const s of sent) {
        if (s.type === "message") delivered = true
        if (s.type === "send") next.push(...client.receive(s.frame))
      }
    }
    pending = next
  }
  if (!client.isReady || !delivered) throw new Finding("e2e: a valid client did not get a session and its message through")
}

export const e2eServer: FuzzTarget = {
  name: "e2e-server",
  about: "E2eServerCore: HELLO/INITIATE/MESSAGE frames from four envelopes into one server core",
  maxLength: 4096,
  dictionary: [bytes(5, "HELLO"), bytes(8, "INITIATE"), bytes(7, "MESSAGE"), bytes(0, 0, 0, 0, 0, 0, 0, 1)],
  seeds() {
    const r = recordE2e()
    // Envelope 0 for every frame; and the same with a stray MESSAGE first from envelope 1.
    const parts = r.toServer.map((f) => bytes(0, f))
    return [joinParts(parts), joinParts([bytes(1, ...(r.toServer[r.toServer.length - 1] ?? [])), ...parts])]
  },
  run(data) {
    feedServer(newServer(0x5e), data)
    if (++fed % 16 === 0) {
      persistent ??= newServer(0x77)
      feedServer(persistent, data)
    }
  },
  check() {
    persistent ??= newServer(0x77)
    validClientGetsThrough(persistent)
    validClientGetsThrough(newServer(Date.now() >>> 0))
  },
}

export const e2eClient: FuzzTarget = {
  name: "e2e-client",
  about: "E2eClientSession: WELCOME/READY/MESSAGE/ERROR frames from a hostile server",
  maxLength: 4096,
  dictionary: [bytes(7, "WELCOME"), bytes(5, "READY"), bytes(7, "MESSAGE"), bytes(5, "ERROR"), bytes(10, "no session")],
  seeds: () => [joinParts(recordE2e().toClient)],
  run(data) {
    const client = newClient(0xc1)
    const check = (outputs: E2eClientOutput[]): void => {
      for (const o of outputs) {
        if (o.type === "event") checkEvent(o.event.code, "e2e client")
        if (o.type === "failed") checkEvent(o.error.code, "e2e client")
        if (o.type === "message") assertThat(o.frames.reduce((n, f) => n + f.length, 0) <= 4096 && o.frames.length <= 16, "e2e client: message over the limits")
      }
    }
    check(client.start())
    check(client.send([bytes("queued")]))
    for (const part of splitParts(data)) check(client.receive(part))
    check(client.tick())
    if (client.isReady) check(client.send([bytes("after")]))
    client.close()
  },
}

export const E2E_TARGETS: FuzzTarget[] = [e2eServer, e2eClient]
