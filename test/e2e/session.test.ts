/**
 * The sans-IO end-to-end cores in memory: handshakes through 0, 1 and 2 relays, the same
 * plaintext at the far end for random keys, metadata and message sequences (fast-check), and
 * every tampering a broker can do refused with its typed code.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { ErrorCode } from "../../src/errors.js"
import { E2eCode } from "../../src/e2e/events.js"
import { Harness, codes, text, type Crossing } from "./harness.js"

const isMessage = (f: Uint8Array): boolean => f[0] === 7 && Buffer.from(f.subarray(1, 8)).toString() === "MESSAGE"

describe("end-to-end sessions in memory", () => {
  for (const relays of [0, 1, 2]) {
    it(`random keys, metadata and multipart messages arrive intact both ways through ${relays} relays`, () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/), fc.string({ maxLength: 40 }), { maxKeys: 4 }),
          fc.array(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
          fc.integer({ min: 1, max: 1_000_000 }),
          (metadata, messages, seed) => {
            // Names unique case-insensitively, as metadata requires.
            const md: Record<string, string> = {}
            const seen = new Set<string>()
            for (const [k, v] of Object.entries(metadata)) if (!seen.has(k.toLowerCase())) (seen.add(k.toLowerCase()), (md[k] = v))
            const h = new Harness({ relays, seed, client: { metadata: md } })
            for (const m of messages) h.send(0, m)
            assert.equal(h.received.length, messages.length)
            for (let i = 0; i < messages.length; i++) {
              const got = h.received[i]
              assert.ok(got !== undefined)
              assert.deepEqual(got.frames.map((f) => Buffer.from(f)), (messages[i] as Uint8Array[]).map((f) => Buffer.from(f)))
              assert.deepEqual(Buffer.from(got.peer.publicKey), Buffer.from(h.clientKeys[0]?.publicKey as Uint8Array))
              for (const [k, v] of Object.entries(md)) assert.equal(Buffer.from(got.peer.metadata.get(k) as Uint8Array).toString(), v)
            }
            const peer = h.received[0]?.peer
            assert.ok(peer !== undefined)
            for (const m of messages) h.reply(peer, m)
            assert.deepEqual(
              h.clientReceived[0]?.map((m) => m.map((f) => Buffer.from(f))),
              messages.map((m) => m.map((f) => Buffer.from(f))),
            )
            assert.deepEqual(h.serverEvents.filter((e) => e.type !== "session-opened"), [])
          },
        ),
        { numRuns: 25 },
      )
    })
  }

  /** A harness through one relay with a tap that does `attack` to the n-th MESSAGE going up. */
  function attacked(attack: (frame: Uint8Array, kept: Uint8Array[]) => Uint8Array[], which = 1) {
    const h = new Harness({ relays: 1 })
    const kept: Uint8Array[] = []
    let n = 0
    h.tap = (c: Crossing) => {
      if (c.direction !== "up" || !isMessage(c.frame)) return [c.frame]
      n++
      const copy = new Uint8Array(c.frame)
      const out = n === which + 1 ? attack(copy, kept) : [copy]
      kept.push(new Uint8Array(c.frame))
      return out
    }
    return h
  }

  it("a flipped bit anywhere in a MESSAGE is refused (CRYPTOGRAPHIC, or INVALID_SEQUENCE in the nonce) and never delivered", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 8 + 8 + 16 + 1 + 5 - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const h = attacked((f) => {
          f[at] = (f[at] as number) ^ (1 << bit)
          return [f]
        })
        h.send(0, ["one"])
        h.send(0, ["two!!"])
        h.send(0, ["three"])
        const got = h.received.map((r) => text(r.frames)[0])
        assert.ok(!got.includes("two!!"))
        assert.deepEqual(got[0], "one")
        const dropped = h.serverEvents.filter((e) => e.type === "dropped")
        assert.ok(dropped.length >= 1)
        const first = dropped[0]?.code
        if (at < 16) assert.ok(first === ErrorCode.CRYPTOGRAPHIC || first === ErrorCode.INVALID_SEQUENCE, String(first))
        else assert.equal(first, ErrorCode.CRYPTOGRAPHIC)
      }),
      { numRuns: 60 },
    )
  })

  it("a replayed MESSAGE is refused with INVALID_SEQUENCE and delivered once", () => {
    const h = attacked((f, kept) => [f, kept[0] as Uint8Array, f])
    h.send(0, ["a"])
    h.send(0, ["b"])
    h.send(0, ["c"])
    assert.deepEqual(h.received.map((r) => text(r.frames)), [["a"], ["b"], ["c"]])
    assert.deepEqual(codes(h.serverEvents.filter((e) => e.type === "dropped")), [ErrorCode.INVALID_SEQUENCE, ErrorCode.INVALID_SEQUENCE])
  })

  it("reordered MESSAGEs: the later one is refused (INVALID_SEQUENCE), the gap discards nothing else", () => {
    let held: Uint8Array | undefined
    let n = 0
    const h = new Harness({ relays: 2 })
    h.tap = (c) => {
      if (c.direction !== "up" || !isMessage(c.frame)) return [c.frame]
      if (++n === 2) {
        held = c.frame
        return []
      }
      if (held !== undefined) {
        const out = [c.frame, held]
        held = undefined
        return out
      }
      return [c.frame]
    }
    h.send(0, ["a"])
    h.send(0, ["b"]) // held
    h.send(0, ["c"]) // forwarded, then b
    h.send(0, ["d"])
    // c arrives after a gap (b missing): c is discarded, b then is older than c: refused.
    assert.deepEqual(h.received.map((r) => text(r.frames)), [["a"], ["d"]])
    assert.deepEqual(codes(h.serverEvents.filter((e) => e.type === "dropped")), [E2eCode.NONCE_GAP, ErrorCode.INVALID_SEQUENCE])
  })

  it("truncated MESSAGEs are refused: under 33 octets MALFORMED_COMMAND_MESSAGE, else CRYPTOGRAPHIC", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (cut) => {
        const h = attacked((f) => [f.subarray(0, f.length - cut)])
        h.send(0, ["x".repeat(8)])
        h.send(0, ["y".repeat(8)])
        assert.deepEqual(h.received.map((r) => text(r.frames)), [["xxxxxxxx"]])
        const full = 8 + 8 + 16 + 1 + 8
        const code = h.serverEvents.find((e) => e.type === "dropped")?.code
        if (full - cut < 33) assert.ok(code === ErrorCode.MALFORMED_COMMAND_MESSAGE || code === E2eCode.NOT_A_COMMAND, String(code))
        else assert.equal(code, ErrorCode.CRYPTOGRAPHIC)
      }),
      { numRuns: 40 },
    )
  })

  it("a multipart message with one frame lost is never delivered spliced (NONCE_GAP); the next message arrives", () => {
    const h = attacked(() => [], 2) // drop the middle frame of [p, q, r]
    h.send(0, ["first"])
    h.send(0, ["p", "q", "r"])
    h.send(0, ["next"])
    assert.deepEqual(h.received.map((r) => text(r.frames)), [["first"], ["next"]])
    assert.deepEqual(codes(h.serverEvents.filter((e) => e.type === "dropped")), [E2eCode.NONCE_GAP])
  })

  it("an injected MESSAGE from another envelope is dropped as UNKNOWN_SESSION", () => {
    const h = new Harness({ relays: 1 })
    h.send(0, ["hi"])
    const out = h.server.receive([Uint8Array.of(9, 9, 9)], Uint8Array.from([7, ...Buffer.from("MESSAGE"), ...new Uint8Array(30)]))
    assert.deepEqual(out.map((o) => (o.type === "event" ? o.event.code : o.type)), [E2eCode.UNKNOWN_SESSION, "send"])
    assert.equal(h.received.length, 1)
  })

  it("a reply routed to another client cannot be opened there", () => {
    const h = new Harness({ relays: 1, clients: 2 })
    h.send(0, ["from 0"])
    h.send(1, ["from 1"])
    const peer0 = h.received[0]?.peer
    assert.ok(peer0 !== undefined)
    // The broker misroutes replies for client 0 to client 1.
    h.tap = (c) => {
      if (c.direction === "down" && isMessage(c.frame)) {
        h.fromClient(1, h.clients[1]?.receive(c.frame) ?? [])
        return []
      }
      return [c.frame]
    }
    h.reply(peer0, ["secret for 0"])
    assert.deepEqual(h.clientReceived[1], [])
    assert.deepEqual(h.clientReceived[0], [])
    assert.deepEqual(codes(h.clientEvents[1]?.filter((e) => e.type === "dropped") ?? []), [ErrorCode.CRYPTOGRAPHIC])
  })

  it("a flipped bit in every kind of handshake command is refused with a typed code; the client recovers by itself at its deadline", () => {
    const names = ["HELLO", "WELCOME", "INITIATE", "READY"] as const
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 1000 }), (which, offset, bit, seed) => {
        const h = new Harness({ relays: 1, seed, clients: 0, client: { handshakeTimeoutMs: 1000 } })
        let flippedAt = -1
        h.tap = (c) => {
          const name = Buffer.from(c.frame.subarray(1, 1 + (c.frame[0] as number))).toString("latin1")
          if (flippedAt >= 0 || name !== which) return [c.frame]
          const f = new Uint8Array(c.frame)
          flippedAt = offset % f.length
          f[flippedAt] = (f[flippedAt] as number) ^ (1 << bit)
          return [f]
        }
        const i = h.addClient({ handshakeTimeoutMs: 1000 })
        h.send(i, ["after the attack"])
        const lenientHelloOctet = which === "HELLO" && flippedAt >= 6 && flippedAt < 6 + 74
        const refusals = [...h.serverEvents, ...(h.clientEvents[i] ?? [])].filter((e) => e.type === "handshake-refused" || e.type === "dropped")
        if (lenientHelloOctet) {
          // Version and padding are not checked (libcurve sends uninitialised octets): accepted.
          assert.deepEqual(refusals, [])
        } else {
          assert.ok(refusals.length >= 1, `no refusal for a flip at ${which}[${flippedAt}]`)
          for (const e of refusals) assert.match(String(e.code), /^ERR_/)
          assert.equal(h.received.length, 0)
          h.advance(1000)
        }
        assert.deepEqual(h.received.map((r) => text(r.frames)), [["after the attack"]])
      }),
      { numRuns: 120 },
    )
  })
})
