/**
 * Encrypted pub/sub with reader access control (src/stream-access), the reader's side: data
 * messages, signed digest batches and key-tree commits as they arrive on the subscription, and
 * key updates (the key service's reply carrying a sealed welcome).
 *
 * The seed stream has DATA and PACKED messages, batches, a commit and a welcome.
 *
 * Input: length-prefixed parts (splitParts). Part kinds by their first octet & 3:
 *   0  a subscription message: [topic, body], the topic length in octet 1
 *   1  a key service reply: three frames, lengths in octets 1 and 2 -> parseKeyReply -> acceptWelcome
 *   2  the clock moves on by octet 1 x 16 ms -> tick()
 *   3  the body alone, as a one-frame message
 *
 * Oracle: nothing throws (the reader's contract: "nothing throws on network input"); only the
 * documented reject reasons; every delivered message was sealed by the publisher (its text is
 * one the seed writer sealed); a long-lived reader that sees a share of all inputs still
 * delivers a valid publisher's next message after a fresh welcome.
 */
import { signKeyPair } from "../../src/crypto/sign.js"
import { answerKeyRequest, keyRequest, parseKeyReply } from "../../src/stream-access/key-service.js"
import { StreamReader, type ReaderEvent } from "../../src/stream-access/reader.js"
import { StreamWriter, type StreamFrames } from "../../src/stream-access/writer.js"
import { z85Encode } from "../../src/wire/z85.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../../test/vectors/z85.js"
import { assertThat, bytes, Finding, joinParts, seededBytes, splitParts, type FuzzTarget } from "../target.js"
import { FUZZ_CLOCK } from "./engine.js"

const REASONS: ReadonlySet<string> = new Set([
  "unknown-publisher",
  "malformed",
  "no-key",
  "expired-epoch",
  "replay",
  "too-old",
  "decrypt-failed",
  "forged",
  "unverified",
  "held-overflow",
  "bad-signature",
  "commit-unreadable",
])
const PUBLISHER = signKeyPair(new Uint8Array(32).fill(0x42))
const READER = { publicKey: LIBZMQ_CLIENT_KEYS.publicKey, secretKey: LIBZMQ_CLIENT_KEYS.secretKey }
const OTHER = z85Encode(LIBZMQ_SERVER_KEYS.publicKey)
const decoder = new TextDecoder()

function newReader(): StreamReader {
  return new StreamReader({
    publicKey: READER.publicKey,
    secretKey: READER.secretKey,
    publisherKey: PUBLISHER.publicKey,
    maxHeld: 32,
    maxHeldBytes: 64 * 1024,
    holdTimeout: 1000,
    replayWindow: 64,
  })
}

function newWriter(seed: number): StreamWriter {
  return new StreamWriter({ signingKey: PUBLISHER, members: [z85Encode(READER.publicKey), OTHER], batchSize: 4, batchDelay: 0, random: seededBytes(seed) })
}

function keyReply(writer: StreamWriter): Uint8Array[] {
  const outcome = answerKeyRequest(writer, z85Encode(READER.publicKey), keyRequest())
  if (!outcome.granted) throw new Error(`the writer refused its own reader: ${outcome.reason}`)
  return outcome.reply
}

/** What the publisher's seed stream says, as parts of this target's input format. */
function part(kind: number, frames: readonly Uint8Array[]): Uint8Array {
  if (kind === 0) return bytes(0, (frames[0] as Uint8Array).length, frames[0] as Uint8Array, frames[1] as Uint8Array)
  return bytes(1, (frames[0] as Uint8Array).length, (frames[1] as Uint8Array).length, ...frames)
}

