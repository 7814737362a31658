import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Backoff } from "../../src/transport/backoff.js"

describe("Backoff (libzmq get_new_reconnect_ivl)", () => {
  it("doubles from reconnectInterval up to reconnectMaxInterval, and starts over after reset()", () => {
    const b = new Backoff(100, 1000)
    assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000])
    b.reset()
    assert.equal(b.next(), 100)
  })

  it("without a maximum, stays at reconnectInterval plus a jitter below it", () => {
    const randoms = [0, 0.5, 0.999]
    const b = new Backoff(100, 0, () => randoms.shift() ?? 0)
    assert.deepEqual([b.next(), b.next(), b.next()], [100, 150, 199])
  })

  it("a maximum below the interval caps the first wait too (as libzmq computes it)", () => {
    const b = new Backoff(500, 200)
    assert.deepEqual([b.next(), b.next()], [200, 200])
  })
})
