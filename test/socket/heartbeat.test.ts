/**
 * Heartbeats (RFC 37 "Connection Heartbeating", ZMQ_HEARTBEAT_*): PINGs keep an idle
 * connection to a live peer (libzmq 4.3.5) up, and a peer that stops answering is dropped.
 * No assertion is on time: only on what happened (or did not) over generous waits.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import { Dealer, Router } from "../../src/index.js"
import { listenEngine } from "../helpers/net-engine.js"
import { delay, until } from "./helpers.js"

zmq.context.blocky = false

describe("heartbeats", () => {
  it("keep an idle connection to a libzmq peer alive, many timeouts long", async () => {
    const router = new zmq.Router({ linger: 0 })
    const dealer = new Dealer({ linger: 0, routingId: "d", heartbeatInterval: 20, heartbeatTimeout: 60 })
    let disconnects = 0
    dealer.events.on("disconnect", () => disconnects++)
    try {
      await router.bind("tcp://127.0.0.1:*")
      dealer.connect(router.lastEndpoint as string)
      await dealer.send("hello")
      await router.receive()
      await delay(600) // ten heartbeat timeouts of silence from the application
      assert.equal(disconnects, 0)
      await router.send(["d", "still there"])
      assert.deepEqual((await dealer.receive()).map(String), ["still there"])
    } finally {
      router.close()
      dealer.close()
    }
  })

  it("drop a peer that completed its handshake and then went silent", async () => {
    // A bare engine that stops reading after its handshake: it never answers a PING.
    const listener = await listenEngine({ socketType: "ROUTER", security: { mechanism: "NULL", asServer: false } })
    const dealer = new Dealer({ linger: 0, heartbeatInterval: 20, heartbeatTimeout: 60, reconnectInterval: -1 })
    let disconnects = 0
    dealer.events.on("disconnect", () => disconnects++)
    try {
      dealer.connect(`tcp://127.0.0.1:${listener.port}`)
      const probe = await listener.accepted
      await probe.next("handshake")
      probe.conn?.socket.pause()
      await until(() => disconnects === 1, "the silent peer is dropped", 10_000)
      assert.equal(disconnects, 1)
    } finally {
      dealer.close()
      await listener.close()
    }
  })

  it("without heartbeats, the same silent peer stays connected", async () => {
    const listener = await listenEngine({ socketType: "ROUTER", security: { mechanism: "NULL", asServer: false } })
    const dealer = new Dealer({ linger: 0, reconnectInterval: -1 })
    let disconnects = 0
    dealer.events.on("disconnect", () => disconnects++)
    try {
      dealer.connect(`tcp://127.0.0.1:${listener.port}`)
      const probe = await listener.accepted
      await probe.next("handshake")
      probe.conn?.socket.pause()
      await delay(400)
      assert.equal(disconnects, 0)
    } finally {
      dealer.close()
      await listener.close()
    }
  })

  it("between two Ironhouse sockets, PINGs are answered and the connection stays up", async () => {
    const router = new Router({ linger: 0, heartbeatInterval: 20, heartbeatTimeout: 60 })
    const dealer = new Dealer({ linger: 0, routingId: "d", heartbeatInterval: 20, heartbeatTimeout: 60 })
    let disconnects = 0
    dealer.events.on("disconnect", () => disconnects++)
    router.events.on("disconnect", () => disconnects++)
    try {
      await router.bind("tcp://127.0.0.1:*")
      dealer.connect(router.lastEndpoint as string)
      await dealer.send("hello")
      await router.receive()
      await delay(400)
      assert.equal(disconnects, 0)
      await router.send(["d", "ok"])
      assert.deepEqual((await dealer.receive()).map(String), ["ok"])
    } finally {
      router.close()
      dealer.close()
    }
  })
})
