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
