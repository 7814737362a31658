/**
 * Bounded fuzzing of every wire parser with random and mutated inputs (seeded, so failures
 * reproduce). The oracle: only a ProtocolError may escape; any other exception (TypeError,
 * RangeError, an out-of-memory RangeError from a huge allocation, ...) is a bug. Where a parse
 * succeeds, the result must re-encode and re-parse to itself. Each suite is sized to run in a
 * fraction of a second.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import { Command, GREETING_SIZE, Mechanism } from "../../src/wire/constants.js"
import { commandFrame, decodeCommand, encodeCommand } from "../../src/wire/command.js"
import { decodeError, decodePing, decodePong, encodeError, encodePing } from "../../src/wire/commands.js"
import { FrameDecoder, type FrameLimits } from "../../src/wire/frame-decoder.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { checkGreetingPrefix, decodeGreeting, encodeGreeting } from "../../src/wire/greeting.js"
import { decodeMetadata, encodeMetadata, makeMetadata } from "../../src/wire/metadata.js"
import type { Frame } from "../../src/wire/types.js"
import { seededRandom, splitAt } from "../helpers/chunking.js"
import { LIBZMQ_DEALER_STREAM, LIBZMQ_SUB_31, RFC37_DEALER_READY, concat } from "./vectors.js"

type Random = () => number

function int(random: Random, max: number): number {
  return Math.floor(random() * max)
}

function randomBytes(random: Random, maxLength: number): Uint8Array {
  const out = new Uint8Array(int(random, maxLength + 1))
  for (let i = 0; i < out.length; i++) out[i] = int(random, 256)
  return out
}

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x7f, 0x80, 0xfe, 0xff]

/** A few random edits of `input`: bit flips, interesting octets, inserts, deletes, truncation, splices. */
function mutate(random: Random, input: Uint8Array): Uint8Array {
  let bytes = Array.from(input)
  const edits = 1 + int(random, 4)
  for (let e = 0; e < edits; e++) {
    const at = int(random, bytes.length + 1)
    switch (int(random, 6)) {
      case 0:
        if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << int(random, 8))
        break
      case 1:
        if (at < bytes.length) bytes[at] = INTERESTING[int(random, INTERESTING.length)] as number
        break
      case 2:
        bytes.splice(at, 0, int(random, 256))
        break
      case 3:
        bytes.splice(at, 1 + int(random, 4))
        break
      case 4:
        bytes = bytes.slice(0, at)
        break
      case 5: {
        const from = int(random, bytes.length + 1)
        bytes.splice(at, 0, ...bytes.slice(from, from + 1 + int(random, 16)))
        break
      }
    }
  }
  return Uint8Array.from(bytes)
}

/** Run `fn`; a ProtocolError is an accepted outcome, anything else fails with the input. */
function onlyProtocolErrors<T>(what: string, input: Uint8Array, fn: () => T): T | ProtocolError {
  try {
    return fn()
  } catch (err) {
    if (err instanceof ProtocolError) {
      assert.ok(Object.values(ErrorCode).includes(err.code), `${what}: unknown code ${err.code}`)
      return err
    }
    const hex = Buffer.from(input.subarray(0, 128)).toString("hex")
    assert.fail(`${what} threw a non-ProtocolError on input ${hex}${input.length > 128 ? "..." : ""}: ${String(err)}`)
  }
}

function randomChunks(random: Random, bytes: Uint8Array): Uint8Array[] {
  const cuts = new Set<number>()
  const count = int(random, 6)
  for (let i = 0; i < count; i++) cuts.add(int(random, bytes.length + 1))
  return splitAt(bytes, [...cuts].sort((a, b) => a - b))
}

function decodeFrames(chunks: readonly Uint8Array[], limits: FrameLimits): Frame[] {
  const decoder = new FrameDecoder(limits)
  const frames: Frame[] = []
  for (const chunk of chunks) {
    decoder.push(chunk)
    for (let f = decoder.next(); f !== undefined; f = decoder.next()) {
      assert.ok(f.body.length <= (f.command ? limits.maxCommandSize : limits.maxFrameSize), "body within its limit")
      frames.push({ more: f.more, command: f.command, body: new Uint8Array(f.body) })
    }
  }
  return frames
}

const SEEDS = [1, 2, 3]

describe("fuzz: greeting", () => {
  it("checkGreetingPrefix / decodeGreeting raise only ProtocolError on random and mutated greetings", () => {
    const valid = [encodeGreeting(Mechanism.NULL, false), encodeGreeting(Mechanism.CURVE, true), encodeGreeting(Mechanism.PLAIN, false)]
    for (const seed of SEEDS) {
      const random = seededRandom(seed)
      for (let i = 0; i < 3000; i++) {
        const base = valid[i % valid.length] as Uint8Array
        const input = i % 4 === 0 ? randomBytes(random, 70) : mutate(random, base)
        const g = input.length >= GREETING_SIZE ? input.subarray(0, GREETING_SIZE) : input
        onlyProtocolErrors(`greeting (seed ${seed}, #${i})`, g, () => {
          for (let n = 0; n <= g.length; n++) checkGreetingPrefix(g.subarray(0, n))
          if (g.length === GREETING_SIZE) {
            const decoded = decodeGreeting(g)
            assert.ok(decoded.major >= 3 && decoded.mechanism.length >= 1 && decoded.mechanism.length <= 20)
          }
        })
      }
    }
  })
})

