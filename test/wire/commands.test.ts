import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode } from "../../src/errors.js"
import { Command } from "../../src/wire/constants.js"
import { commandFrame, decodeCommand } from "../../src/wire/command.js"
import {
  decodeError,
  decodePing,
  decodePong,
  decodeReady,
  encodeError,
  encodePing,
  encodePong,
  encodeReady,
  parseSubscriptionMessage,
  subscriptionMessage,
} from "../../src/wire/commands.js"
import { FrameDecoder } from "../../src/wire/frame-decoder.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { makeMetadata, metadataToRecord } from "../../src/wire/metadata.js"
import { codeOf, outcome, sameForAllChunkings, valueOf } from "../helpers/chunking.js"
import { LIBZMQ_DEALER_STREAM, LIBZMQ_SUB_30, RFC37_DEALER_READY, ascii, concat, hex } from "./vectors.js"

type Decoded =
  | { name: "READY"; properties: Record<string, string> }
  | { name: "ERROR"; reason: string }
  | { name: "PING"; ttl: number; context: number[] }
  | { name: "PONG"; context: number[] }
  | { name: "SUBSCRIBE" | "CANCEL"; topic: number[] }
  | { name: "message"; body: number[]; subscription?: { subscribe: boolean; topic: number[] } }

/** Frame-decode a stream and decode every frame as the engine would, into plain values. */
function decodeStream(chunks: readonly Uint8Array[]): Decoded[] {
  const decoder = new FrameDecoder({ maxFrameSize: 4096, maxCommandSize: 4096 })
  const out: Decoded[] = []
  for (const chunk of chunks) {
    decoder.push(chunk)
    for (let f = decoder.next(); f !== undefined; f = decoder.next()) {
      if (!f.command) {
        const sub = parseSubscriptionMessage(f.body)
        out.push({
          name: "message",
          body: [...f.body],
          ...(sub ? { subscription: { subscribe: sub.subscribe, topic: [...sub.topic] } } : {}),
        })
        continue
      }
      const c = decodeCommand(f.body)
      switch (c.name) {
        case "READY":
          out.push({ name: "READY", properties: metadataToRecord(decodeReady(c.data)) })
          break
        case "ERROR":
          out.push({ name: "ERROR", reason: decodeError(c.data) })
          break
        case "PING": {
          const p = decodePing(c.data)
          out.push({ name: "PING", ttl: p.ttl, context: [...p.context] })
          break
        }
        case "PONG":
          out.push({ name: "PONG", context: [...decodePong(c.data)] })
          break
        case "SUBSCRIBE":
        case "CANCEL":
          out.push({ name: c.name, topic: [...c.data] })
          break
        default:
          assert.fail(`unexpected command ${c.name}`)
      }
    }
  }
  return out
}

function command(name: string, data: Uint8Array): Uint8Array {
  return encodeFrame(commandFrame(name, data))
}

describe("READY", () => {
  it("encodes the RFC 37 worked-example READY", () => {
    const md = makeMetadata({ "Socket-Type": "DEALER", Identity: "" })
    assert.deepEqual(command(Command.READY, encodeReady(md)), RFC37_DEALER_READY)
  })

  it("decodes libzmq 4.3.5's READY, PING and message under every chunking", () => {
    const result = sameForAllChunkings(LIBZMQ_DEALER_STREAM, decodeStream)
    const decoded = valueOf(result)
    assert.deepEqual(decoded[0], { name: "READY", properties: { "Socket-Type": "DEALER", Identity: "abc" } })
    assert.deepEqual(decoded[3], { name: "PING", ttl: 30, context: [] })
    assert.equal(decoded.length, 4)
  })

  it("refuses malformed READY metadata with INVALID_METADATA by default, or the code given", () => {
    assert.equal(codeOf(outcome(() => decodeReady(hex("00")))), ErrorCode.INVALID_METADATA)
    assert.equal(codeOf(outcome(() => decodeReady(hex("00"), ErrorCode.MALFORMED_COMMAND_READY))), ErrorCode.MALFORMED_COMMAND_READY)
  })
})

describe("ERROR", () => {
  it("encodes a reason with its one-octet length", () => {
    assert.deepEqual(encodeError("400"), hex("03 34 30 30"))
    assert.deepEqual(encodeError(""), hex("00"))
    assert.equal(encodeError("x".repeat(255)).length, 256)
  })

  it("refuses a reason over 255 characters or not printable ASCII with RangeError", () => {
    assert.throws(() => encodeError("x".repeat(256)), RangeError)
    assert.throws(() => encodeError("bad\nreason"), RangeError)
    assert.throws(() => encodeError("é"), RangeError)
    assert.throws(() => encodeError(4 as unknown as string), TypeError)
  })

  it("round-trips printable reasons (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i))), maxLength: 255 }), (reason) => {
        assert.equal(decodeError(encodeError(reason)), reason)
      }),
      { numRuns: 200 },
    )
  })

  it("renders octets outside printable ASCII as \\xNN, so the reason is safe to log", () => {
    assert.equal(decodeError(hex("04 41 0a 1b ff")), "A\\x0a\\x1b\\xff")
  })

  it("refuses empty data with MALFORMED_COMMAND_ERROR", () => {
    assert.equal(codeOf(outcome(() => decodeError(new Uint8Array(0)))), ErrorCode.MALFORMED_COMMAND_ERROR)
  })

  it("refuses a reason length past the data with MALFORMED_COMMAND_ERROR", () => {
    assert.equal(codeOf(outcome(() => decodeError(hex("05 41 42")))), ErrorCode.MALFORMED_COMMAND_ERROR)
  })

  it("refuses trailing octets after the reason with MALFORMED_COMMAND_ERROR (exact length)", () => {
    assert.equal(codeOf(outcome(() => decodeError(hex("01 41 42")))), ErrorCode.MALFORMED_COMMAND_ERROR)
  })
})

