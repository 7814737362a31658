/**
 * TLS over ZeroMQ against an independent peer (npm run test:peers): Python's `ssl` module with
 * MemoryBIO over pyzmq (Debian python3-zmq), implementing TLSZMQ's framing in
 * test/peers/tls_zmq_peer.py, as server and as client against Ironhouse's lockstep TLS with
 * raw framing; TLS 1.3 and 1.2, with and without mutual TLS.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { Request, Router, TlsClient, TlsServer } from "../../src/index.js"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))
const SCRIPT = `${ROOT}test/peers/tls_zmq_peer.py`
const FIX = `${ROOT}test/fixtures/tls/`

function findPython(): string {
  const candidates = [process.env.IRONHOUSE_PYTHON, "/usr/bin/python3", "python3"].filter((c): c is string => Boolean(c))
  const found = candidates.find((p) => spawnSync(p, ["-c", "import zmq, ssl"], { stdio: "ignore" }).status === 0)
  if (found === undefined) throw new Error("test:peers needs python3 with the zmq module (Debian python3-zmq); set IRONHOUSE_PYTHON")
  return found
}

type Line = Record<string, unknown>

function run(args: string[]): { child: ChildProcessWithoutNullStreams; lines: AsyncIterator<Line>; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(findPython(), [SCRIPT, ...args])
  let err = ""
  child.stderr.on("data", (d: Buffer) => (err += d.toString()))
  const rl = createInterface({ input: child.stdout })
  const iterator = rl[Symbol.asyncIterator]()
  const lines: AsyncIterator<Line> = {
    next: async () => {
      const r = await iterator.next()
      if (r.done === true) return { done: true, value: undefined }
      return { done: false, value: JSON.parse(r.value) as Line }
    },
  }
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { child, lines, stderr: () => err, exit }
}

async function line(it: AsyncIterator<Line>, stderr: () => string): Promise<Line> {
  const r = await it.next()
  if (r.done === true) throw new Error(`the python peer ended early: ${stderr()}`)
  return r.value
}

const versions = [
  ["1.3", "TLSv1.3", "TLS_AES_256_GCM_SHA384"],
  ["1.2", "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"],
] as const

describe("TLS over ZeroMQ with Python ssl (MemoryBIO) over pyzmq, TLSZMQ framing", () => {
  for (const [py, version, cipher] of versions) {
    for (const mutual of [false, true]) {
      const label = `TLS ${py}${mutual ? ", mutual TLS" : ""}`

      it(`Python server, Ironhouse REQ client: ${label}`, async () => {
        const peer = run([
          "server",
          "--cert", `${FIX}server.crt`,
          "--key", `${FIX}server.key`,
          "--max-version", py,
          ...(mutual ? ["--ca", `${FIX}ca.crt`] : []),
        ])
        const { endpoint } = (await line(peer.lines, peer.stderr)) as { endpoint: string }
        const req = new Request({ linger: 0 })
        req.connect(endpoint)
        const client = new TlsClient(req, {
          ca: await import("node:fs").then((fs) => fs.readFileSync(`${FIX}ca.crt`)),
          ...(mutual
            ? {
                cert: await import("node:fs").then((fs) => fs.readFileSync(`${FIX}client.crt`)),
                key: await import("node:fs").then((fs) => fs.readFileSync(`${FIX}client.key`)),
              }
            : {}),
          framing: "raw",
        })
        const p = await client.connect()
        assert.equal(p.protocol, version)
        for (const body of ["hello from node", "second"]) {
          await client.send(body)
          assert.deepEqual((await client.receive()).map(String), [`py:${body}`])
          const seen = await line(peer.lines, peer.stderr)
          assert.equal(seen.received, body)
          assert.equal(seen.version, version)
          assert.equal(typeof seen.cipher, "string")
          if (mutual) assert.deepEqual(seen.client, { commonName: "test-client", organizationName: "Ironhouse" }, "Python saw our client certificate")
          else assert.equal(seen.client, null)
        }
        await client.close() // close_notify: the Python server answers with its own and exits
        assert.equal(await peer.exit, 0, peer.stderr())
        req.close()
      })

      it(`Ironhouse server, Python REQ client: ${label}`, async () => {
        const fs = await import("node:fs")
        const router = new Router({ linger: 0 })
        await router.bind("tcp://127.0.0.1:*")
        const seen: Array<{ body: string; protocol: string; cipher: string; subject: string | null }> = []
        const server = new TlsServer(router, {
          key: fs.readFileSync(`${FIX}server.key`),
          cert: fs.readFileSync(`${FIX}server.crt`),
          ...(mutual ? { ca: fs.readFileSync(`${FIX}ca.crt`), requestCert: true } : {}),
          lockstep: true,
          framing: "raw",
          respond: (m, s) => {
            seen.push({ body: m[0]!.toString(), protocol: s.peer!.protocol, cipher: s.peer!.cipher, subject: s.peer!.subject?.CN ?? null })
            return `node:${m[0]!.toString()}`
          },
        })
        const ends: string[] = []
        server.on("session:end", (e) => ends.push(e.reason))
        const peer = run([
          "client",
          "--endpoint", router.lastEndpoint as string,
          "--ca", `${FIX}ca.crt`,
          "--max-version", py,
          ...(mutual ? ["--cert", `${FIX}client.crt`, "--key", `${FIX}client.key`] : []),
          "--message", "one", "--message", "two", "--message", "three",
        ])
        const hs = await line(peer.lines, peer.stderr)
        assert.equal(hs.handshake, version)
        assert.equal(hs.cipher, cipher)
        for (const body of ["one", "two", "three"]) {
          assert.deepEqual(await line(peer.lines, peer.stderr), { reply: `node:${body}` })
        }
        assert.equal(await peer.exit, 0, peer.stderr())
        assert.deepEqual(seen.map((s) => s.body), ["one", "two", "three"])
        assert.ok(seen.every((s) => s.protocol === version && s.cipher === cipher))
        assert.ok(seen.every((s) => s.subject === (mutual ? "test-client" : null)))
        // Python closed with close_notify: a clean end.
        assert.deepEqual(ends, ["closed"])
        await server.close()
        router.close()
      })
    }
  }
})
