/**
 * Record valid exchanges with libzmq 4.3.5 (the `zeromq` package) as seed corpora:
 * `npm run fuzz:record` writes fuzz/corpus/<target>/libzmq-*.
 *
 *   <mech>-server seeds: what a libzmq DEALER client sends to our engine, which runs with the
 *     server target's exact options (seeded randomness, fixed clock): so a recorded CURVE
 *     INITIATE carries a cookie the target's server opens again when the seed is replayed.
 *   <mech>-client seeds: what a libzmq ROUTER server sends to our engine as a client with the
 *     client target's options (so libzmq's WELCOME is boxed to the short-term key the client
 *     target draws again on replay).
 *   greeting / frame-decoder seeds: libzmq's greeting, and its frames after the greeting.
 *
 * Each recording is replayed through its target and must reach the handshake there: a seed
 * that would not is an error, not a seed.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import net from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as zmq from "zeromq"
import { serveZeromqZap } from "../src/auth/zeromq-zap.js"
import { cryptoReady } from "../src/crypto/index.js"
import { Connection } from "../src/engine/connection.js"
import { GREETING_SIZE, Mechanism, type MechanismName } from "../src/wire/constants.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../test/vectors/z85.js"
import { concatBytes } from "./target.js"
import { authenticate, connectionOptions } from "./targets/engine.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const MECHANISMS: MechanismName[] = [Mechanism.NULL, Mechanism.PLAIN, Mechanism.CURVE]

function security(mechanism: MechanismName, server: boolean): zmq.SocketOptions<zmq.Dealer> {
  if (mechanism === Mechanism.PLAIN) return server ? { plainServer: true } : { plainUsername: "admin", plainPassword: "password" }
  if (mechanism === Mechanism.CURVE) {
    return server
      ? { curveServer: true, curveSecretKey: LIBZMQ_SERVER_KEYS.secretZ85, curvePublicKey: LIBZMQ_SERVER_KEYS.publicZ85 }
      : { curveServerKey: LIBZMQ_SERVER_KEYS.publicZ85, curvePublicKey: LIBZMQ_CLIENT_KEYS.publicZ85, curveSecretKey: LIBZMQ_CLIENT_KEYS.secretZ85 }
  }
  return {}
}

/** Drive `conn` over `socket`; resolves with every chunk received once `done` says so. */
function drive(socket: net.Socket, conn: Connection, onEvent: (type: string) => boolean): Promise<Uint8Array> {
  const received: Uint8Array[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("libzmq exchange timed out")), 10_000)
    let finished = false
    const flush = (): void => {
      for (const out of conn.takeOutput()) socket.write(out)
      const events = conn.takeEvents()
      for (const e of events) {
        if (e.type === "error") {
          clearTimeout(timer)
          reject(new Error(`engine failed: ${e.error.code} ${e.error.message}`))
          return
        }
        if (onEvent(e.type) && !finished) {
          finished = true
          clearTimeout(timer)
          // Give libzmq a moment to send anything it has queued behind (a PING, a reply).
          setTimeout(() => {
            socket.destroy()
            resolve(concatBytes(received))
          }, 200)
        }
      }
      if (events.length > 0) flush() // onEvent may have queued output (a message to send)
    }
    conn.onWake = flush
    socket.on("data", (chunk: Buffer) => {
      received.push(new Uint8Array(chunk))
      conn.receiveData(new Uint8Array(chunk))
      flush()
    })
    socket.on("error", reject)
    flush()
  })
}

/** libzmq DEALER client -> our server engine. */
async function recordClientStream(mechanism: MechanismName): Promise<Uint8Array> {
  let capture: Promise<Uint8Array> | undefined
  const server = net.createServer((socket) => {
    const conn = new Connection(connectionOptions(mechanism, true))
    capture = drive(socket, conn, (type) => {
      if (type === "handshake") conn.send([new TextEncoder().encode("libzmq"), new TextEncoder().encode("welcome")])
      return type === "message"
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  const port = (server.address() as net.AddressInfo).port
  const dealer = new zmq.Dealer({ ...security(mechanism, false), routingId: "libzmq-dealer", heartbeatInterval: 50 })
  dealer.connect(`tcp://127.0.0.1:${port}`)
  await dealer.send(["hello from libzmq", "x".repeat(300)])
  while (capture === undefined) await new Promise((r) => setTimeout(r, 10))
  const bytes = await capture
  dealer.close()
  server.close()
  return bytes
}

/** Our client engine -> libzmq ROUTER server. */
async function recordServerStream(mechanism: MechanismName): Promise<Uint8Array> {
  const router = new zmq.Router({ ...security(mechanism, true) })
  await router.bind("tcp://127.0.0.1:*")
  const port = Number(/:(\d+)$/.exec(router.lastEndpoint ?? "")?.[1])
  const socket = net.connect(port, "127.0.0.1")
  await new Promise<void>((r) => socket.once("connect", () => r()))
  const conn = new Connection(connectionOptions(mechanism, false))
  const echo = (async () => {
    const [id, ...rest] = await router.receive()
    await router.send([id as Buffer, ...rest.map((f) => Buffer.concat([Buffer.from("echo:"), f]))])
  })()
  const bytes = await drive(socket, conn, (type) => {
    if (type === "handshake") conn.send([new TextEncoder().encode("hello libzmq")])
    return type === "message"
  })
  await echo
  router.close()
  return bytes
}

/** The story a replay of `data` tells in a fresh engine with the target's options. */
function replays(mechanism: MechanismName, asServer: boolean, data: Uint8Array): boolean {
  const conn = new Connection(connectionOptions(mechanism, asServer))
  conn.takeOutput()
  conn.receiveData(data.slice()) // a copy: the engine decrypts CURVE messages in place
  return conn.takeEvents().some((e) => e.type === "handshake")
}

function save(target: string, name: string, data: Uint8Array): void {
  const dir = join(root, "fuzz", "corpus", target)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), data)
  console.log(`fuzz/corpus/${target}/${name}: ${data.length} octets`)
}

await cryptoReady()
// libzmq's PLAIN and CURVE servers ask ZAP: answer them with the server target's own hook.
const zap = await serveZeromqZap(zmq, authenticate)
for (const mechanism of MECHANISMS) {
  const m = mechanism.toLowerCase()
  const fromClient = await recordClientStream(mechanism)
  if (!replays(mechanism, true, fromClient)) throw new Error(`the libzmq ${mechanism} client recording does not replay to a handshake`)
  save(`${m}-server`, "libzmq-dealer", fromClient)
  save("greeting", `libzmq-${m}-dealer`, fromClient.subarray(0, GREETING_SIZE))
  save("frame-decoder", `libzmq-${m}-dealer`, fromClient.subarray(GREETING_SIZE))
  const fromServer = await recordServerStream(mechanism)
  if (!replays(mechanism, false, fromServer)) throw new Error(`the libzmq ${mechanism} server recording does not replay to a handshake`)
  save(`${m}-client`, "libzmq-router", fromServer)
  save("greeting", `libzmq-${m}-router`, fromServer.subarray(0, GREETING_SIZE))
  save("frame-decoder", `libzmq-${m}-router`, fromServer.subarray(GREETING_SIZE))
}
zap.close()
await zap.done
