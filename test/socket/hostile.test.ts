/**
 * Slow and hostile connections (CVE-2020-15166: unauthenticated connections must not hold
 * back authenticated peers): half-open, greeting dribbled byte by byte, greeting then
 * silence, garbage. An authenticated CURVE peer's messages still all arrive while those
 * connections are open; the handshake limit sheds the oldest, the timeouts close the rest.
 * (flood.test.ts holds a thousand of them.)
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import * as zmq from "zeromq"
import { Pull, type SocketEvent } from "../../src/index.js"
import { encodeGreeting } from "../../src/wire/greeting.js"
import { until } from "./helpers.js"

zmq.context.blocky = false

function portOf(endpoint: string | null): number {
  return Number((endpoint ?? "").split(":").pop())
}

function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s))
    s.on("error", () => {})
    s.once("error", reject)
  })
}

describe("hostile connections", () => {
  it("do not delay an authenticated CURVE peer's messages", async () => {
    const serverKeys = zmq.curveKeyPair()
    const clientKeys = zmq.curveKeyPair()
    const authenticated: string[] = []
    const pull = new Pull({
      linger: 0,
      curveServer: true,
      curveSecretKey: serverKeys.secretKey,
      authenticate: (req) => {
        authenticated.push(req.mechanism)
        return { status: 200, userId: "good" }
      },
    })
    const hostile: net.Socket[] = []
    let dribble: NodeJS.Timeout | undefined
    const push = new zmq.Push({
      linger: 0,
      curveServerKey: serverKeys.publicKey,
      curvePublicKey: clientKeys.publicKey,
      curveSecretKey: clientKeys.secretKey,
    })
    try {
      await pull.bind("tcp://127.0.0.1:*")
      const port = portOf(pull.lastEndpoint)
      // 1. half-open: connected, says nothing
      hostile.push(await rawConnect(port))
      // 2. a valid CURVE greeting, one byte at a time, slowly
      const dribbler = await rawConnect(port)
      hostile.push(dribbler)
      const greeting = encodeGreeting("CURVE", false)
      let sent = 0
      dribble = setInterval(() => {
        if (sent < greeting.length) dribbler.write(greeting.subarray(sent, ++sent))
      }, 25)
      // 3. a full greeting, then silence in the middle of the handshake
      const staller = await rawConnect(port)
      staller.write(greeting)
      hostile.push(staller)
      // 4. garbage (closed by the server at once; must not disturb anything)
      const garbage = await rawConnect(port)
      garbage.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))

      push.connect(pull.lastEndpoint as string)
      const count = 200
      for (let i = 0; i < count; i++) await push.send(["msg", String(i)])
      for (let i = 0; i < count; i++) {
        const { message, peer } = await pull.receiveWithPeer()
        assert.deepEqual(message.map(String), ["msg", String(i)])
        assert.equal(peer.userId, "good")
      }
      // All delivered while every slow connection is still open and unauthenticated.
      assert.ok(hostile.every((s) => !s.destroyed && s.readyState === "open"), "the slow connections are still open")
      assert.ok(sent < greeting.length, "the dribbled greeting is not even complete")
      assert.deepEqual(authenticated, ["CURVE"], "only the real client reached authentication")
    } finally {
      if (dribble !== undefined) clearInterval(dribble)
      for (const s of hostile) s.destroy()
      push.close()
      pull.close()
    }
  })

  it("beyond maxPendingHandshakes the oldest pending connections are shed, never the newcomer", async () => {
    const pull = new Pull({ linger: 0, maxPendingHandshakes: 3 })
    const events: SocketEvent[] = []
    pull.events.on("handshake:error:other", (e) => events.push(e))
    const raw: net.Socket[] = []
    try {
      await pull.bind("tcp://127.0.0.1:*")
      const port = portOf(pull.lastEndpoint)
      const closed = new Set<net.Socket>()
      for (let i = 0; i < 5; i++) {
        const s = await rawConnect(port)
        s.on("close", () => closed.add(s))
        s.resume()
        raw.push(s)
      }
      await until(() => events.length === 2, "two connections shed")
      await until(() => closed.size === 2, "the two shed connections are closed")
      assert.ok(closed.has(raw[0] as net.Socket) && closed.has(raw[1] as net.Socket), "the two oldest were shed")
      for (const e of events) {
        if (e.type === "handshake:error:other") assert.equal(e.error.code, "ERR_IRONHOUSE_HANDSHAKE_LIMIT")
      }
      // While the three newest still hold their places, a real peer gets in (shedding one more).
      const push = new zmq.Push({ linger: 0 })
      try {
        push.connect(pull.lastEndpoint as string)
        await push.send("in")
        assert.deepEqual((await pull.receive()).map(String), ["in"])
      } finally {
        push.close()
      }
      await until(() => closed.size >= 3, "the real peer shed one more")
      assert.equal(closed.size, 3, "the real peer shed exactly one more")
      assert.equal(events.length, 3)
    } finally {
      for (const s of raw) s.destroy()
      pull.close()
    }
  })

  it("a connection that does not finish its handshake in handshakeInterval is closed", async () => {
    const pull = new Pull({ linger: 0, handshakeInterval: 100 })
    const failures: SocketEvent[] = []
    pull.events.on("handshake:error:other", (e) => failures.push(e))
    try {
      await pull.bind("tcp://127.0.0.1:*")
      const s = await rawConnect(portOf(pull.lastEndpoint))
      const closed = new Promise<void>((resolve) => s.once("close", () => resolve()))
      s.resume()
      await closed
      assert.equal(failures.length, 1)
      const f = failures[0]
      if (f?.type === "handshake:error:other") assert.equal(f.error.code, "ERR_ZMTP_HANDSHAKE_TIMEOUT")
    } finally {
      pull.close()
    }
  })

  it("a message above maxMessageSize is never delivered: the connection is dropped", async () => {
    const pull = new Pull({ linger: 0, maxMessageSize: 1000 })
    const push = new zmq.Push({ linger: 0, reconnectInterval: 20 })
    let disconnects = 0
    let theirDisconnects = 0
    pull.events.on("disconnect", () => disconnects++)
    void (async () => {
      for await (const e of push.events) if (e.type === "disconnect") theirDisconnects++
    })()
    try {
      await pull.bind("tcp://127.0.0.1:*")
      push.connect(pull.lastEndpoint as string)
      await push.send(["small", Buffer.alloc(500)])
      assert.equal((await pull.receive())[0]?.toString(), "small")
      await push.send(["too big", Buffer.alloc(1000)]) // 1007 octets in all
      await until(() => disconnects === 1, "the sender is dropped")
      // Send the next one only once libzmq noticed too, or it may go down the dead connection.
      await until(() => theirDisconnects === 1, "libzmq sees the disconnect")
      await push.send("after reconnecting")
      assert.deepEqual((await pull.receive()).map(String), ["after reconnecting"])
    } finally {
      pull.close()
      push.close()
    }
  })
})
