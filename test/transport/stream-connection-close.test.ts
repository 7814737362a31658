/**
 * StreamConnection's closing paths (issue 7 defect 4, issue 8 item 6): linger() reports done
 * only once every octet written has been handed to the OS, abort() reports its reason as an
 * `error` event, and the greeting deadline drops a connection that never greets.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import { connectEngine, listenEngine, type EngineProbe } from "../helpers/net-engine.js"
import { StreamConnection } from "../../src/transport/stream-connection.js"
import type { ConnectionEvent } from "../../src/engine/connection.js"
import { ErrorCode, protocolError } from "../../src/errors.js"
import { encodeGreeting } from "../../src/wire/greeting.js"

const PAIR_SERVER = { socketType: "PAIR" as const, security: { mechanism: "NULL" as const, asServer: true } }
const PAIR_CLIENT = { socketType: "PAIR" as const, security: { mechanism: "NULL" as const, asServer: false } }

async function pair(): Promise<{ server: EngineProbe; client: EngineProbe; close(): Promise<void> }> {
  const listener = await listenEngine(PAIR_SERVER)
  const client = await connectEngine(listener.port, PAIR_CLIENT)
  const server = await listener.accepted
  await client.next("handshake")
  await server.next("handshake")
  return {
    server,
    client,
    close: async () => {
      client.close()
      await listener.close()
    },
  }
}

/** A raw TCP server whose accepted sockets are driven by a StreamConnection with `greetingTimeout`. */
async function rawServer(greetingTimeout: number): Promise<{ port: number; events: ConnectionEvent[]; close(): void }> {
  const events: ConnectionEvent[] = []
  const conns: StreamConnection[] = []
  const server = net.createServer((socket) => {
    conns.push(new StreamConnection(socket, PAIR_SERVER, { onEvent: (e) => events.push(e) }, { greetingTimeout }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no port")
  return {
    port: address.port,
    events,
    close: () => {
      for (const c of conns) c.destroy()
      server.close()
    },
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s))
    s.once("error", reject)
  })
}

describe("StreamConnection closing", () => {
  it("linger() is done only once the peer has taken what the OS could not buffer", async () => {
    const p = await pair()
    try {
      p.client.conn?.socket.pause() // the peer stops reading
      const conn = p.server.conn as StreamConnection
      conn.send([new Uint8Array(16 * 1024 * 1024)])
      assert.ok(conn.pendingOutput > 0, "octets are waiting in the transport")
      let done = false
      conn.linger(() => (done = true))
      await new Promise((r) => setTimeout(r, 300))
      assert.equal(done, false, "not done while the peer does not read")
      p.client.conn?.socket.resume()
      const message = await p.client.next("message", 60_000)
      assert.equal(message.frames[0]?.length, 16 * 1024 * 1024)
      await new Promise<void>((resolve) => {
        const check = (): void => (done ? resolve() : void setTimeout(check, 5))
        check()
      })
    } finally {
      await p.close()
    }
  })

  it("linger() on a connection that is already gone is done at once", async () => {
    const p = await pair()
    try {
      const conn = p.server.conn as StreamConnection
      conn.destroy()
      let done = false
      conn.linger(() => (done = true))
      assert.equal(done, true)
      assert.equal(conn.pendingOutput, 0)
    } finally {
      await p.close()
    }
  })

  it("abort() reports its reason as an error event and closes the socket", async () => {
    const p = await pair()
    try {
      const conn = p.server.conn as StreamConnection
      conn.abort(protocolError(ErrorCode.HANDSHAKE_LIMIT, "shed"))
      const error = await p.server.next("error")
      assert.equal(error.error.code, ErrorCode.HANDSHAKE_LIMIT)
      assert.equal(error.handshake, false, "the handshake had completed")
      await p.client.untilClosed()
    } finally {
      await p.close()
    }
  })

  it("greetingTimeout drops a connection that has not greeted in time, and only that one", async () => {
    const server = await rawServer(150)
    const silent = await connect(server.port)
    const partial = await connect(server.port)
    const greeted = await connect(server.port)
    try {
      for (const s of [silent, partial, greeted]) s.resume()
      partial.write(encodeGreeting("NULL", false).subarray(0, 20))
      greeted.write(encodeGreeting("NULL", false))
      const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => s.once("close", () => resolve()))
      await Promise.all([closed(silent), closed(partial)])
      const timeouts = server.events.filter((e) => e.type === "error" && e.error.code === ErrorCode.HANDSHAKE_TIMEOUT)
      assert.equal(timeouts.length, 2)
      await new Promise((r) => setTimeout(r, 300))
      assert.equal(greeted.destroyed || greeted.readableEnded, false, "the greeted connection is still open")
    } finally {
      for (const s of [silent, partial, greeted]) s.destroy()
      server.close()
    }
  })
})
