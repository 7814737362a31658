/**
 * Identity inward (opt-in) and PLAIN outside: the frame layout (pure) and end to end with
 * libzmq applications — a REP app receives [identity, request] and its reply goes back
 * unchanged; a PULL app receives [identity, message]; PLAIN clients are checked against the
 * password file and their user name is the identity.
 */
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { chmodSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as zmq from "zeromq"
import type { PeerInfo } from "../../src/engine/peer-info.js"
import { identityFrame, stamp } from "../../src/gateway/identity.js"
import { makeMetadata } from "../../src/wire/metadata.js"
import { tempDir } from "../cert/helpers.js"
import { bindLocal, type Keys, makeKeys, receive, startGateway, writeConfig, writeSecret } from "./helpers.js"

const tmp = tempDir("ironhouse-gateway-id-")
let keys: Keys
before(async () => {
  keys = await makeKeys(tmp.dir)
})
after(() => tmp.cleanup())

const b = (s: string): Buffer => Buffer.from(s)

describe("identity frame layout (pure)", () => {
  const peer: PeerInfo = {
    mechanism: "CURVE",
    socketType: "REQ",
    routingId: new Uint8Array(0),
    userId: "alice",
    address: "10.0.0.7",
    publicKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
    properties: makeMetadata({}),
    zmtpMinor: 1,
  }

  it("req-rep: right after the empty delimiter; without one, after the routing id", () => {
    const id = b("ID")
    assert.deepEqual(stamp([b("rid"), b(""), b("q")], id, "req-rep").map(String), ["rid", "", "ID", "q"])
    assert.deepEqual(stamp([b("rid"), b("q1"), b("q2")], id, "req-rep").map(String), ["rid", "ID", "q1", "q2"])
  })

  it("push-pull: first", () => {
    assert.deepEqual(stamp([b("m")], b("ID"), "push-pull").map(String), ["ID", "m"])
  })

  it("contents: user-id, public-key, json", () => {
    assert.equal(String(identityFrame("user-id", peer, "r")), "alice")
    assert.equal(String(identityFrame("public-key", peer, "r")), peer.publicKey)
    assert.deepEqual(JSON.parse(String(identityFrame("json", peer, "orders"))), {
      userId: "alice",
      publicKey: peer.publicKey,
      address: "10.0.0.7",
      mechanism: "CURVE",
      route: "orders",
    })
    assert.equal(identityFrame("public-key", { ...peer, publicKey: undefined }, "r").length, 0)
  })
})

describe("identity inward end to end (libzmq apps)", () => {
  it("req-rep, identity = public-key: the REP app gets [client key, request]; the reply is unchanged", async () => {
    const app = new zmq.Reply({ linger: 0 })
    const ep = await bindLocal(app)
    const file = writeConfig(
      tmp.dir,
      "id-rr.toml",
      `linger = 0
[[route]]
name = "rr"
pattern = "req-rep"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "${ep}"
identity = "public-key"
[route.curve]
certificate = "server.key_secret"
clients = "clients"
`,
    )
    const gw = await startGateway(file)
    const client = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    try {
      client.connect(gw.endpoint("rr", "outside"))
      for (const n of [1, 2]) {
        await client.send(["q", String(n)])
        const got = await receive(app)
        assert.deepEqual(got.map(String), [keys.client.publicKey, "q", String(n)])
        await app.send(["a", String(n)])
        assert.deepEqual((await receive(client)).map(String), ["a", String(n)])
      }
    } finally {
      client.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("push-pull over PLAIN, identity = json: the PULL app gets [identity, message]; a wrong password is refused", async () => {
    writeSecret(tmp.dir, "passwords", "alice=wonderland\n")
    const app = new zmq.Pull({ linger: 0 })
    const ep = await bindLocal(app)
    const file = writeConfig(
      tmp.dir,
      "id-pp.toml",
      `linger = 0
[[route]]
name = "logs"
pattern = "push-pull"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "${ep}"
identity = "json"
[route.plain]
passwordFile = "passwords"
`,
    )
    const gw = await startGateway(file)
    const intruder = new zmq.Push({ plainUsername: "alice", plainPassword: "guess", linger: 0 })
    const alice = new zmq.Push({ plainUsername: "alice", plainPassword: "wonderland", linger: 0 })
    try {
      intruder.connect(gw.endpoint("logs", "outside"))
      void intruder.send("sneaky").catch(() => undefined)
      const refused = await gw.audit.next((l) => l.event === "decision" && l.allowed === false)
      assert.equal(refused.reason, "wrong password")
      assert.equal(refused.userId, "alice")
      assert.ok(!JSON.stringify(gw.audit.lines).includes("guess"), "no password in the audit log")
      alice.connect(gw.endpoint("logs", "outside"))
      await alice.send(["line", "1"])
      const [identity, ...message] = await receive(app)
      assert.deepEqual(message.map(String), ["line", "1"])
      const parsed = JSON.parse(String(identity)) as Record<string, unknown>
      assert.deepEqual(parsed, { userId: "alice", address: "127.0.0.1", mechanism: "PLAIN", route: "logs" })
      assert.ok(!JSON.stringify(gw.audit.lines).includes("wonderland"), "no password in the audit log")
    } finally {
      intruder.close()
      alice.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("keyCheck command: exit 0 allows with its stdout as the User-Id; any other exit refuses (refused by key check)", async () => {
    const script = join(tmp.dir, "check-key.sh")
    writeFileSync(script, `#!/bin/sh\n[ "$IRONHOUSE_CLIENT_KEY" = '${keys.client.publicKey}' ] && [ "$IRONHOUSE_ROUTE" = "rr" ] && { echo "customer-42"; exit 0; }\nexit 1\n`)
    chmodSync(script, 0o755)
    const app = new zmq.Reply({ linger: 0 })
    const ep = await bindLocal(app)
    const file = writeConfig(
      tmp.dir,
      "keycheck.toml",
      `linger = 0
[[route]]
name = "rr"
pattern = "req-rep"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "${ep}"
identity = "user-id"
[route.curve]
certificate = "server.key_secret"
keyCheck = { command = ["./check-key.sh"], timeout = 10000 }
`,
    )
    const gw = await startGateway(file)
    const stranger = new zmq.Request({ ...keys.clientOptions(keys.stranger), linger: 0 })
    const client = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    try {
      stranger.connect(gw.endpoint("rr", "outside"))
      void stranger.send("let me in").catch(() => undefined)
      const refused = await gw.audit.next((l) => l.event === "decision" && l.allowed === false)
      assert.equal(refused.reason, "refused by key check")
      assert.equal(refused.publicKey, keys.stranger.publicKey)
      client.connect(gw.endpoint("rr", "outside"))
      await client.send("hello")
      assert.deepEqual((await receive(app)).map(String), ["customer-42", "hello"])
      await app.send("hi")
      assert.deepEqual((await receive(client)).map(String), ["hi"])
    } finally {
      stranger.close()
      client.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("a keyCheck command that does not answer in time is killed and the client refused with 500 (fails closed)", async () => {
    const script = join(tmp.dir, "slow-check.sh")
    writeFileSync(script, "#!/bin/sh\nexec sleep 30\n")
    chmodSync(script, 0o755)
    const app = new zmq.Pull({ linger: 0 })
    const ep = await bindLocal(app)
    const file = writeConfig(
      tmp.dir,
      "slowcheck.toml",
      `linger = 0\n[[route]]\nname = "pp"\npattern = "push-pull"\nside = "server"\noutside = "tcp://127.0.0.1:*"\ninside = "${ep}"\n[route.curve]\ncertificate = "server.key_secret"\nkeyCheck = { command = ["${script}"], timeout = 100 }\n`,
    )
    const gw = await startGateway(file)
    const push = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    try {
      push.connect(gw.endpoint("pp", "outside"))
      void push.send("x").catch(() => undefined)
      const refused = await gw.audit.next((l) => l.event === "decision")
      assert.equal(refused.allowed, false)
      assert.equal(refused.status, 500)
      assert.equal(refused.reason, "key check callback failed")
      assert.equal(gw.gateway.routes.get("pp")?.traffic().in.messages, 0)
    } finally {
      push.close()
      app.close()
      await gw.gateway.drain()
    }
  })

  it("PLAIN on both gateways (client side from a JSON config with a 0600 credentials file); identity = user-id gives the user name", async () => {
    writeSecret(tmp.dir, "passwords-pair", "bob=builder\n")
    writeSecret(tmp.dir, "bob.credentials", "bob=builder\n")
    const app = new zmq.Reply({ linger: 0 })
    const ep = await bindLocal(app)
    const server = await startGateway(
      writeConfig(
        tmp.dir,
        "plain-server.toml",
        `linger = 0\n[[route]]\nname = "rr"\npattern = "req-rep"\nside = "server"\noutside = "tcp://127.0.0.1:*"\ninside = "${ep}"\nidentity = "user-id"\n[route.plain]\npasswordFile = "passwords-pair"\n`,
      ),
    )
    const clientConfig = {
      linger: 0,
      route: [{ name: "rr-out", pattern: "req-rep", side: "client", outside: server.endpoint("rr", "outside"), inside: { bind: "tcp://127.0.0.1:*" }, plain: { credentials: "bob.credentials" } }],
    }
    const clientGw = await startGateway(writeConfig(tmp.dir, "plain-client.json", JSON.stringify(clientConfig, null, 2)))
    const req = new zmq.Request({ linger: 0 })
    try {
      req.connect(clientGw.endpoint("rr-out", "inside"))
      await req.send("who am i")
      assert.deepEqual((await receive(app)).map(String), ["bob", "who am i"])
      await app.send("you are bob")
      assert.deepEqual((await receive(req)).map(String), ["you are bob"])
      const decision = await server.audit.next((l) => l.event === "decision" && l.allowed === true)
      assert.equal(decision.mechanism, "PLAIN")
      assert.equal(decision.userId, "bob")
      assert.ok(!JSON.stringify([...server.audit.lines, ...clientGw.audit.lines]).includes("builder"), "no password in either audit log")
    } finally {
      req.close()
      app.close()
      await clientGw.gateway.drain()
      await server.gateway.drain()
    }
  })

  it("keyCheck url: 200 with {userId} allows (the app sees that User-Id), 403 refuses; the request carries key, address and route", async () => {
    const { createServer } = await import("node:http")
    const seen: Array<Record<string, unknown>> = []
    const checker = createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8").on("data", (d: string) => (body += d))
      req.on("end", () => {
        const asked = JSON.parse(body) as Record<string, unknown>
        seen.push(asked)
        if (asked.publicKey === keys.client.publicKey) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ userId: "from-url" }))
        else res.writeHead(403).end()
      })
    })
    await new Promise<void>((resolve) => checker.listen(0, "127.0.0.1", resolve))
    const port = (checker.address() as { port: number }).port
    const app = new zmq.Reply({ linger: 0 })
    const ep = await bindLocal(app)
    const file = writeConfig(
      tmp.dir,
      "urlcheck.toml",
      `linger = 0\n[[route]]\nname = "web"\npattern = "req-rep"\nside = "server"\noutside = "tcp://127.0.0.1:*"\ninside = "${ep}"\nidentity = "user-id"\n[route.curve]\ncertificate = "server.key_secret"\nkeyCheck = { url = "http://127.0.0.1:${port}/check", timeout = 10000 }\n`,
    )
    const gw = await startGateway(file)
    const stranger = new zmq.Request({ ...keys.clientOptions(keys.stranger), linger: 0 })
    const client = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    try {
      stranger.connect(gw.endpoint("web", "outside"))
      void stranger.send("hi").catch(() => undefined)
      const refused = await gw.audit.next((l) => l.event === "decision" && l.allowed === false)
      assert.equal(refused.reason, "refused by key check")
      client.connect(gw.endpoint("web", "outside"))
      await client.send("hello")
      assert.deepEqual((await receive(app)).map(String), ["from-url", "hello"])
      await app.send("ok")
      await receive(client)
      assert.deepEqual(seen[0], { publicKey: keys.stranger.publicKey, address: "127.0.0.1", route: "web" })
    } finally {
      stranger.close()
      client.close()
      app.close()
      await gw.gateway.drain()
      await new Promise<void>((resolve) => checker.close(() => resolve()))
    }
  })
})
