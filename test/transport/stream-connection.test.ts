/**
 * StreamConnection: a bug in an event handler triggered by what a peer sent costs only that
 * connection (dropped, reported), never the process; other connections keep working.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { connectEngine, listenEngine, text } from "../helpers/net-engine.js"
import { StreamConnection } from "../../src/transport/stream-connection.js"
import type { ConnectionEvent } from "../../src/engine/connection.js"
import net from "node:net"

describe("StreamConnection event handlers", () => {
  it("a handler that throws on a peer's message drops that connection with an error event and a warning", async () => {
    const listener = await listenEngine({ socketType: "PAIR", security: { mechanism: "NULL", asServer: true } })
    const client = await connectEngine(listener.port, { socketType: "PAIR", security: { mechanism: "NULL", asServer: false } })
    const warnings: string[] = []
    const onWarning = (w: Error & { code?: string }) => warnings.push(String(w.code))
    process.on("warning", onWarning)
    try {
      await client.next("handshake")
      // A second, independent connection to the same listener whose handler is buggy.
      const socket = net.connect(listener.port, "127.0.0.1")
      await new Promise((resolve) => socket.once("connect", resolve))
      const seen: ConnectionEvent[] = []
      let closed = false
      const buggy = new StreamConnection(
        socket,
        { socketType: "PAIR", security: { mechanism: "NULL", asServer: false } },
        {
          onEvent(event) {
            seen.push(event)
            if (event.type === "handshake") throw new Error("handler bug")
          },
          onClose: () => (closed = true),
        },
      )
      for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10))
      assert.ok(closed, "the buggy connection was dropped")
      assert.ok(buggy.engine.closed)
      const error = seen.find((e) => e.type === "error")
      assert.equal(error?.type === "error" ? error.error.code : undefined, "ERR_ZMTP_UNSPECIFIED")
      await new Promise((r) => setImmediate(r))
      assert.ok(warnings.includes("IRONHOUSE_EVENT_HANDLER_FAILED"))
      // The other connection is unaffected.
      const server = await listener.accepted
      await server.next("handshake")
      client.send([text("still here")])
      const msg = await server.next("message")
      assert.equal(new TextDecoder().decode(msg.frames[0]), "still here")
    } finally {
      process.off("warning", onWarning)
      client.close()
      await listener.close()
    }
  })
})
