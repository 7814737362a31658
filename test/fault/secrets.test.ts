/**
 * Session secrets are gone after close (issue 14 item 5). A CURVE connection over TCP (both
 * ends in this process: our engine over StreamConnection, randomness injected so the test
 * learns every 32-octet random value — the short-term secret keys c' and s' and the cookie key
 * K — and the crypto module's test hook shows every precomputed key — k(C',S), k(C',S') for
 * traffic, k(C,S') for the vouch — by reference). The test keeps them only XOR-masked
 * (memory-scan.ts) and, after both ends closed and a GC, searches the whole process memory
 * (/proc/self/mem: V8 heap, Buffer backing stores, WASM memory, malloc arenas, stacks) and a
 * heap snapshot's strings: none of them may be found. A positive control shows the search
 * finds the traffic key while the connection is open.
 *
 * PLAIN: a PLAIN ROUTER in a child process (./plain-server-child.ts, with glibc's
 * MALLOC_PERTURB_ so freed malloc blocks are overwritten) and a libzmq client in another one
 * (./plain-child.ts: the client needs its password to reconnect, so it must not be in the
 * process searched) log in; after the handshake the server process holds the password nowhere.
 */
import { describe, it, after } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import { spawn } from "node:child_process"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { StreamConnection } from "../../src/transport/stream-connection.js"
import type { ConnectionEvent, ConnectionOptions } from "../../src/engine/connection.js"
import { observePrecomputedKeys, randomBytes as cryptoRandomBytes } from "../../src/crypto/nacl.js"
import { curveKeyPair } from "../../src/crypto/keys.js"
import { z85Decode } from "../../src/wire/z85.js"
import { MaskedSecret, scanHeapSnapshot, scanProcessMemory } from "./memory-scan.js"
import { until } from "../socket/helpers.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

async function settle(): Promise<void> {
  // Let closed sockets and timers finish, then collect (twice: weak callbacks free backing stores).
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 20))
    gc()
  }
}

interface Ends {
  server: StreamConnection
  client: StreamConnection
  serverEvents: ConnectionEvent[]
  clientEvents: ConnectionEvent[]
  listener: net.Server
}

async function curveConnection(secrets: MaskedSecret[]): Promise<Ends> {
  const serverKeys = curveKeyPair()
  const clientKeys = curveKeyPair()
  let n = 0
  const capturing =
    (who: string) =>
    (len: number): Uint8Array => {
      const b = cryptoRandomBytes(len)
      if (len === 32) secrets.push(new MaskedSecret(`${who} random #${++n} (short-term secret key or cookie key)`, b))
      return b
    }
  const serverEvents: ConnectionEvent[] = []
  const clientEvents: ConnectionEvent[] = []
  const listener = net.createServer()
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()))
  const port = (listener.address() as net.AddressInfo).port
  const serverReady = new Promise<StreamConnection>((resolve) => {
    listener.once("connection", (socket) => {
      const options: ConnectionOptions = {
        socketType: "DEALER",
        security: {
          mechanism: "CURVE",
          asServer: true,
          curveSecretKey: z85Decode(serverKeys.secretKey),
          curvePublicKey: z85Decode(serverKeys.publicKey),
        },
        randomBytes: capturing("server"),
      }
      resolve(new StreamConnection(socket, options, { onEvent: (e) => serverEvents.push(e) }))
    })
  })
  const socket = net.connect({ host: "127.0.0.1", port })
  await new Promise<void>((r) => socket.once("connect", () => r()))
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
      randomBytes: capturing("client"),
    },
    { onEvent: (e) => clientEvents.push(e) },
  )
  const server = await serverReady
  await until(() => serverEvents.some((e) => e.type === "handshake") && clientEvents.some((e) => e.type === "handshake"), "the CURVE handshake")
  return { server, client, serverEvents, clientEvents, listener }
}

function report(found: Map<string, number>, where?: Map<string, string[]>): string {
  return [...found]
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${label}: ${n}× ${where?.get(label)?.join(", ") ?? ""}`)
    .join("; ")
}

describe("session secrets are gone from memory after close", () => {
  after(() => observePrecomputedKeys(undefined))

  it("CURVE: no short-term secret key, cookie key or precomputed key of a closed connection is left anywhere in the process", async () => {
    const secrets: MaskedSecret[] = []
    let k = 0
    observePrecomputedKeys((key) => secrets.push(new MaskedSecret(`precomputed key #${++k}`, key)))
    const ends = await curveConnection(secrets)
    observePrecomputedKeys(undefined)
    // Traffic both ways.
    ends.client.send([Buffer.from("hello from the client")])
    ends.server.send([Buffer.from("hello from the server")])
    await until(() => ends.serverEvents.some((e) => e.type === "message") && ends.clientEvents.some((e) => e.type === "message"), "a message each way")
    // c', s', K, and at least k(C',S) ×2, k(C',S') ×2, k(C,S') ×2.
    assert.ok(secrets.filter((s) => s.label.includes("random")).length >= 3, `random secrets seen: ${secrets.length}`)
    assert.ok(secrets.filter((s) => s.label.includes("precomputed")).length >= 6, `precomputed keys seen: ${secrets.length}`)

    // Positive control: while the connection is open its traffic key is in memory (in each
    // end's message codec), so the search can find key bytes.
    const open = scanProcessMemory(secrets)
    const liveKeys = [...open.found.values()].filter((n) => n > 0).length
    assert.ok(liveKeys >= 1, `the open connection's traffic key is found (scanned ${(open.scannedBytes / 2 ** 20).toFixed(0)} MiB)`)

    ends.client.destroy()
    ends.server.destroy()
    ends.listener.close()
    await settle()
    const closed = scanProcessMemory(secrets)
    assert.equal(report(closed.found, closed.where), "", "secret bytes left in process memory after close")
    const strings = scanHeapSnapshot(secrets)
    assert.equal(report(strings), "", "secrets found as strings in a heap snapshot")
  })

  it("PLAIN: after the handshake the server process holds the client's password nowhere", async () => {
    const child = spawn(process.execPath, ["--import", new URL("../helpers/crypto-ready.js", import.meta.url).pathname, new URL("./plain-server-child.js", import.meta.url).pathname], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, MALLOC_PERTURB_: "165", GLIBC_TUNABLES: "glibc.malloc.perturb=165" },
    })
    let out = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (d: string) => (out += d))
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
    assert.equal(code, 0, out)
    const result = JSON.parse(out.trim().split("\n").pop() as string) as { memory: number; where: string[]; strings: number; scannedBytes: number }
    assert.ok(result.scannedBytes > 10 * 2 ** 20, `scanned ${result.scannedBytes} octets`)
    assert.equal(result.memory, 0, `the password is left in the server process: ${result.where.join(", ")}`)
    assert.equal(result.strings, 0, "the password is in a heap snapshot string")
  })
})
