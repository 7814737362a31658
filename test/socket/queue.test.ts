import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { Queue } from "../../src/socket/queue.js"

describe("Queue", () => {
  it("behaves like an array used as a FIFO for any sequence of operations", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), value: fc.integer() }),
      fc.record({ kind: fc.constant("shift" as const) }),
      fc.record({ kind: fc.constant("unshift" as const), value: fc.integer() }),
      fc.record({ kind: fc.constant("peek" as const) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new Queue<number>(4)
        const model: number[] = []
        for (const o of ops) {
          if (o.kind === "push") {
            q.push(o.value)
            model.push(o.value)
          } else if (o.kind === "unshift") {
            q.unshift(o.value)
            model.unshift(o.value)
          } else if (o.kind === "shift") {
            assert.equal(q.shift(), model.shift())
          } else {
            assert.equal(q.peek(), model[0])
          }
          assert.equal(q.length, model.length)
        }
        assert.deepEqual(q.drain(), model)
        assert.equal(q.length, 0)
      }),
      { numRuns: 200 },
    )
  })

  it("clear() empties it and it stays usable", () => {
    const q = new Queue<string>()
    for (let i = 0; i < 100; i++) q.push(String(i))
    q.clear()
    assert.equal(q.length, 0)
    assert.equal(q.shift(), undefined)
    q.push("a")
    assert.equal(q.shift(), "a")
  })
})
