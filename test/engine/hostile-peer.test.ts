/**
 * The engine against peers that misbehave after (or at the end of) a valid handshake:
 * issue 7 defects 2 (unbounded frame count), 3 (spoofed reserved properties) and 5 (PONG
 * flood, engine side), issue 8 item 7 (second READY, oversized Identity, late handshake
 * commands). Each case ends in one `error` event with a typed code and a closed connection.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Connection, type ConnectionEvent, type ConnectionOptions } from "../../src/engine/connection.js"
import { generateKeyPair } from "../../src/crypto/index.js"
import type { Authenticate, AuthReply } from "../../src/mechanism/mechanism.js"
import { encodeCommand } from "../../src/wire/command.js"
import { encodeReady } from "../../src/wire/commands.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { encodeGreeting } from "../../src/wire/greeting.js"
import { getProperty } from "../../src/wire/metadata.js"
import { DEFAULT_LIMITS, type Metadata } from "../../src/wire/types.js"
import { FakeClock, concat, pump } from "../helpers/memory-pair.js"
import { zapProtocolClient, type ZapProtocolHandler } from "../../src/auth/zap-client.js"
import { answerZapRequest } from "../../src/auth/zap-handler.js"
import { encodeMetadata } from "../../src/wire/metadata.js"

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b))

function only<T extends ConnectionEvent["type"]>(events: ConnectionEvent[], type: T): Extract<ConnectionEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type)
}

/** A NULL connection that has read a raw peer's greeting and READY: in traffic, ready for raw frames. */
function nullInTraffic(options: Partial<ConnectionOptions> = {}, peerMetadata?: Metadata): Connection {
  const conn = new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false }, ...options })
  conn.takeOutput()
  const md: Metadata = peerMetadata ?? new Map([["Socket-Type", enc("PAIR")]])
  conn.receiveData(concat([encodeGreeting("NULL", false), commandFrame("READY", encodeReady(md))]))
  const events = conn.takeEvents()
  assert.equal(only(events, "error").length, 0, "the handshake itself is valid")
  assert.equal(conn.ready, true)
  return conn
}

function commandFrame(name: string, data: Uint8Array): Uint8Array {
  return encodeFrame({ more: false, command: true, body: encodeCommand(name, data) })
}

/** Every upper/lower-case spelling of `name`. */
function caseVariants(name: string): string[] {
  let out = [""]
  for (const ch of name) {
    const forms = ch.toLowerCase() === ch.toUpperCase() ? [ch] : [ch.toLowerCase(), ch.toUpperCase()]
    out = out.flatMap((prefix) => forms.map((f) => prefix + f))
  }
  return out
}

describe("Frame count per message (issue 7, defect 2)", () => {
  it("1 M empty MORE frames: closed with ERR_ZMTP_TOO_MANY_FRAMES, the engine never holds more than the limit", () => {
    const conn = nullInTraffic()
    // 32 768 frames of two octets (flags MORE, size 0) per 64 KiB chunk; 31 chunks ≈ 1 M frames.
    const chunk = new Uint8Array(65_536)
    for (let i = 0; i < chunk.length; i += 2) chunk[i] = 0x01
    let maxHeld = 0
    let fed = 0
    for (let i = 0; i < 31 && !conn.closed; i++) {
      conn.receiveData(chunk)
      fed += chunk.length / 2
      maxHeld = Math.max(maxHeld, conn.partialMessageFrames)
    }
    const errors = only(conn.takeEvents(), "error")
    assert.equal(errors.length, 1)
    assert.equal(errors[0]?.error.code, "ERR_ZMTP_TOO_MANY_FRAMES")
    assert.equal(errors[0]?.handshake, false)
    assert.equal(conn.closed, true)
    assert.ok(maxHeld <= DEFAULT_LIMITS.maxMessageFrames, `held ${maxHeld} frames`)
    assert.equal(conn.partialMessageFrames, 0, "the partial message is released on close")
    assert.ok(fed < 1_000_000, "the connection closed long before the whole flood was fed")
    // Later input is ignored and costs nothing.
    conn.receiveData(chunk)
    assert.equal(conn.partialMessageFrames, 0)
    assert.equal(conn.takeEvents().length, 0)
  })

  it("the limit is a parameter; a message of exactly the limit is delivered", () => {
    const conn = nullInTraffic({ limits: { maxMessageFrames: 4 } })
    const frame = (more: boolean): Uint8Array => encodeFrame({ more, command: false, body: enc("x") })
    conn.receiveData(concat([frame(true), frame(true), frame(true), frame(false)]))
    const messages = only(conn.takeEvents(), "message")
    assert.equal(messages.length, 1)
    assert.equal(messages[0]?.frames.length, 4)
    conn.receiveData(concat([frame(true), frame(true), frame(true), frame(true), frame(false)]))
    const events = conn.takeEvents()
    assert.equal(only(events, "message").length, 0)
    assert.equal(only(events, "error")[0]?.error.code, "ERR_ZMTP_TOO_MANY_FRAMES")
  })

  it("a maxMessageFrames that is not a positive integer (or Infinity) is a RangeError", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, "10"]) {
      assert.throws(
        () => new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false }, limits: { maxMessageFrames: bad as number } }),
        { name: "RangeError", message: /maxMessageFrames/ },
      )
    }
    assert.doesNotThrow(() => new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false }, limits: { maxMessageFrames: Infinity } }))
  })

  it("also holds when maxMessageSize is unlimited (zeromq's -1)", () => {
    const conn = nullInTraffic({ limits: { maxMessageSize: Number.MAX_SAFE_INTEGER, maxMessageFrames: 1000 } })
    conn.receiveData(new Uint8Array(2 * 1001).map((_, i) => (i % 2 === 0 ? 1 : 0)))
    assert.equal(only(conn.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_TOO_MANY_FRAMES")
  })
})

