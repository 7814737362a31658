/**
 * Ironhouse's Authenticator guarding sockets of the native `zeromq` package (libzmq 4.3.5):
 * it answers libzmq's ZAP requests on inproc://zeromq.zap.01 in that package's context.
 * Every pattern: a client that gets in (message delivered, User-Id visible) and one refused.
 */
import { describe, it, before, after } from "node:test"
import assert from "node:assert/strict"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as zmq from "zeromq"
import { Authenticator, type AuthDecision } from "../../src/auth/authenticator.js"
import { serveZeromqZap, type ZeromqZapServer } from "../../src/auth/zeromq-zap.js"
import { Certificate } from "../../src/cert/certificate.js"

// One authenticator and one ZAP handler for the file; each pattern has its own ZAP domain
// (CZMQ's zauth ignores domains, Ironhouse honours them).
const auth = new Authenticator({ interval: 50 })
let zap: ZeromqZapServer
const decisions: AuthDecision[] = []
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ironhouse-zap-"))
  auth.on("decision", (d) => decisions.push(d))
  zap = await serveZeromqZap(zmq, auth.authenticate)
})
after(async () => {
  zap.close()
  auth.close()
  await rm(dir, { recursive: true, force: true })
})

/** Try to get one message from client to server within `ms`; true when it arrived. */
async function delivers(server: zmq.Pair, client: zmq.Pair, ms = 1500): Promise<{ ok: boolean; userId?: string }> {
  server.receiveTimeout = ms
  void client.send("knock").catch(() => {})
  try {
    const [msg] = await server.receive()
    return { ok: String(msg) === "knock" }
  } catch {
    return { ok: false }
  }
}

async function pair(domain: string, serverOpts: zmq.SocketOptions<zmq.Pair>, clientOpts: zmq.SocketOptions<zmq.Pair>) {
  const server = new zmq.Pair({ zapDomain: domain, ...serverOpts })
  await server.bind("tcp://127.0.0.1:*")
  const client = new zmq.Pair({ sendTimeout: 0, linger: 0, ...clientOpts })
  client.connect(server.lastEndpoint as string)
  return { server, client, close: () => (server.close(), client.close()) }
}

describe("Authenticator guarding libzmq servers (zeromq package)", () => {
  it("Grasslands/Strawhouse: NULL with an address allow list lets 127.0.0.1 in, a deny list keeps it out", async () => {
    auth.allow({ domain: "strawhouse-allow" }, "127.0.0.1")
    auth.deny({ domain: "strawhouse-deny" }, "127.0.0.0/8")
    let p = await pair("strawhouse-allow", {}, {})
    try {
      assert.equal((await delivers(p.server, p.client)).ok, true)
      assert.deepEqual([decisions.at(-1)?.allowed, decisions.at(-1)?.mechanism], [true, "NULL"])
    } finally {
      p.close()
    }
    p = await pair("strawhouse-deny", {}, {})
    try {
      assert.equal((await delivers(p.server, p.client, 800)).ok, false)
      assert.equal(decisions.at(-1)?.allowed, false)
      assert.equal(decisions.at(-1)?.domain, "strawhouse-deny")
      assert.match(decisions.at(-1)?.reason ?? "", /deny/)
    } finally {
      p.close()
    }
  })

  it("Woodhouse: PLAIN with the right password gets in, the wrong one is refused", async () => {
    await auth.configurePlain({ domain: "woodhouse", passwords: { admin: "secret" } })
    {
      let p = await pair("woodhouse", { plainServer: true }, { plainUsername: "admin", plainPassword: "secret" })
      assert.equal((await delivers(p.server, p.client)).ok, true)
      p.close()
      assert.deepEqual([decisions.at(-1)?.allowed, decisions.at(-1)?.userId], [true, "admin"])
      p = await pair("woodhouse", { plainServer: true }, { plainUsername: "admin", plainPassword: "hunter2" })
      assert.equal((await delivers(p.server, p.client, 800)).ok, false)
      p.close()
      assert.equal(decisions.at(-1)?.allowed, false)
      assert.ok(!JSON.stringify(decisions).includes("hunter2"), "a password reached a decision event")
      assert.ok(!JSON.stringify(decisions).includes("secret"), "a password reached a decision event")
    }
  })

  it("Stonehouse: CURVE allowing any client key", async () => {
    await auth.configureCurve({ domain: "stonehouse", allowAny: true })
    const server = zmq.curveKeyPair()
    const client = zmq.curveKeyPair()
    {
      const p = await pair(
        "stonehouse",
        { curveServer: true, curveSecretKey: server.secretKey },
        { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey },
      )
      assert.equal((await delivers(p.server, p.client)).ok, true)
      p.close()
      assert.deepEqual([decisions.at(-1)?.allowed, decisions.at(-1)?.publicKey], [true, client.publicKey])
    }
  })

  it("Ironhouse: CURVE allowing only client keys in a certificate directory", async () => {
    const known = Certificate.generate({ name: "known" })
    await known.savePublic(join(dir, "known.key"))
    await auth.configureCurve({ domain: "ironhouse", certificates: dir })
    const server = zmq.curveKeyPair()
    const stranger = zmq.curveKeyPair()
    {
      let p = await pair(
        "ironhouse",
        { curveServer: true, curveSecretKey: server.secretKey },
        {
          curveServerKey: server.publicKey,
          curvePublicKey: known.publicKey,
          curveSecretKey: known.secretKey as string,
        },
      )
      assert.equal((await delivers(p.server, p.client)).ok, true)
      p.close()
      assert.equal(decisions.at(-1)?.allowed, true)
      p = await pair(
        "ironhouse",
        { curveServer: true, curveSecretKey: server.secretKey },
        { curveServerKey: server.publicKey, curvePublicKey: stranger.publicKey, curveSecretKey: stranger.secretKey },
      )
      assert.equal((await delivers(p.server, p.client, 800)).ok, false)
      p.close()
      assert.deepEqual([decisions.at(-1)?.allowed, decisions.at(-1)?.publicKey], [false, stranger.publicKey])
    }
  })
})
