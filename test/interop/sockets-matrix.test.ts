/**
 * Every socket pair against the `zeromq` package (real libzmq 4.3.5): Ironhouse on either
 * side, either side binding, over tcp:// and ipc://, for NULL, PLAIN and CURVE. Each case
 * carries a multipart message with an empty frame and a 10 MiB frame, and checks the
 * per-message peer metadata Ironhouse reports (mechanism, socket type, CURVE key, User-Id).
 * The binding side is the security server.
 */
import { describe, it, after, before } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import { bigPayload, freshEndpoint, implOf, makeSocket, text, type AnySocket, type Impl } from "../socket/helpers.js"
import type { AuthRequest, AuthReply } from "../../src/mechanism/mechanism.js"
import type { PeerInfo } from "../../src/engine/peer-info.js"
import type { SocketTypeName } from "../../src/wire/constants.js"

zmq.context.blocky = false

const BIG = bigPayload(10 * 1024 * 1024)
const serverKeys = zmq.curveKeyPair()
const clientKeys = zmq.curveKeyPair()

const authenticate = (req: AuthRequest): AuthReply => {
  if (req.mechanism === "PLAIN") {
    const [user, pass] = req.credentials.map((c) => Buffer.from(c).toString())
    return user === "admin" && pass === "secret" ? { status: 200, userId: "admin" } : { status: 400 }
  }
  return { status: 200, userId: "curve-user" }
}

type Mechanism = "NULL" | "PLAIN" | "CURVE"

function securityOptions(mech: Mechanism, server: boolean, impl: Impl): Record<string, unknown> {
  const hook = impl === "ironhouse" && server ? { authenticate } : {}
  if (mech === "PLAIN") return server ? { plainServer: true, ...hook } : { plainUsername: "admin", plainPassword: "secret" }
  if (mech === "CURVE") {
    return server
      ? { curveServer: true, curveSecretKey: serverKeys.secretKey, ...hook }
      : { curveServerKey: serverKeys.publicKey, curvePublicKey: clientKeys.publicKey, curveSecretKey: clientKeys.secretKey }
  }
  return {}
}

interface Ctx {
  mech: Mechanism
  peers: PeerInfo[]
}

/** receive(), recording the peer on the Ironhouse side. */
async function recv(sock: AnySocket, ctx: Ctx): Promise<Buffer[]> {
  if (implOf(sock) === "ironhouse" && sock.receiveWithPeer !== undefined) {
    const { message, peer } = await sock.receiveWithPeer()
    ctx.peers.push(peer)
    return message
  }
  // The zeromq package can wake a pending receive() on activity of libzmq's ZAP pipe and then
  // reject it with EAGAIN although no timeout is set (seen with zeromq <-> zeromq too): retry.
  for (;;) {
    try {
      return await sock.receive()
    } catch (err) {
      if ((err as { code?: string }).code !== "EAGAIN" || sock.receiveTimeout !== -1) throw err
    }
  }
}

function assertMessage(got: Buffer[], expected: Array<string | Buffer>): void {
  assert.equal(got.length, expected.length, `frame count: got ${got.length}, expected ${expected.length}`)
  expected.forEach((e, i) => {
    const g = got[i] as Buffer
    if (typeof e === "string") assert.equal(text(g), e, `frame ${i}`)
    else assert.ok(g.equals(e), `frame ${i}: ${g.length} octets differ from the ${e.length} sent`)
  })
}

const MESSAGE = (): Array<string | Buffer> => ["hello", "", BIG]
const TOPIC = "topic"

type Conversation = (a: AnySocket, b: AnySocket, ctx: Ctx) => Promise<void>

const sub = (subscribe: boolean, topic: string): Buffer => Buffer.concat([Buffer.from([subscribe ? 1 : 0]), Buffer.from(topic)])

/**
 * Publish small numbered probes until the subscriber gets one (subscriptions travel
 * asynchronously), then read every probe still on its way. Delivery on one connection is in
 * order and the filter passes every probe after the first one that got through, so the
 * subscriber is drained once it has read the last probe sent: a fixed drain timeout is not
 * enough on a loaded machine, where a late probe once took the place of the real message.
 */
