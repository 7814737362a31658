/**
 * The gateway end to end (issue 12), in process, with unmodified libzmq applications (the
 * `zeromq` package) on both sides: each pattern through a server-side gateway (the outside
 * client is a libzmq CURVE client; the inside application sets no security option) and
 * through a pair of gateways (client side ⇄ server side: neither application sets any
 * security option). Refusals: unknown client key, wrong server key, denied address —
 * refused, audited with the reason, nothing reaches the inside application.
 */
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import { join } from "node:path"
import { Certificate } from "../../src/cert/certificate.js"
import { loadGatewayConfig } from "../../src/gateway/load.js"
import { tempDir } from "../cert/helpers.js"
import { bindLocal, type Keys, makeKeys, publishUntil, receive, startGateway, writeConfig } from "./helpers.js"

const tmp = tempDir("ironhouse-gateway-")
let keys: Keys
before(async () => {
  keys = await makeKeys(tmp.dir)
})
after(() => tmp.cleanup())

let counter = 0
function configFile(text: string): string {
  return writeConfig(tmp.dir, `gateway-${++counter}.toml`, text)
}

function serverRoute(name: string, pattern: string, inside: string, extra = ""): string {
  return `
[[route]]
name = "${name}"
pattern = "${pattern}"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "${inside}"
${extra}
[route.curve]
certificate = "server.key_secret"
clients = "clients"
`
}

function clientRoute(name: string, pattern: string, outside: string, serverKey = keys.server.publicKey): string {
  return `
[[route]]
name = "${name}"
pattern = "${pattern}"
side = "client"
outside = "${outside}"
inside = "tcp://127.0.0.1:*"
[route.curve]
certificate = "client.key_secret"
serverKey = "${serverKey}"
`
}

