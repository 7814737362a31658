/**
 * The sans-IO core end to end in memory: every message reaches every approved reader once;
 * forgery by a key-holding reader, replays, reordering beyond the window, unknown epochs and
 * garbage are each refused with their named event, never an exception.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { aeadEncryptInto } from "../../src/crypto/aead.js"
import { StreamWriter, messageDigest } from "../../src/stream-access/writer.js"
import { answerKeyRequest, keyRequest, parseKeyReply } from "../../src/stream-access/key-service.js"
import { dataNonce, encodeBatchUnsigned, HEADER_BYTES, writeHeader, concat } from "../../src/stream-access/codec.js"
import { signDetached } from "../../src/crypto/sign.js"
import { feed, identity, messages, readerFor, rejections, signKeyPair, text } from "./helpers.js"

const publisher = signKeyPair()
const alice = identity()
const bob = identity()
const mallory = identity()

function setup(options: { batchSize?: number; replayWindow?: number } = {}) {
  const writer = new StreamWriter({ signingKey: publisher, members: [alice.publicKey, bob.publicKey, mallory.publicKey], batchSize: options.batchSize ?? 8, batchDelay: 5 })
  const make = (id: typeof alice) => {
    const r = readerFor(id, publisher, { replayWindow: options.replayWindow ?? 64 })
    const outcome = answerKeyRequest(writer, id.publicKey, keyRequest())
    assert.ok(outcome.granted)
    const reply = parseKeyReply(outcome.reply)
    assert.ok("sealed" in reply)
    r.acceptWelcome(reply.sealed, 0)
    return r
  }
  return { writer, alice: make(alice), bob: make(bob), mallory: make(mallory) }
}

describe("stream access core", () => {
  it("delivers every message once, in order, only after its signed batch; the body is not in the frames", () => {
    const { writer, alice, bob } = setup({ batchSize: 8 })
    const sent: string[] = []
    const frames = []
    for (let i = 0; i < 20; i++) {
      sent.push(`reading ${i}`)
      frames.push(...writer.seal(text("weather.paris"), text(`reading ${i}`), 0))
    }
    const beforeFlush = feed(alice, frames)
    assert.equal(messages(beforeFlush).length, 16) // two full batches; 4 wait for theirs
    assert.equal(alice.heldCount, 4)
    assert.equal(writer.deadline(), 5)
    assert.deepEqual(writer.tick(4), [])
    const tail = writer.tick(5)
    assert.equal(tail.length, 1)
    const all = [...beforeFlush, ...feed(alice, tail)]
    assert.deepEqual(messages(all), sent)
    assert.deepEqual(messages(feed(bob, [...frames, ...tail])), sent)
    for (const [topic, body] of frames) {
      assert.ok(!Buffer.from(body).includes("reading"), "plaintext in a body frame")
      assert.ok(topic.length === 13 || topic[0] === 0)
    }
  })

  it("batches leave at most once per batchDelay, but a message after a quiet spell is signed at once", () => {
    const { writer } = setup({ batchSize: 8 })
    writer.seal(text("t"), text("first"), 100) // idle stream: no wait
    assert.equal(writer.deadline(), 100)
    assert.equal(writer.tick(100).length, 1)
    writer.seal(text("t"), text("second"), 101) // 1 ms after that batch: waits for the next slot
    assert.equal(writer.deadline(), 105)
    assert.deepEqual(writer.tick(104), [])
    assert.equal(writer.tick(105).length, 1)
    writer.seal(text("t"), text("after a pause"), 200)
    assert.equal(writer.deadline(), 200)
  })

  it("the wait stays bounded when the flush timer never runs: a batch past its deadline leaves with the next message", () => {
    // An application awaiting each send() of a socket that resolves at once can keep the event
    // loop from running timers; tick() is never called here.
    const { writer, alice } = setup({ batchSize: 64 }) // batchDelay 5
    const sizes: number[] = []
    const delivered: string[] = []
    const send = (body: string, now: number): void => {
      const frames = writer.seal(text("t"), text(body), now)
      sizes.push(frames.length)
      for (const e of feed(alice, frames, now)) if (e.type === "message") delivered.push(new TextDecoder().decode(e.body))
    }
    send("a", 100) // first after a quiet spell: left to the end-of-turn timer (a burst shares it)
    send("b", 100)
    assert.deepEqual(sizes, [1, 1])
    send("c", 101) // that timer did not run, and the deadline (100) has passed: the batch leaves
    assert.deepEqual(sizes, [1, 1, 2])
    assert.deepEqual(delivered, ["a", "b", "c"])
    send("d", 102) // next slot at 106
    send("e", 105)
    assert.deepEqual(sizes.slice(3), [1, 1])
    send("f", 106)
    assert.deepEqual(sizes.slice(3), [1, 1, 2])
    assert.deepEqual(delivered, ["a", "b", "c", "d", "e", "f"])
  })

  it("a batch larger than 128 digests (its block grows) is signed and verified whole", () => {
    const { writer, alice } = setup({ batchSize: 300 })
    const frames = Array.from({ length: 300 }, (_, i) => writer.seal(text("t"), text(`m${i}`), 0)).flat()
    assert.equal(frames.length, 301) // 300 messages, then the full batch
    const batch = frames[300] as [Uint8Array, Uint8Array]
    assert.equal(batch[1].length, 20 + 300 * 32 + 64)
    assert.deepEqual(messages(feed(alice, frames)), Array.from({ length: 300 }, (_, i) => `m${i}`))
  })

  it("a reader holding the data key cannot forge: others reject its message as forged or unverified", () => {
    const { writer, alice } = setup({ batchSize: 4 })
    const genuine = writer.seal(text("orders"), text("buy 10"), 0) // seq 0, batch still open
    // Mallory holds the epoch key (from its own welcome) and encrypts a message with seq 1.
    const epochKey = writer.tree.epochKey
    const forged = new Uint8Array(HEADER_BYTES + 9 + 16)
    writeHeader(forged, writer.keyId, writer.epoch, 1)
    const ad = concat(text("orders"), forged.subarray(0, HEADER_BYTES))
    aeadEncryptInto(forged.subarray(HEADER_BYTES), text("sell 1000"), ad, dataNonce(forged, new Uint8Array(24)), epochKey)
    // ...and with seq 0 (the same as the genuine one) too.
    const forgedSame = new Uint8Array(forged)
    writeHeader(forgedSame, writer.keyId, writer.epoch, 0)
    aeadEncryptInto(forgedSame.subarray(HEADER_BYTES), text("sell 1000"), concat(text("orders"), forgedSame.subarray(0, HEADER_BYTES)), dataNonce(forgedSame, new Uint8Array(24)), epochKey)
    // Mallory cannot sign a batch for it: a batch signed with its own Ed25519 key is refused.
    const malloryKey = signKeyPair()
    const fakeBatch = encodeBatchUnsigned(writer.keyId, 1, [messageDigest(text("orders"), forged)])
    const fakeSigned = concat(fakeBatch, signDetached(fakeBatch, malloryKey.secretKey))
    const events = [
      ...alice.receive([text("orders"), forgedSame], 0),
      ...feed(alice, genuine),
      ...alice.receive([text("orders"), forged], 0),
      ...alice.receive([writer.controlTopic, fakeSigned], 0),
      ...feed(alice, writer.seal(text("orders"), text("buy 11"), 0)), // the real seq 1
      ...feed(alice, writer.flush()),
    ]
    assert.deepEqual(messages(events), ["buy 10", "buy 11"])
    assert.deepEqual(rejections(events).sort(), ["bad-signature", "forged", "forged"])
    // A forged message whose sequence number no batch will list times out as unverified.
    const lonely = new Uint8Array(forged)
    writeHeader(lonely, writer.keyId, writer.epoch, 999)
    aeadEncryptInto(lonely.subarray(HEADER_BYTES), text("sell 1000"), concat(text("orders"), lonely.subarray(0, HEADER_BYTES)), dataNonce(lonely, new Uint8Array(24)), epochKey)
    assert.deepEqual(alice.receive([text("orders"), lonely], 10), [])
    assert.ok(alice.deadline() !== undefined)
    assert.deepEqual(rejections(alice.tick(10 + 1000)), ["unverified"])
  })

  it("a PACKED message delivers its bodies in order under one sequence number; forged, malformed or replayed packs are refused", () => {
    const { writer, alice, bob } = setup({ batchSize: 8 })
    const bodies = ["first", "", "third", "x".repeat(1000)]
    const packed = writer.sealPacked(text("orders"), bodies.map(text), 0)
    assert.equal(packed[1], 5) // kind PACKED
    const single = writer.sealPacked(text("orders"), [text("alone")], 0)
    assert.equal(single[1], 1) // one body: plain DATA
    const batch = writer.flush()
    const events = [...alice.receive([text("orders"), packed], 0), ...alice.receive([text("orders"), single], 0), ...feed(alice, batch)]
    assert.deepEqual(messages(events), [...bodies, "alone"])
    assert.deepEqual(
      events.flatMap((e) => (e.type === "message" ? [e.seq] : [])),
      [0, 0, 0, 0, 1],
    )
    assert.ok(!Buffer.from(packed).includes("third"), "plaintext in a packed body")
    // Replayed: refused whole.
    assert.deepEqual(rejections([...alice.receive([text("orders"), packed], 0), ...feed(alice, batch)]), ["replay"])
    // A key holder packs its own bodies (or a bad layout) under the next sequence number.
    const epochKey = writer.tree.epochKey
    const forge = (plain: Uint8Array, seq: number): Uint8Array => {
      const out = new Uint8Array(HEADER_BYTES + plain.length + 16)
      writeHeader(out, writer.keyId, writer.epoch, seq, 5)
      aeadEncryptInto(out.subarray(HEADER_BYTES), plain, concat(text("orders"), out.subarray(0, HEADER_BYTES)), dataNonce(out, new Uint8Array(24)), epochKey)
      return out
    }
    const layout = (...parts: Uint8Array[]): Uint8Array => concat(...parts.flatMap((p) => [Uint8Array.of(p.length >>> 24, (p.length >>> 16) & 255, (p.length >>> 8) & 255, p.length & 255), p]))
    const forged = forge(layout(text("sell"), text("all")), 2)
    const runsPast = forge(concat(Uint8Array.of(0, 0, 0, 9), text("short")), 3) // length past the end
    const one = forge(layout(text("lone")), 4) // PACKED with a single body
    const torn = forge(concat(layout(text("a"), text("b")), Uint8Array.of(0, 0)), 5) // a partial length
    const genuine = writer.sealPacked(text("orders"), [text("buy"), text("hold")], 0) // seq 2
    const after = [...bob.receive([text("orders"), forged], 0), ...bob.receive([text("orders"), runsPast], 0), ...bob.receive([text("orders"), one], 0), ...bob.receive([text("orders"), torn], 0)]
    assert.deepEqual(rejections(after), ["malformed", "malformed", "malformed"])
    const settled = [...bob.receive([text("orders"), packed], 0), ...bob.receive([text("orders"), single], 0), ...feed(bob, batch), ...bob.receive([text("orders"), genuine], 0), ...feed(bob, writer.flush())]
    assert.deepEqual(messages(settled), [...bodies, "alone", "buy", "hold"])
    assert.deepEqual(rejections(settled), ["forged"]) // the forged pack shares seq 2 with the genuine one
  })

  it("sealPacked checks its arguments", () => {
    const { writer } = setup()
    assert.throws(() => writer.sealPacked(text("t"), [], 0), TypeError)
    assert.throws(() => writer.sealPacked(text("t"), ["no" as unknown as Uint8Array, text("x")], 0), TypeError)
    assert.throws(() => writer.sealPacked(text("\u0000ih-sa/x"), [text("a"), text("b")], 0), RangeError)
  })

  it("refuses replays and reordering beyond the window; accepts reordering within it", () => {
    const { writer, alice } = setup({ batchSize: 100, replayWindow: 16 })
    const frames = []
    for (let i = 0; i < 40; i++) frames.push(...writer.seal(text("t"), text(`m${i}`), 0))
    const batch = writer.flush()
    // Deliver 0..39 and the batch, then replay them all.
    assert.equal(messages([...feed(alice, frames), ...feed(alice, batch)]).length, 40)
    const replayed = [...feed(alice, frames), ...feed(alice, batch)]
    assert.deepEqual(messages(replayed), [])
    const reasons = rejections(replayed)
    assert.equal(reasons.filter((r) => r === "replay").length, 16) // 24..39 are inside the window
    assert.equal(reasons.filter((r) => r === "too-old").length, 24) // 0..23 are below it
    // Reordered within the window: both delivered.
    const a = writer.seal(text("t"), text("x"), 0)
    const b = writer.seal(text("t"), text("y"), 0)
    assert.deepEqual(messages([...feed(alice, b), ...feed(alice, a), ...feed(alice, writer.flush())]).sort(), ["x", "y"])
  })

  it("messages of an epoch without a key are refused with no-key and need-keys; the previous epoch overlaps, then expires", () => {
    const { writer, alice } = setup({ batchSize: 1 })
    const oldEpoch = writer.seal(text("t"), text("old"), 0) // epoch 1, in flight
    const carol = identity()
    const commit = writer.commit({ add: [carol.publicKey] })
    const newer = writer.seal(text("t"), text("new"), 0)
    // Before the commit: no key for epoch 2.
    const early = feed(alice, newer, 0)
    assert.deepEqual(rejections(early), ["no-key"])
    assert.ok(early.some((e) => e.type === "need-keys"))
    const events = [...feed(alice, commit, 10), ...feed(alice, oldEpoch, 20), ...feed(alice, writer.seal(text("t"), text("new2"), 20), 20)]
    assert.deepEqual(messages(events), ["old", "new2"])
    assert.ok(events.some((e) => e.type === "epoch" && e.epoch === 2))
    // After the overlap window (5 s) the old epoch is refused.
    alice.tick(10 + 5000)
    assert.deepEqual(rejections(feed(alice, oldEpoch, 6000)), ["expired-epoch"])
  })

  it("never throws on garbage; a flipped bit anywhere is refused with an event", () => {
    const { writer, alice } = setup({ batchSize: 1 })
    const frames = [...writer.seal(text("topic"), text("payload"), 0), ...writer.commit({ remove: [mallory.publicKey] })]
    fc.assert(
      fc.property(fc.integer({ min: 0, max: frames.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (which, at, bit) => {
        const [topic, body] = frames[which]!
        const copy = new Uint8Array(body)
        const i = at % copy.length
        copy[i] = (copy[i] ?? 0) ^ (1 << bit)
        const events = alice.receive([topic, copy], 0)
        assert.ok(!events.some((e) => e.type === "message"))
      }),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 4 }), (frames) => {
        alice.receive(frames, 0)
        alice.receive([writer.controlTopic, ...frames.slice(0, 1)], 0)
      }),
      { numRuns: 300 },
    )
    assert.deepEqual(rejections(alice.receive([text("a")], 0)), ["malformed"])
    assert.throws(() => writer.seal(new Uint8Array([0, ...text("ih-sa/x")]), text("b"), 0), { name: "RangeError", message: /reserved/ })
  })

  it("the key service answers a reader with a welcome only it can open, and refuses a stranger", () => {
    const { writer } = setup()
    const stranger = identity()
    const refused = answerKeyRequest(writer, stranger.publicKey, keyRequest())
    assert.equal(refused.granted, false)
    assert.deepEqual(parseKeyReply(refused.reply), { denied: "not-a-reader" })
    const granted = answerKeyRequest(writer, alice.publicKey, keyRequest())
    assert.ok(granted.granted)
    const sealed = (parseKeyReply(granted.reply) as { sealed: Uint8Array }).sealed
    const thief = readerFor(bob, publisher)
    assert.deepEqual(rejections(thief.acceptWelcome(sealed, 0)), ["malformed"])
    assert.equal(thief.hasKeys, false)
    assert.equal(answerKeyRequest(writer, alice.publicKey, [text("nonsense")]).granted, false)
    assert.equal(answerKeyRequest(writer, undefined, keyRequest()).granted, false)
  })
})

describe("stream access core: backward secrecy", () => {
  it("a joiner's welcome holds no key of an epoch before it joined; an existing reader's holds the overlapping one", () => {
    const writer = new StreamWriter({ signingKey: publisher, members: [alice.publicKey], batchSize: 1 })
    const before = [...writer.seal(text("t"), text("before carol"), 0), ...writer.flush()]
    const carol = identity()
    writer.commit({ add: [carol.publicKey] })
    const welcome = (id: typeof alice) => {
      const r = readerFor(id, publisher)
      const outcome = answerKeyRequest(writer, id.publicKey, keyRequest())
      assert.ok(outcome.granted)
      r.acceptWelcome(outcome.reply[2] as Uint8Array, 0)
      return r
    }
    const carolReader = welcome(carol)
    assert.deepEqual(messages(feed(carolReader, before)), [])
    assert.deepEqual(rejections(feed(carolReader, before)).slice(0, 1), ["expired-epoch"])
    const aliceReader = welcome(alice)
    assert.deepEqual(messages(feed(aliceReader, before)), ["before carol"])
  })
})

describe("stream access core: bounded holding", () => {
  it("messages waiting for their batch are bounded by count and octets; the oldest make room", () => {
    const writer = new StreamWriter({ signingKey: publisher, members: [alice.publicKey], batchSize: 1000 })
    const r = readerFor(alice, publisher, { maxHeld: 5, maxHeldBytes: 1000 })
    r.acceptWelcome(answerKeyRequest(writer, alice.publicKey, keyRequest()).reply[2] as Uint8Array, 0)
    const small = Array.from({ length: 8 }, (_, i) => writer.seal(text("t"), text(`m${i}`), 0)).flat()
    const events = feed(r, small)
    assert.deepEqual(events.filter((e) => e.type === "rejected").map((e) => (e as { seq: number }).seq), [0, 1, 2])
    assert.equal(r.heldCount, 5)
    const big = writer.seal(text("t"), new Uint8Array(1000), 0) // fits only alone in 1000 octets
    assert.equal(rejections(feed(r, big)).filter((x) => x === "held-overflow").length, 5)
    assert.equal(r.heldCount, 1)
    assert.deepEqual(messages(feed(r, writer.flush())).length, 1)
  })
})
