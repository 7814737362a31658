/** The routing strategies on their own: load-balance, fair-queue, distribute. */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Pipe, type PipeOwner } from "../../src/socket/pipe.js"
import { LoadBalancer } from "../../src/socket/load-balancer.js"
import { FairQueue } from "../../src/socket/fair-queue.js"
import { Distributor } from "../../src/socket/distributor.js"
import { SubscriptionTrie } from "../../src/socket/subscription-trie.js"

const owner: PipeOwner = { pipeStateChanged() {}, queuedOutputChanged() {}, scheduleFlush() {}, pipeHasRoom() {} }
/** A pipe without a connection: written messages stay in its queue (so fullness is controllable). */
const pipe = (hwm: number): Pipe => new Pipe(owner, "test://", undefined, hwm, 0)
const msg = (s: string): Uint8Array[] => [new TextEncoder().encode(s)]

describe("LoadBalancer", () => {
  it("goes round-robin over the pipes with room, skipping full ones", () => {
    const lb = new LoadBalancer()
    const [a, b, c] = [pipe(2), pipe(1), pipe(2)] as [Pipe, Pipe, Pipe]
    for (const p of [a, b, c]) lb.add(p)
    const picks: Pipe[] = []
    for (let i = 0; i < 5; i++) {
      const p = lb.pick()
      assert.ok(p)
      p.write(msg(String(i)))
      picks.push(p)
    }
    assert.deepEqual(picks, [a, b, c, a, c], "b is full after one message and is skipped")
    assert.equal(lb.pick(), undefined, "every pipe is full")
    assert.equal(lb.hasRoom, false)
    lb.remove(c)
    assert.equal(lb.size, 2)
  })
})

describe("FairQueue", () => {
  it("takes one message per pipe in turn", () => {
    const fq = new FairQueue()
    const [a, b] = [pipe(0), pipe(0)] as [Pipe, Pipe]
    for (const s of ["a1", "a2", "a3"]) fq.push(a, msg(s))
    fq.push(b, msg("b1"))
    const order: string[] = []
    for (let f = fq.next(); f !== undefined; f = fq.next()) order.push(new TextDecoder().decode(f[0]))
    assert.deepEqual(order, ["a1", "b1", "a2", "a3"])
    assert.equal(fq.hasMessages, false)
  })

  it("remove() forgets a pipe and its messages", () => {
    const fq = new FairQueue()
    const [a, b] = [pipe(0), pipe(0)] as [Pipe, Pipe]
    fq.push(a, msg("a"))
    fq.push(b, msg("b"))
    fq.remove(a)
    assert.deepEqual(new TextDecoder().decode(fq.next()?.[0]), "b")
    assert.equal(fq.lastPipe, b)
    assert.equal(fq.next(), undefined)
  })
})

describe("Distributor", () => {
  it("sends to matching pipes with room; a full pipe misses the message", () => {
    const d = new Distributor()
    const [a, b, full] = [pipe(10), pipe(10), pipe(1)] as [Pipe, Pipe, Pipe]
    for (const p of [a, b, full]) {
      p.subscriptions = new SubscriptionTrie()
      d.add(p)
    }
    a.subscriptions?.add(new TextEncoder().encode("x"))
    full.subscriptions?.add(new Uint8Array(0))
    full.write(msg("fills it"))
    assert.equal(d.allMatchingHaveRoom(msg("xyz")), false)
    assert.equal(d.sendToMatching(msg("xyz")), 1, "a only: b did not subscribe, the catch-all pipe is full")
    assert.equal(a.queuedOutput, 1)
    assert.equal(b.queuedOutput, 0)
    assert.equal(full.queuedOutput, 1)
    assert.equal(d.sendToAll(msg("everyone")), 2)
  })
})
