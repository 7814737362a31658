import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { SubscriptionTrie } from "../../src/socket/subscription-trie.js"

/** A collectable heap measurement: expose gc() to this process (the test runner has no --expose-gc). */
function collect(): () => void {
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
}

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
        const entries = t.entries()
        const actual = entries.map((e) => `${Buffer.from(e.prefix).toString("latin1")}:${e.count}`).sort()
        assert.deepEqual(actual, expected)
        // In octet order (what a SUB re-sends to a new publisher, like libzmq's trie walk).
        const order = entries.map((e) => Buffer.from(e.prefix))
        assert.deepEqual(order, [...order].sort(Buffer.compare))
        assert.equal(t.size, expected.length)
        // Radix invariant: at most two nodes per subscribed prefix (plus the root), whatever the churn.
        assert.ok(t.nodeCount <= 2 * t.size + 1, `${t.nodeCount} nodes for ${t.size} prefixes`)
      }),
      { numRuns: 200 },
    )
  })

  it("agrees with the model on long prefixes that share long runs (edge splits and merges)", () => {
    const run = fc.constantFrom("", "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaab", "abababababababab", "b")
    const prefix = fc.array(run, { maxLength: 3 }).map((parts) => Buffer.from(parts.join(""), "latin1"))
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), prefix, prefix), { maxLength: 100 }), (ops) => {
        const t = new SubscriptionTrie()
        const model = new Map<string, number>()
        for (const [add, p, probe] of ops) {
          const key = p.toString("latin1")
          const count = model.get(key) ?? 0
          if (add) {
            assert.equal(t.add(p), count === 0)
            model.set(key, count + 1)
          } else {
            assert.equal(t.remove(p), count === 1)
            if (count > 0) model.set(key, count - 1)
          }
          assert.equal(t.matches(probe), modelMatches(model, probe))
          assert.equal(t.has(probe), (model.get(probe.toString("latin1")) ?? 0) > 0)
        }
        assert.ok(t.nodeCount <= 2 * t.size + 1)
      }),
      { numRuns: 300 },
    )
  })

  it("walks prefixes of any length without recursion (1 MiB prefix, 5,000-deep chain)", () => {
    const t = new SubscriptionTrie()
    const huge = Buffer.alloc(1 << 20, 0x61)
    t.add(huge)
    // A chain of nested prefixes: "b", "bb", "bbb", ... 5,000 levels deep.
    const chain = Buffer.alloc(5_000, 0x62)
    for (let n = 1; n <= chain.length; n++) t.add(chain.subarray(0, n))
    const entries = t.entries()
    assert.equal(entries.length, 5_001)
    assert.ok(entries.some((e) => e.prefix.length === huge.length && Buffer.from(e.prefix).equals(huge)))
    assert.equal(t.matches(Buffer.concat([huge, Buffer.from("tail")])), true)
    assert.equal(t.matches(huge.subarray(1)), false)
    for (let n = chain.length; n >= 1; n--) assert.equal(t.remove(chain.subarray(0, n)), true)
    assert.equal(t.delete(huge), true)
    assert.equal(t.size, 0)
    assert.equal(t.nodeCount, 1)
  })

  it("costs about one octet of heap per subscribed octet", () => {
    const gc = collect()
    const prefixes: Buffer[] = []
    for (let i = 0; i < 2000; i++) prefixes.push(Buffer.alloc(1000, i % 251).fill(String(i), 1))
    const t = new SubscriptionTrie()
    gc()
    const before = process.memoryUsage().heapUsed
    for (const p of prefixes) t.add(p)
    gc()
    const after = process.memoryUsage().heapUsed
    const perOctet = (after - before) / (prefixes.length * 1000)
    // The byte-per-node trie this replaced cost ~93 octets of heap per subscribed octet.
    console.log(`# trie: ${perOctet.toFixed(2)} octets of heap per subscribed octet`)
    assert.ok(perOctet < 3, `${perOctet.toFixed(2)} octets of heap per subscribed octet`)
    assert.equal(t.size, prefixes.length)
  })
})
