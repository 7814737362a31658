/**
 * TLS over ZeroMQ (issue 11) for `npm run bench`: the processes behind the "tls-over-zeromq"
 * rows, next to the wire CURVE rows of the same run.
 *
 *   tls-bench.js '{"impl":…,"security":"NULL","role":"server"}'    Router + TlsServer (binds)
 *   tls-bench.js '{… "role":"sender","endpoint":…,"size":…,"durationMs":…}'
 *       Dealer + TlsClient streaming one-frame messages for durationMs, then an empty frame;
 *       the server reports messages/s from its first to its last message.
 *   tls-bench.js '{… "role":"handshaker","endpoint":…,"durationMs":…,"concurrency":…}'
 *       `concurrency` loops, each completing full TLS 1.3 handshakes (no ticket), a Dealer each.
 *
 * The role travels in `count` (0 server, 1 sender, 2 handshaker): ChildArgs has no role field,
 * and this file is kept out of the shared child protocol on purpose.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { emit, runChild } from "./child.js"
import { isImplName, loadImpl } from "./impl.js"
import { TlsClient, TlsServer, type MessageSocket } from "../src/index.js"

const FIX = fileURLToPath(new URL("../../test/fixtures/tls/", import.meta.url))
const pem = (name: string): Buffer => readFileSync(FIX + name)

export const TlsRole = { SERVER: 0, SENDER: 1, HANDSHAKER: 2 } as const

interface Closable extends MessageSocket {
  close(): unknown
  connect(address: string): void
  bind(address: string): Promise<void>
  readonly lastEndpoint: string | null
}

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const role = args.count ?? TlsRole.SERVER
  if (role === TlsRole.SERVER) {
    const router = new impl.Router({ linger: 0, sendHighWaterMark: 10_000, receiveHighWaterMark: 10_000 }) as unknown as Closable
    await router.bind("tcp://127.0.0.1:*")
    const server = new TlsServer(router, { key: pem("server.key"), cert: pem("server.crt"), maxQueuedMessages: 10_000 })
    emit("ready", { endpoint: router.lastEndpoint })
    let count = 0
    let first = 0
    for await (const { message, session } of server) {
      const frame = message[0]
      if (frame === undefined || frame.length === 0) {
        // Tell the sender its end marker arrived, so that it may exit (see the sender).
        void session.send(Buffer.from("done"))
        break
      }
      if (count === 0) first = performance.now()
      count++
    }
    const seconds = (performance.now() - first) / 1000
    await server.close()
    router.close()
    return { messages: count, seconds, msgPerSec: count > 1 ? (count - 1) / seconds : 0 }
  }
  const endpoint = args.endpoint
  if (endpoint === undefined) throw new TypeError("expected args.endpoint")
  const durationMs = args.durationMs ?? 1000
  const tls = { ca: pem("ca.crt"), servername: "localhost" }
  if (role === TlsRole.SENDER) {
    const dealer = new impl.Dealer({ linger: -1, sendHighWaterMark: 10_000 }) as unknown as Closable
    dealer.connect(endpoint)
    const client = new TlsClient(dealer, { ...tls, envelope: "dealer" })
    await client.connect()
    const body = Buffer.alloc(args.size ?? 256, 7)
    const end = performance.now() + durationMs
    let sent = 0
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) await client.send(body)
      sent += 64
    }
    await client.send(Buffer.alloc(0))
    // Exit only once the server has the end marker: runChild exits at once, and a `zeromq`
    // process that exits drops what libzmq still queues, whatever the linger (its 64 KiB runs
    // then waited for an end marker that never came and missed the time-out: 2 of 4 runs by
    // hand, none of 6 with this). The server's answer proves delivery, alike for both columns.
    await client.receive()
    await client.close()
    dealer.close()
    return { sent }
  }
  // Handshakes: a fresh TlsClient per handshake (no ticket: full handshakes).
  const concurrency = args.concurrency ?? 8
  const end = performance.now() + durationMs
  let done = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        // A Dealer per handshake (one TlsClient reads a socket at a time), as the CURVE
        // handshake rows make a connection per handshake.
        const dealer = new impl.Dealer({ linger: 0 }) as unknown as Closable
        dealer.connect(endpoint)
        const client = new TlsClient(dealer, { ...tls, envelope: "dealer" })
        await client.connect()
        done++
        dealer.close()
      }
    }),
  )
  // The server's last message: an empty frame, so it stops.
  const closer = new impl.Dealer({ linger: -1 }) as unknown as Closable
  closer.connect(endpoint)
  const last = new TlsClient(closer, { ...tls, envelope: "dealer" })
  await last.send(Buffer.alloc(0))
  await last.close()
  closer.close()
  return { handshakes: done, perSec: done / ((performance.now() - start) / 1000) }
})
