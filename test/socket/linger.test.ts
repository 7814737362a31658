/**
 * Linger up to the last octet written (issue 7, defect 4): close() waits not only for messages
 * queued in pipes but for every octet already handed to a connection, until the operating
 * system has taken it (libzmq's linger ends at the same point); whenClosed resolves only then,
 * and Node stays up meanwhile. The peers here read through our engine on a plain node:net
 * socket, so the test controls exactly when they read.
 *
 * And process exit (issue 15, item 9): a process whose sockets are not closed exits once
 * linger has expired, with `zeromq`'s warning when that takes over 500 ms, like `zeromq`
 * (checked against the `zeromq` package too).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Pull, Push } from "../../src/index.js"
import { LINGER_WARNING } from "../../src/socket/context.js"
import { connectEngine, listenEngine, type EngineProbe } from "../helpers/net-engine.js"
import type { ConnectionOptions } from "../../src/engine/connection.js"
import { bigPayload, delay } from "./helpers.js"

const INDEX = fileURLToPath(new URL("../../src/index.js", import.meta.url))
const SIZE = 20 * 1024 * 1024
const PULL_PEER: ConnectionOptions = { socketType: "PULL", security: { mechanism: "NULL", asServer: false } }

function portOf(endpoint: string | null): number {
  return Number((endpoint ?? "").split(":").pop())
}

/** Read slowly: after each chunk, stop reading for `pauseMs`. */
function readSlowly(probe: EngineProbe, pauseMs: number): void {
  const socket = probe.conn?.socket
  if (socket === undefined) throw new Error("no connection")
  socket.on("data", () => {
    socket.pause()
    setTimeout(() => socket.resume(), pauseMs)
  })
  socket.resume()
}

/** The one message a probe received, checked against the payload. */
async function receivedIntact(probe: EngineProbe, payload: Buffer): Promise<void> {
  const event = await probe.next("message", 120_000)
  assert.equal(event.frames.length, 1)
  const got = Buffer.from(event.frames[0] as Uint8Array)
  assert.equal(got.length, payload.length, "every octet arrived")
  assert.ok(got.equals(payload), "in order and unchanged")
}

/** Bind `push` and connect a reader; resolves once both sides completed the handshake. */
async function connectReader(push: Push): Promise<EngineProbe> {
  await push.bind("tcp://127.0.0.1:*")
  const handshake = new Promise<void>((resolve) => push.events.on("handshake", () => resolve()))
  const reader = await connectEngine(portOf(push.lastEndpoint), PULL_PEER)
  await reader.next("handshake")
  await handshake
  return reader
}

async function reservedPort(): Promise<number> {
  const p = new Pull({ linger: 0 })
  await p.bind("tcp://127.0.0.1:*")
  const port = portOf(p.lastEndpoint)
  p.close()
  await p.whenClosed
  return port
}

describe("linger covers what the transport holds", () => {
  it("linger -1: a 20 MiB message sent just before close() reaches a slow reader, and whenClosed waits for it", async () => {
    const push = new Push() // linger -1 (the default)
    let reader: EngineProbe | undefined
    try {
      reader = await connectReader(push)
      reader.conn?.socket.pause() // the reader stops reading: the octets pile up in the transport
      const readBefore = reader.conn?.socket.bytesRead ?? 0
      const payload = bigPayload(SIZE)
      await push.send(payload)
      push.close()
      let closedAt: number | undefined
      void push.whenClosed.then(() => (closedAt = reader?.conn?.socket.bytesRead ?? -1))
      await delay(500)
      assert.equal(closedAt, undefined, "whenClosed waits while the peer does not read")
      readSlowly(reader, 5)
      await receivedIntact(reader, payload)
      await push.whenClosed
      // What the OS buffers between the two sockets is a few MiB at most: whenClosed came only
      // once most of the message had been read.
      const readWhenClosed = (closedAt ?? 0) - readBefore
      assert.ok(readWhenClosed >= SIZE / 4, `whenClosed waited until the peer had read most of it (${readWhenClosed} octets)`)
    } finally {
      reader?.close()
      push.close()
    }
  })

  it("linger N: close() gives up after N ms (whenClosed waits that long, then the connection drops)", async () => {
    const linger = 300
    const push = new Push({ linger })
    let reader: EngineProbe | undefined
    try {
      reader = await connectReader(push)
      reader.conn?.socket.pause() // never reads
      await push.send(bigPayload(SIZE))
      const started = performance.now()
      push.close()
      await push.whenClosed
      const elapsed = performance.now() - started
      assert.ok(elapsed >= linger - 5, `whenClosed waited for linger (resolved after ${elapsed.toFixed(0)} ms)`)
      // Generous bound for a loaded machine: linger is an upper limit, not a hint.
      assert.ok(elapsed < linger + 10_000, `whenClosed resolved once linger expired (after ${elapsed.toFixed(0)} ms)`)
      reader.conn?.socket.resume()
      await reader.untilClosed(10_000)
      assert.equal(reader.events.filter((e) => e.type === "message").length, 0, "the message was cut off")
    } finally {
      reader?.close()
      push.close()
    }
  })

  it("linger N: a slow reader that finishes within N gets everything; whenClosed resolves before N", async () => {
    const linger = 60_000
    const push = new Push({ linger })
    let reader: EngineProbe | undefined
    try {
      reader = await connectReader(push)
      reader.conn?.socket.pause()
      const payload = bigPayload(SIZE)
      await push.send(payload)
      const started = performance.now()
      push.close()
      readSlowly(reader, 2)
      await receivedIntact(reader, payload)
      await push.whenClosed
      assert.ok(performance.now() - started < linger, "done before linger expired")
    } finally {
      reader?.close()
      push.close()
    }
  })
})

