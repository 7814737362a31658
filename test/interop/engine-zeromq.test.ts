/**
 * On the wire against real libzmq 4.3.5 (the `zeromq` npm package): our engine, driven by a
 * plain node:net socket, completes NULL, PLAIN and CURVE handshakes in both roles and
 * exchanges multipart messages both ways.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import { connectEngine, listenEngine, str, text, type EngineProbe } from "../helpers/net-engine.js"
import type { ConnectionOptions } from "../../src/engine/connection.js"
import type { AuthRequest } from "../../src/mechanism/mechanism.js"
import { z85Decode, z85Encode } from "../../src/wire/z85.js"
import { AuthError } from "../../src/errors.js"

type Zmq = zmq.Pair

const MESSAGE = ["hello", "", "multipart \u2713"]

/**
 * A ZAP handler (RFC 27) in the zeromq package's default context answering every request with
 * `status`. libzmq's PLAIN server needs one: without a handler it refuses every client.
 */
async function zapHandler(status: string): Promise<{ requests: Buffer[][]; close(): void }> {
  const zap = new zmq.Reply()
  await zap.bind("inproc://zeromq.zap.01")
  const requests: Buffer[][] = []
  void (async () => {
    try {
      for await (const request of zap) {
        requests.push(request)
        const [version, requestId] = request
        await zap.send([version as Buffer, requestId as Buffer, status, status === "200" ? "OK" : "no", "zap-user", ""])
      }
    } catch {
      /* closed */
    }
  })()
  return { requests, close: () => zap.close() }
}

function portOf(endpoint: string | null): number {
  const m = /:(\d+)$/.exec(endpoint ?? "")
  if (!m) throw new Error(`no port in ${endpoint}`)
  return Number(m[1])
}

async function exchange(ours: EngineProbe, theirs: Zmq): Promise<void> {
  // ours -> libzmq
  ours.send(MESSAGE.map(text))
  const got = await theirs.receive()
  assert.deepEqual(got.map((b) => b.toString()), MESSAGE)
  // libzmq -> ours
  await theirs.send(["reply", "", "2"])
  const msg = await ours.next("message")
  assert.deepEqual(msg.frames.map(str), ["reply", "", "2"])
}

interface Case {
  name: string
  /** Options for a libzmq socket acting as the security server / client. */
  zmqServer: zmq.SocketOptions<zmq.Pair>
  zmqClient: zmq.SocketOptions<zmq.Pair>
  ourServer: Omit<ConnectionOptions, "socketType">
  ourClient: Omit<ConnectionOptions, "socketType">
}

const serverKeys = zmq.curveKeyPair()
const clientKeys = zmq.curveKeyPair()
const authRequests: AuthRequest[] = []
const authenticate = (req: AuthRequest) => {
  // Copied: a PLAIN password is wiped once the hook has answered (issue 14 item 5).
  authRequests.push({ ...req, credentials: req.credentials.map((c) => new Uint8Array(c)) })
  return { status: 200, userId: req.mechanism === "PLAIN" ? str(req.credentials[0] as Uint8Array) : "curve-client" }
}

const cases: Case[] = [
  {
    name: "NULL",
    zmqServer: {},
    zmqClient: {},
    ourServer: { security: { mechanism: "NULL", asServer: false } },
    ourClient: { security: { mechanism: "NULL", asServer: false } },
  },
  {
    name: "PLAIN",
    zmqServer: { plainServer: true },
    zmqClient: { plainUsername: "admin", plainPassword: "secret" },
    ourServer: { security: { mechanism: "PLAIN", asServer: true }, authenticate },
    ourClient: {
      security: { mechanism: "PLAIN", asServer: false, plainUsername: "admin", plainPassword: "secret" },
    },
  },
  {
    name: "CURVE",
    zmqServer: { curveServer: true, curveSecretKey: serverKeys.secretKey, curvePublicKey: serverKeys.publicKey },
    zmqClient: {
      curveServerKey: serverKeys.publicKey,
      curvePublicKey: clientKeys.publicKey,
      curveSecretKey: clientKeys.secretKey,
    },
    ourServer: {
      security: {
        mechanism: "CURVE",
        asServer: true,
        curvePublicKey: z85Decode(serverKeys.publicKey),
        curveSecretKey: z85Decode(serverKeys.secretKey),
      },
      authenticate,
    },
    ourClient: {
      security: {
        mechanism: "CURVE",
        asServer: false,
        curvePublicKey: z85Decode(clientKeys.publicKey),
        curveSecretKey: z85Decode(clientKeys.secretKey),
        curveServerKey: z85Decode(serverKeys.publicKey),
      },
    },
  },
]