describe("Reserved connection properties (issue 7, defect 3)", () => {
  const serverKeys = generateKeyPair()
  const clientKeys = generateKeyPair()
  const security = {
    NULL: { server: { mechanism: "NULL", asServer: true }, client: { mechanism: "NULL", asServer: false } },
    PLAIN: {
      server: { mechanism: "PLAIN", asServer: true },
      client: { mechanism: "PLAIN", asServer: false, plainUsername: "guest", plainPassword: "guest" },
    },
    CURVE: {
      server: { mechanism: "CURVE", asServer: true, curvePublicKey: serverKeys.publicKey, curveSecretKey: serverKeys.secretKey },
      client: {
        mechanism: "CURVE",
        asServer: false,
        curvePublicKey: clientKeys.publicKey,
        curveSecretKey: clientKeys.secretKey,
        curveServerKey: serverKeys.publicKey,
      },
    },
  } as const

  async function handshake(
    mechanism: "NULL" | "PLAIN" | "CURVE",
    clientMetadata: Metadata,
    reply: AuthReply | Authenticate,
  ): Promise<{ properties: Metadata; userId: string }> {
    const clock = new FakeClock()
    const server = new Connection({
      socketType: "ROUTER",
      security: security[mechanism].server,
      // NULL asks the hook only with a ZAP domain (RFC 27).
      zapDomain: "test",
      authenticate: typeof reply === "function" ? reply : () => reply,
      peerAddress: "10.1.2.3",
      now: clock.now,
    })
    const client = new Connection({
      socketType: "DEALER",
      security: security[mechanism].client,
      routingId: enc("dealer-1"),
      metadata: clientMetadata,
      now: clock.now,
    })
    await pump(client, server)
    const hs = only(server.takeEvents(), "handshake")
    assert.equal(hs.length, 1, `${mechanism}: handshake completes`)
    const peer = hs[0]!.peer
    return { properties: peer.properties, userId: peer.userId }
  }

  function assertReserved(properties: Metadata, expected: Record<string, string>): void {
    for (const [name, value] of Object.entries(expected)) {
      for (const variant of caseVariants(name)) {
        assert.equal(dec(getProperty(properties, variant)), value, `getProperty(properties, ${JSON.stringify(variant)})`)
      }
      const keys = [...properties.keys()].filter((k) => k.toLowerCase() === name.toLowerCase())
      assert.deepEqual(keys, [name], `exactly one ${name} entry, canonically spelt`)
    }
  }

  for (const mechanism of ["NULL", "PLAIN", "CURVE"] as const) {
    it(`${mechanism}: a peer announcing user-id / peer-address (any case) cannot spoof them`, async () => {
      const spoof: Metadata = new Map([
        ["user-id", enc("admin")],
        ["PEER-ADDRESS", enc("127.0.0.1")],
        ["X-App", enc("kept")],
      ])
      const { properties, userId } = await handshake(mechanism, spoof, { status: 200, userId: "guest" })
      assert.equal(userId, "guest")
      assertReserved(properties, { "User-Id": "guest", "Peer-Address": "10.1.2.3", "Socket-Type": "DEALER", Identity: "dealer-1" })
      assert.equal(dec(getProperty(properties, "x-app")), "kept", "other peer properties are kept")
    })

    it(`${mechanism}: authenticator (ZAP) metadata cannot set reserved properties; it wins over the peer's own`, async () => {
      const peerMd: Metadata = new Map([["x-role", enc("admin")]])
      const zapMd: Metadata = new Map([
        ["user-id", enc("admin")],
        ["Peer-address", enc("1.1.1.1")],
        ["socket-type", enc("ROUTER")],
        ["IDENTITY", enc("someone-else")],
        ["X-Role", enc("user")],
      ])
      const { properties } = await handshake(mechanism, peerMd, { status: 200, userId: "guest", metadata: zapMd })
      assertReserved(properties, { "User-Id": "guest", "Peer-Address": "10.1.2.3", "Socket-Type": "DEALER", Identity: "dealer-1" })
      for (const variant of caseVariants("X-Role")) assert.equal(dec(getProperty(properties, variant)), "user")
      assert.equal([...properties.keys()].filter((k) => k.toLowerCase() === "x-role").length, 1)
    })

    it(`${mechanism}: through the ZAP wire protocol, a reply's metadata frame cannot set User-Id either`, async () => {
      // A ZAP handler (RFC 27) whose reply carries user-id/peer-address/socket-type in its
      // metadata frame, while the peer's own READY/INITIATE also announces user-id: admin.
      const handler: ZapProtocolHandler = async (request) => {
        const reply = await answerZapRequest(request, () => ({ status: 200, userId: "guest" }))
        const md: Metadata = new Map([
          ["user-id", enc("admin")],
          ["PEER-address", enc("1.1.1.1")],
          ["Socket-type", enc("ROUTER")],
          ["X-Tenant", enc("blue")],
        ])
        return [...reply.slice(0, 5), encodeMetadata(md)]
      }
      const spoof: Metadata = new Map([["User-ID", enc("admin")]])
      const { properties, userId } = await handshake(mechanism, spoof, zapProtocolClient(handler))
      assert.equal(userId, "guest")
      assertReserved(properties, { "User-Id": "guest", "Peer-Address": "10.1.2.3", "Socket-Type": "DEALER", Identity: "dealer-1" })
      assert.equal(dec(getProperty(properties, "x-tenant")), "blue")
    })
  }
})