export function recordStream(): Uint8Array[] {
  const writer = newWriter(0x51)
  const parts: Uint8Array[] = [part(1, keyReply(writer))]
  const add = (frames: StreamFrames[]): void => {
    for (const f of frames) parts.push(part(0, f))
  }
  add(writer.seal(bytes("orders"), bytes("sealed message 1"), FUZZ_CLOCK))
  add(writer.seal(bytes("orders"), bytes("sealed message 2"), FUZZ_CLOCK))
  add(writer.flush())
  add(writer.commit({ remove: [OTHER] }))
  add(writer.seal(bytes("orders.eu"), bytes("sealed message 3"), FUZZ_CLOCK))
  // A PACKED message (SecurePublisher's packing): two bodies under one sequence number.
  add([[bytes("orders"), writer.sealPacked(bytes("orders"), [bytes("sealed message 4"), bytes("sealed message 5")], FUZZ_CLOCK)]])
  add(writer.flush())
  parts.push(bytes(2, 100))
  return parts
}

function checkEvents(events: ReaderEvent[]): void {
  for (const e of events) {
    if (e.type === "rejected") assertThat(REASONS.has(e.reason), `stream reader: unknown reject reason ${e.reason}`)
    if (e.type === "message") assertThat(decoder.decode(e.body).startsWith("sealed message"), "stream reader: delivered a message the publisher never sealed")
  }
}

function feed(reader: StreamReader, data: Uint8Array, clock: { now: number }): void {
  for (const p of splitParts(data)) {
    const kind = (p[0] ?? 0) & 3
    if (kind === 0) {
      const n = p[1] ?? 0
      checkEvents(reader.receive([p.subarray(2, 2 + n), p.subarray(2 + n)], clock.now))
    } else if (kind === 1) {
      const a = p[1] ?? 0
      const b = p[2] ?? 0
      const reply = parseKeyReply([p.subarray(3, 3 + a), p.subarray(3 + a, 3 + a + b), p.subarray(3 + a + b)])
      if ("sealed" in reply) checkEvents(reader.acceptWelcome(reply.sealed, clock.now))
    } else if (kind === 2) {
      clock.now += (p[1] ?? 0) * 16
      checkEvents(reader.tick(clock.now))
    } else {
      checkEvents(reader.receive([p.subarray(1)], clock.now))
    }
  }
}

let persistent: { reader: StreamReader; clock: { now: number } } | undefined
let live: StreamWriter | undefined
let fed = 0

export const streamReader: FuzzTarget = {
  name: "stream-reader",
  about: "StreamReader: data messages, signed batches, commits and key service replies from the subscription",
  maxLength: 8192,
  dictionary: [bytes(0, "ih-sa/"), bytes(1), bytes(2), bytes(3), bytes(4), "ih-sa/1", "welcome", "denied"],
  seeds: () => [joinParts(recordStream())],
  run(data) {
    feed(newReader(), data, { now: FUZZ_CLOCK })
    if (++fed % 16 === 0) {
      persistent ??= { reader: newReader(), clock: { now: FUZZ_CLOCK } }
      feed(persistent.reader, data, persistent.clock)
    }
  },
  check() {
    persistent ??= { reader: newReader(), clock: { now: FUZZ_CLOCK } }
    // A publisher with the same signing key, ahead in epochs and in sequence numbers (the seed
    // writer's seqs 1-3 were signed by this key too: reusing them would rightly be a replay).
    if (live === undefined) {
      live = newWriter(Date.now() >>> 0)
      for (let i = 0; i < 20; i++) live.rotate()
      for (let i = 0; i < 10; i++) live.seal(bytes("warm-up"), bytes("unsent"), FUZZ_CLOCK)
      live.flush()
    }
    const { reader, clock } = persistent
    clock.now += 10_000
    const reply = parseKeyReply(keyReply(live))
    if (!("sealed" in reply)) throw new Finding("stream reader: the live writer's key reply did not parse")
    const events = reader.acceptWelcome(reply.sealed, clock.now)
    for (const f of [...live.seal(bytes("orders"), bytes("sealed message live"), clock.now), ...live.flush()]) events.push(...reader.receive(f, clock.now))
    if (!events.some((e) => e.type === "message")) {
      throw new Finding(`stream reader: a valid publisher's message was not delivered after fuzzing: ${JSON.stringify(events.map((e) => e.type === "rejected" ? e.reason : e.type))}`)
    }
  },
}

export const STREAM_TARGETS: FuzzTarget[] = [streamReader]