async function waitForSubscription(pub: AnySocket, subscriber: AnySocket, ctx: Ctx): Promise<void> {
  const probeNumber = (got: Buffer[]): number => {
    assert.equal(got.length, 2, `a probe has 2 frames, got ${got.length}`)
    assert.equal(text(got[0]!), TOPIC)
    const m = /^probe (\d+)$/.exec(text(got[1]!))
    assert.ok(m, `a probe, got ${JSON.stringify(text(got[1]!))}`)
    return Number(m[1])
  }
  let sent = -1
  let received = -1
  subscriber.receiveTimeout = 20
  for (let i = 0; i < 500 && received < 0; i++) {
    await pub.send([TOPIC, `probe ${i}`])
    sent = i
    try {
      received = probeNumber(await recv(subscriber, ctx))
    } catch (err) {
      if ((err as { code?: string }).code !== "EAGAIN") throw err
    }
  }
  subscriber.receiveTimeout = -1
  assert.ok(received >= 0, "the subscription took effect within 500 probes")
  while (received < sent) received = probeNumber(await recv(subscriber, ctx))
}

async function publishAndCheck(pub: AnySocket, subscriber: AnySocket, ctx: Ctx): Promise<void> {
  await pub.send(["other", "must be filtered out"])
  await pub.send([TOPIC, ...MESSAGE()])
  assertMessage(await recv(subscriber, ctx), [TOPIC, ...MESSAGE()])
}

const CONVERSATIONS: Array<{ a: SocketTypeName; b: SocketTypeName; talk: Conversation }> = [
  {
    a: "PAIR",
    b: "PAIR",
    talk: async (a, b, ctx) => {
      await a.send(MESSAGE())
      assertMessage(await recv(b, ctx), MESSAGE())
      await b.send(["reply", ""])
      assertMessage(await recv(a, ctx), ["reply", ""])
    },
  },
  {
    a: "PUSH",
    b: "PULL",
    talk: async (a, b, ctx) => {
      await a.send(MESSAGE())
      await a.send("second")
      assertMessage(await recv(b, ctx), MESSAGE())
      assertMessage(await recv(b, ctx), ["second"])
    },
  },
  {
    a: "REQ",
    b: "REP",
    talk: async (a, b, ctx) => {
      await a.send(MESSAGE())
      assertMessage(await recv(b, ctx), MESSAGE())
      await b.send(["reply", ""])
      assertMessage(await recv(a, ctx), ["reply", ""])
    },
  },
  {
    a: "REQ",
    b: "ROUTER",
    talk: async (a, b, ctx) => {
      await a.send(MESSAGE())
      const got = await recv(b, ctx)
      const id = got[0] as Buffer
      assert.ok(id.length > 0)
      assertMessage(got.slice(1), ["", ...MESSAGE()])
      await b.send([id, "", "reply"])
      assertMessage(await recv(a, ctx), ["reply"])
    },
  },
  {
    a: "DEALER",
    b: "REP",
    talk: async (a, b, ctx) => {
      await a.send(["", ...MESSAGE()])
      assertMessage(await recv(b, ctx), MESSAGE())
      await b.send("reply")
      assertMessage(await recv(a, ctx), ["", "reply"])
    },
  },
  {
    a: "DEALER",
    b: "ROUTER",
    talk: async (a, b, ctx) => {
      await a.send(MESSAGE())
      const got = await recv(b, ctx)
      assertMessage(got.slice(1), MESSAGE())
      await b.send([got[0] as Buffer, "reply", ""])
      assertMessage(await recv(a, ctx), ["reply", ""])
    },
  },
  {
    a: "DEALER",
    b: "DEALER",
    talk: async (a, b, ctx) => {
      await a.send(MESSAGE())
      assertMessage(await recv(b, ctx), MESSAGE())
      await b.send(["reply", ""])
      assertMessage(await recv(a, ctx), ["reply", ""])
    },
  },
  {
    a: "PUB",
    b: "SUB",
    talk: async (a, b, ctx) => {
      b.subscribe(TOPIC)
      await waitForSubscription(a, b, ctx)
      await publishAndCheck(a, b, ctx)
    },
  },
  {
    a: "PUB",
    b: "XSUB",
    talk: async (a, b, ctx) => {
      await b.send(sub(true, TOPIC))
      await waitForSubscription(a, b, ctx)
      await publishAndCheck(a, b, ctx)
    },
  },
  {
    a: "XPUB",
    b: "SUB",
    talk: async (a, b, ctx) => {
      b.subscribe(TOPIC)
      // A libzmq socket acts on a new connection (and sends its subscriptions) only when the
      // application calls into it: keep a receive() pending on the subscriber meanwhile.
      const received = recv(b, ctx)
      assertMessage(await recv(a, ctx), [sub(true, TOPIC)])
      await a.send(["other", "must be filtered out"])
      await a.send([TOPIC, ...MESSAGE()])
      assertMessage(await received, [TOPIC, ...MESSAGE()])
    },
  },
  {
    a: "XPUB",
    b: "XSUB",
    talk: async (a, b, ctx) => {
      await b.send(sub(true, TOPIC))
      const received = recv(b, ctx) // see XPUB-SUB
      assertMessage(await recv(a, ctx), [sub(true, TOPIC)])
      await a.send(["other", "must be filtered out"])
      await a.send([TOPIC, ...MESSAGE()])
      assertMessage(await received, [TOPIC, ...MESSAGE()])
      await b.send(["upstream", ""])
      assertMessage(await recv(a, ctx), ["upstream", ""])
      await b.send(sub(false, TOPIC))
      assertMessage(await recv(a, ctx), [sub(false, TOPIC)])
    },
  },
]

