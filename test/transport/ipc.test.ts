/**
 * ipc:// endpoints: stale socket files are reclaimed, live ones and non-sockets are not,
 * ipc://* gives a fresh private path, abstract names are refused with a reason, libzmq
 * interoperates over a path, and the socket file goes away with the socket.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import { existsSync } from "node:fs"
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import * as zmq from "zeromq"
import { Pull, Push, SocketError } from "../../src/index.js"

zmq.context.blocky = false

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "ih-ipc-"))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe("ipc://", () => {
  it("reclaims a stale socket file left by a process that died", async () => {
    await withDir(async (dir) => {
      const path = join(dir, "stale.sock")
      // A child process binds the path and is killed: the file stays, nobody listens.
      const child = spawnSync(process.execPath, [
        "-e",
        `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
      ])
      assert.equal(child.signal, "SIGKILL")
      assert.ok(existsSync(path), "the stale file is there")
      const pull = new Pull({ linger: 0 })
      const push = new Push({ linger: 0 })
      try {
        await pull.bind(`ipc://${path}`)
        push.connect(`ipc://${path}`)
        await push.send("through the reclaimed path")
        assert.deepEqual((await pull.receive()).map(String), ["through the reclaimed path"])
      } finally {
        pull.close()
        push.close()
      }
      await pull.whenClosed
      assert.ok(!existsSync(path), "the socket file is removed on close")
    })
  })

  it("refuses (EADDRINUSE) a path some process listens on, and leaves it alone", async () => {
    await withDir(async (dir) => {
      const path = join(dir, "live.sock")
      const server = net.createServer()
      await new Promise<void>((r) => server.listen(path, r))
      const pull = new Pull({ linger: 0 })
      try {
        await assert.rejects(pull.bind(`ipc://${path}`), (err: unknown) => err instanceof SocketError && err.code === "EADDRINUSE")
        const still = net.connect(path)
        await new Promise<void>((resolve, reject) => {
          still.once("connect", resolve)
          still.once("error", reject)
        })
        still.destroy()
      } finally {
        pull.close()
        await new Promise<void>((r) => server.close(() => r()))
      }
    })
  })

  it("refuses (EADDRINUSE) a path that is not a socket, and never deletes it", async () => {
    await withDir(async (dir) => {
      const path = join(dir, "important.txt")
      await writeFile(path, "do not delete")
      const pull = new Pull({ linger: 0 })
      try {
        await assert.rejects(pull.bind(`ipc://${path}`), (err: unknown) => err instanceof SocketError && err.code === "EADDRINUSE")
        assert.equal(await readFile(path, "utf8"), "do not delete")
      } finally {
        pull.close()
      }
    })
  })

  it("ipc://* binds a fresh private path, reported by lastEndpoint and removed on close", async () => {
    const pull = new Pull({ linger: 0 })
    const push = new Push({ linger: 0 })
    await pull.bind("ipc://*")
    const endpoint = pull.lastEndpoint as string
    assert.match(endpoint, /^ipc:\/\/.+ironhouse-.+\/socket$/)
    push.connect(endpoint)
    await push.send("hi")
    assert.deepEqual((await pull.receive()).map(String), ["hi"])
    pull.close()
    push.close()
    await pull.whenClosed
    assert.ok(!existsSync(endpoint.slice("ipc://".length)))
  })

  it("abstract endpoints are refused with a reason (node:net pads them; libzmq could not connect)", async () => {
    const pull = new Pull({ linger: 0 })
    try {
      await assert.rejects(pull.bind("ipc://@name"), (err: unknown) => err instanceof RangeError && /not supported/.test(err.message))
      assert.throws(() => pull.connect("ipc://@name"), RangeError)
    } finally {
      pull.close()
    }
  })

  it("interoperates with libzmq over a path in both directions", async () => {
    await withDir(async (dir) => {
      const ours = new Pull({ linger: 0 })
      const theirs = new zmq.Push({ linger: 0 })
      const theirPull = new zmq.Pull({ linger: 0 })
      const ourPush = new Push({ linger: 0 })
      try {
        await ours.bind(`ipc://${join(dir, "a.sock")}`)
        theirs.connect(ours.lastEndpoint as string)
        await theirs.send("to us")
        assert.deepEqual((await ours.receive()).map(String), ["to us"])
        await theirPull.bind(`ipc://${join(dir, "b.sock")}`)
        ourPush.connect(theirPull.lastEndpoint as string)
        await ourPush.send("to libzmq")
        assert.deepEqual((await theirPull.receive()).map(String), ["to libzmq"])
      } finally {
        ours.close()
        theirs.close()
        theirPull.close()
        ourPush.close()
      }
    })
  })
})
