/** The shedding policy under a handshake flood (src/socket/handshake-guard.ts), on its own. */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { HandshakeGuard, sourceOf } from "../../src/socket/handshake-guard.js"

describe("HandshakeGuard", () => {
  it("sheds the oldest of the most represented source", () => {
    const g = new HandshakeGuard<string>()
    g.add("a1", "A")
    g.add("b1", "B")
    g.add("b2", "B")
    g.add("a2", "A")
    g.add("b3", "B")
    assert.equal(g.victim(), "b1")
    g.delete("b1")
    g.delete("b2")
    // A and B now have two each: either source's oldest is fair; A's is the oldest overall.
    assert.ok(["a1", "b3"].includes(g.victim() as string))
    g.delete("a1")
    assert.equal(g.victim(), "a2") // A: 1, B: 1 → no crowd → the oldest of all
  })

  it("with one connection per source, sheds the oldest of all", () => {
    const g = new HandshakeGuard<number>()
    for (let i = 0; i < 10; i++) g.add(i, `10.0.0.${i}`)
    assert.equal(g.victim(), 0)
    g.delete(0)
    assert.equal(g.victim(), 1)
  })

  it("agrees with a model for any sequence of adds and deletes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 4 })), { maxLength: 200 }),
        (ops) => {
          const g = new HandshakeGuard<number>()
          const model = new Map<number, string>() // insertion order = age
          for (const [add, item, src] of ops) {
            if (add) {
              if (!model.has(item)) model.set(item, `s${src}`)
              g.add(item, `s${src}`)
            } else {
              model.delete(item)
              g.delete(item)
            }
            assert.equal(g.size, model.size)
            const counts = new Map<string, number>()
            for (const s of model.values()) counts.set(s, (counts.get(s) ?? 0) + 1)
            const max = Math.max(0, ...counts.values())
            const victim = g.victim()
            if (model.size === 0) {
              assert.equal(victim, undefined)
            } else if (max > 1) {
              const source = model.get(victim as number)
              assert.equal(counts.get(source as string), max, "from a most represented source")
              const oldestOfSource = [...model].find(([, s]) => s === source)?.[0]
              assert.equal(victim, oldestOfSource, "its oldest")
            } else {
              assert.equal(victim, [...model.keys()][0], "the oldest of all")
            }
          }
        },
      ),
    )
  })
})

describe("sourceOf", () => {
  it("charges IPv4 per address, IPv4-mapped as IPv4, IPv6 per /64, ipc as one source", () => {
    assert.equal(sourceOf("127.0.0.2"), "127.0.0.2")
    assert.equal(sourceOf("::ffff:127.0.0.2"), "127.0.0.2")
    assert.equal(sourceOf("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64")
    assert.equal(sourceOf("2001:0db8:0001:0002:ffff:1:2:3"), "2001:db8:1:2::/64")
    assert.equal(sourceOf("2001:db8::1"), "2001:db8:0:0::/64")
    assert.equal(sourceOf("::1"), "0:0:0:0::/64")
    assert.equal(sourceOf("fe80::1%eth0"), "fe80:0:0:0::/64")
    assert.equal(sourceOf(""), "")
  })
})