/**
 * libzmq's PLAIN server refuses every client without a ZAP handler (RFC 27), so the zeromq
 * side gets one in its default context, checking the same credentials. It answers with an
 * empty User-Id: libzmq 4.3.5 hands a non-empty one to the session as a "credential" message,
 * which a REQ socket's session refuses (req.cpp req_session_t::push_msg -> EFAULT), so a
 * libzmq REQ acting as PLAIN/CURVE server drops its peer after the first reply. (Seen with
 * libzmq on both ends too; not an Ironhouse issue.)
 */
let zap: zmq.Reply | undefined
before(async () => {
  zap = new zmq.Reply({ linger: 0 })
  await zap.bind("inproc://zeromq.zap.01")
  const handler = zap
  void (async () => {
    try {
      for await (const request of handler) {
        const [version, requestId, , , , mechanism, user, pass] = request.map((f) => f.toString())
        const ok = mechanism !== "PLAIN" || (user === "admin" && pass === "secret")
        await handler.send([version ?? "1.0", requestId ?? "", ok ? "200" : "400", ok ? "OK" : "no", "", ""])
      }
    } catch {
      /* closed */
    }
  })()
})

const open: AnySocket[] = []
after(() => {
  for (const s of open) s.close()
  zap?.close()
})

for (const { a, b, talk } of CONVERSATIONS) {
  describe(`${a}-${b} against libzmq 4.3.5`, () => {
    for (const ours of ["a", "b"] as const) {
      for (const binder of ["a", "b"] as const) {
        for (const transport of ["tcp", "ipc"] as const) {
          for (const mech of ["NULL", "PLAIN", "CURVE"] as const) {
            const name = `Ironhouse ${ours === "a" ? a : b}, ${binder === "a" ? a : b} binds, ${transport}, ${mech}`
            it(name, { timeout: 20_000 }, async () => {
              const implA: Impl = ours === "a" ? "ironhouse" : "zeromq"
              const implB: Impl = ours === "b" ? "ironhouse" : "zeromq"
              const sa = makeSocket(implA, a, { linger: 0, ...securityOptions(mech, binder === "a", implA) })
              const sb = makeSocket(implB, b, { linger: 0, ...securityOptions(mech, binder === "b", implB) })
              open.push(sa, sb)
              const [server, client] = binder === "a" ? [sa, sb] : [sb, sa]
              try {
                await server.bind(freshEndpoint(transport))
                client.connect(server.lastEndpoint as string)
                const ctx: Ctx = { mech, peers: [] }
                await talk(sa, sb, ctx)
                // What the Ironhouse side learnt about its peer, on every message.
                const oursIsServer = (ours === "a") === (binder === "a")
                const peerType = ours === "a" ? b : a
                const oursReceives = !["PUSH", "PUB"].includes(ours === "a" ? a : b)
                assert.equal(ctx.peers.length > 0, oursReceives, "Ironhouse got peer metadata with its messages")
                for (const peer of ctx.peers) {
                  assert.equal(peer.mechanism, mech)
                  assert.equal(peer.socketType, peerType)
                  assert.ok(Object.isFrozen(peer))
                  if (mech === "CURVE") {
                    assert.equal(peer.publicKey, oursIsServer ? clientKeys.publicKey : serverKeys.publicKey)
                  }
                  if (oursIsServer && mech !== "NULL") {
                    assert.equal(peer.userId, mech === "PLAIN" ? "admin" : "curve-user")
                  }
                  assert.equal(peer.address, transport === "tcp" ? "127.0.0.1" : "")
                }
              } finally {
                sa.close()
                sb.close()
              }
            })
          }
        }
      }
    }
  })
}
