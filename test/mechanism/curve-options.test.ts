/**
 * The CURVE mechanisms' optional generalisations for the end-to-end layer
 * (src/mechanism/curve-options.ts): little-endian and detected short-nonce order, lenient HELLO,
 * stateless handshakes with shared cookie keys. Without options, behaviour is unchanged (the
 * rest of test/mechanism/ covers that).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { generateKeyPair } from "../../src/crypto/index.js"
import { ErrorCode } from "../../src/errors.js"
import { CurveClient } from "../../src/mechanism/curve-client.js"
import { ShortNonceCounter, ShortNonceWindow, likelyNonceOrder } from "../../src/mechanism/curve-message.js"
import type { CurveCookieKeys } from "../../src/mechanism/curve-options.js"
import { CurveServer } from "../../src/mechanism/curve-server.js"
import type { MechanismOutput } from "../../src/mechanism/mechanism.js"
import { decodeCommand, encodeCommand } from "../../src/wire/command.js"
import { codeOf as codeOfError, mechanismOptions, testEnv } from "./pump.js"

function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    return codeOfError(err)
  }
  throw new Error("expected a ProtocolError, got none")
}

const commandOf = (outputs: MechanismOutput[]) => {
  const o = outputs.find((x) => x.type === "command")
  assert.ok(o !== undefined && o.type === "command")
  return o.command
}

function sharedKeys(): CurveCookieKeys & { claims: Set<string> } {
  const key = new Uint8Array(32).fill(7)
  const claims = new Set<string>()
  return {
    claims,
    current: () => key,
    candidates: () => [key],
    claim(t) {
      const k = Buffer.from(t).toString("hex")
      if (claims.has(k)) return false
      claims.add(k)
      return true
    },
  }
}

describe("CURVE options for the end-to-end layer", () => {
  it("ShortNonceCounter writes little-endian from 1 when told; big-endian by default", () => {
    const out = new Uint8Array(8)
    const le = new ShortNonceCounter({ hi: 0, lo: 0x01020304 })
    le.order = "little"
    le.writeNext(out, 0)
    assert.deepEqual([...out], [4, 3, 2, 1, 0, 0, 0, 0])
    const be = new ShortNonceCounter()
    be.writeNext(out, 0)
    assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 0, 1])
  })

  it("ShortNonceWindow little: 1, 256 accepted; 255 after 256 refused (it would pass big-endian)", () => {
    const w = new ShortNonceWindow()
    w.order = "little"
    const n = (v: number) => Uint8Array.from([v & 0xff, v >> 8, 0, 0, 0, 0, 0, 0])
    w.check(n(1), 0)
    w.commit(n(1), 0)
    w.check(n(256), 0)
    w.commit(n(256), 0)
    assert.equal(codeOf(() => w.check(n(255), 0)), ErrorCode.INVALID_SEQUENCE)
  })

  it("auto: a libcurve sequence 0, 1, 2 ... 300 (little-endian) passes and fixes the order; a replay is refused", () => {
    const w = new ShortNonceWindow()
    w.order = "auto"
    const n = (v: number) => Uint8Array.from([v & 0xff, v >> 8, 0, 0, 0, 0, 0, 0])
    for (let v = 0; v <= 300; v++) {
      w.check(n(v), 0)
      w.commit(n(v), 0)
    }
    assert.equal(w.order, "little")
    assert.equal(codeOf(() => w.check(n(300), 0)), ErrorCode.INVALID_SEQUENCE)
    assert.equal(likelyNonceOrder(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 2]), 0), "big")
    assert.equal(likelyNonceOrder(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]), 0), "little")
    assert.equal(likelyNonceOrder(new Uint8Array(8), 0), undefined)
  })

  it("lenientHello accepts version 00 00 and non-zero padding; the default refuses both", () => {
    const server = generateKeyPair()
    const client = generateKeyPair()
    const env = testEnv(3)
    const hello = () => {
      const c = new CurveClient({ ...client, serverKey: server.publicKey }, mechanismOptions({ env }))
      const data = new Uint8Array(commandOf(c.start()).data)
      data[0] = 0
      data[1] = 0
      data[10] = 0xaa
      return { name: "HELLO", data }
    }
    const strict = new CurveServer({ secretKey: server.secretKey }, mechanismOptions({ env }))
    assert.equal(codeOf(() => strict.receive(hello())), ErrorCode.MALFORMED_COMMAND_HELLO)
    const lenient = new CurveServer({ secretKey: server.secretKey }, mechanismOptions({ env }), { lenientHello: true })
    assert.equal(commandOf(lenient.receive(hello())).name, "WELCOME")
  })

  it("shared cookie keys: HELLO on one server instance, INITIATE on a fresh one; a replayed INITIATE is refused", () => {
    const server = generateKeyPair()
    const client = generateKeyPair()
    const env = testEnv(4)
    const keys = sharedKeys()
    const opts = { cookieKeys: keys, peerNonceOrder: "auto" as const }
    const c = new CurveClient({ ...client, serverKey: server.publicKey }, mechanismOptions({ env }))
    const hello = commandOf(c.start())
    const first = new CurveServer({ secretKey: server.secretKey }, mechanismOptions({ env, authenticate: false }), opts)
    const welcome = commandOf(first.receive(hello))
    first.destroy()
    const initiate = commandOf(c.receive(welcome))
    const wire = encodeCommand(initiate.name, initiate.data)
    const second = new CurveServer({ secretKey: server.secretKey }, mechanismOptions({ env, authenticate: false }), opts)
    const outs = second.receive(decodeCommand(wire))
    assert.ok(outs.some((o) => o.type === "ready"))
    const ready = commandOf(outs)
    c.receive(ready)
    assert.ok(c.isReady)
    assert.equal(second.peerNonceOrder, "big")
    const message = c.encode({ more: false, command: false, body: Buffer.from("hi") })
    assert.equal(Buffer.from(second.decode(message).body).toString(), "hi")
    // Replay the INITIATE to a third instance: the cookie still opens, the claim does not.
    const third = new CurveServer({ secretKey: server.secretKey }, mechanismOptions({ env, authenticate: false }), opts)
    assert.equal(codeOf(() => third.receive(decodeCommand(wire))), ErrorCode.INVALID_SEQUENCE)
    // A cookie under a key no longer offered is refused.
    const other = new CurveServer({ secretKey: server.secretKey }, mechanismOptions({ env, authenticate: false }), {
      cookieKeys: { ...keys, candidates: () => [new Uint8Array(32).fill(9)] },
    })
    assert.equal(codeOf(() => other.receive(decodeCommand(wire))), ErrorCode.CRYPTOGRAPHIC)
    assert.equal(keys.current()[0], 7, "the mechanism never wipes the shared key")
  })
})
