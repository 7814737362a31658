/**
 * Test helper: two sans-IO Connections wired back to back in memory, with a fake clock.
 */
import type { Connection } from "../../src/engine/connection.js"

export class FakeClock {
  t = 1000
  now = () => this.t
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0)
  const out = new Uint8Array(total)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.length
  }
  return out
}

/** Move bytes between a and b until both are quiet; `cut` splits each transfer into pieces. */
export async function pump(a: Connection, b: Connection, cut: (n: number) => number[] = () => []): Promise<void> {
  let idle = 0
  for (let round = 0; round < 200 && idle < 2; round++) {
    let moved = false
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const out = from.takeOutput()
      if (out.length === 0) continue
      moved = true
      const bytes = concat(out)
      const cuts = cut(bytes.length).filter((x) => x > 0 && x < bytes.length)
      let prev = 0
      for (const at of [...new Set(cuts)].sort((x, y) => x - y).concat(bytes.length)) {
        to.receiveData(bytes.subarray(prev, at))
        prev = at
      }
    }
    if (moved) {
      idle = 0
    } else {
      idle++
      await new Promise((r) => setImmediate(r)) // let asynchronous authenticate hooks settle
    }
  }
}

