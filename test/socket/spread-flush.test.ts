/**
 * h19 (issue 13, "ROUTER round-robin to 1000 DEALERs"): at the end of a burst spread over many
 * pipes, a pipe with a little output and a silent peer may wait a few more turns so that its
 * messages share one write (Pipe.holdOutput, Socket #endBurst). What must hold: the policy's
 * rules (below), and that nothing held is ever lost or stuck — when the sender stops, and when
 * the peers are requesters waiting for their replies (those are never held).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import * as ih from "../../src/index.js"
import { HOLD_BYTES, HOLD_TURNS, Pipe, type PipeConnection, type PipeOwner } from "../../src/socket/pipe.js"
import type { PeerInfo } from "../../src/engine/peer-info.js"

const PEERS = 100 // above the socket's HOLD_MIN_PIPES (64)

function readyPipe(): { pipe: Pipe; flushes: () => number } {
  let flushes = 0
  const owner: PipeOwner = { pipeStateChanged() {}, queuedOutputChanged() {}, scheduleFlush() {}, pipeHasRoom() {} }
  // A stand-in connection: the engine takes frames, the transport counts flushes.
  const conn = {
    engine: { send() {}, sendSubscription() {} },
    socket: { writableNeedDrain: false, destroyed: false, pause() {}, resume() {} },
    flush: () => void flushes++,
    close() {},
    destroy() {},
    pendingOutput: 0,
    linger() {},
    abort() {},
  } satisfies PipeConnection
  const pipe = new Pipe(owner, "test://", undefined, 0, 0)
  pipe.attachConnection(conn)
  pipe.onHandshake({} as PeerInfo)
  return { pipe, flushes: () => flushes }
}

describe("Pipe.holdOutput (h19)", () => {
  it("holds a little output for a silent peer at most HOLD_TURNS turns, then lets it go", () => {
    const { pipe } = readyPipe()
    pipe.write([Buffer.alloc(64)])
    assert.equal(pipe.holdOutput(), false, "nothing flushed yet: the peer may be waiting (it connected)")
    pipe.flush()
    pipe.write([Buffer.alloc(64)])
    for (let turn = 0; turn < HOLD_TURNS; turn++) assert.equal(pipe.holdOutput(), true, `turn ${turn}`)
    assert.equal(pipe.holdOutput(), false, "held long enough")
    pipe.flush()
    pipe.write([Buffer.alloc(64)])
    assert.equal(pipe.holdOutput(), true, "a flush starts the count again")
  })

  it("never holds output for a peer that sent something since the last flush", () => {
    const { pipe } = readyPipe()
    pipe.flush()
    pipe.write([Buffer.alloc(64)])
    pipe.pushInbound([Buffer.from("request")])
    assert.equal(pipe.holdOutput(), false)
  })

  it("never holds HOLD_BYTES or more", () => {
    const { pipe } = readyPipe()
    pipe.flush()
    pipe.write([Buffer.alloc(HOLD_BYTES)])
    assert.equal(pipe.holdOutput(), false)
  })
})

describe("ROUTER spread over many peers (h19)", () => {
  it("delivers every message, in order, when the sender stops after a spread burst", { timeout: 20_000 }, async () => {
    const router = new ih.Router({ linger: 0 })
    await router.bind("tcp://127.0.0.1:*")
    const dealers = Array.from({ length: PEERS }, () => new zmq.Dealer({ linger: 0 }))
    try {
      for (const d of dealers) d.connect(router.lastEndpoint as string)
      await Promise.all(dealers.map((d, i) => d.send(`hello ${i}`)))
      const ids: Buffer[] = []
      while (ids.length < PEERS) ids.push(((await router.receive()) as Buffer[])[0] as Buffer)
      const receiveAll = (n: number): Promise<string[][]> =>
        Promise.all(
          dealers.map(async (d) => {
            const seen: string[] = []
            for (let i = 0; i < n; i++) seen.push(String((await d.receive())[0]))
            return seen
          }),
        )
      // One round, received: every pipe has flushed since its peer last spoke, so the next burst
      // finds 100 pipes with a little output and silent peers (all of them may be held).
      for (const id of ids) await router.send([id, "m0"])
      for (const seen of await receiveAll(1)) assert.deepEqual(seen, ["m0"])
      // Three rounds in one turn (each send resolves at once), then silence.
      for (let round = 1; round <= 3; round++) for (const id of ids) await router.send([id, `m${round}`])
      for (const seen of await receiveAll(3)) assert.deepEqual(seen, ["m1", "m2", "m3"])
    } finally {
      router.close()
      for (const d of dealers) d.close()
    }
  })

  it("answers many requesters at once, many times over (replies are not held)", { timeout: 20_000 }, async () => {
    const router = new ih.Router({ linger: 0 })
    await router.bind("tcp://127.0.0.1:*")
    const clients = Array.from({ length: PEERS }, () => new zmq.Request({ linger: 0 }))
    let serving = true
    const server = (async () => {
      while (serving) {
        const [id, empty, body] = (await router.receive()) as Buffer[]
        await router.send([id as Buffer, empty as Buffer, Buffer.concat([Buffer.from("re: "), body as Buffer])])
      }
    })().catch(() => undefined)
    try {
      for (const c of clients) c.connect(router.lastEndpoint as string)
      await Promise.all(
        clients.map(async (c, i) => {
          for (let n = 0; n < 5; n++) {
            await c.send(`${i}/${n}`)
            assert.equal(String((await c.receive())[0]), `re: ${i}/${n}`)
          }
        }),
      )
    } finally {
      serving = false
      router.close()
      for (const c of clients) c.close()
      await server
    }
  })
})
