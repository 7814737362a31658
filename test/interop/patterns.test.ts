/**
 * The five security patterns end to end, every pairing of Ironhouse and the native `zeromq`
 * package (libzmq 4.3.5) as server and client, with one Ironhouse Authenticator deciding for
 * both: for Ironhouse servers through the context's zapHandler, for libzmq servers through
 * ZAP on inproc://zeromq.zap.01 (serveZeromqZap). Each pattern: one client admitted (message
 * delivered, User-Id visible where the server is Ironhouse) and, where the pattern can refuse,
 * one refused (nothing delivered, the reason visible in events on both sides).
 */
import { describe, it, before, after } from "node:test"
import assert from "node:assert/strict"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as zmq from "zeromq"
import * as ironhouse from "../../src/index.js"
import type { AuthDecision } from "../../src/auth/authenticator.js"

type Impl = "ironhouse" | "zeromq"
type Options = Record<string, unknown>

const auth = new ironhouse.Authenticator({ interval: 50 })
const decisions: AuthDecision[] = []
let zap: ironhouse.ZeromqZapServer
let dir: string
const serverKeys = ironhouse.curveKeyPair()
const known = ironhouse.Certificate.generate({ name: "known" })

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ironhouse-patterns-"))
  await known.savePublic(join(dir, "known.key"))
  auth.on("decision", (d) => decisions.push(d))
  auth.allow({ domain: "strawhouse" }, "127.0.0.1", "::ffff:127.0.0.1")
  auth.allow({ domain: "strawhouse-closed" }, "10.0.0.0/8")
  await auth.configurePlain({ domain: "woodhouse", passwords: { admin: "s3cret" } })
  await auth.configureCurve({ domain: "stonehouse", allowAny: true })
  await auth.configureCurve({ domain: "ironhouse", certificates: dir })
  ironhouse.context.zapHandler = auth.authenticate
  zap = await ironhouse.serveZeromqZap(zmq, auth.authenticate)
})

after(async () => {
  ironhouse.context.zapHandler = undefined
  zap.close()
  auth.close()
  await rm(dir, { recursive: true, force: true })
})

interface Outcome {
  delivered: boolean
  userId?: string
  clientEvents: string[]
  serverEvents: string[]
}

async function attempt(serverImpl: Impl, clientImpl: Impl, server: Options, client: Options, waitMs: number): Promise<Outcome> {
  const mod = { ironhouse, zeromq: zmq } as const
  const Rep = mod[serverImpl].Reply as unknown as new (o: Options) => zmq.Reply & {
    receiveWithPeer?: () => Promise<{ message: Buffer[]; peer: ironhouse.PeerInfo }>
  }
  const Req = mod[clientImpl].Request as unknown as new (o: Options) => zmq.Request
  const rep = new Rep({ receiveTimeout: waitMs, ...server })
  await rep.bind("tcp://127.0.0.1:*")
  const req = new Req({ linger: 0, ...client })
  const serverEvents: string[] = []
  const clientEvents: string[] = []
  const record = (sock: zmq.Reply | zmq.Request, into: string[]) => {
    for (const type of ["handshake:error:auth", "handshake:error:protocol", "handshake"] as const) {
      sock.events.on(type, (event: unknown) => {
        const e = event as { error?: { status?: number; code?: string } }
        into.push(e.error ? `${type} ${e.error.status ?? e.error.code}` : type)
      })
    }
  }
  record(rep, serverEvents)
  record(req, clientEvents)
  req.connect(rep.lastEndpoint as string)
  void req.send("knock").catch(() => {})
  try {
    if (rep.receiveWithPeer) {
      const { message, peer } = await rep.receiveWithPeer()
      assert.equal(String(message[0]), "knock")
      return { delivered: true, userId: peer.userId, clientEvents, serverEvents }
    }
    const [message] = await rep.receive()
    assert.equal(String(message), "knock")
    return { delivered: true, clientEvents, serverEvents }
  } catch (err) {
    if ((err as { code?: string }).code !== "EAGAIN") throw err
    await new Promise((r) => setTimeout(r, 50)) // let the client's events arrive
    return { delivered: false, clientEvents, serverEvents }
  } finally {
    req.close()
    rep.close()
  }
}

interface Pattern {
  name: string
  admitted: { server: Options; client: Options; userId: (o: Outcome) => string }
  refused?: { why: string; server: Options; client: Options; reason: RegExp; authStatus: boolean }
}

