/**
 * Reconnection against libzmq 4.3.5 (the `zeromq` package), and exactly the delivery
 * guarantees docs/sockets.md "Delivery across reconnects" states:
 *
 *  1. A connecting socket that load-balances (PUSH, DEALER, REQ, PAIR) queues messages sent
 *     while it has no connection, up to sendHighWaterMark, and delivers them in order once a
 *     connection completes its handshake; beyond the mark send() waits (EAGAIN with
 *     sendTimeout 0).
 *  2. When its peer restarts, a connecting socket reconnects by itself, and messages sent
 *     after it noticed the loss (the `disconnect` event) are delivered to the new peer.
 *  3. A SUB re-sends its subscriptions on every new connection.
 *  4. A binding socket accepts the restarted peer's new connection; traffic resumes.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import * as zmq from "zeromq"
import { Pull, Push, Subscriber, SocketError } from "../../src/index.js"
import { until } from "../socket/helpers.js"

zmq.context.blocky = false

const str = (m: Buffer[]): string[] => m.map((f) => f.toString())

/**
 * A loopback port nobody listens on right now (bound once, then released). Found with node:net,
 * whose close() has released the port when its callback runs; libzmq's unbind releases it later
 * on its I/O thread, which made an immediate bind fail now and then with EADDRINUSE.
 */
async function freePort(): Promise<number> {
  const probe = net.createServer()
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
  const address = probe.address()
  if (address === null || typeof address === "string") throw new Error("no port")
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return address.port
}

describe("reconnecting to libzmq 4.3.5", () => {
  it("1. queues up to sendHighWaterMark while nobody listens, then delivers in order", async () => {
    const port = await freePort()
    const push = new Push({ linger: 0, sendHighWaterMark: 3, sendTimeout: 0, reconnectInterval: 20 })
    const pull = new zmq.Pull({ linger: 0 })
    try {
      push.connect(`tcp://127.0.0.1:${port}`)
      for (const m of ["m1", "m2", "m3"]) await push.send(m)
      await assert.rejects(push.send("m4"), (err: unknown) => err instanceof SocketError && err.code === "EAGAIN")
      await pull.bind(`tcp://127.0.0.1:${port}`)
      assert.deepEqual(str(await pull.receive()), ["m1"])
      assert.deepEqual(str(await pull.receive()), ["m2"])
      assert.deepEqual(str(await pull.receive()), ["m3"])
      await push.send("m5") // room again
      assert.deepEqual(str(await pull.receive()), ["m5"])
    } finally {
      push.close()
      pull.close()
    }
  })

  it("2. reconnects when the peer restarts; what is sent after the disconnect reaches the new peer", async () => {
    const port = await freePort()
    const endpoint = `tcp://127.0.0.1:${port}`
    const push = new Push({ linger: 0, reconnectInterval: 20, reconnectMaxInterval: 200 })
    let disconnects = 0
    let handshakes = 0
    const retries: number[] = []
    push.events.on("disconnect", () => disconnects++)
    push.events.on("handshake", () => handshakes++)
    push.events.on("connect:retry", (e) => retries.push(e.interval))
    let pull = new zmq.Pull({ linger: 0 })
    try {
      await pull.bind(endpoint)
      push.connect(endpoint)
      await push.send("before")
      assert.deepEqual(str(await pull.receive()), ["before"])

      pull.close() // the peer goes away...
      await until(() => disconnects === 1, "the loss is noticed")
      await push.send("while away 1")
      await push.send("while away 2")
      await until(() => retries.length >= 2, "a few reconnect attempts")
      pull = new zmq.Pull({ linger: 0 }) // ...and comes back on the same endpoint
      await pull.bind(endpoint)
      assert.deepEqual(str(await pull.receive()), ["while away 1"])
      assert.deepEqual(str(await pull.receive()), ["while away 2"])
      await push.send("after")
      assert.deepEqual(str(await pull.receive()), ["after"])
      assert.equal(handshakes, 2)
      // Back-off: each retry waits at least as long as the one before, within the bounds.
      assert.ok(retries.every((v, i) => i === 0 || v >= (retries[i - 1] as number)), `intervals ${retries}`)
      assert.ok(retries.every((v) => v >= 20 && v <= 200), `intervals ${retries}`)
    } finally {
      push.close()
      pull.close()
    }
  })

  it("3. a SUB re-sends its subscriptions to a restarted publisher", async () => {
    const port = await freePort()
    const endpoint = `tcp://127.0.0.1:${port}`
    const sub = new Subscriber({ linger: 0, reconnectInterval: 20 })
    let disconnects = 0
    sub.events.on("disconnect", () => disconnects++)
    sub.subscribe("t")
    const receiveOne = async (pub: zmq.Publisher): Promise<string[]> => {
      sub.receiveTimeout = 20
      try {
        for (;;) {
          await pub.send(["t", "hello"])
          try {
            return str(await sub.receive())
          } catch (err) {
            if (!(err instanceof SocketError && err.code === "EAGAIN")) throw err
          }
        }
      } finally {
        sub.receiveTimeout = -1
      }
    }
    let pub = new zmq.Publisher({ linger: 0 })
    try {
      await pub.bind(endpoint)
      sub.connect(endpoint)
      assert.deepEqual(await receiveOne(pub), ["t", "hello"])
      pub.close()
      await until(() => disconnects === 1, "the loss is noticed")
      pub = new zmq.Publisher({ linger: 0 })
      await pub.bind(endpoint)
      assert.deepEqual(await receiveOne(pub), ["t", "hello"])
    } finally {
      sub.close()
      pub.close()
    }
  })

  it("4. a binding socket takes the restarted peer's new connection", async () => {
    const pull = new Pull({ linger: 0 })
    try {
      await pull.bind("tcp://127.0.0.1:*")
      for (const round of ["first", "second"]) {
        const push = new zmq.Push({ linger: 0 })
        push.connect(pull.lastEndpoint as string)
        await push.send(round)
        assert.deepEqual(str(await pull.receive()), [round])
        push.close()
      }
    } finally {
      pull.close()
    }
  })

  it("libzmq reconnects to a restarted Ironhouse socket", async () => {
    const port = await freePort()
    const endpoint = `tcp://127.0.0.1:${port}`
    const push = new zmq.Push({ linger: 0, reconnectInterval: 20 })
    let pull = new Pull({ linger: 0 })
    try {
      await pull.bind(endpoint)
      push.connect(endpoint)
      await push.send("one")
      assert.deepEqual(str(await pull.receive()), ["one"])
      pull.close()
      await pull.whenClosed
      pull = new Pull({ linger: 0 })
      await pull.bind(endpoint)
      // libzmq may have written into the dead connection before it noticed: resend until one arrives.
      pull.receiveTimeout = 50
      let got: string[] | undefined
      while (got === undefined) {
        await push.send("two")
        try {
          got = str(await pull.receive())
        } catch (err) {
          if (!(err instanceof SocketError && err.code === "EAGAIN")) throw err
        }
      }
      assert.deepEqual(got, ["two"])
    } finally {
      push.close()
      pull.close()
    }
  })
})
