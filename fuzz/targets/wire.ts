/**
 * Wire parsers (RFC 37): greeting, frame decoder, command bodies with the command-data parsers,
 * metadata. Oracle: only ProtocolError with a known code, with the code the parser documents;
 * results within their limits; what parses re-encodes and re-parses to itself.
 */
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import { Command, GREETING_SIZE, Mechanism } from "../../src/wire/constants.js"
import { decodeCommand, encodeCommand } from "../../src/wire/command.js"
import { decodeError, decodePing, decodePong, encodeError, encodePing, parseSubscriptionMessage } from "../../src/wire/commands.js"
import { FrameDecoder } from "../../src/wire/frame-decoder.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { checkGreetingPrefix, decodeGreeting, encodeGreeting } from "../../src/wire/greeting.js"
import { decodeMetadata, encodeMetadata, makeMetadata } from "../../src/wire/metadata.js"
import type { Frame } from "../../src/wire/types.js"
import { LIBZMQ_DEALER_GREETING, LIBZMQ_DEALER_STREAM, LIBZMQ_PLAIN_CLIENT, LIBZMQ_SUB_30, LIBZMQ_SUB_31, RFC37_DEALER_READY } from "../../test/wire/vectors.js"
import { assertThat, bytes, concatBytes, expectTyped, type FuzzTarget } from "../target.js"

const COMMAND_NAMES = ["READY", "HELLO", "WELCOME", "INITIATE", "ERROR", "MESSAGE", "PING", "PONG", "SUBSCRIBE", "CANCEL"]
const PROPERTY_NAMES = ["Socket-Type", "Identity", "Resource", "User-Id", "X-Extra"]