describe("PING / PONG", () => {
  it("encodes TTL in network order then the context", () => {
    assert.deepEqual(encodePing(30, new Uint8Array(0)), hex("00 1e"))
    assert.deepEqual(encodePing(0xffff, ascii("ctx")), hex("ff ff 63 74 78"))
    assert.deepEqual(encodePong(ascii("ctx")), ascii("ctx"))
    assert.deepEqual(encodePong(new Uint8Array(0)), new Uint8Array(0))
  })

  it("refuses bad TTLs and contexts over 16 octets with RangeError", () => {
    assert.throws(() => encodePing(-1, new Uint8Array(0)), RangeError)
    assert.throws(() => encodePing(65536, new Uint8Array(0)), RangeError)
    assert.throws(() => encodePing(1.5, new Uint8Array(0)), RangeError)
    assert.throws(() => encodePing(1, new Uint8Array(17)), RangeError)
    assert.throws(() => encodePong(new Uint8Array(17)), RangeError)
    assert.throws(() => encodePong("x" as unknown as Uint8Array), TypeError)
  })

  it("round-trips TTL and context, the PONG echoing it (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 16 }), (ttl, context) => {
        const ping = decodePing(encodePing(ttl, context))
        assert.deepEqual(ping, { ttl, context })
        assert.deepEqual(decodePong(encodePong(ping.context)), context)
      }),
      { numRuns: 200 },
    )
  })

  it("accepts a 16-octet context and returns it as a view", () => {
    const data = concat(hex("00 01"), new Uint8Array(16).fill(7))
    const ping = decodePing(data)
    assert.equal(ping.context.length, 16)
    assert.equal(ping.context.buffer, data.buffer)
  })

  it("refuses a PING shorter than its TTL with MALFORMED_COMMAND_UNSPECIFIED", () => {
    assert.equal(codeOf(outcome(() => decodePing(new Uint8Array(0)))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    assert.equal(codeOf(outcome(() => decodePing(hex("00")))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })

  it("refuses a PING context over 16 octets with MALFORMED_COMMAND_UNSPECIFIED", () => {
    assert.equal(codeOf(outcome(() => decodePing(new Uint8Array(2 + 17)))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })

  it("refuses a PONG context over 16 octets with MALFORMED_COMMAND_UNSPECIFIED", () => {
    assert.equal(codeOf(outcome(() => decodePong(new Uint8Array(17)))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })
})

describe("subscriptions", () => {
  it("builds the ZMTP 3.0 subscription message libzmq 4.3.5 sends", () => {
    assert.deepEqual(subscriptionMessage(true, ascii("topic")), hex("01 74 6f 70 69 63"))
    assert.deepEqual(subscriptionMessage(false, new Uint8Array(0)), hex("00"))
  })

  it("parses libzmq's 3.0 subscription message under every chunking", () => {
    const decoded = valueOf(sameForAllChunkings(LIBZMQ_SUB_30.subarray(64), decodeStream))
    assert.deepEqual(decoded[1], { name: "message", body: [...hex("01 74 6f 70 69 63")], subscription: { subscribe: true, topic: [...ascii("topic")] } })
  })

  it("parses cancel and empty topics, and leaves other messages alone", () => {
    assert.deepEqual(parseSubscriptionMessage(hex("00 41")), { subscribe: false, topic: ascii("A") })
    assert.deepEqual(parseSubscriptionMessage(hex("01")), { subscribe: true, topic: new Uint8Array(0) })
    assert.equal(parseSubscriptionMessage(new Uint8Array(0)), undefined)
    assert.equal(parseSubscriptionMessage(hex("02 41")), undefined)
  })

  it("round-trips (property)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 100 }), (subscribe, topic) => {
        assert.deepEqual(parseSubscriptionMessage(subscriptionMessage(subscribe, topic)), { subscribe, topic })
      }),
      { numRuns: 100 },
    )
  })
})

describe("a mixed command stream under every chunking", () => {
  it("decodes READY, PING, PONG, ERROR, SUBSCRIBE and CANCEL identically", () => {
    const stream = concat(
      command(Command.READY, encodeReady(makeMetadata({ "Socket-Type": "SUB", "X-App": "\u00e9" }))),
      command(Command.PING, encodePing(100, ascii("abc"))),
      command(Command.PONG, encodePong(ascii("abc"))),
      command(Command.SUBSCRIBE, ascii("news")),
      command(Command.CANCEL, ascii("news")),
      command(Command.ERROR, encodeError("Bad credentials")),
    )
    assert.deepEqual(valueOf(sameForAllChunkings(stream, decodeStream, { emptyChunks: true })), [
      { name: "READY", properties: { "Socket-Type": "SUB", "X-App": "\u00e9" } },
      { name: "PING", ttl: 100, context: [...ascii("abc")] },
      { name: "PONG", context: [...ascii("abc")] },
      { name: "SUBSCRIBE", topic: [...ascii("news")] },
      { name: "CANCEL", topic: [...ascii("news")] },
      { name: "ERROR", reason: "Bad credentials" },
    ])
  })

  it("gives the same error code however a stream with a bad PING is cut", () => {
    const stream = concat(command(Command.PING, encodePing(1, new Uint8Array(0))), command(Command.PING, new Uint8Array(1)))
    assert.equal(codeOf(sameForAllChunkings(stream, decodeStream)), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })
})
