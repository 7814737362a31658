/**
 * close(), linger and process lifetime, like `zeromq`: queued messages are delivered after
 * close() for up to `linger` ms (-1: until delivered, 0: discarded); an idle socket does not
 * keep Node running, a waiting receive() does.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn, spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Pull, Push, SocketError } from "../../src/index.js"

const INDEX = fileURLToPath(new URL("../../src/index.js", import.meta.url))

async function reservedPort(): Promise<number> {
  const p = new Pull({ linger: 0 })
  await p.bind("tcp://127.0.0.1:*")
  const port = Number((p.lastEndpoint as string).split(":").pop())
  p.close()
  await p.whenClosed
  return port
}

/** Receive everything that arrives within `ms` of quiet. */
async function drain(pull: Pull, ms: number): Promise<string[]> {
  pull.receiveTimeout = ms
  const out: string[] = []
  for (;;) {
    try {
      out.push(String((await pull.receive())[0]))
    } catch (err) {
      if (err instanceof SocketError && err.code === "EAGAIN") return out
      throw err
    }
  }
}

function runChild(code: string, timeout: number): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ["--input-type=module", "-e", `import * as ih from ${JSON.stringify(INDEX)}\n${code}`], {
    timeout,
    encoding: "utf8",
  })
}

describe("close() and linger", () => {
  it("linger -1 (the default): messages queued before close() reach a peer that comes later", async () => {
    const port = await reservedPort()
    const push = new Push({ reconnectInterval: 20 })
    push.connect(`tcp://127.0.0.1:${port}`)
    await push.send("a")
    await push.send("b")
    push.close()
    assert.equal(push.closed, true)
    const pull = new Pull({ linger: 0 })
    try {
      await pull.bind(`tcp://127.0.0.1:${port}`)
      assert.deepEqual([String((await pull.receive())[0]), String((await pull.receive())[0])], ["a", "b"])
      await push.whenClosed
    } finally {
      pull.close()
    }
  })

  it("linger 0: close() discards what is queued", async () => {
    const port = await reservedPort()
    const push = new Push({ linger: 0, reconnectInterval: 20 })
    push.connect(`tcp://127.0.0.1:${port}`)
    await push.send("lost")
    push.close()
    await push.whenClosed
    const pull = new Pull({ linger: 0 })
    try {
      await pull.bind(`tcp://127.0.0.1:${port}`)
      assert.deepEqual(await drain(pull, 200), [])
    } finally {
      pull.close()
    }
  })

  it("a positive linger gives up after that long: whenClosed resolves, nothing is sent later", async () => {
    const port = await reservedPort()
    const push = new Push({ linger: 50, reconnectInterval: 20 })
    push.connect(`tcp://127.0.0.1:${port}`)
    await push.send("too late")
    push.close()
    await push.whenClosed
    const pull = new Pull({ linger: 0 })
    try {
      await pull.bind(`tcp://127.0.0.1:${port}`)
      assert.deepEqual(await drain(pull, 200), [])
    } finally {
      pull.close()
    }
  })
})

describe("process lifetime", () => {
  it("a bound socket with nothing to do does not keep Node running", () => {
    const r = runChild(`const p = new ih.Pull(); await p.bind("tcp://127.0.0.1:*"); console.log("bound")`, 10_000)
    assert.equal(r.signal, null, `the child exited by itself (stderr: ${r.stderr})`)
    assert.equal(r.status, 0)
    assert.match(String(r.stdout), /bound/)
  })

  it("a waiting receive() keeps Node running", async () => {
    // Timed from the child's "waiting" line, not from spawn: on a loaded machine the child can
    // take longer than any fixed budget just to start. A process with nothing to keep it alive
    // exits within milliseconds of its last line; this one must still be there a second later.
    const child = spawn(process.execPath, ["--input-type=module", "-e", `import * as ih from ${JSON.stringify(INDEX)}
const p = new ih.Pull(); await p.bind("tcp://127.0.0.1:*"); console.log("waiting"); await p.receive()`])
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    let stdout = ""
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString()
        if (stdout.includes("waiting")) resolve()
      })
      child.once("exit", (code) => reject(new Error(`the child exited (${code}) before waiting: ${stdout}`)))
    })
    const outcome = await Promise.race([exited.then(() => "exited"), new Promise((r) => setTimeout(() => r("running"), 1000))])
    child.kill("SIGTERM")
    await exited
    assert.equal(outcome, "running", "still running a second after receive() started waiting")
  })

  it("a message sent just before the script ends is still delivered", async () => {
    // The child connects to a PULL in this process, sends, and ends without close():
    // like zeromq (linger -1), Node must not exit before the message is out.
    const pull = new Pull({ linger: 0 })
    try {
      await pull.bind("tcp://127.0.0.1:*")
      const code = `import * as ih from ${JSON.stringify(INDEX)}
        const push = new ih.Push()
        push.connect(${JSON.stringify(pull.lastEndpoint)})
        await push.send("last words")`
      const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: "inherit" })
      const exited = new Promise<number | null>((resolve) => child.once("exit", (status) => resolve(status)))
      assert.deepEqual((await pull.receive()).map(String), ["last words"])
      assert.equal(await exited, 0, "the child exited by itself once the message was out")
    } finally {
      pull.close()
    }
  })
})