describe("Malformed peers after the handshake (issue 8, item 7)", () => {
  it("a second READY closes the connection with ERR_ZMTP_UNEXPECTED_COMMAND", () => {
    const conn = nullInTraffic()
    conn.receiveData(commandFrame("READY", encodeReady(new Map([["Socket-Type", enc("PAIR")]]))))
    const errors = only(conn.takeEvents(), "error")
    assert.equal(errors[0]?.error.code, "ERR_ZMTP_UNEXPECTED_COMMAND")
    assert.equal(errors[0]?.handshake, false)
    assert.equal(conn.closed, true)
  })

  it("a second READY in the same chunk as the first is refused too, before any message", () => {
    const conn = new Connection({ socketType: "PAIR", security: { mechanism: "NULL", asServer: false } })
    const ready = commandFrame("READY", encodeReady(new Map([["Socket-Type", enc("PAIR")]])))
    conn.receiveData(concat([encodeGreeting("NULL", false), ready, ready, encodeFrame({ more: false, command: false, body: enc("m") })]))
    const events = conn.takeEvents()
    assert.deepEqual(events.map((e) => e.type), ["handshake", "error"])
    assert.equal(only(events, "error")[0]?.error.code, "ERR_ZMTP_UNEXPECTED_COMMAND")
  })

  for (const name of ["HELLO", "WELCOME", "INITIATE"]) {
    it(`a ${name} after READY closes the connection with ERR_ZMTP_UNEXPECTED_COMMAND`, () => {
      const conn = nullInTraffic()
      conn.receiveData(commandFrame(name, new Uint8Array(10)))
      assert.equal(only(conn.takeEvents(), "error")[0]?.error.code, "ERR_ZMTP_UNEXPECTED_COMMAND")
      assert.equal(conn.closed, true)
    })
  }

  it("an unknown command after READY is still ignored (RFC 37 leaves them open; libzmq ignores)", () => {
    const conn = nullInTraffic()
    conn.receiveData(commandFrame("FUTURE", new Uint8Array(3)))
    assert.equal(conn.takeEvents().length, 0)
    assert.equal(conn.closed, false)
  })

  it("an Identity over 255 octets fails the handshake with ERR_ZMTP_INVALID_METADATA", () => {
    const conn = new Connection({ socketType: "ROUTER", security: { mechanism: "NULL", asServer: false } })
    const md: Metadata = new Map([
      ["Socket-Type", enc("DEALER")],
      ["Identity", new Uint8Array(256).fill(0x41)],
    ])
    conn.receiveData(concat([encodeGreeting("NULL", false), commandFrame("READY", encodeReady(md))]))
    const events = conn.takeEvents()
    assert.equal(only(events, "handshake").length, 0)
    const errors = only(events, "error")
    assert.equal(errors[0]?.error.code, "ERR_ZMTP_INVALID_METADATA")
    assert.equal(errors[0]?.handshake, true)
    assert.equal(conn.closed, true)
  })

  it("an Identity of exactly 255 octets is accepted", () => {
    const conn = new Connection({ socketType: "ROUTER", security: { mechanism: "NULL", asServer: false } })
    const md: Metadata = new Map([
      ["Socket-Type", enc("DEALER")],
      ["Identity", new Uint8Array(255).fill(0x41)],
    ])
    conn.receiveData(concat([encodeGreeting("NULL", false), commandFrame("READY", encodeReady(md))]))
    const hs = only(conn.takeEvents(), "handshake")
    assert.equal(hs[0]?.peer.routingId.length, 255)
  })
})