const curveServer = { curveServer: true, curveSecretKey: serverKeys.secretKey }
const anyClient = ironhouse.curveKeyPair()
const patterns: Pattern[] = [
  { name: "Grasslands", admitted: { server: {}, client: {}, userId: () => "" } },
  {
    name: "Strawhouse",
    admitted: { server: { zapDomain: "strawhouse" }, client: {}, userId: () => "" },
    refused: { why: "wrong address", server: { zapDomain: "strawhouse-closed" }, client: {}, reason: /allow list/, authStatus: true },
  },
  {
    name: "Woodhouse",
    admitted: {
      server: { plainServer: true, zapDomain: "woodhouse" },
      client: { plainUsername: "admin", plainPassword: "s3cret" },
      userId: () => "admin",
    },
    refused: {
      why: "wrong password",
      server: { plainServer: true, zapDomain: "woodhouse" },
      client: { plainUsername: "admin", plainPassword: "guess" },
      reason: /password/,
      authStatus: true,
    },
  },
  {
    name: "Stonehouse",
    admitted: {
      server: { ...curveServer, zapDomain: "stonehouse" },
      client: { curveServerKey: serverKeys.publicKey, curvePublicKey: anyClient.publicKey, curveSecretKey: anyClient.secretKey },
      userId: () => anyClient.publicKey,
    },
    refused: {
      why: "wrong server key",
      server: { ...curveServer, zapDomain: "stonehouse" },
      client: {
        curveServerKey: ironhouse.curveKeyPair().publicKey,
        curvePublicKey: anyClient.publicKey,
        curveSecretKey: anyClient.secretKey,
      },
      reason: /^$/, // never reaches the authenticator: the HELLO box does not open
      authStatus: false,
    },
  },
  {
    name: "Ironhouse",
    admitted: {
      server: { ...curveServer, zapDomain: "ironhouse" },
      client: { curveServerKey: serverKeys.publicKey, curvePublicKey: known.publicKey, curveSecretKey: known.secretKey },
      userId: () => known.publicKey,
    },
    refused: {
      why: "unknown client key",
      server: { ...curveServer, zapDomain: "ironhouse" },
      client: { curveServerKey: serverKeys.publicKey, curvePublicKey: anyClient.publicKey, curveSecretKey: anyClient.secretKey },
      reason: /not found/,
      authStatus: true,
    },
  },
]

for (const p of patterns) {
  describe(`${p.name} pattern`, () => {
    for (const serverImpl of ["ironhouse", "zeromq"] as const) {
      for (const clientImpl of ["ironhouse", "zeromq"] as const) {
        const pairing = `${clientImpl} client -> ${serverImpl} server`
        it(`${pairing}: admitted`, async () => {
          decisions.length = 0
          const o = await attempt(serverImpl, clientImpl, p.admitted.server, p.admitted.client, 3000)
          assert.equal(o.delivered, true)
          if (serverImpl === "ironhouse") assert.equal(o.userId, p.admitted.userId(o))
          if (p.name !== "Grasslands") assert.equal(decisions.at(-1)?.allowed, true)
          else assert.equal(decisions.length, 0, "NULL without a domain never asks the authenticator")
        })
        const refused = p.refused
        if (refused === undefined) continue
        it(`${pairing}: refused (${refused.why})`, async () => {
          decisions.length = 0
          const o = await attempt(serverImpl, clientImpl, refused.server, refused.client, 700)
          assert.equal(o.delivered, false)
          if (refused.authStatus) {
            assert.equal(decisions.at(-1)?.allowed, false)
            assert.match(decisions.at(-1)?.reason ?? "", refused.reason)
            if (serverImpl === "ironhouse") assert.ok(o.serverEvents.includes("handshake:error:auth 400"), o.serverEvents.join())
            // libzmq's PLAIN server mis-encodes ERROR (see plain-client.ts); Ironhouse still reads it.
            if (clientImpl === "ironhouse") assert.ok(o.clientEvents.includes("handshake:error:auth 400"), o.clientEvents.join())
          } else {
            assert.equal(decisions.length, 0)
            if (serverImpl === "ironhouse") {
              assert.ok(o.serverEvents.includes("handshake:error:protocol ERR_ZMTP_CRYPTOGRAPHIC"), o.serverEvents.join())
            }
          }
          assert.ok(!o.clientEvents.includes("handshake"), "a refused client completed a handshake")
        })
      }
    }
  })
}
