/**
 * Socket events with the `zeromq` observer names and shapes: the life of a connection, the
 * handshake failures (protocol with its code, auth with its status), reconnect attempts,
 * and the end of the stream when the socket closes.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import { Pull, Push, Pair, Dealer, type SocketEvent, SocketError } from "../../src/index.js"
import { until } from "./helpers.js"

zmq.context.blocky = false

/** Collect every event of a socket until it ends. */
function record(events: AsyncIterable<SocketEvent>): { seen: SocketEvent[]; done: Promise<void> } {
  const seen: SocketEvent[] = []
  const done = (async () => {
    for await (const e of events) seen.push(e)
  })()
  return { seen, done }
}

const types = (seen: SocketEvent[]): string[] => seen.map((e) => e.type)

describe("socket events", () => {
  it("bind, accept, handshake (with the peer), disconnect, close and end, in order", async () => {
    const pull = new Pull({ linger: 0 })
    const push = new Push({ linger: 0, reconnectInterval: -1 })
    const server = record(pull.events)
    const client = record(push.events)
    await pull.bind("tcp://127.0.0.1:*")
    const address = pull.lastEndpoint as string
    push.connect(address)
    await push.send("x")
    await pull.receive()
    push.close()
    await until(() => types(server.seen).includes("disconnect"), "the server sees the disconnect")
    pull.close()
    await server.done
    await client.done
    assert.deepEqual(types(server.seen), ["bind", "accept", "handshake", "disconnect", "close", "end"])
    assert.ok(server.seen.slice(0, 5).every((e) => "address" in e && e.address === address))
    const hs = server.seen.find((e) => e.type === "handshake")
    assert.equal(hs?.type === "handshake" ? hs.peer.socketType : undefined, "PUSH")
    assert.deepEqual(types(client.seen), ["connect:delay", "connect", "handshake", "end"])
    assert.ok(client.seen.slice(0, 3).every((e) => "address" in e && e.address === address))
  })

  it("connect:retry carries the interval; failed attempts report close", async () => {
    const push = new Push({ linger: 0, reconnectInterval: 10, reconnectMaxInterval: 40 })
    const retries: number[] = []
    const closes: string[] = []
    push.events.on("connect:retry", (e) => retries.push(e.interval))
    push.events.on("close", (e) => closes.push(e.address))
    try {
      push.connect("tcp://127.0.0.1:1")
      await until(() => retries.length >= 4, "four retries")
      assert.deepEqual(retries.slice(0, 4), [10, 20, 40, 40])
      assert.ok(closes.length >= 4 && closes.every((a) => a === "tcp://127.0.0.1:1"))
    } finally {
      push.close()
    }
  })

  it("handshake:error:auth carries the status; the refused client sees an AuthError too", async () => {
    const server = new Pull({ linger: 0, plainServer: true, authenticate: () => ({ status: 400, statusText: "no" }) })
    const client = new Push({ linger: 0, plainUsername: "u", plainPassword: "wrong", reconnectInterval: -1 })
    const serverFailures: SocketEvent[] = []
    const clientFailures: SocketEvent[] = []
    server.events.on("handshake:error:auth", (e) => serverFailures.push(e))
    client.events.on("handshake:error:auth", (e) => clientFailures.push(e))
    try {
      await server.bind("tcp://127.0.0.1:*")
      client.connect(server.lastEndpoint as string)
      await until(() => clientFailures.length === 1 && serverFailures.length === 1, "both sides report the refusal")
      for (const e of [...serverFailures, ...clientFailures]) {
        assert.equal(e.type, "handshake:error:auth")
        if (e.type === "handshake:error:auth") {
          assert.equal(e.error.status, 400)
          assert.equal(e.error.code, "ERR_AUTH_FAILED")
        }
      }
    } finally {
      server.close()
      client.close()
    }
  })

  it("handshake:error:protocol carries the code: a PUSH cannot talk to a PAIR", async () => {
    const pair = new Pair({ linger: 0 })
    const push = new Push({ linger: 0, reconnectInterval: -1 })
    const failures: SocketEvent[] = []
    pair.events.on("handshake:error:protocol", (e) => failures.push(e))
    try {
      await pair.bind("tcp://127.0.0.1:*")
      push.connect(pair.lastEndpoint as string)
      await until(() => failures.length === 1, "the mismatch is reported")
      const f = failures[0]
      assert.equal(f?.type === "handshake:error:protocol" ? f.error.code : undefined, "ERR_ZMTP_SOCKET_TYPE_MISMATCH")
    } finally {
      pair.close()
      push.close()
    }
  })

  it("a libzmq PLAIN client refused by our authenticate hook: auth event on our side", async () => {
    const server = new Dealer({ linger: 0, plainServer: true, authenticate: (r) => ({ status: Buffer.from(r.credentials[1] ?? []).toString() === "ok" ? 200 : 400 }) })
    const bad = new zmq.Dealer({ linger: 0, plainUsername: "u", plainPassword: "bad" })
    const good = new zmq.Dealer({ linger: 0, plainUsername: "u", plainPassword: "ok" })
    const refused: SocketEvent[] = []
    server.events.on("handshake:error:auth", (e) => refused.push(e))
    try {
      await server.bind("tcp://127.0.0.1:*")
      bad.connect(server.lastEndpoint as string)
      await until(() => refused.length >= 1, "the refusal")
      good.connect(server.lastEndpoint as string)
      await good.send("hi")
      const { message, peer } = await server.receiveWithPeer()
      assert.deepEqual(message.map(String), ["hi"])
      assert.equal(peer.mechanism, "PLAIN")
    } finally {
      server.close()
      bad.close()
      good.close()
    }
  })

  it("receive() on events works too, and throws EBADF after the end event, as zeromq", async () => {
    const pull = new Pull({ linger: 0 })
    const events = pull.events
    await pull.bind("tcp://127.0.0.1:*")
    const first = await events.receive()
    assert.equal(first.type, "bind")
    pull.close()
    assert.equal((await events.receive()).type, "close")
    assert.equal((await events.receive()).type, "end")
    assert.throws(() => events.receive(), (err: unknown) => err instanceof SocketError && err.code === "EBADF")
    assert.equal(events.closed, true)
  })
})