function withCode(err: unknown, codes: readonly string[], where: string): void {
  if (err instanceof ProtocolError) assertThat(codes.includes(err.code), `${where}: unexpected code ${err.code}`)
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export const greeting: FuzzTarget = {
  name: "greeting",
  about: "checkGreetingPrefix on every prefix, then decodeGreeting on 64 octets",
  maxLength: 80,
  dictionary: [bytes(0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1), "NULL", "PLAIN", "CURVE"],
  seeds: () => [
    encodeGreeting(Mechanism.NULL, false),
    encodeGreeting(Mechanism.PLAIN, true),
    encodeGreeting(Mechanism.CURVE, true),
    LIBZMQ_DEALER_GREETING,
    LIBZMQ_PLAIN_CLIENT.subarray(0, GREETING_SIZE),
  ],
  run(data) {
    const g = data.subarray(0, GREETING_SIZE)
    const r = expectTyped(() => {
      for (let n = 0; n <= g.length; n++) checkGreetingPrefix(g.subarray(0, n))
      return g.length === GREETING_SIZE ? decodeGreeting(g) : undefined
    })
    withCode(r, [ErrorCode.BAD_GREETING], "greeting")
    if (r !== undefined && !(r instanceof Error)) {
      assertThat(r.major >= 3 && r.mechanism.length >= 1 && r.mechanism.length <= 20, "greeting: decoded fields out of range")
    }
  },
}

/** Chunk sizes for the second feeding of the same stream (any chunking must give the same frames). */
const CUTS = [1, 3, 2, 9, 1, 64, 5, 300, 7]

function decodeAll(chunks: Uint8Array[], maxFrameSize: number, maxCommandSize: number): { frames: Frame[]; error: ProtocolError | undefined } {
  const decoder = new FrameDecoder({ maxFrameSize, maxCommandSize })
  const frames: Frame[] = []
  const r = expectTyped(() => {
    for (const chunk of chunks) {
      decoder.push(chunk)
      for (let f = decoder.next(); f !== undefined; f = decoder.next()) {
        assertThat(f.body.length <= (f.command ? maxCommandSize : maxFrameSize), "frame decoder: body over its limit")
        frames.push({ more: f.more, command: f.command, body: new Uint8Array(f.body) })
      }
    }
  })
  return { frames, error: r instanceof ProtocolError ? r : undefined }
}

export const frameDecoder: FuzzTarget = {
  name: "frame-decoder",
  about: "FrameDecoder: the stream whole and cut into odd chunks must give the same frames; limits before allocation",
  maxLength: 4096,
  dictionary: [bytes(0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), bytes(0x06, 0, 0, 0, 0, 0, 0, 1, 0), bytes(0x04), bytes(0x01, 0x00)],
  seeds: () => [
    LIBZMQ_DEALER_STREAM,
    LIBZMQ_SUB_31.subarray(GREETING_SIZE),
    LIBZMQ_SUB_30.subarray(GREETING_SIZE),
    RFC37_DEALER_READY,
    concatBytes([
      encodeFrame({ more: true, command: false, body: new Uint8Array(255) }),
      encodeFrame({ more: false, command: false, body: new Uint8Array(256) }),
      encodeFrame({ more: false, command: true, body: encodeCommand(Command.PING, encodePing(10, new Uint8Array(3))) }),
    ]),
  ],
  run(data) {
    // The first octet picks the limits, so both small and large limits are explored.
    const small = data.length > 0 && ((data[0] as number) & 1) === 1
    const maxFrame = small ? 100 : 1 << 20
    const maxCommand = small ? 50 : 16 << 10
    const whole = decodeAll([data], maxFrame, maxCommand)
    const chunks: Uint8Array[] = []
    for (let at = 0, i = 0; at < data.length; i++) {
      const n = CUTS[i % CUTS.length] as number
      chunks.push(data.subarray(at, at + n))
      at += n
    }
    const cut = decodeAll(chunks, maxFrame, maxCommand)
    if (whole.error !== undefined) withCode(whole.error, [ErrorCode.MALFORMED_FRAME, ErrorCode.MESSAGE_TOO_LARGE], "frame decoder")
    assertThat(whole.frames.length === cut.frames.length && (whole.error === undefined) === (cut.error === undefined), "frame decoder: chunking changed the result")
    for (let i = 0; i < whole.frames.length; i++) {
      const a = whole.frames[i] as Frame
      const b = cut.frames[i] as Frame
      assertThat(a.more === b.more && a.command === b.command && bytesEqual(a.body, b.body), "frame decoder: chunking changed a frame")
    }
    if (whole.error === undefined) {
      const again = decodeAll([concatBytes(whole.frames.map(encodeFrame))], maxFrame, maxCommand)
      assertThat(again.error === undefined && again.frames.length === whole.frames.length, "frame decoder: re-encoded stream does not decode the same")
    }
  },
}

export const command: FuzzTarget = {
  name: "command",
  about: "decodeCommand, then the data parsers of PING, PONG, ERROR, READY and 3.0 subscriptions",
  maxLength: 600,
  dictionary: COMMAND_NAMES.map((n) => bytes(n.length, n)),
  seeds: () => [
    encodeCommand(Command.READY, encodeMetadata(makeMetadata({ "Socket-Type": "DEALER" }))),
    encodeCommand(Command.PING, encodePing(300, bytes("ctx"))),
    encodeCommand(Command.PONG, bytes("ctx")),
    encodeCommand(Command.ERROR, encodeError("Authentication failed")),
    encodeCommand(Command.SUBSCRIBE, bytes("topic")),
    RFC37_DEALER_READY.subarray(2),
  ],
  run(data) {
    const c = expectTyped(() => decodeCommand(data))
    if (c instanceof Error) {
      withCode(c, [ErrorCode.MALFORMED_COMMAND_UNSPECIFIED], "decodeCommand")
      return
    }
    const again = decodeCommand(encodeCommand(c.name, c.data))
    assertThat(again.name === c.name && bytesEqual(again.data, c.data), "command: round trip changed the command")
    const d = c.data
    switch (c.name) {
      case Command.PING: {
        const p = expectTyped(() => decodePing(d))
        if (p instanceof Error) withCode(p, [ErrorCode.MALFORMED_COMMAND_UNSPECIFIED], "decodePing")
        else assertThat(p.context.length <= 16 && p.ttl <= 0xffff, "PING: context or ttl out of range")
        break
      }
      case Command.PONG: {
        const p = expectTyped(() => decodePong(d))
        if (p instanceof Error) withCode(p, [ErrorCode.MALFORMED_COMMAND_UNSPECIFIED], "decodePong")
        break
      }
      case Command.ERROR: {
        const e = expectTyped(() => decodeError(d))
        if (e instanceof Error) withCode(e, [ErrorCode.MALFORMED_COMMAND_ERROR], "decodeError")
        else assertThat(/^[\x20-\x7e]*$/.test(e), "ERROR: reason not printable")
        break
      }
      case Command.READY: {
        const m = expectTyped(() => decodeMetadata(d))
        if (m instanceof Error) withCode(m, [ErrorCode.INVALID_METADATA], "READY metadata")
        break
      }
      default: {
        const s = parseSubscriptionMessage(d)
        if (s !== undefined) assertThat(s.topic.length === d.length - 1, "subscription: topic length")
      }
    }
  },
}

export const metadata: FuzzTarget = {
  name: "metadata",
  about: "decodeMetadata: typed INVALID_METADATA or a map that re-encodes to the same map",
  maxLength: 1024,
  dictionary: PROPERTY_NAMES.map((n) => bytes(n.length, n)),
  seeds: () => [
    RFC37_DEALER_READY.subarray(8),
    encodeMetadata(makeMetadata({ "Socket-Type": "ROUTER", Identity: "id", "X-Extra": "value" })),
    new Uint8Array(0),
  ],
  run(data) {
    const m = expectTyped(() => decodeMetadata(data))
    if (m instanceof Error) {
      withCode(m, [ErrorCode.INVALID_METADATA], "decodeMetadata")
      return
    }
    let total = 0
    for (const [name, value] of m) total += 5 + name.length + value.length
    assertThat(total === data.length, "metadata: decoded properties do not account for every octet")
    const again = decodeMetadata(encodeMetadata(m))
    assertThat(again.size === m.size, "metadata: round trip changed the property count")
    for (const [name, value] of m) assertThat(bytesEqual(again.get(name) ?? new Uint8Array(1), value) && again.has(name), "metadata: round trip changed a value")
  },
}

export const WIRE_TARGETS: FuzzTarget[] = [greeting, frameDecoder, command, metadata]
