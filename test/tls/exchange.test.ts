/**
 * Handshake and multipart exchange: TLS 1.3 and 1.2, with and without mutual TLS, streaming
 * (DEALER) and lockstep (REQ), directly and through a `zeromq` ROUTER↔DEALER proxy, over
 * Ironhouse sockets and over `zeromq` sockets (server and client of the same library, and
 * crossed).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { X509Certificate } from "node:crypto"
import { TlsClient, TlsServer, type TlsServerMessage, type TlsPeer } from "../../src/index.js"
import {
  boundRouter,
  clientTls,
  dealer,
  mutualClient,
  mutualServer,
  pem,
  proxyTo,
  request,
  serverTls,
  text,
  type Lib,
} from "./helpers.js"

const CLIENT_FINGERPRINT = new X509Certificate(pem.clientCert).fingerprint256

interface Case {
  serverLib: Lib
  clientLib: Lib
  version: "TLSv1.3" | "TLSv1.2"
  mutual: boolean
  lockstep: boolean
  viaProxy: boolean
}

function cases(): Case[] {
  const out: Case[] = []
  const libs: Array<[Lib, Lib]> = [
    ["ironhouse", "ironhouse"],
    ["zeromq", "zeromq"],
    ["ironhouse", "zeromq"],
    ["zeromq", "ironhouse"],
  ]
  for (const [serverLib, clientLib] of libs)
    for (const version of ["TLSv1.3", "TLSv1.2"] as const)
      for (const mutual of [false, true])
        for (const lockstep of [false, true])
          for (const viaProxy of [false, true]) {
            // Crossed libraries: every version and mode, without repeating the whole matrix.
            if (serverLib !== clientLib && (mutual !== lockstep || viaProxy)) continue
            out.push({ serverLib, clientLib, version, mutual, lockstep, viaProxy })
          }
  return out
}

const name = (c: Case): string =>
  `${c.serverLib} server, ${c.clientLib} ${c.lockstep ? "REQ (lockstep)" : "DEALER"} client, ${c.version}` +
  `${c.mutual ? ", mutual TLS" : ""}${c.viaProxy ? ", through a ROUTER-DEALER proxy" : ""}`

describe("TLS over ZeroMQ: handshake and multipart exchange", () => {
  for (const c of cases()) {
    it(name(c), async () => {
      const { socket, address } = await boundRouter(c.serverLib)
      const seen: TlsServerMessage[] = []
      const server = new TlsServer(socket, {
        ...(c.mutual ? mutualServer : serverTls),
        maxVersion: c.version,
        lockstep: c.lockstep,
        respond: (message, session) => {
          seen.push({ message, session, peer: session.peer! })
          return ["reply", ...message]
        },
      })
      const proxy = c.viaProxy ? await proxyTo(address) : null
      const zsock = c.lockstep ? request(c.clientLib) : dealer(c.clientLib)
      zsock.connect(proxy?.address ?? address)
      const client = new TlsClient(zsock, c.mutual ? mutualClient : clientTls)
      try {
        const peer: TlsPeer = await client.connect()
        assert.equal(peer.protocol, c.version)
        assert.equal(peer.authorized, true)
        assert.equal(peer.subject?.CN, "localhost")
        for (let i = 0; i < 3; i++) {
          const frames = [`m${i}`, "", Buffer.alloc(1000 * i + 1, i), "last"]
          await client.send(frames)
          const reply = await client.receive()
          assert.equal(reply.length, 5)
          assert.deepEqual(text(reply.slice(0, 3)), ["reply", `m${i}`, ""])
          assert.deepEqual(reply[3], Buffer.alloc(1000 * i + 1, i))
          assert.equal(reply[4]!.toString(), "last")
        }
        assert.equal(seen.length, 3)
        const from = seen[0]!.peer
        assert.equal(from.protocol, c.version)
        if (c.mutual) {
          assert.equal(from.authorized, true)
          assert.equal(from.subject?.CN, "test-client")
          assert.equal(from.subject?.O, "Ironhouse")
          assert.equal(from.fingerprint256, CLIENT_FINGERPRINT)
        } else {
          assert.equal(from.subject, null)
          assert.equal(from.fingerprint256, null)
        }
        // Every message carries the same frozen peer; one session served them all.
        assert.ok(seen.every((m) => m.peer === from && m.session === seen[0]!.session))
        assert.equal(server.sessionCount, 1)
      } finally {
        await client.close()
        await server.close()
        zsock.close()
        await proxy?.stop()
        socket.close()
      }
    })
  }

  it("receive() and session.send() instead of respond, many clients at once, each its own session", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, serverTls)
    const serving = (async () => {
      for await (const { message, session, peer } of server) session.send([peer.protocol, ...message])
    })()
    const sockets = Array.from({ length: 5 }, () => dealer("ironhouse"))
    const clients = sockets.map((s) => {
      s.connect(address)
      return new TlsClient(s, clientTls)
    })
    await Promise.all(
      clients.map(async (client, n) => {
        for (let i = 0; i < 5; i++) {
          await client.send([`client ${n}`, `msg ${i}`])
          assert.deepEqual(text(await client.receive()), ["TLSv1.3", `client ${n}`, `msg ${i}`])
        }
      }),
    )
    assert.equal(server.sessionCount, 5)
    for (const c of clients) await c.close()
    await server.close()
    await serving
    for (const s of sockets) s.close()
    socket.close()
  })

  it("a lockstep DEALER client sends [\"\", tls-bytes], one request at a time, never an empty payload", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, { ...serverTls, lockstep: true, respond: (m) => m })
    const d = dealer("ironhouse")
    d.connect(address)
    const sent: Buffer[][] = []
    let inFlight = 0
    let maxInFlight = 0
    const recording = {
      send: async (m: Uint8Array | Uint8Array[]) => {
        const frames = (Array.isArray(m) ? m : [m]).map((f) => Buffer.from(f))
        sent.push(frames)
        maxInFlight = Math.max(maxInFlight, ++inFlight)
        await d.send(frames)
      },
      receive: async () => {
        const r = await d.receive()
        inFlight--
        return r
      },
    }
    const client = new TlsClient(recording, { ...clientTls, envelope: "dealer", lockstep: true })
    for (const body of ["a", "b", "c"]) {
      await client.send(body)
      assert.deepEqual(text(await client.receive()), [body])
    }
    await client.close()
    assert.ok(sent.length >= 5, `handshake and three messages: ${sent.length} requests`)
    assert.ok(sent.every((f) => f.length === 2 && f[0]!.length === 0 && f[1]!.length > 0))
    assert.equal(maxInFlight, 1, "strict lockstep")
    await server.close()
    d.close()
    socket.close()
  })

  it("ALPN and SNI reach the other side", async () => {
    const { socket, address } = await boundRouter("ironhouse")
    const server = new TlsServer(socket, { ...serverTls, ALPNProtocols: ["ironhouse/1"], respond: (m, s) => [s.peer!.servername ?? "-", ...m] })
    const d = dealer("ironhouse")
    d.connect(address)
    const client = new TlsClient(d, { ...clientTls, ALPNProtocols: ["other", "ironhouse/1"], servername: "localhost" })
    const peer = await client.connect()
    assert.equal(peer.alpnProtocol, "ironhouse/1")
    await client.send("x")
    assert.deepEqual(text(await client.receive()), ["localhost", "x"])
    await client.close()
    await server.close()
    d.close()
    socket.close()
  })
})
