/**
 * A flipped bit anywhere in any CURVE command fails the receiver with a precisely predicted code:
 * CRYPTOGRAPHIC wherever the bit lands in a nonce, key or box; the size/format code where it
 * lands in a checked clear field; MALFORMED_COMMAND_UNSPECIFIED or UNEXPECTED_COMMAND where it
 * lands in the command name; INVALID_SEQUENCE where it turns a short nonce into one not above
 * the last accepted.
 *
 * Each case replays the deterministic handshake and flips one bit in one command on its way;
 * the commands before it are byte-identical to the clean run.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import { CurveClient } from "../../src/mechanism/curve-client.js"
import { CurveServer } from "../../src/mechanism/curve-server.js"
import { decodeCommand } from "../../src/wire/command.js"
import { makeMetadata } from "../../src/wire/metadata.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../vectors/z85.js"
import { codeOf, mechanismOptions, pump, testEnv, utf8, type PumpResult } from "./pump.js"

function freshPair() {
  const client = new CurveClient(
    { publicKey: LIBZMQ_CLIENT_KEYS.publicKey, secretKey: LIBZMQ_CLIENT_KEYS.secretKey, serverKey: LIBZMQ_SERVER_KEYS.publicKey },
    mechanismOptions({ env: testEnv(101), metadata: makeMetadata({ "Socket-Type": "DEALER" }) }),
  )
  const server = new CurveServer(
    { secretKey: LIBZMQ_SERVER_KEYS.secretKey },
    mechanismOptions({ env: testEnv(202), metadata: makeMetadata({ "Socket-Type": "DEALER" }) }),
  )
  return { client, server }
}

const clean = (() => {
  const { client, server } = freshPair()
  return pump(client, server)
})()
assert.ok(clean.client.ready && clean.server.ready, "the clean handshake must succeed")

const readU64 = (b: Uint8Array, at: number): bigint => new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0)

/** The receiver's error when bit `bit` of octet `at` of the `index`-th command is flipped. */
function flipped(index: number, at: number, bit: number): PumpResult {
  const { client, server } = freshPair()
  return pump(client, server, {
    tamper: (i, _direction, body) => {
      if (i !== index) return body
      const out = body.slice()
      out[at] = (out[at] as number) ^ (1 << bit)
      return out
    },
  })
}

/**
 * What the receiver must report for `tampered` (the body of the command `original`). Field
 * offsets are in the command data (after the name), from RFC 26's grammar.
 */
function expectedCode(original: Uint8Array, tampered: Uint8Array, at: number): string {
  let name: string
  try {
    name = decodeCommand(tampered).name
  } catch (err) {
    assert.ok(err instanceof ProtocolError)
    return err.code // a name length 0 or past the end, or a non-letter in the name
  }
  const originalName = decodeCommand(original).name
  if (name !== originalName) return ErrorCode.UNEXPECTED_COMMAND
  const d = at - 1 - name.length // offset in the data
  switch (name) {
    case "HELLO":
      if (d < 74) return ErrorCode.MALFORMED_COMMAND_HELLO // version 2 + padding 72
      // X25519 ignores the top bit of a public key (RFC 7748 section 5), so C' with that bit
      // flipped is the same point: HELLO opens and WELCOME is sent, but the vouch in INITIATE
      // names the real C', which differs from the one HELLO carried.
      if (d === 105 && ((original[at] as number) ^ (tampered[at] as number)) === 0x80) return ErrorCode.KEY_EXCHANGE
      return ErrorCode.CRYPTOGRAPHIC // C', nonce (the first may be anything), box
    case "INITIATE":
      if (d >= 96 && d < 104) {
        const helloNonce = readU64(clean.transcript[0]?.body ?? new Uint8Array(), 112)
        return readU64(tampered, 1 + 8 + 96) > helloNonce ? ErrorCode.CRYPTOGRAPHIC : ErrorCode.INVALID_SEQUENCE
      }
      return ErrorCode.CRYPTOGRAPHIC // cookie, box
    case "WELCOME":
    case "READY":
      return ErrorCode.CRYPTOGRAPHIC
    default:
      throw new Error(`unexpected command ${name}`)
  }
}