function childCode(body: string): string[] {
  return ["--input-type=module", "-e", `import * as ih from ${JSON.stringify(INDEX)}\nimport * as zmq from "zeromq"\n${body}`]
}

describe("process exit and linger", () => {
  it("`await send(); close()` and a natural exit: the slow peer still receives all 20 MiB", async () => {
    const server = await listenEngine({ ...PULL_PEER, socketType: "PULL" })
    try {
      const payload = bigPayload(SIZE)
      const code = `
        const push = new ih.Push()
        push.connect("tcp://127.0.0.1:${server.port}")
        const b = Buffer.allocUnsafe(${SIZE})
        for (let i = 0; i < ${SIZE}; i += 4) b.writeUInt32LE(i >>> 2, Math.min(i, ${SIZE} - 4))
        await push.send(b)
        push.close()`
      const child = spawn(process.execPath, childCode(code), { stdio: ["ignore", "inherit", "inherit"] })
      const exited = new Promise<number | null>((resolve) => child.once("exit", (status) => resolve(status)))
      const reader = await server.accepted
      await reader.next("handshake", 30_000)
      readSlowly(reader, 5)
      await receivedIntact(reader, payload)
      assert.equal(await exited, 0, "the child exited by itself once everything was out")
    } finally {
      await server.close()
    }
  })

  /** A child that queues a message for a peer that is not there and never closes its socket. */
  function unclosed(impl: "ih" | "zmq", linger: number, port: number, timeout: number): ReturnType<typeof spawnSync> {
    const body = `
      const push = new ${impl}.Push({ linger: ${linger} })
      push.connect("tcp://127.0.0.1:${port}")
      await push.send("never delivered")
      console.log("sent")`
    return spawnSync(process.execPath, childCode(body), { timeout, encoding: "utf8" })
  }

  for (const impl of ["ih", "zmq"] as const) {
    const name = impl === "ih" ? "Ironhouse" : "zeromq"
    it(`${name}: an unclosed socket with linger 50 lets the process exit, without a warning`, async () => {
      const r = unclosed(impl, 50, await reservedPort(), 20_000)
      assert.equal(r.signal, null, `exited by itself (stderr: ${String(r.stderr)})`)
      assert.equal(r.status, 0)
      assert.match(String(r.stdout), /sent/)
      assert.doesNotMatch(String(r.stderr), /Waiting for queued ZeroMQ messages/)
    })

    it(`${name}: an unclosed socket with linger 1500 exits after it, with zeromq's warning`, async () => {
      const started = performance.now()
      const r = unclosed(impl, 1500, await reservedPort(), 30_000)
      assert.equal(r.signal, null, `exited by itself (stderr: ${String(r.stderr)})`)
      assert.equal(r.status, 0)
      assert.ok(performance.now() - started >= 1500, "it lingered first")
      assert.ok(String(r.stderr).includes(LINGER_WARNING), `the warning (stderr: ${String(r.stderr)})`)
    })

    it(`${name}: an unclosed socket with linger -1 keeps waiting for its peer, with the warning`, async () => {
      const port = await reservedPort()
      const body = `
        const push = new ${impl}.Push()
        push.connect("tcp://127.0.0.1:${port}")
        await push.send("never delivered")`
      const child = spawn(process.execPath, childCode(body), { stdio: ["ignore", "ignore", "pipe"] })
      let stderr = ""
      let exited = false
      child.once("exit", () => (exited = true))
      try {
        // Wait for the warning (an event, not a fixed sleep), then check the child still runs.
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no warning within 30 s (stderr: ${stderr})`)), 30_000)
          child.stderr.on("data", (chunk: Buffer) => {
            stderr += chunk.toString()
            if (stderr.includes(LINGER_WARNING)) {
              clearTimeout(timer)
              resolve()
            }
          })
          child.once("exit", () => {
            clearTimeout(timer)
            reject(new Error(`exited although its message was never delivered (stderr: ${stderr})`))
          })
        })
        await delay(200)
        assert.equal(exited, false, "still waiting for its peer after the warning")
      } finally {
        child.kill("SIGKILL")
      }
    })
  }
})
