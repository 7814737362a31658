import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode } from "../../src/errors.js"
import { Command } from "../../src/wire/constants.js"
import { commandFrame, decodeCommand, encodeCommand } from "../../src/wire/command.js"
import { FrameDecoder } from "../../src/wire/frame-decoder.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import type { CommandFrame } from "../../src/wire/types.js"
import { codeOf, outcome, sameForAllChunkings, valueOf } from "../helpers/chunking.js"
import { LIBZMQ_PLAIN_CLIENT, LIBZMQ_SUB_31, ascii, concat, hex } from "./vectors.js"

/** Frame-decode a stream and split every command (copying data for comparison). */
function commandsOf(chunks: readonly Uint8Array[]): CommandFrame[] {
  const decoder = new FrameDecoder({ maxFrameSize: 1 << 16, maxCommandSize: 1 << 16 })
  const out: CommandFrame[] = []
  for (const chunk of chunks) {
    decoder.push(chunk)
    for (let f = decoder.next(); f !== undefined; f = decoder.next()) {
      if (!f.command) continue
      const c = decodeCommand(f.body)
      out.push({ name: c.name, data: new Uint8Array(c.data) })
    }
  }
  return out
}

describe("encodeCommand / commandFrame", () => {
  it("writes name length, name, data (RFC 37 command-body)", () => {
    assert.deepEqual(encodeCommand(Command.PING, hex("00 1e")), hex("04 50 49 4e 47 00 1e"))
    assert.deepEqual(encodeCommand("X", new Uint8Array(0)), hex("01 58"))
  })

  it("builds a command frame with COMMAND set and MORE clear", () => {
    const f = commandFrame(Command.SUBSCRIBE, ascii("topic"))
    assert.equal(f.command, true)
    assert.equal(f.more, false)
    assert.deepEqual(encodeFrame(f), LIBZMQ_SUB_31.subarray(64 + 27))
  })

  it("accepts a 255-letter name and refuses 0, 256 or non-letters with RangeError", () => {
    assert.equal(encodeCommand("A".repeat(255), new Uint8Array(1)).length, 257)
    assert.throws(() => encodeCommand("", new Uint8Array(0)), RangeError)
    assert.throws(() => encodeCommand("A".repeat(256), new Uint8Array(0)), RangeError)
    assert.throws(() => encodeCommand("PI NG", new Uint8Array(0)), RangeError)
    assert.throws(() => encodeCommand("PING1", new Uint8Array(0)), RangeError)
    assert.throws(() => encodeCommand(5 as unknown as string, new Uint8Array(0)), TypeError)
    assert.throws(() => encodeCommand("PING", [1] as unknown as Uint8Array), TypeError)
  })
})

describe("decodeCommand", () => {
  it("splits libzmq 4.3.5's HELLO and SUBSCRIBE", () => {
    const hello = decodeCommand(LIBZMQ_PLAIN_CLIENT.subarray(66))
    assert.equal(hello.name, "HELLO")
    assert.deepEqual(hello.data, concat(hex("05"), ascii("admin"), hex("06"), ascii("secret")))
    assert.deepEqual(commandsOf([LIBZMQ_SUB_31.subarray(64)]).map((c) => c.name), ["READY", "SUBSCRIBE"])
  })

  it("returns data as a view into the body", () => {
    const body = encodeCommand("PONG", ascii("ctx"))
    const c = decodeCommand(body)
    assert.equal(c.data.buffer, body.buffer)
    assert.equal(c.data.byteOffset, 5)
  })

  it("accepts a body that is only a name (empty data)", () => {
    assert.deepEqual(decodeCommand(hex("04 50 4f 4e 47")), { name: "PONG", data: new Uint8Array(0) })
  })

  it("refuses an empty body with MALFORMED_COMMAND_UNSPECIFIED", () => {
    assert.equal(codeOf(outcome(() => decodeCommand(new Uint8Array(0)))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })

  it("refuses a name length of 0 with MALFORMED_COMMAND_UNSPECIFIED", () => {
    assert.equal(codeOf(outcome(() => decodeCommand(hex("00 50")))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })

  it("refuses a name running past the body with MALFORMED_COMMAND_UNSPECIFIED", () => {
    assert.equal(codeOf(outcome(() => decodeCommand(hex("05 50 49 4e 47")))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    assert.equal(codeOf(outcome(() => decodeCommand(hex("ff")))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })

  it("refuses a non-letter in the name with MALFORMED_COMMAND_UNSPECIFIED (command-name-char = ALPHA)", () => {
    for (const bad of [0x00, 0x20, 0x30, 0x7f, 0xc3]) {
      assert.equal(codeOf(outcome(() => decodeCommand(new Uint8Array([2, 0x41, bad])))), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
    }
  })

  it("round-trips any letter name and data (property)", () => {
    const letter = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    fc.assert(
      fc.property(fc.array(letter, { minLength: 1, maxLength: 255 }), fc.uint8Array({ maxLength: 600 }), (letters, data) => {
        const name = letters.join("")
        assert.deepEqual(decodeCommand(encodeCommand(name, data)), { name, data })
      }),
      { numRuns: 200 },
    )
  })

  it("gives the same commands under every chunking of libzmq's SUB stream", () => {
    const result = sameForAllChunkings(LIBZMQ_SUB_31.subarray(64), commandsOf)
    assert.deepEqual(valueOf(result)[1], { name: "SUBSCRIBE", data: ascii("topic") })
  })

  it("gives the same error under every chunking of a stream with a bad command", () => {
    const bytes = concat(encodeFrame(commandFrame("PING", hex("00 00"))), hex("04 02 00 41"))
    assert.equal(codeOf(sameForAllChunkings(bytes, commandsOf)), ErrorCode.MALFORMED_COMMAND_UNSPECIFIED)
  })
})
