/**
 * Fuzz: random and mutated commands into every mechanism in every state (server side first of
 * all, client side too). Oracles:
 *   - nothing but a ProtocolError ever escapes (any other exception is a bug);
 *   - garbage never reaches the authenticate hook (CURVE: never; PLAIN: only a well-formed
 *     HELLO; NULL: only a well-formed READY);
 *   - once a mechanism has thrown, it keeps refusing (it never becomes ready);
 *   - afterwards a good client still gets through (libzmq's fuzzers end with this).
 * Bounded: a fixed number of runs per state (no timing assertions).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ProtocolError } from "../../src/errors.js"
import { CurveClient } from "../../src/mechanism/curve-client.js"
import { CurveServer } from "../../src/mechanism/curve-server.js"
import { NullMechanism } from "../../src/mechanism/null.js"
import { PlainClient } from "../../src/mechanism/plain-client.js"
import { PlainServer } from "../../src/mechanism/plain-server.js"
import type { MechanismOutput, SecurityMechanism } from "../../src/mechanism/mechanism.js"
import { decodeCommand } from "../../src/wire/command.js"
import { decodeMetadata } from "../../src/wire/metadata.js"
import type { CommandFrame } from "../../src/wire/types.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../vectors/z85.js"
import { mechanismOptions, pump, testEnv } from "./pump.js"

const NAMES = ["HELLO", "WELCOME", "INITIATE", "READY", "ERROR", "MESSAGE", "PING", "PONG", "SUBSCRIBE", "HELLX", "ready", "X"]

const curveClient = (seed = 1) =>
  new CurveClient(
    { publicKey: LIBZMQ_CLIENT_KEYS.publicKey, secretKey: LIBZMQ_CLIENT_KEYS.secretKey, serverKey: LIBZMQ_SERVER_KEYS.publicKey },
    mechanismOptions({ env: testEnv(seed) }),
  )
const curveServer = (seed = 2) => new CurveServer({ secretKey: LIBZMQ_SERVER_KEYS.secretKey }, mechanismOptions({ env: testEnv(seed) }))
const plainClient = () => new PlainClient("admin", "password", mechanismOptions({ env: testEnv() }))
const plainServer = () => new PlainServer(mechanismOptions({ env: testEnv() }))
const nullClient = () => new NullMechanism(false, mechanismOptions({ env: testEnv(), authenticate: false }))
const nullServer = () => new NullMechanism(true, mechanismOptions({ env: testEnv(), authenticate: true }))

interface Subject {
  label: string
  make: () => SecurityMechanism
  /** Genuine commands the subject receives in a clean handshake (to mutate, and to reach states). */
  genuine: CommandFrame[]
  /** Whether an authenticate output is legitimate for this command in this position. */
  mayAuthenticate: (command: CommandFrame) => boolean
}

/** The commands each side receives in a clean handshake between two fresh mechanisms. */
function cleanInputs(client: () => SecurityMechanism, server: () => SecurityMechanism): { toServer: CommandFrame[]; toClient: CommandFrame[] } {
  const r = pump(client(), server())
  assert.ok(r.client.ready && r.server.ready)
  const pick = (d: string) => r.transcript.filter((t) => t.direction === d).map((t) => decodeCommand(t.body))
  return { toServer: pick("toServer"), toClient: pick("toClient") }
}

function wellFormedHello(data: Uint8Array): boolean {
  if (data.length < 2) return false
  const u = data[0] as number
  return 1 + u < data.length && data[1 + u] === data.length - 2 - u
}

function parses(data: Uint8Array): boolean {
  try {
    decodeMetadata(data)
    return true
  } catch {
    return false
  }
}

const curve = cleanInputs(curveClient, curveServer)
const plain = cleanInputs(plainClient, plainServer)
const nul = cleanInputs(nullClient, nullServer)

const subjects: Subject[] = [
  { label: "CURVE server", make: curveServer, genuine: curve.toServer, mayAuthenticate: () => false },
  { label: "CURVE client", make: curveClient, genuine: curve.toClient, mayAuthenticate: () => false },
  { label: "PLAIN server", make: plainServer, genuine: plain.toServer, mayAuthenticate: (c) => c.name === "HELLO" && wellFormedHello(c.data) },
  { label: "PLAIN client", make: plainClient, genuine: plain.toClient, mayAuthenticate: () => false },
  { label: "NULL server", make: nullServer, genuine: nul.toServer, mayAuthenticate: (c) => c.name === "READY" && parses(c.data) },
  { label: "NULL client", make: nullClient, genuine: nul.toClient, mayAuthenticate: () => false },
]