describe("PONG back-pressure in the engine (issue 7, defect 5)", () => {
  const ping = (context: string): Uint8Array => commandFrame("PING", concat([new Uint8Array([0, 0]), enc(context)]))
  const pongs = (out: Uint8Array[]): string[] => {
    // Parse our own output: short command frames "\x04PONG" + context.
    const bytes = concat(out)
    const found: string[] = []
    for (let at = 0; at < bytes.length; ) {
      const size = bytes[at + 1] as number
      const body = bytes.subarray(at + 2, at + 2 + size)
      if (dec(body.subarray(0, 5)) === "\u0004PONG") found.push(dec(body.subarray(5)) as string)
      at += 2 + size
    }
    return found
  }

  it("a burst of PINGs read at once is answered by one PONG, with the latest context", () => {
    const conn = nullInTraffic()
    conn.takeOutput()
    conn.receiveData(concat(Array.from({ length: 10_000 }, (_, i) => ping(`c${i}`))))
    assert.deepEqual(pongs(conn.takeOutput()), ["c9999"])
    assert.deepEqual(pongs(conn.takeOutput()), [])
  })

  it("while output is blocked no PONG is produced, reading pauses, and one PONG follows the drain", () => {
    const conn = nullInTraffic()
    conn.takeOutput()
    conn.setOutputBlocked(true)
    let maxPending = 0
    for (let i = 0; i < 100_000; i++) {
      conn.receiveData(ping(`p${i % 1000}`))
      maxPending = Math.max(maxPending, conn.pendingOutput)
      conn.takeEvents()
      assert.equal(conn.takeOutput().length, 0)
    }
    assert.equal(maxPending, 0, "nothing was queued for the peer while blocked")
    assert.equal(conn.readPaused, true)
    conn.setOutputBlocked(false)
    assert.equal(conn.readPaused, false)
    assert.deepEqual(pongs(conn.takeOutput()), ["p999"])
  })

  it("reading does not pause for a peer that sends anything but PINGs while our output is blocked", () => {
    const conn = nullInTraffic()
    conn.takeOutput()
    conn.setOutputBlocked(true)
    conn.receiveData(ping("a"))
    conn.receiveData(encodeFrame({ more: false, command: false, body: enc("data") }))
    conn.receiveData(ping("b"))
    conn.receiveData(ping("c"))
    assert.equal(conn.readPaused, false, "a message arrived while blocked: this peer still sends, keep reading")
    conn.setOutputBlocked(false)
    conn.setOutputBlocked(true)
    conn.receiveData(ping("d"))
    assert.equal(conn.readPaused, false, "one PING is not a flood")
    conn.receiveData(ping("e"))
    assert.equal(conn.readPaused, true)
  })
})
