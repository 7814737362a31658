/**
 * The logical key hierarchy by properties: after any random sequence of joins and removals,
 * (1) the tree keeps its invariant (a node is keyed exactly when its subtree holds a reader),
 * (2) every current member derives the current epoch key from the commits alone, through the
 *     full reader (StreamReader) and a real data message, and every non-member does not, and
 * (3) the coalition of all non-members, holding every key any of them ever held and every
 *     commit, cannot unwrap the current root or epoch key.
 * Plus the cost bound: one removal is at most 2·log2(n) wraps.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { aeadDecrypt } from "../../src/crypto/aead.js"
import { randomBytes } from "../../src/crypto/index.js"
import { KeyTree } from "../../src/stream-access/key-tree.js"
import { parseCommit, wrapAd, wrapNonce, EPOCH_KEY_NODE, toHex } from "../../src/stream-access/codec.js"
import { StreamWriter } from "../../src/stream-access/writer.js"
import { left, right, nodeWidth, level } from "../../src/stream-access/tree-math.js"
import { feed, identity, messages, readerFor, signKeyPair, text, type Identity } from "./helpers.js"

const POOL = 8
const pool: Identity[] = Array.from({ length: POOL }, identity)
const publisher = signKeyPair()

type Op = { kind: "add" | "remove"; who: number[] } | { kind: "rotate" }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom("add" as const, "remove" as const), who: fc.uniqueArray(fc.integer({ min: 0, max: POOL - 1 }), { minLength: 1, maxLength: 3 }) }),
  fc.constant({ kind: "rotate" as const }),
)

function checkInvariant(tree: KeyTree): void {
  const n = tree.leafCount
  const members = new Set(tree.members())
  assert.equal(members.size, tree.size)
  for (let x = 0; x < nodeWidth(n); x++) {
    if (level(x) === 0) continue
    const keyed = tree.nodeKey(x) !== undefined
    assert.equal(keyed, tree.nodeKey(left(x)) !== undefined || tree.nodeKey(right(x)) !== undefined, `node ${x}`)
  }
}

describe("key tree (RFC 2627 LKH)", () => {
  it("after any joins and removals, exactly the current members read the current epoch; non-members together unwrap nothing", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: POOL - 1 }), { maxLength: POOL }), fc.array(opArb, { minLength: 1, maxLength: 10 }), (initial, ops) => {
        const writer = new StreamWriter({ signingKey: publisher, members: initial.map((i) => pool[i]!.publicKey), batchSize: 1 })
        const readers = pool.map((id) => readerFor(id, publisher, { overlap: 0 }))
        const member = new Set(initial)
        // Initial members get their keys from the key service's welcome.
        for (const i of initial) readers[i]!.acceptWelcome(welcomeFor(writer, pool[i]!), 0)
        const commits: Uint8Array[] = []
        let now = 0
        for (const op of ops) {
          now += 10
          let frames
          if (op.kind === "rotate") frames = writer.rotate()
          else if (op.kind === "add") {
            frames = writer.commit({ add: op.who.map((i) => pool[i]!.publicKey) })
            for (const i of op.who) member.add(i)
          } else {
            frames = writer.commit({ remove: op.who.map((i) => pool[i]!.publicKey) })
            for (const i of op.who) member.delete(i)
          }
          for (const f of frames) if (f[1][1] === 3) commits.push(f[1])
          checkInvariant(writer.tree)
          for (const r of readers) feed(r, frames, now)
          const data = [...writer.seal(text("t"), text(`epoch ${writer.epoch}`), now), ...writer.flush()]
          readers.forEach((r, i) => {
            const got = messages(feed(r, data, now))
            assert.deepEqual(got, member.has(i) ? [`epoch ${writer.epoch}`] : [], `reader ${i} member=${member.has(i)}`)
          })
          // The coalition of every current non-member: their hoards only (members' keys are excluded).
          const coalition = new Map<number, Map<string, Uint8Array>>()
          for (let i = 0; i < POOL; i++) {
            if (member.has(i)) continue
            for (const [node, keys] of everHeld.get(i) ?? []) for (const k of keys.values()) remember1(coalition, node, k)
          }
          const root = writer.tree.rootKey
          if (root !== undefined) {
            const derived = closure(coalition, commits)
            assert.ok(![...derived.values()].some((m) => [...m.values()].some((k) => toHex(k) === toHex(root))), "coalition derived the root key")
            assert.ok(!(derived.get(EPOCH_KEY_NODE)?.has(toHex(writer.tree.epochKey)) ?? false), "coalition derived the epoch key")
          }
          // Record what each member holds now, for when it is removed later.
          for (const i of member) {
            const held = everHeld.get(i) ?? new Map<number, Map<string, Uint8Array>>()
            everHeld.set(i, held)
            for (const { node, key } of writer.tree.memberKeys(pool[i]!.publicKey)!.nodes) remember1(held, node, key)
            remember1(held, EPOCH_KEY_NODE, writer.tree.epochKey)
          }
        }
        everHeld.clear()
      }),
      { numRuns: 40 },
    )
  })

  it("one removal costs at most 2·log2(n) wraps and leaves the others reading", () => {
    const members = Array.from({ length: 1000 }, (_, i) => `member-${i}`)
    const tree = new KeyTree(members, randomBytes)
    assert.equal(tree.leafCount, 1024)
    const plan = tree.commit({ remove: ["member-17"] })
    assert.ok(plan.wraps.length <= 2 * 10, `${plan.wraps.length} wraps`)
    assert.ok(plan.wraps.length >= 10)
    assert.equal(tree.size, 999)
    assert.equal(tree.has("member-17"), false)
    // The next join reuses the freed leaf: no growth.
    tree.commit({ add: ["newcomer"] })
    assert.equal(tree.leafCount, 1024)
    assert.equal(tree.memberKeys("newcomer")?.leaf, 17)
  })
})

const everHeld = new Map<number, Map<number, Map<string, Uint8Array>>>()

function remember1(store: Map<number, Map<string, Uint8Array>>, node: number, key: Uint8Array): void {
  const m = store.get(node) ?? new Map<string, Uint8Array>()
  store.set(node, m)
  m.set(toHex(key), new Uint8Array(key))
}

/** Everything the holder of `known` can unwrap from `commits`, repeated until nothing new. */
function closure(known: Map<number, Map<string, Uint8Array>>, commits: readonly Uint8Array[]): Map<number, Map<string, Uint8Array>> {
  const have = new Map([...known].map(([n, m]) => [n, new Map(m)]))
  let grew = true
  while (grew) {
    grew = false
    for (const body of commits) {
      const c = parseCommit(body)!
      const attempts = [...c.wraps.map((w, i) => ({ node: w.node, under: w.under, box: w.box, i }))]
      if (c.epochBox) attempts.push({ node: EPOCH_KEY_NODE, under: -1, box: c.epochBox, i: c.wraps.length })
      for (const a of attempts) {
        const candidates = a.under === -1 ? [...have.values()].flatMap((m) => [...m.values()]) : [...(have.get(a.under)?.values() ?? [])]
        for (const kek of candidates) {
          const ad = a.node === EPOCH_KEY_NODE ? wrapAd(c.keyId, c.epoch, EPOCH_KEY_NODE, EPOCH_KEY_NODE) : wrapAd(c.keyId, c.epoch, a.node, a.under)
          const key = aeadDecrypt(a.box, ad, wrapNonce(c.salt, a.i), kek)
          if (key && !(have.get(a.node)?.has(toHex(key)) ?? false)) {
            remember1(have, a.node, key)
            grew = true
          }
        }
      }
    }
  }
  return have
}

import { answerKeyRequest, keyRequest } from "../../src/stream-access/key-service.js"
function welcomeFor(writer: StreamWriter, id: Identity): Uint8Array {
  const outcome = answerKeyRequest(writer, id.publicKey, keyRequest())
  assert.ok(outcome.granted)
  return outcome.reply[2] as Uint8Array
}
