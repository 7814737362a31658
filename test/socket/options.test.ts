/**
 * Bad arguments throw typed errors that say what is wrong (and never print a secret);
 * options behave as constructor fields and properties with `zeromq`'s names.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { Context, Dealer, Pair, Pull, Push, Router, Subscriber, context, curveKeyPair } from "../../src/index.js"
import { z85Decode } from "../../src/wire/z85.js"

function throwsTyped(fn: () => unknown, kind: typeof TypeError | typeof RangeError, pattern: RegExp): Error {
  let caught: unknown
  assert.throws(fn, (err: unknown) => {
    caught = err
    return true
  })
  assert.ok(caught instanceof kind, `expected ${kind.name}, got ${String(caught)}`)
  assert.match((caught as Error).message, pattern)
  return caught as Error
}

describe("socket options", () => {
  it("have zeromq's defaults", () => {
    const s = new Dealer()
    try {
      assert.equal(s.linger, -1)
      assert.equal(s.sendHighWaterMark, 1000)
      assert.equal(s.receiveHighWaterMark, 1000)
      assert.equal(s.sendTimeout, -1)
      assert.equal(s.receiveTimeout, -1)
      assert.equal(s.reconnectInterval, 100)
      assert.equal(s.reconnectMaxInterval, 0)
      assert.equal(s.handshakeInterval, 30_000)
      assert.equal(s.immediate, false)
      assert.equal(s.routingId, null)
      assert.equal(s.curveServer, false)
      assert.equal(s.curveServerKey, null)
      assert.equal(s.securityMechanism, null)
      assert.equal(s.lastEndpoint, null)
      assert.equal(s.closed, false)
      assert.ok(s.maxMessageSize > 0, "maxMessageSize is finite by default")
    } finally {
      s.close()
    }
  })

  it("are set from the constructor and as properties, and read back", () => {
    const keys = curveKeyPair()
    const s = new Router({ sendHighWaterMark: 5, routingId: "me", mandatory: true, curveServer: true, curveSecretKey: keys.secretKey })
    try {
      assert.equal(s.sendHighWaterMark, 5)
      assert.equal(s.routingId, "me")
      assert.equal(s.mandatory, true)
      assert.equal(s.routerMandatory, true)
      assert.equal(s.securityMechanism, "curve")
      s.receiveTimeout = 250
      assert.equal(s.receiveTimeout, 250)
      s.curvePublicKey = z85Decode(keys.publicKey) // 32 octets in, Z85 out (like zeromq)
      assert.equal(s.curvePublicKey, keys.publicKey)
    } finally {
      s.close()
    }
    const r = new Router({ routerMandatory: true })
    assert.equal(r.mandatory, true)
    r.close()
  })

  it("an unknown option is a TypeError naming it", () => {
    throwsTyped(() => new Push({ bogus: 1 } as never), TypeError, /unknown option "bogus" for a Push socket/)
    // Options of other socket types are unknown too (a PUSH cannot receive).
    throwsTyped(() => new Push({ receiveTimeout: 5 } as never), TypeError, /unknown option "receiveTimeout"/)
    throwsTyped(() => new Pull({ mandatory: true } as never), TypeError, /unknown option "mandatory"/)
    // zeromq options Ironhouse does not implement say so.
    throwsTyped(() => new Push({ tcpAcceptFilter: "10.0.0.0/8" } as never), TypeError, /"tcpAcceptFilter" of the zeromq package is not implemented/)
  })

  it("a value of the wrong type is a TypeError, one out of range a RangeError, both saying what came", () => {
    throwsTyped(() => new Push({ sendHighWaterMark: "10" as never }), TypeError, /sendHighWaterMark: expected an integer, got string/)
    throwsTyped(() => new Push({ sendHighWaterMark: 1.5 }), TypeError, /expected an integer, got 1.5/)
    throwsTyped(() => new Push({ sendHighWaterMark: -5 }), RangeError, /sendHighWaterMark: expected an integer from 0 to 2147483647, got -5/)
    throwsTyped(() => new Push({ linger: -2 }), RangeError, /linger: expected an integer from -1/)
    throwsTyped(() => new Push({ immediate: 1 as never }), TypeError, /immediate: expected a boolean, got number/)
    throwsTyped(() => new Push({ routingId: "" } as never), TypeError, /unknown option "routingId"/)
    throwsTyped(() => new Dealer({ routingId: "" }), RangeError, /routingId: expected 1 to 255 octets, got 0/)
    throwsTyped(() => new Dealer({ routingId: "x".repeat(256) }), RangeError, /got 256/)
    throwsTyped(() => new Push({ plainUsername: "u".repeat(300) }), RangeError, /plainUsername: expected at most 255 UTF-8 octets, got 300/)
    const s = new Push()
    throwsTyped(() => {
      s.sendTimeout = Number.NaN
    }, TypeError, /sendTimeout: expected an integer, got NaN/)
    s.close()
  })

  it("a CURVE key of the wrong length is a RangeError with the length that came, never the key", () => {
    const secret = "s3cr3t-".repeat(5) // 35 characters, pretending to be a key
    const err = throwsTyped(() => new Push({ curveSecretKey: secret }), RangeError, /curveSecretKey: .*got string of length 35/)
    assert.ok(!err.message.includes(secret), "the key never appears in the message")
    throwsTyped(() => new Push({ curveServerKey: new Uint8Array(31) }), RangeError, /curveServerKey: .*got Uint8Array of length 31/)
    throwsTyped(() => new Push({ curvePublicKey: 42 as never }), TypeError, /curvePublicKey: expected Uint8Array/)
    const badZ85 = `${"0".repeat(39)}"` // '"' is not in the Z85 alphabet
    const err2 = throwsTyped(() => new Push({ curveSecretKey: badZ85 }), RangeError, /curveSecretKey: /)
    assert.ok(!err2.message.includes(badZ85))
  })

  it("util.inspect() never shows the secret key or the password", () => {
    const keys = curveKeyPair()
    const s = new Dealer({ curveServerKey: keys.publicKey, curveSecretKey: keys.secretKey, curvePublicKey: keys.publicKey })
    const p = new Dealer({ plainUsername: "alice", plainPassword: "hunter2-password" })
    try {
      const text = inspect(s, { depth: 5 }) + inspect(p, { depth: 5 })
      assert.ok(!text.includes(keys.secretKey), "no secret key")
      assert.ok(!text.includes("hunter2-password"), "no password")
      assert.match(text, /\[redacted\]/)
      assert.match(text, /alice/, "non-secret options are shown")
      assert.match(text, /^Dealer /)
    } finally {
      s.close()
      p.close()
    }
  })

  it("a CURVE socket without its secret key fails at bind()/connect() with a TypeError", async () => {
    const keys = curveKeyPair()
    const server = new Pull({ curveServer: true })
    const client = new Push({ curveServerKey: keys.publicKey })
    try {
      await assert.rejects(server.bind("tcp://127.0.0.1:*"), (err: unknown) => err instanceof TypeError && /curveSecretKey/.test((err as Error).message))
      throwsTyped(() => client.connect("tcp://127.0.0.1:5555"), TypeError, /curveSecretKey: expected a key .* CURVE client, got null/)
    } finally {
      server.close()
      client.close()
    }
  })

  it("malformed endpoints throw (connect) or reject (bind) with code EINVAL", async () => {
    const s = new Push()
    try {
      const err = throwsTyped(() => s.connect("tcp://127.0.0.1"), RangeError, /no port/)
      assert.equal((err as Error & { code?: string }).code, "EINVAL")
      await assert.rejects(s.bind("tcp://127.0.0.1:99999"), (e: unknown) => e instanceof RangeError && (e as { code?: string }).code === "EINVAL")
      await assert.rejects(s.bind("pgm://eth0;239.192.1.1:5555"), (e: unknown) => (e as { code?: string }).code === "EPROTONOSUPPORT")
    } finally {
      s.close()
    }
  })

  it("message frames of an unsupported type are a TypeError", async () => {
    const s = new Pair()
    try {
      throwsTyped(() => s.send({ not: "a frame" } as never), TypeError, /expected a message frame .* got object/)
      throwsTyped(() => s.send([]), TypeError, /at least one frame/)
      throwsTyped(() => s.send(undefined as never), TypeError, /expected a message, got undefined/)
    } finally {
      s.close()
    }
  })

  it("subscribe() takes strings and buffers only", () => {
    const s = new Subscriber()
    throwsTyped(() => s.subscribe(5 as never), TypeError, /subscription prefix .* got number/)
    s.close()
  })

  it("the context option must be a Context; a context without blocky gives sockets linger 0", () => {
    throwsTyped(() => new Push({ context: {} as never }), TypeError, /context: expected a Context, got object/)
    const quiet = new Context({ blocky: false })
    const s = new Push({ context: quiet })
    assert.equal(s.linger, 0)
    assert.equal(s.context, quiet)
    s.close()
    const d = new Push()
    assert.equal(d.context, context)
    d.close()
    throwsTyped(() => new Context({ ioThreads: 2 } as never), TypeError, /unknown context option "ioThreads"/)
  })
})
