/**
 * One pipe-state field (issue 7 defect 9): whatever sequence of connection events a pipe goes
 * through, the count its owner derives from the reported transitions equals the number of pipes
 * whose state is "handshaking", and a closed pipe never leaves "closed".
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { Pipe, PipeState, type PipeOwner } from "../../src/socket/pipe.js"
import type { StreamConnection } from "../../src/transport/stream-connection.js"
import type { PeerInfo } from "../../src/engine/peer-info.js"

// attachConnection() touches its connection only to pause reading at the receive high-water
// mark (0 here: no limit), so a stand-in object is enough for the state machine.
const CONN = {} as StreamConnection
const PEER = {} as PeerInfo

describe("Pipe state", () => {
  it("the owner's derived handshake count always matches the pipes' states", () => {
    const op = fc.record({ pipe: fc.integer({ min: 0, max: 3 }), action: fc.constantFrom("attach", "handshake", "detach", "terminate") })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
        let handshaking = 0
        const owner: PipeOwner = {
          pipeStateChanged: (_p, from, to) => {
            assert.notEqual(from, to)
            assert.notEqual(from, PipeState.CLOSED, "a closed pipe stays closed")
            if (from === PipeState.HANDSHAKING) handshaking--
            if (to === PipeState.HANDSHAKING) handshaking++
          },
          queuedOutputChanged() {},
          scheduleFlush() {},
          pipeHasRoom() {},
        }
        const pipes = Array.from({ length: 4 }, () => new Pipe(owner, "test://", undefined, 0, 0))
        for (const { pipe, action } of ops) {
          const p = pipes[pipe] as Pipe
          if (action === "attach") p.attachConnection(CONN)
          else if (action === "handshake") p.onHandshake(PEER)
          else if (action === "detach") p.detachConnection()
          else p.terminate()
          assert.equal(handshaking, pipes.filter((x) => x.handshaking).length)
          assert.equal(p.ready, p.state === PipeState.READY)
          assert.equal(p.terminated, p.state === PipeState.CLOSED)
        }
      }),
    )
  })
})

/**
 * h18-gateway: a pipe writes into its connection's engine while the transport's buffered
 * octets are under its high-water mark, even while node:net's `writableNeedDrain` is still set
 * from a write the OS took at once (it clears only on the 'drain' tick); it queues, within its
 * own high-water mark, once the buffered octets reach the mark; inproc (no writableLength)
 * keeps using writableNeedDrain.
 */
describe("Pipe output flow control", () => {
  function setup(socket: { writableNeedDrain: boolean; writableLength?: number; writableHighWaterMark?: number }) {
    const sent: Uint8Array[][] = []
    const conn = {
      engine: { send: (frames: readonly Uint8Array[]) => void sent.push([...frames]), sendSubscription() {} },
      socket: { ...socket, destroyed: false, pause() {}, resume() {} },
      flush() {},
      close() {},
      destroy() {},
      pendingOutput: 0,
      linger() {},
      abort() {},
    }
    const queued: number[] = []
    const owner: PipeOwner = {
      pipeStateChanged() {},
      queuedOutputChanged: (_p, delta) => void queued.push(delta),
      scheduleFlush() {},
      pipeHasRoom() {},
    }
    const pipe = new Pipe(owner, "test://", undefined, 10, 0)
    pipe.attachConnection(conn)
    pipe.onHandshake(PEER)
    return { pipe, sent, queued, conn }
  }
  const message = () => [new Uint8Array(100).fill(1)]

  it("writes into the engine while writableLength is under the mark, whatever writableNeedDrain says", () => {
    const { pipe, sent, queued } = setup({ writableNeedDrain: true, writableLength: 0, writableHighWaterMark: 16384 })
    for (let i = 0; i < 20; i++) pipe.write(message())
    assert.equal(sent.length, 20)
    assert.equal(pipe.queuedOutput, 0)
    assert.deepEqual(queued, [])
  })

  it("queues at the mark (up to the pipe's own high-water mark) and sends the queue when pumped", () => {
    const { pipe, sent, queued, conn } = setup({ writableNeedDrain: true, writableLength: 16384, writableHighWaterMark: 16384 })
    for (let i = 0; i < 10; i++) pipe.write(message())
    assert.equal(sent.length, 0)
    assert.equal(pipe.queuedOutput, 10)
    assert.equal(pipe.hasRoom, false)
    assert.deepEqual(queued, [1])
    ;(conn.socket as { writableLength: number }).writableLength = 0
    pipe.pump()
    assert.equal(sent.length, 10)
    assert.equal(pipe.queuedOutput, 0)
    assert.deepEqual(queued, [1, -1])
  })

  it("without writableLength (inproc), writableNeedDrain alone decides", () => {
    const blocked = setup({ writableNeedDrain: true })
    blocked.pipe.write(message())
    assert.equal(blocked.sent.length, 0)
    assert.equal(blocked.pipe.queuedOutput, 1)
    const open = setup({ writableNeedDrain: false })
    open.pipe.write(message())
    assert.equal(open.sent.length, 1)
  })
})