describe("fuzz: frame decoder", () => {
  const validStreams = [
    LIBZMQ_DEALER_STREAM,
    LIBZMQ_SUB_31.subarray(GREETING_SIZE),
    RFC37_DEALER_READY,
    concat(
      encodeFrame({ more: true, command: false, body: new Uint8Array(255) }),
      encodeFrame({ more: false, command: false, body: new Uint8Array(256) }),
      encodeFrame(commandFrame(Command.PING, encodePing(10, new Uint8Array(3)))),
    ),
  ]

  it("raises only ProtocolError, respects its limits, and what it decodes round-trips", () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed)
      for (let i = 0; i < 2500; i++) {
        const base = validStreams[i % validStreams.length] as Uint8Array
        const input = i % 5 === 0 ? randomBytes(random, 600) : mutate(random, base)
        const limits = i % 3 === 0 ? { maxFrameSize: 100, maxCommandSize: 50 } : { maxFrameSize: 4096, maxCommandSize: 4096 }
        const result = onlyProtocolErrors(`decoder (seed ${seed}, #${i})`, input, () => decodeFrames(randomChunks(random, input), limits))
        if (result instanceof ProtocolError) {
          assert.ok(
            result.code === ErrorCode.MALFORMED_FRAME || result.code === ErrorCode.MESSAGE_TOO_LARGE,
            `decoder raised ${result.code}`,
          )
        } else {
          // Re-encoding gives a canonical stream (short sizes where possible) that decodes the same.
          assert.deepEqual(decodeFrames([concat(...result.map(encodeFrame))], limits), result)
        }
      }
    }
  })

  it("raises MESSAGE_TOO_LARGE for 2^64-1, 2^63 and 2^32 with 9 octets fed, without allocating for them", () => {
    // Watch every Uint8Array construction while the decoder runs: none may be of the declared size.
    const RealUint8Array = globalThis.Uint8Array
    const allocations: number[] = []
    const watched = new Proxy(RealUint8Array, {
      construct(target, args: unknown[], newTarget) {
        if (typeof args[0] === "number") allocations.push(args[0])
        return Reflect.construct(target, args, newTarget) as object
      },
    })
    const headers = [
      Uint8Array.from([0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      Uint8Array.from([0x06, 0x80, 0, 0, 0, 0, 0, 0, 0]),
      Uint8Array.from([0x03, 0, 0, 0, 0x01, 0, 0, 0, 0]),
    ]
    for (const header of headers) {
      const decoder = new FrameDecoder({ maxFrameSize: 64 << 20, maxCommandSize: 16 << 10 })
      globalThis.Uint8Array = watched
      let result: ProtocolError | undefined
      try {
        decoder.push(header)
        decoder.next()
      } catch (err) {
        result = err as ProtocolError
      } finally {
        globalThis.Uint8Array = RealUint8Array
      }
      assert.ok(result instanceof ProtocolError, "an error after only 9 octets")
      assert.equal(result.code, ErrorCode.MESSAGE_TOO_LARGE)
      assert.equal(decoder.buffered, 0)
    }
    assert.deepEqual(allocations.filter((n) => n > 64), [])
  })

  it("still decodes a good stream afterwards (no state shared between decoders)", () => {
    const frames = decodeFrames([LIBZMQ_DEALER_STREAM], { maxFrameSize: 4096, maxCommandSize: 4096 })
    assert.equal(frames.length, 4)
    assert.equal(frames[2]?.body.length, 300)
  })
})

describe("fuzz: command and command-data parsers", () => {
  const metadataSamples = [
    RFC37_DEALER_READY.subarray(8),
    encodeMetadata(makeMetadata({ "Socket-Type": "ROUTER", Identity: "id", "X-Extra": "value" })),
    new Uint8Array(0),
  ]

  it("decodeCommand, decodeMetadata, decodePing/Pong and decodeError raise only ProtocolError", () => {
    for (const seed of SEEDS) {
      const random = seededRandom(seed)
      for (let i = 0; i < 3000; i++) {
        const md = metadataSamples[i % metadataSamples.length] as Uint8Array
        const commandInput = i % 4 === 0 ? randomBytes(random, 40) : mutate(random, encodeCommand(Command.READY, md))
        const command = onlyProtocolErrors(`decodeCommand (seed ${seed}, #${i})`, commandInput, () => decodeCommand(commandInput))
        if (!(command instanceof ProtocolError)) {
          assert.deepEqual(decodeCommand(encodeCommand(command.name, command.data)), command)
        }

        const mdInput = i % 4 === 0 ? randomBytes(random, 60) : mutate(random, md)
        const decoded = onlyProtocolErrors(`decodeMetadata (seed ${seed}, #${i})`, mdInput, () => decodeMetadata(mdInput))
        if (decoded instanceof ProtocolError) assert.equal(decoded.code, ErrorCode.INVALID_METADATA)
        else assert.deepEqual(decodeMetadata(encodeMetadata(decoded)), decoded)

        const small = i % 2 === 0 ? randomBytes(random, 24) : mutate(random, encodePing(300, new Uint8Array(16)))
        onlyProtocolErrors(`decodePing (seed ${seed}, #${i})`, small, () => decodePing(small))
        onlyProtocolErrors(`decodePong (seed ${seed}, #${i})`, small, () => decodePong(small))

        const err = i % 2 === 0 ? randomBytes(random, 40) : mutate(random, encodeError("Authentication failed"))
        const reason = onlyProtocolErrors(`decodeError (seed ${seed}, #${i})`, err, () => decodeError(err))
        if (typeof reason === "string") assert.ok(/^[\x20-\x7e]*$/.test(reason), "reason is printable")
        else assert.equal(reason.code, ErrorCode.MALFORMED_COMMAND_ERROR)
      }
    }
  })
})
