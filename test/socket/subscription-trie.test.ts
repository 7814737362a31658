import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { SubscriptionTrie } from "../../src/socket/subscription-trie.js"

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The obvious model: a multiset of prefixes; a message matches when one is its prefix. */
function modelMatches(model: Map<string, number>, data: Uint8Array): boolean {
  for (const [prefix, count] of model) {
    if (count <= 0) continue
    const p = Buffer.from(prefix, "latin1")
    if (p.length <= data.length && Buffer.from(data.subarray(0, p.length)).equals(p)) return true
  }
  return false
}

describe("SubscriptionTrie", () => {
  it("an empty prefix matches everything; nothing matches an empty trie", () => {
    const t = new SubscriptionTrie()
    assert.equal(t.matches(bytes("anything")), false)
    assert.equal(t.matches(new Uint8Array(0)), false)
    t.add(new Uint8Array(0))
    assert.equal(t.matches(bytes("anything")), true)
    assert.equal(t.matches(new Uint8Array(0)), true)
  })

  it("matches by prefix only", () => {
    const t = new SubscriptionTrie()
    t.add(bytes("weather."))
    assert.equal(t.matches(bytes("weather.paris")), true)
    assert.equal(t.matches(bytes("weather.")), true)
    assert.equal(t.matches(bytes("weather")), false)
    assert.equal(t.matches(bytes("sport.weather.")), false)
  })

  it("counts: add reports the first subscription, remove the last cancellation", () => {
    const t = new SubscriptionTrie()
    assert.equal(t.add(bytes("a")), true)
    assert.equal(t.add(bytes("a")), false)
    assert.equal(t.size, 1)
    assert.equal(t.remove(bytes("a")), false)
    assert.equal(t.matches(bytes("abc")), true)
    assert.equal(t.remove(bytes("a")), true)
    assert.equal(t.matches(bytes("abc")), false)
    assert.equal(t.remove(bytes("a")), false, "removing what is not there reports nothing")
    assert.equal(t.size, 0)
  })

  it("agrees with a multiset model for any sequence of adds, removes and matches", () => {
    const alphabet = fc.constantFrom(0, 1, 97, 98, 255)
    const prefix = fc.array(alphabet, { maxLength: 4 }).map((a) => Uint8Array.from(a))
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), prefix }),
      fc.record({ kind: fc.constant("remove" as const), prefix }),
      fc.record({ kind: fc.constant("match" as const), prefix: fc.array(alphabet, { maxLength: 6 }).map((a) => Uint8Array.from(a)) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const t = new SubscriptionTrie()
        const model = new Map<string, number>()
        for (const o of ops) {
          const key = Buffer.from(o.prefix).toString("latin1")
          const count = model.get(key) ?? 0
          if (o.kind === "add") {
            assert.equal(t.add(o.prefix), count === 0)
            model.set(key, count + 1)
          } else if (o.kind === "remove") {
            assert.equal(t.remove(o.prefix), count === 1)
            if (count > 0) model.set(key, count - 1)
          } else {
            assert.equal(t.matches(o.prefix), modelMatches(model, o.prefix))
          }
          assert.equal(t.has(o.prefix), (model.get(key) ?? 0) > 0)
        }
        const expected = [...model].filter(([, c]) => c > 0).map(([k, c]) => `${k}:${c}`).sort()
        const actual = t.entries().map((e) => `${Buffer.from(e.prefix).toString("latin1")}:${e.count}`).sort()
        assert.deepEqual(actual, expected)
        assert.equal(t.size, expected.length)
      }),
      { numRuns: 200 },
    )
  })
})
