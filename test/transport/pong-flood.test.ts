/**
 * A raw TCP peer that sends PINGs and never reads (issue 7, defect 5): our buffers stay
 * bounded (at most one PONG is pending), and once our output is backed up we stop reading it.
 * Memory is measured as the octets we hold for that peer (socket writableLength plus engine
 * output), not by time.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import { listenEngine } from "../helpers/net-engine.js"
import { encodeCommand } from "../../src/wire/command.js"
import { encodeReady } from "../../src/wire/commands.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { encodeGreeting } from "../../src/wire/greeting.js"
import { concat } from "../helpers/memory-pair.js"
import type { StreamConnection } from "../../src/transport/stream-connection.js"

const PING = encodeFrame({ more: false, command: true, body: encodeCommand("PING", new Uint8Array(2)) })

/** 64 KiB-ish of back-to-back PING frames. */
const PING_CHUNK = concat(Array.from({ length: Math.floor(65_536 / PING.length) }, () => PING))

async function rawNullPeer(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: "127.0.0.1" })
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  socket.pause() // never read
  const ready = encodeFrame({ more: false, command: true, body: encodeCommand("READY", encodeReady(new Map([["Socket-Type", new TextEncoder().encode("PAIR")]]))) })
  socket.write(concat([encodeGreeting("NULL", false), ready]))
  return socket
}

function held(conn: StreamConnection): number {
  return conn.socket.writableLength + conn.engine.pendingOutput
}

/**
 * Write up to `chunks` times PING_CHUNK, waiting for 'drain' when the kernel is full; stops
 * early when `stop()` turns true while waiting (polled; 10 s at most, for safety only).
 */
async function flood(socket: net.Socket, chunks: number, stop: () => boolean = () => false): Promise<number> {
  let sent = 0
  for (let i = 0; i < chunks; i++) {
    sent++
    if (!socket.write(PING_CHUNK)) {
      const drained = await new Promise<boolean>((resolve) => {
        const onDrain = (): void => {
          clearInterval(poll)
          resolve(true)
        }
        let waited = 0
        const poll = setInterval(() => {
          waited += 10
          if (stop() || waited > 10_000) {
            clearInterval(poll)
            socket.off("drain", onDrain)
            resolve(false)
          }
        }, 10)
        socket.once("drain", onDrain)
      })
      if (!drained) break
    }
  }
  return sent
}

describe("PING flood from a peer that never reads", () => {
  it("16 MiB of PINGs: we hold at most a few KiB for that peer", async () => {
    const listener = await listenEngine({ socketType: "PAIR", security: { mechanism: "NULL", asServer: true } })
    const peer = await rawNullPeer(listener.port)
    try {
      const probe = await listener.accepted
      await probe.next("handshake")
      const conn = probe.conn as StreamConnection
      let maxHeld = 0
      let pings = 0
      const onEvent = probe.push.bind(probe)
      probe.push = (event) => {
        if (event.type === "ping") {
          pings++
          maxHeld = Math.max(maxHeld, held(conn))
          return
        }
        onEvent(event)
      }
      const chunks = Math.ceil((16 * 1024 * 1024) / PING_CHUNK.length)
      const perChunk = PING_CHUNK.length / PING.length
      const sent = await flood(peer, chunks)
      assert.equal(sent, chunks, "we kept reading: memory stays bounded without pushing back")
      for (let i = 0; i < 500 && pings < sent * perChunk; i++) await new Promise((r) => setTimeout(r, 10))
      assert.equal(pings, sent * perChunk, "every PING was read")
      assert.ok(maxHeld < 64 * 1024, `held ${maxHeld} octets for the peer`)
      assert.equal(conn.engine.closed, false)
    } finally {
      peer.destroy()
      await listener.close()
    }
  })

  it("once our output is backed up, a peer that only pings is no longer read; it resumes after the peer reads", async () => {
    const listener = await listenEngine({ socketType: "PAIR", security: { mechanism: "NULL", asServer: true } })
    const peer = await rawNullPeer(listener.port)
    try {
      const probe = await listener.accepted
      await probe.next("handshake")
      const conn = probe.conn as StreamConnection
      // Back our output up with a message the peer does not read.
      conn.send([new Uint8Array(32 * 1024 * 1024)])
      assert.equal(conn.engine.outputBlocked, true)
      let pings = 0
      let maxHeld = 0
      const onEvent = probe.push.bind(probe)
      probe.push = (event) => {
        if (event.type === "ping") {
          pings++
          maxHeld = Math.max(maxHeld, held(conn))
          return
        }
        onEvent(event)
      }
      const before = held(conn)
      const sent = await flood(peer, 4096, () => conn.socket.isPaused())
      assert.ok(sent < 4096, `the peer's writes backed up (it sent ${sent} chunks)`)
      assert.equal(conn.socket.isPaused(), true, "we stopped reading")
      assert.ok(peer.writableLength > 0, "the flood is stuck in the peer's own buffers")
      assert.ok(maxHeld <= before, `we queued nothing more for the peer (${maxHeld} <= ${before})`)
      const seen = pings
      // The peer finally reads: our output drains, we read its PINGs again and answer once.
      let received = 0
      peer.on("data", (chunk: Buffer) => (received += chunk.length))
      peer.resume()
      const message = 32 * 1024 * 1024 + 9 // long frame header
      for (let i = 0; i < 1000 && (pings === seen || received <= message); i++) await new Promise((r) => setTimeout(r, 10))
      assert.ok(pings > seen, "reading resumed after the drain")
      assert.ok(received > message, `the peer got our message and then PONGs (${received} octets)`)
    } finally {
      peer.destroy()
      await listener.close()
    }
  })
})