for (const c of cases) {
  describe(`${c.name} against libzmq 4.3.5`, () => {
    it("our client connects to a libzmq server and exchanges multipart messages both ways", async () => {
      const zap = c.name === "PLAIN" ? await zapHandler("200") : undefined
      const server = new zmq.Pair(c.zmqServer)
      await server.bind("tcp://127.0.0.1:*")
      const probe = await connectEngine(portOf(server.lastEndpoint), { socketType: "PAIR", ...c.ourClient })
      try {
        const hs = await probe.next("handshake")
        assert.equal(hs.peer.socketType, "PAIR")
        assert.equal(hs.peer.mechanism, c.name)
        if (c.name === "CURVE") assert.equal(hs.peer.publicKey, serverKeys.publicKey)
        if (zap) assert.deepEqual(zap.requests[0]?.slice(5).map(String), ["PLAIN", "admin", "secret"])
        await exchange(probe, server)
      } finally {
        probe.close()
        server.close()
        zap?.close()
      }
    })

    it("a libzmq client connects to our server and exchanges multipart messages both ways", async () => {
      authRequests.length = 0
      const listener = await listenEngine({ socketType: "PAIR", ...c.ourServer })
      const client = new zmq.Pair(c.zmqClient)
      client.connect(`tcp://127.0.0.1:${listener.port}`)
      try {
        const probe = await listener.accepted
        const hs = await probe.next("handshake")
        assert.equal(hs.peer.socketType, "PAIR")
        if (c.name === "PLAIN") {
          assert.equal(hs.peer.userId, "admin")
          assert.equal(authRequests.length, 1)
          assert.deepEqual(authRequests[0]?.credentials.map(str), ["admin", "secret"])
        }
        if (c.name === "CURVE") {
          assert.equal(hs.peer.publicKey, clientKeys.publicKey)
          assert.equal(hs.peer.userId, "curve-client")
          assert.equal(z85Encode(authRequests[0]?.credentials[0] as Uint8Array), clientKeys.publicKey)
        }
        await exchange(probe, client)
      } finally {
        client.close()
        await listener.close()
      }
    })
  })
}

describe("refusals against libzmq 4.3.5", () => {
  it("our PLAIN client gets AuthError 400 from a libzmq server whose ZAP handler refuses", async () => {
    const zap = await zapHandler("400")
    const server = new zmq.Pair({ plainServer: true, zapDomain: "test" })
    await server.bind("tcp://127.0.0.1:*")
    const probe = await connectEngine(portOf(server.lastEndpoint), {
      socketType: "PAIR",
      security: { mechanism: "PLAIN", asServer: false, plainUsername: "admin", plainPassword: "wrong" },
    })
    try {
      const failure = await probe.next("error")
      assert.ok(failure.error instanceof AuthError, `expected AuthError, got ${failure.error.code}`)
      assert.equal((failure.error as AuthError).status, 400)
      assert.equal(failure.handshake, true)
      assert.equal(probe.events.filter((e) => e.type === "message").length, 0)
      assert.equal(zap.requests.length, 1)
    } finally {
      probe.close()
      server.close()
      zap.close()
    }
  })

  it("a libzmq CURVE client with the wrong server key never completes a handshake with us", async () => {
    const listener = await listenEngine({ socketType: "PAIR", ...(cases[2] as Case).ourServer })
    const wrong = zmq.curveKeyPair()
    const client = new zmq.Pair({
      curveServerKey: wrong.publicKey,
      curvePublicKey: clientKeys.publicKey,
      curveSecretKey: clientKeys.secretKey,
    })
    client.connect(`tcp://127.0.0.1:${listener.port}`)
    try {
      const probe = await listener.accepted
      const failure = await probe.next("error")
      assert.equal(failure.error.code, "ERR_ZMTP_CRYPTOGRAPHIC")
      assert.equal(failure.handshake, true)
    } finally {
      client.close()
      await listener.close()
    }
  })

  it("a libzmq NULL client against our CURVE server is dropped, never reaching authentication", async () => {
    // libzmq reads our greeting first, sees CURVE and hangs up before sending its mechanism.
    authRequests.length = 0
    const listener = await listenEngine({ socketType: "PAIR", ...(cases[2] as Case).ourServer })
    const client = new zmq.Pair()
    client.connect(`tcp://127.0.0.1:${listener.port}`)
    try {
      const probe = await listener.accepted
      await probe.untilClosed()
      assert.equal(probe.events.filter((e) => e.type === "handshake").length, 0)
      assert.equal(authRequests.length, 0)
    } finally {
      client.close()
      await listener.close()
    }
  })

  it("our NULL client against a libzmq CURVE server is refused before any handshake", async () => {
    // libzmq checks the mechanism as soon as our greeting is in and closes without flushing
    // the rest of its own greeting; we see the close (the mismatch code itself is covered by
    // the in-memory engine tests).
    const server = new zmq.Pair({ curveServer: true, curveSecretKey: serverKeys.secretKey })
    await server.bind("tcp://127.0.0.1:*")
    const probe = await connectEngine(portOf(server.lastEndpoint), {
      socketType: "PAIR",
      security: { mechanism: "NULL", asServer: false },
    })
    try {
      await probe.untilClosed()
      assert.equal(probe.events.filter((e) => e.type === "handshake").length, 0)
    } finally {
      probe.close()
      server.close()
    }
  })
})