for (const [index, entry] of clean.transcript.entries()) {
  const original = entry.body
  const name = decodeCommand(original).name
  const receiver = entry.direction === "toServer" ? "server" : "client"
  /** The hook is asked once INITIATE was processed, i.e. before READY is sent. */
  const authBefore = name === "READY" ? 1 : 0

  describe(`a flipped bit in ${name} (${original.length} octets, received by the ${receiver})`, () => {
    it("every bit of the name-length octet and the name", () => {
      for (let at = 0; at <= name.length; at++) {
        for (let bit = 0; bit < 8; bit++) {
          const r = flipped(index, at, bit)
          const tampered = original.slice()
          tampered[at] = (tampered[at] as number) ^ (1 << bit)
          assert.equal(codeOf(r[receiver].thrown), expectedCode(original, tampered, at), `octet ${at} bit ${bit}`)
          assert.equal(r.authRequests.length, authBefore)
        }
      }
    })

    it("one bit in every octet of the data (bit = offset mod 8)", () => {
      const seen = new Set<string>()
      for (let at = name.length + 1; at < original.length; at++) {
        const bit = at % 8
        const r = flipped(index, at, bit)
        const tampered = original.slice()
        tampered[at] = (tampered[at] as number) ^ (1 << bit)
        const code = codeOf(r[receiver].thrown)
        assert.equal(code, expectedCode(original, tampered, at), `octet ${at} bit ${bit}`)
        assert.equal(r[receiver].ready, undefined)
        assert.equal(r.authRequests.length, authBefore, "tampered input never reaches the authenticate hook")
        seen.add(code)
      }
      assert.ok(seen.has(ErrorCode.CRYPTOGRAPHIC))
    })
  })
}

describe("a flipped bit in any handshake command (property: random command, octet and bit)", () => {
  it("gives exactly the predicted code and never reaches the hook early", () => {
    const entries = clean.transcript.map((entry, index) => ({ entry, index }))
    fc.assert(
      fc.property(
        fc.constantFrom(...entries).chain(({ entry, index }) =>
          fc.record({ index: fc.constant(index), at: fc.nat({ max: entry.body.length - 1 }), bit: fc.nat({ max: 7 }) }),
        ),
        ({ index, at, bit }) => {
          const entry = clean.transcript[index] as (typeof clean.transcript)[number]
          const receiver = entry.direction === "toServer" ? "server" : "client"
          const tampered = entry.body.slice()
          tampered[at] = (tampered[at] as number) ^ (1 << bit)
          const r = flipped(index, at, bit)
          assert.equal(codeOf(r[receiver].thrown), expectedCode(entry.body, tampered, at))
          assert.equal(r.authRequests.length, decodeCommand(entry.body).name === "READY" ? 1 : 0)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe("a flipped bit in a MESSAGE", () => {
  it("every bit: name -> MALFORMED_COMMAND_UNSPECIFIED/UNEXPECTED_COMMAND, nonce -> INVALID_SEQUENCE or CRYPTOGRAPHIC, box -> CRYPTOGRAPHIC", () => {
    const { client, server } = freshPair()
    const r = pump(client, server)
    assert.ok(r.client.ready && r.server.ready)
    // Advance the server's window to nonce 10, so that flips can go both below and above it.
    let wire = client.encode({ more: false, command: false, body: utf8("x") })
    for (let i = 0; i < 7; i++) wire = client.encode({ more: false, command: false, body: utf8("x") })
    server.decode({ ...wire, body: wire.body.slice() })
    const last = readU64(wire.body, 8)
    assert.equal(last, 10n)
    const message = client.encode({ more: true, command: false, body: utf8("payload") })
    const counts = new Map<string, number>()
    for (let at = 0; at < message.body.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = message.body.slice()
        tampered[at] = (tampered[at] as number) ^ (1 << bit)
        let expected: string
        if (at === 0) expected = ErrorCode.MALFORMED_COMMAND_UNSPECIFIED
        else if (at < 8) expected = ErrorCode.UNEXPECTED_COMMAND
        else if (at < 16) expected = readU64(tampered, 8) > last ? ErrorCode.CRYPTOGRAPHIC : ErrorCode.INVALID_SEQUENCE
        else expected = ErrorCode.CRYPTOGRAPHIC
        // A name-length flip that keeps the length under the body is just another name.
        if (at === 0 && (tampered[0] as number) < tampered.length && (tampered[0] as number) > 1) expected = ErrorCode.UNEXPECTED_COMMAND
        assert.throws(() => server.decode({ more: false, command: false, body: tampered }), (e) => codeOf(e) === expected, `octet ${at} bit ${bit}`)
        counts.set(expected, (counts.get(expected) ?? 0) + 1)
      }
    }
    assert.ok((counts.get(ErrorCode.INVALID_SEQUENCE) ?? 0) > 0 && (counts.get(ErrorCode.CRYPTOGRAPHIC) ?? 0) > 0)
    // After all that, the genuine MESSAGE still opens: failures did not advance the window.
    const out = server.decode(message)
    assert.equal(new TextDecoder().decode(out.body), "payload")
  })
})