/** Random commands and mutations of the genuine ones. */
function commandArb(genuine: CommandFrame[]): fc.Arbitrary<CommandFrame> {
  const random = fc.record({
    name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ minLength: 1, maxLength: 12 })),
    data: fc.uint8Array({ maxLength: 400 }),
  })
  if (genuine.length === 0) return random
  const mutated = fc
    .record({
      base: fc.constantFrom(...genuine),
      kind: fc.constantFrom("flip", "truncate", "extend", "rename", "splice"),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
      extra: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      name: fc.constantFrom(...NAMES),
    })
    .map(({ base, kind, at, value, extra, name }): CommandFrame => {
      const data = base.data.slice()
      const i = data.length === 0 ? 0 : at % data.length
      switch (kind) {
        case "flip":
          if (data.length > 0) data[i] = (data[i] as number) ^ (value === 0 ? 1 : value)
          return { name: base.name, data }
        case "truncate":
          return { name: base.name, data: data.subarray(0, i) }
        case "extend":
          return { name: base.name, data: Uint8Array.from([...data, ...extra]) }
        case "rename":
          return { name, data }
        default:
          data.set(extra.subarray(0, Math.max(0, data.length - i)), i)
          return { name: base.name, data }
      }
    })
  return fc.oneof(random, mutated)
}

/** Fresh subject moved forward by the first `steps` genuine commands (auth answered 200). */
function inState(subject: Subject, steps: number): SecurityMechanism {
  const m = subject.make()
  const answer = (outputs: MechanismOutput[]): void => {
    for (const o of outputs) if (o.type === "authenticate") answer(m.authReply({ status: 200 }))
  }
  answer(m.start())
  for (const c of subject.genuine.slice(0, steps)) answer(m.receive({ name: c.name, data: c.data.slice() }))
  return m
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function feed(m: SecurityMechanism, subject: Subject, commands: CommandFrame[]): void {
  let failed = false
  for (const command of commands) {
    let outputs: MechanismOutput[]
    try {
      outputs = m.receive(command)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw new Error(`${subject.label}: a non-protocol error escaped: ${String(err)}`, { cause: err })
      failed = true
      continue
    }
    for (const o of outputs) {
      if (o.type === "authenticate") {
        // A mutation can reproduce a genuine command exactly (e.g. "rename" to its own name):
        // authenticating that one is right.
        const genuine = subject.genuine.some((g) => g.name === command.name && bytesEqual(g.data, command.data))
        assert.ok(!failed && (genuine || subject.mayAuthenticate(command)), `${subject.label}: garbage reached the authenticate hook`)
        // Answer so the state machine moves on (and so later commands hit the next state).
        try {
          m.authReply({ status: 200 })
        } catch (err) {
          assert.ok(err instanceof ProtocolError)
        }
      }
      if (o.type === "ready") assert.ok(!failed, `${subject.label}: ready after a refusal`)
      if (o.type === "failed") failed = true
    }
    if (failed) assert.equal(m.isReady, false)
  }
}

describe("fuzz: random and mutated commands into every mechanism in every state", () => {
  for (const subject of subjects) {
    for (let steps = 0; steps <= subject.genuine.length; steps++) {
      it(`${subject.label} after ${steps} genuine command(s): only ProtocolError, no authenticate for garbage`, () => {
        fc.assert(
          fc.property(fc.array(commandArb(subject.genuine), { minLength: 1, maxLength: 4 }), (commands) => {
            const m = inState(subject, steps)
            if (m.isReady) {
              // Traffic state: the same commands as frame bodies go to decode().
              for (const c of commands) {
                const body = Uint8Array.from([c.name.length & 0xff, ...Array.from(c.name, (ch) => ch.charCodeAt(0) & 0xff), ...c.data])
                try {
                  m.decode({ more: false, command: false, body })
                } catch (err) {
                  assert.ok(err instanceof ProtocolError, `${subject.label}: decode let ${String(err)} escape`)
                }
              }
              return
            }
            feed(m, subject, commands)
          }),
          { numRuns: 60 },
        )
      })
    }
  }

  it("afterwards a good client still gets through, for every mechanism", () => {
    for (const [client, server] of [
      [curveClient, curveServer],
      [plainClient, plainServer],
      [nullClient, nullServer],
    ] as const) {
      const r = pump(client(77), server(78))
      assert.ok(r.client.ready && r.server.ready)
    }
  })
})