describe("gateway: req-rep (ROUTER↔DEALER) with libzmq applications", () => {
  it("through a server-side gateway: a libzmq CURVE REQ client, a plain libzmq REP app", async () => {
    const app = new zmq.Reply()
    const appEndpoint = await bindLocal(app)
    const gw = await startGateway(configFile(`linger = 0\n${serverRoute("rr", "req-rep", appEndpoint)}`))
    const client = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    try {
      client.connect(gw.endpoint("rr", "outside"))
      await client.send("hello")
      const [request, ...more] = await receive(app)
      assert.equal(String(request), "hello")
      assert.equal(more.length, 0, "the app sees exactly its own message (identity inward is off)")
      await app.send("world")
      const [reply] = await receive(client)
      assert.equal(String(reply), "world")
      const handshake = await gw.audit.next((l) => l.event === "handshake" && l.side === "outside" && l.outcome === "ok")
      assert.equal(handshake.publicKey, keys.client.publicKey)
      const decision = await gw.audit.next((l) => l.event === "decision" && l.allowed === true)
      assert.equal(decision.reason, "certificate found")
      const traffic = gw.gateway.routes.get("rr")?.traffic()
      assert.deepEqual(traffic?.in.messages, 1)
      assert.deepEqual(traffic?.out.messages, 1)
    } finally {
      client.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("through a pair of gateways: plain libzmq REQ → client-side gateway ⇄ CURVE ⇄ server-side gateway → plain libzmq REP", async () => {
    const app = new zmq.Reply()
    const appEndpoint = await bindLocal(app)
    const server = await startGateway(configFile(`linger = 0\n${serverRoute("rr", "req-rep", appEndpoint)}`))
    const clientGw = await startGateway(configFile(`linger = 0\n${clientRoute("rr-out", "req-rep", server.endpoint("rr", "outside"))}`))
    const client = new zmq.Request({ linger: 0 })
    try {
      client.connect(clientGw.endpoint("rr-out", "inside"))
      for (let i = 0; i < 3; i++) {
        await client.send(["ping", String(i)])
        const request = await receive(app)
        assert.deepEqual(request.map(String), ["ping", String(i)])
        await app.send(["pong", String(i)])
        const reply = await receive(client)
        assert.deepEqual(reply.map(String), ["pong", String(i)])
      }
      const seen = await server.audit.next((l) => l.event === "handshake" && l.side === "outside" && l.outcome === "ok")
      assert.equal(seen.publicKey, keys.client.publicKey, "the server-side gateway saw the client gateway's key")
    } finally {
      client.close()
      app.close()
      await clientGw.gateway.drain()
      await server.gateway.drain()
    }
  })
})

describe("gateway: ipc inside", () => {
  it("a pair of gateways whose insides are ipc:// on both ends (the apps bind and connect over ipc, in clear)", async () => {
    const appPath = `ipc://${tmp.dir}/app-${process.pid}.sock`
    const localPath = `ipc://${tmp.dir}/local-${process.pid}.sock`
    const app = new zmq.Reply({ linger: 0 })
    await app.bind(appPath)
    const server = await startGateway(configFile(`linger = 0\n${serverRoute("rr", "req-rep", appPath)}`))
    const clientGw = await startGateway(
      configFile(`linger = 0\n${clientRoute("rr-out", "req-rep", server.endpoint("rr", "outside")).replace('inside = "tcp://127.0.0.1:*"', `inside = "${localPath}"`)}`),
    )
    const client = new zmq.Request({ linger: 0 })
    try {
      assert.equal(clientGw.endpoint("rr-out", "inside"), localPath)
      client.connect(localPath)
      await client.send("over ipc")
      assert.equal(String((await receive(app))[0]), "over ipc")
      await app.send("back over ipc")
      assert.equal(String((await receive(client))[0]), "back over ipc")
      const local = await clientGw.audit.next((l) => l.event === "handshake" && l.side === "inside" && l.outcome === "ok")
      assert.equal(local.mechanism, "NULL")
      assert.equal(local.address, "", "ipc peers have no IP address")
    } finally {
      client.close()
      app.close()
      await clientGw.gateway.drain()
      await server.gateway.drain()
    }
  })
})

describe("gateway: pub-sub (XPUB↔XSUB) with libzmq applications", () => {
  it("through a server-side gateway: subscriptions reach the plain PUB app, messages reach the CURVE SUB", async () => {
    const app = new zmq.Publisher({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const gw = await startGateway(configFile(`linger = 0\n${serverRoute("ps", "pub-sub", appEndpoint)}`))
    const sub = new zmq.Subscriber({ ...keys.clientOptions(), linger: 0 })
    try {
      sub.connect(gw.endpoint("ps", "outside"))
      sub.subscribe("news")
      const got = receive(sub)
      const publishing = publishUntil(app, [["weather", "x"], ["news", "hello"]], got) // weather: nobody subscribed
      const message = await got
      await publishing
      assert.deepEqual(message.map(String), ["news", "hello"])
    } finally {
      sub.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("through a pair of gateways: plain PUB → server-side gateway ⇄ CURVE ⇄ client-side gateway → plain SUB", async () => {
    const app = new zmq.Publisher({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const server = await startGateway(configFile(`linger = 0\n${serverRoute("ps", "pub-sub", appEndpoint)}`))
    const clientGw = await startGateway(configFile(`linger = 0\n${clientRoute("ps-in", "pub-sub", server.endpoint("ps", "outside"))}`))
    const sub = new zmq.Subscriber({ linger: 0 })
    try {
      sub.connect(clientGw.endpoint("ps-in", "inside"))
      sub.subscribe("a")
      const got = receive(sub)
      const publishing = publishUntil(app, [["a", "1"]], got)
      const message = await got
      await publishing
      assert.deepEqual(message.map(String), ["a", "1"])
    } finally {
      sub.close()
      app.close()
      await clientGw.gateway.drain()
      await server.gateway.drain()
    }
  })
})

describe("gateway: push-pull with libzmq applications", () => {
  it("through a server-side gateway: CURVE PUSH clients → plain PULL app", async () => {
    const app = new zmq.Pull({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const gw = await startGateway(configFile(`linger = 0\n${serverRoute("pp", "push-pull", appEndpoint)}`))
    const push = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    try {
      push.connect(gw.endpoint("pp", "outside"))
      for (let i = 0; i < 10; i++) await push.send(["job", String(i)])
      const got: string[] = []
      for (let i = 0; i < 10; i++) got.push((await receive(app)).map(String).join("/"))
      assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `job/${i}`))
    } finally {
      push.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("through a pair of gateways: plain PUSH → client-side gateway ⇄ CURVE ⇄ server-side gateway → plain PULL", async () => {
    const app = new zmq.Pull({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const server = await startGateway(configFile(`linger = 0\n${serverRoute("pp", "push-pull", appEndpoint)}`))
    const clientGw = await startGateway(configFile(`linger = 0\n${clientRoute("pp-out", "push-pull", server.endpoint("pp", "outside"))}`))
    const push = new zmq.Push({ linger: 0 })
    try {
      push.connect(clientGw.endpoint("pp-out", "inside"))
      await push.send(["log", "line 1"])
      await push.send(["log", "line 2"])
      assert.deepEqual((await receive(app)).map(String), ["log", "line 1"])
      assert.deepEqual((await receive(app)).map(String), ["log", "line 2"])
    } finally {
      push.close()
      app.close()
      await clientGw.gateway.drain()
      await server.gateway.drain()
    }
  })
})

describe("gateway: refusals are audited with the reason and nothing reaches the inside app", () => {
  it("a client with an unknown key is refused (certificate not found); a known client's request is the app's first message", async () => {
    const app = new zmq.Reply()
    const appEndpoint = await bindLocal(app)
    const gw = await startGateway(configFile(`linger = 0\n${serverRoute("rr", "req-rep", appEndpoint)}`))
    const stranger = new zmq.Request({ ...keys.clientOptions(keys.stranger), linger: 0 })
    const friend = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    try {
      stranger.connect(gw.endpoint("rr", "outside"))
      void stranger.send("from stranger").catch(() => undefined)
      const refused = await gw.audit.next((l) => l.event === "decision" && l.allowed === false)
      assert.equal(refused.reason, "certificate not found")
      assert.equal(refused.publicKey, keys.stranger.publicKey)
      assert.equal(refused.status, 400)
      friend.connect(gw.endpoint("rr", "outside"))
      await friend.send("from friend")
      const [first] = await receive(app)
      assert.equal(String(first), "from friend")
      await app.send("ok")
      assert.equal(String((await receive(friend))[0]), "ok")
      assert.equal(gw.gateway.routes.get("rr")?.traffic().in.messages, 1, "only the friend's request went in")
      const text = await gw.gateway.metrics.text()
      assert.match(text, /ironhouse_gateway_handshakes_total\{route="rr",side="outside",outcome="refused",reason="certificate not found"\} [1-9]/)
    } finally {
      stranger.close()
      friend.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("a client with the wrong server key fails the handshake (audited with the error code); the app gets nothing", async () => {
    const app = new zmq.Pull({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const gw = await startGateway(configFile(`linger = 0\n${serverRoute("pp", "push-pull", appEndpoint)}`))
    const wrong = new zmq.Push({ ...keys.clientOptions(keys.client, keys.stranger.publicKey), linger: 0 })
    const right = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    try {
      wrong.connect(gw.endpoint("pp", "outside"))
      void wrong.send("from wrong").catch(() => undefined)
      const failed = await gw.audit.next((l) => l.event === "handshake" && l.outcome === "failed")
      assert.equal(failed.side, "outside")
      assert.equal(typeof failed.code, "string")
      assert.match(failed.code as string, /^ERR_ZMTP_/)
      right.connect(gw.endpoint("pp", "outside"))
      await right.send("from right")
      assert.deepEqual((await receive(app)).map(String), ["from right"])
      assert.equal(gw.gateway.routes.get("pp")?.traffic().in.messages, 1)
      assert.equal(gw.audit.count((l) => l.event === "decision" && l.allowed === true), 1, "the wrong-key client never reached the Authenticator")
    } finally {
      wrong.close()
      right.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("a client-side gateway holding the wrong server key is refused by the server side; nothing reaches the app", async () => {
    const app = new zmq.Reply()
    const appEndpoint = await bindLocal(app)
    const server = await startGateway(configFile(`linger = 0\n${serverRoute("rr", "req-rep", appEndpoint)}`))
    const clientGw = await startGateway(configFile(`linger = 0\n${clientRoute("rr-out", "req-rep", server.endpoint("rr", "outside"), keys.stranger.publicKey)}`))
    const client = new zmq.Request({ linger: 0 })
    try {
      client.connect(clientGw.endpoint("rr-out", "inside"))
      void client.send("lost").catch(() => undefined)
      const failed = await server.audit.next((l) => l.event === "handshake" && l.outcome === "failed")
      assert.match(failed.code as string, /^ERR_ZMTP_/)
      await clientGw.audit.next((l) => l.event === "connection" && l.side === "outside" && l.action === "disconnect")
      assert.equal(server.gateway.routes.get("rr")?.traffic().in.messages, 0)
      assert.equal(app.readable, false, "the app has nothing to read")
    } finally {
      client.close()
      app.close()
      await clientGw.gateway.drain()
      await server.gateway.drain()
    }
  })

  it("a denied address is refused before its key is looked at (address in deny list); the app gets nothing", async () => {
    const app = new zmq.Pull({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const gw = await startGateway(
      configFile(`linger = 0\n${serverRoute("pp", "push-pull", appEndpoint, "")}\n[route.addresses]\ndeny = ["127.0.0.0/8"]\n`),
    )
    const push = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    try {
      push.connect(gw.endpoint("pp", "outside"))
      void push.send("denied").catch(() => undefined)
      const refused = await gw.audit.next((l) => l.event === "decision" && l.allowed === false)
      assert.equal(refused.reason, "address in deny list")
      assert.equal(refused.address, "127.0.0.1")
      const handshake = await gw.audit.next((l) => l.event === "handshake" && l.side === "outside" && l.outcome === "refused")
      assert.equal(handshake.status, 400)
      await gw.audit.next((l) => l.event === "connection" && l.side === "outside" && l.action === "disconnect")
      assert.equal(gw.audit.count((l) => l.event === "decision" && l.allowed === true), 0)
      assert.equal(gw.gateway.routes.get("pp")?.traffic().in.messages, 0)
      assert.equal(app.readable, false)
    } finally {
      push.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("a message over the route's maxMessageSize ends that client's connection; it never reaches the app, others are unaffected", async () => {
    const app = new zmq.Pull({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const gw = await startGateway(configFile(`linger = 0\n${serverRoute("pp", "push-pull", appEndpoint, "maxMessageSize = 100")}`))
    const big = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    const small = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    try {
      big.connect(gw.endpoint("pp", "outside"))
      await big.send(Buffer.alloc(1000, 0x61))
      await gw.audit.next((l) => l.event === "connection" && l.side === "outside" && l.action === "disconnect")
      small.connect(gw.endpoint("pp", "outside"))
      await small.send("small enough")
      assert.deepEqual((await receive(app)).map(String), ["small enough"])
      assert.equal(gw.gateway.routes.get("pp")?.traffic().in.messages, 1)
    } finally {
      big.close()
      small.close()
      app.close()
      await gw.gateway.drain()
    }
  })
})

describe("gateway: reload", () => {
  it("a new server certificate applies to new sessions; an established session keeps working; clients holding the old key fail", async () => {
    const rotated = Certificate.generate({ name: "server-2" })
    await rotated.save(join(tmp.dir, "server2.key"))
    const app = new zmq.Reply({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const text = (cert: string): string => `linger = 0\n${serverRoute("rr", "req-rep", appEndpoint).replace("server.key_secret", cert)}`
    const file = configFile(text("server.key_secret"))
    const gw = await startGateway(file)
    const outside = gw.endpoint("rr", "outside") // an unchanged "tcp://127.0.0.1:*" keeps its port
    const early = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    const oldKey = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    const newKey = new zmq.Request({ ...keys.clientOptions(keys.client, rotated.publicKey), linger: 0 })
    const roundTrip = async (client: zmq.Request, text: string): Promise<void> => {
      await client.send(text)
      assert.equal(String((await receive(app))[0]), text)
      await app.send(`re:${text}`)
      assert.equal(String((await receive(client))[0]), `re:${text}`)
    }
    try {
      early.connect(outside)
      await roundTrip(early, "before")
      const { writeFileSync } = await import("node:fs")
      writeFileSync(file, text("server2.key_secret"))
      const loaded = await loadGatewayConfig(file)
      assert.ok(loaded.ok)
      await gw.gateway.reload(loaded.gateway)
      const reload = await gw.audit.next((l) => l.event === "reload")
      assert.equal(reload.kept, "rr")
      newKey.connect(outside)
      await roundTrip(newKey, "with the new key")
      oldKey.connect(outside)
      void oldKey.send("with the old key").catch(() => undefined)
      const failed = await gw.audit.next((l) => l.event === "handshake" && l.outcome === "failed")
      assert.match(failed.code as string, /^ERR_ZMTP_/)
      await roundTrip(early, "established session")
    } finally {
      early.close()
      oldKey.close()
      newKey.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("a route whose inside endpoint changed is rebuilt: it forwards to the new app and its metrics keep counting", async () => {
    const first = new zmq.Pull({ linger: 0 })
    const second = new zmq.Pull({ linger: 0 })
    const firstEndpoint = await bindLocal(first)
    const secondEndpoint = await bindLocal(second)
    const file = configFile(`linger = 0\n${serverRoute("pp", "push-pull", firstEndpoint)}`)
    const gw = await startGateway(file)
    const push = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    try {
      push.connect(gw.endpoint("pp", "outside"))
      await push.send("to the first app")
      assert.equal(String((await receive(first))[0]), "to the first app")
      const { writeFileSync } = await import("node:fs")
      writeFileSync(file, `linger = 0\n${serverRoute("pp", "push-pull", secondEndpoint)}`)
      const loaded = await loadGatewayConfig(file)
      assert.ok(loaded.ok)
      await gw.gateway.reload(loaded.gateway)
      const reload = await gw.audit.next((l) => l.event === "reload")
      assert.equal(reload.rebuilt, "pp")
      const rebound = gw.audit.lines.filter((l) => l.event === "bind" && l.route === "pp" && l.side === "outside")
      assert.equal(rebound.length, 2)
      const push2 = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
      try {
        push2.connect(rebound[1]?.address as string)
        await push2.send("to the second app")
        assert.equal(String((await receive(second))[0]), "to the second app")
      } finally {
        push2.close()
      }
      assert.equal(gw.gateway.routes.get("pp")?.traffic().in.messages, 2, "counted across the rebuild")
    } finally {
      push.close()
      first.close()
      second.close()
      await gw.gateway.drain()
    }
  })
})
