/**
 * tcp:// endpoints: the `*` wildcard, ephemeral ports reported by lastEndpoint, IPv6 loopback
 * with libzmq in both directions, host names, and address-in-use.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import * as zmq from "zeromq"
import { Pull, Push, SocketError } from "../../src/index.js"

zmq.context.blocky = false

const ipv6Available = await new Promise<boolean>((resolve) => {
  const s = net.createServer()
  s.once("error", () => resolve(false))
  s.listen(0, "::1", () => s.close(() => resolve(true)))
})

describe("tcp://", () => {
  it("tcp://*:* binds every IPv4 interface on an ephemeral port that lastEndpoint reports", async () => {
    const pull = new Pull({ linger: 0 })
    const push = new Push({ linger: 0 })
    try {
      await pull.bind("tcp://*:*")
      const m = /^tcp:\/\/0\.0\.0\.0:(\d+)$/.exec(pull.lastEndpoint ?? "")
      assert.ok(m, `lastEndpoint ${pull.lastEndpoint}`)
      assert.notEqual(Number(m[1]), 0)
      push.connect(`tcp://localhost:${m[1]}`) // a host name, resolved by the OS
      await push.send("via localhost")
      assert.deepEqual((await pull.receive()).map(String), ["via localhost"])
    } finally {
      pull.close()
      push.close()
    }
  })

  it("IPv6 loopback interoperates with libzmq in both directions (or fails cleanly without IPv6)", async () => {
    const ours = new Pull({ linger: 0 })
    if (!ipv6Available) {
      // No IPv6 on this host: binding must fail with a typed socket error, nothing else.
      await assert.rejects(ours.bind("tcp://[::1]:*"), (err: unknown) => err instanceof SocketError)
      ours.close()
      return
    }
    const theirs = new zmq.Push({ linger: 0, ipv6: true })
    const theirPull = new zmq.Pull({ linger: 0, ipv6: true })
    const ourPush = new Push({ linger: 0 })
    try {
      await ours.bind("tcp://[::1]:*")
      assert.match(ours.lastEndpoint ?? "", /^tcp:\/\/\[::1\]:\d+$/)
      theirs.connect(ours.lastEndpoint as string)
      await theirs.send("to us over IPv6")
      const { message, peer } = await ours.receiveWithPeer()
      assert.deepEqual(message.map(String), ["to us over IPv6"])
      assert.equal(peer.address, "::1")
      await theirPull.bind("tcp://[::1]:*")
      ourPush.connect(theirPull.lastEndpoint as string)
      await ourPush.send("to libzmq over IPv6")
      assert.deepEqual((await theirPull.receive()).map(String), ["to libzmq over IPv6"])
    } finally {
      ours.close()
      theirs.close()
      theirPull.close()
      ourPush.close()
    }
  })

  it("binding a port in use fails with EADDRINUSE naming the endpoint; unbind frees it", async () => {
    const a = new Pull({ linger: 0 })
    const b = new Pull({ linger: 0 })
    try {
      await a.bind("tcp://127.0.0.1:*")
      const taken = a.lastEndpoint as string
      await assert.rejects(b.bind(taken), (err: unknown) => err instanceof SocketError && err.code === "EADDRINUSE" && err.address === taken)
      await a.unbind(taken)
      await b.bind(taken)
      assert.equal(b.lastEndpoint, taken)
    } finally {
      a.close()
      b.close()
    }
  })

  it("unbind() by the endpoint as given to bind() works too, and closes its connections", async () => {
    const pull = new Pull({ linger: 0 })
    const push = new Push({ linger: 0, reconnectInterval: -1 })
    let disconnected = false
    push.events.on("disconnect", () => (disconnected = true))
    try {
      await pull.bind("tcp://127.0.0.1:*")
      push.connect(pull.lastEndpoint as string)
      await push.send("x")
      await pull.receive()
      await pull.unbind("tcp://127.0.0.1:*")
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (disconnected) {
            clearInterval(t)
            resolve()
          }
        }, 5)
      })
      assert.equal(disconnected, true)
    } finally {
      pull.close()
      push.close()
    }
  })
})
