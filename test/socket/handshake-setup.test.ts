/**
 * The per-connection set-up cut for the CURVE handshake rate (issue 13 item 2): what each cut
 * must still do.
 *
 * - An accepted connection holds its greeting for at most one more event-loop turn, so that it
 *   leaves with the answer to a pipelined greeting + HELLO (one write, one segment); a peer
 *   that sends nothing first still gets the greeting (RFC 37: no deadlock).
 * - Handshake deadline timers are armed in whole milliseconds (shared Node timer lists): a
 *   dialled connection that does not finish its handshake is still dropped.
 * - Z85 text of peer public keys is cached by key octets: every connection reports its own
 *   peer's key, never another's, also past the cache's size.
 * - An IPv4-literal connect takes the peer address from the endpoint (no getpeername()): it
 *   is the address a getpeername() would give.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import * as zmq from "zeromq"
import { Reply, Request, curveKeyPair, type SocketEvent } from "../../src/index.js"
import { StreamConnection } from "../../src/transport/stream-connection.js"
import type { ConnectionEvent } from "../../src/engine/connection.js"
import { z85Decode } from "../../src/wire/z85.js"
import { until } from "./helpers.js"

zmq.context.blocky = false

function portOf(endpoint: string | null): number {
  return Number((endpoint ?? "").split(":").pop())
}

describe("handshake set-up per connection (issue 13)", () => {
  it("an accepted connection's greeting reaches a peer that sends nothing first", async () => {
    const keys = curveKeyPair()
    const rep = new Reply({ linger: 0, curveServer: true, curveSecretKey: keys.secretKey })
    try {
      await rep.bind("tcp://127.0.0.1:*")
      const socket = net.connect({ host: "127.0.0.1", port: portOf(rep.lastEndpoint) })
      const received: Buffer[] = []
      let length = 0
      await new Promise<void>((resolve, reject) => {
        socket.on("error", reject)
        socket.on("data", (chunk: Buffer) => {
          received.push(chunk)
          length += chunk.length
          if (length >= 64) resolve()
        })
      })
      socket.destroy()
      const greeting = Buffer.concat(received)
      assert.equal(greeting.length, 64, "the greeting alone: nothing else before the peer's greeting")
      assert.equal(greeting[0], 0xff)
      assert.equal(greeting[9], 0x7f)
      assert.equal(greeting[10], 3, "ZMTP major version 3")
      assert.equal(greeting.subarray(12, 17).toString(), "CURVE")
    } finally {
      rep.close()
    }
  })

  it("a CURVE server answers a pipelined greeting + HELLO with its greeting and WELCOME in one write", async () => {
    const serverKeys = curveKeyPair()
    const clientKeys = curveKeyPair()
    const listener = net.createServer({ pauseOnConnect: true })
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()))
    const accepted = new Promise<net.Socket>((resolve) => listener.once("connection", resolve))
    const socket = net.connect({ host: "127.0.0.1", port: (listener.address() as net.AddressInfo).port })
    await new Promise<void>((r) => socket.once("connect", () => r()))
    const clientEvents: ConnectionEvent[] = []
    const serverEvents: ConnectionEvent[] = []
    // The client sends its greeting and HELLO at once (engine pipelining); on loopback they
    // are in the server's receive queue when write() returns.
    const client = new StreamConnection(
      socket,
      {
        socketType: "DEALER",
        security: {
          mechanism: "CURVE",
          asServer: false,
          curveServerKey: z85Decode(serverKeys.publicKey),
          curvePublicKey: z85Decode(clientKeys.publicKey),
          curveSecretKey: z85Decode(clientKeys.secretKey),
        },
      },
      { onEvent: (e) => clientEvents.push(e) },
    )
    const serverSocket = await accepted
    // Each write batch the server makes: chunks written while corked belong to one batch.
    const batches: number[][] = []
    let open: number[] | undefined
    const write = serverSocket.write.bind(serverSocket) as (chunk: Uint8Array) => boolean
    serverSocket.write = ((chunk: Uint8Array) => {
      if (serverSocket.writableCorked > 0) {
        if (open === undefined) batches.push((open = []))
        open.push(chunk.length)
      } else {
        open = undefined
        batches.push([chunk.length])
      }
      return write(chunk)
    }) as typeof serverSocket.write
    const uncork = serverSocket.uncork.bind(serverSocket)
    serverSocket.uncork = () => {
      open = undefined
      uncork()
    }
    const server = new StreamConnection(
      serverSocket,
      {
        socketType: "DEALER",
        security: {
          mechanism: "CURVE",
          asServer: true,
          curveSecretKey: z85Decode(serverKeys.secretKey),
          curvePublicKey: z85Decode(serverKeys.publicKey),
        },
      },
      { onEvent: (e) => serverEvents.push(e) },
      { coalesceGreeting: true },
    )
    serverSocket.resume()
    try {
      await until(() => clientEvents.some((e) => e.type === "handshake") && serverEvents.some((e) => e.type === "handshake"), "the handshake")
      // WELCOME: flags, size, name length, "WELCOME", 160 octets of data = 170.
      assert.deepEqual(batches[0], [64, 170], `first write: greeting + WELCOME, got ${JSON.stringify(batches)}`)
    } finally {
      client.destroy()
      server.destroy()
      listener.close()
    }
  })

  it("a dialled connection that does not finish its handshake in handshakeInterval is dropped", async () => {
    // A TCP server that accepts and never speaks: the client's handshake deadline must fire.
    const listener = net.createServer((s) => s.on("error", () => {}))
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()))
    const req = new Request({ linger: 0, handshakeInterval: 150, reconnectInterval: -1 })
    const failures: SocketEvent[] = []
    req.events.on("handshake:error:other", (e) => failures.push(e))
    try {
      req.connect(`tcp://127.0.0.1:${(listener.address() as net.AddressInfo).port}`)
      await until(() => failures.length === 1, "the handshake deadline", 5000)
      const f = failures[0]
      assert.ok(f?.type === "handshake:error:other")
      assert.equal(f.error.code, "ERR_ZMTP_HANDSHAKE_TIMEOUT")
    } finally {
      req.close()
      listener.close()
    }
  })

  it("each connection reports its own peer's public key, past the Z85 cache's size", async () => {
    const serverKeys = curveKeyPair()
    const rep = new Reply({ linger: 0, curveServer: true, curveSecretKey: serverKeys.secretKey })
    const clients = Array.from({ length: 12 }, () => curveKeyPair())
    try {
      await rep.bind("tcp://127.0.0.1:*")
      const endpoint = rep.lastEndpoint as string
      // Twice over twelve keys (the cache holds eight): every hit and every miss must be right.
      for (const round of [1, 2]) {
        for (const [i, keys] of clients.entries()) {
          const req = new Request({ linger: 0, curveServerKey: serverKeys.publicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey })
          try {
            req.connect(endpoint)
            await req.send(`client ${i}`)
            const { message, peer } = await rep.receiveWithPeer()
            assert.equal(message[0]?.toString(), `client ${i}`)
            assert.equal(peer.publicKey, keys.publicKey, `round ${round}, client ${i}: the server sees that client's key`)
            await rep.send("ok")
            const reply = await req.receiveWithPeer()
            assert.equal(reply.peer.publicKey, serverKeys.publicKey, "the client sees the server's key")
          } finally {
            req.close()
          }
        }
      }
    } finally {
      rep.close()
    }
  })

  it("an IPv4-literal connect reports the address it dialled, as the kernel spells it", async () => {
    const rep = new Reply({ linger: 0 })
    const req = new Request({ linger: 0 })
    try {
      await rep.bind("tcp://127.0.0.1:*")
      req.connect(rep.lastEndpoint as string)
      await req.send("ping")
      const { peer: clientSeen } = await rep.receiveWithPeer()
      await rep.send("pong")
      const { peer } = await req.receiveWithPeer()
      assert.equal(peer.address, "127.0.0.1")
      assert.equal(clientSeen.address, "127.0.0.1", "the server's getpeername() gives the same spelling")
    } finally {
      req.close()
      rep.close()
    }
  })
})
