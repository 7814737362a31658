/**
 * `ironhouse gateway` as a process (node build/src/cli/main.js gateway ...): start, --check,
 * bad configs (every problem reported, one line each), SIGHUP with a client certificate added
 * and one removed (takes effect; the established session of a still-allowed client stays),
 * SIGTERM drain with a reply in flight (delivered, exit 0), metrics scraped over HTTP, and no
 * secret in the audit log.
 */
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { type ChildProcess, spawn } from "node:child_process"
import { copyFileSync, mkdirSync, rmSync } from "node:fs"
import { request } from "node:http"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as zmq from "zeromq"
import { Certificate } from "../../src/cert/certificate.js"
import { REPO_ROOT, tempDir } from "../cert/helpers.js"
import { bindLocal, type Keys, makeKeys, receive, writeConfig, writeSecret } from "./helpers.js"

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url))
const tmp = tempDir("ironhouse-gateway-cli-")
let keys: Keys
before(async () => {
  keys = await makeKeys(tmp.dir)
})
after(() => tmp.cleanup())

type Line = Record<string, unknown> & { event: string }

class GatewayProcess {
  readonly child: ChildProcess
  readonly lines: Line[] = []
  stdout = ""
  stderr = ""
  readonly exited: Promise<number | null>
  #waiters: Array<{ match: (l: Line) => boolean; resolve: (l: Line) => void }> = []

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [MAIN, "gateway", ...args], { cwd: tmp.dir, stdio: ["ignore", "pipe", "pipe"] })
    let partial = ""
    this.child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d
      partial += d
      const parts = partial.split("\n")
      partial = parts.pop() ?? ""
      for (const text of parts) {
        if (!text.startsWith("{")) continue // --check prints plain lines
        const line = JSON.parse(text) as Line
        this.lines.push(line)
        this.#waiters = this.#waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true))
      }
    })
    this.child.stderr?.setEncoding("utf8").on("data", (d: string) => (this.stderr += d))
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)))
  }

  next(match: (l: Line) => boolean): Promise<Line> {
    const found = this.lines.find(match)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      this.#waiters.push({ match, resolve })
      void this.exited.then((code) => reject(new Error(`gateway exited (${code}) before the line; stderr: ${this.stderr}`)))
    })
  }

  endpoint(route: string, side: string): Promise<string> {
    return this.next((l) => l.event === "bind" && l.route === route && l.side === side).then((l) => l.address as string)
  }
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new GatewayProcess(args)
  return p.exited.then((code) => ({ code, stdout: p.stdout, stderr: p.stderr }))
}

function reqRepConfig(appEndpoint: string, extra = "", clients = "clients"): string {
  return `
linger = 3000
rescanInterval = 3600000
${extra}
[[route]]
name = "rr"
pattern = "req-rep"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "${appEndpoint}"

[route.curve]
certificate = "server.key_secret"
clients = "${clients}"
`
}

function scrape(address: string): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))]
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: "/metrics", method: "GET" }, (res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (d: string) => (body += d))
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))))
    })
    req.on("error", reject)
    req.end()
  })
}

describe("ironhouse gateway --check", () => {
  it("every example config in examples/gateway/ passes --check (with certificates made for it)", async () => {
    const dir = join(tmp.dir, "examples")
    mkdirSync(join(dir, "certs", "clients"), { recursive: true })
    await keys.server.save(join(dir, "certs", "server.key"))
    await keys.client.save(join(dir, "certs", "client.key"))
    await keys.client.savePublic(join(dir, "certs", "clients", "client.key"))
    for (const pattern of ["req-rep", "pub-sub", "push-pull"]) {
      for (const side of ["server", "client"]) {
        const file = join(dir, `${pattern}-${side}.toml`)
        copyFileSync(join(REPO_ROOT, "examples", "gateway", `${pattern}-${side}.toml`), file)
        const r = await run([file, "--check"])
        assert.equal(r.code, 0, `${file}: ${r.stderr}`)
        assert.match(r.stdout, new RegExp(`: ${pattern} ${side} side`))
      }
    }
  })

  it("usage: --help lists the gateway command; no CONFIG or an unknown option is a usage error (exit 2)", async () => {
    const help = await run(["--help"])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /ironhouse gateway CONFIG \[--check\]/)
    const none = await run([])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /gateway: expected one CONFIG file, got 0/)
    const unknown = await run(["x.toml", "--chek"])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /--chek/)
  })

  it("a good config: one line per route, OK, exit 0", async () => {
    const file = writeConfig(tmp.dir, "good.toml", reqRepConfig("tcp://127.0.0.1:5999"))
    const r = await run([file, "--check"])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^rr: req-rep server side, flow in: outside ROUTER bind tcp:\/\/127\.0\.0\.1:\* \(CURVE\), inside DEALER connect tcp:\/\/127\.0\.0\.1:5999 \(NULL\)$/m)
    assert.match(r.stdout, /OK \(1 route\)/)
  })

  it("a bad config: every problem on its own line with file, line, field and what was expected; exit 1", async () => {
    const file = writeConfig(
      tmp.dir,
      "bad.toml",
      `linger = "long"
[[route]]
name = "a"
pattern = "req-req"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "tcp://127.0.0.1:5000"
colour = "blue"
[route.curve]
certificate = "server.key_secret"
clients = "clients"

[[route]]
name = "b"
pattern = "push-pull"
side = "server"
outside = "tcp://127.0.0.1:*"
[route.curve]
certificate = "server.key_secret"
`,
    )
    const r = await run([file])
    assert.equal(r.code, 1)
    const lines = r.stderr.trim().split("\n")
    assert.ok(lines.includes(`${file}:1: linger: expected number, got a string`), r.stderr)
    assert.ok(lines.includes(`${file}:4: route[0].pattern: expected one of "req-rep", "pub-sub", "push-pull", got "req-req"`), r.stderr)
    assert.ok(lines.includes(`${file}:8: route[0].colour: unknown field (a typo, or a field of another section?)`), r.stderr)
    assert.ok(lines.includes(`${file}:13: route[1].inside: expected an endpoint string ("tcp://host:port" or "ipc://path") or a table with exactly one of bind or connect`), r.stderr)
    assert.match(r.stderr, /: 4 problems$/m)
  })

  it("cross-field problems and, in the same run, a secret file others can read (of a route that planned cleanly)", async () => {
    const secret = writeSecret(tmp.dir, "loose.key_secret", (await readSecretText()) ?? "", 0o644)
    const file = writeConfig(
      tmp.dir,
      "bad2.toml",
      `[[route]]
name = "a"
pattern = "pub-sub"
side = "client"
outside = "tcp://127.0.0.1:5555"
inside = "tcp://127.0.0.1:*"
identity = "user-id"
[route.curve]
certificate = "client.key_secret"

[[route]]
name = "b"
pattern = "req-rep"
side = "server"
outside = "tcp://127.0.0.1:*"
inside = "tcp://127.0.0.1:5001"
[route.curve]
certificate = "loose.key_secret"
allowAny = true
`,
    )
    const r = await run([file, "--check"])
    assert.equal(r.code, 1)
    assert.match(r.stderr, new RegExp(`^${esc(file)}:7: route\\[0\\]\\.identity: expected identity only on side = "server"`, "m"))
    assert.match(r.stderr, new RegExp(`^${esc(file)}:8: route\\[0\\]\\.curve: expected serverKey \\(Z85\\) or serverCertificate \\(file\\), got neither$`, "m"))
    // Route b planned cleanly, so its files are checked in the same run: its secret file is refused with its mode.
    assert.match(r.stderr, new RegExp(`^${esc(file)}:18: route\\[1\\]\\.curve\\.certificate: ${esc(secret)}: expected mode 0600 \\(a secret file readable by its owner only\\), got 0644; refused`, "m"))
    assert.match(r.stderr, /: 3 problems$/m)
    assert.ok(!r.stderr.includes(keys.server.secretKey as string), "the secret never appears in a problem")
  })
})

async function readSecretText(): Promise<string | undefined> {
  const { readFile } = await import("node:fs/promises")
  return readFile(join(tmp.dir, "server.key_secret"), "utf8")
}

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
}

describe("ironhouse gateway (running)", () => {
  it("starts, forwards, serves metrics over HTTP, and the audit log holds no secret", async () => {
    const app = new zmq.Reply({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const file = writeConfig(tmp.dir, "metrics.toml", reqRepConfig(appEndpoint, 'metrics = "127.0.0.1:0"'))
    const gw = new GatewayProcess([file])
    const client = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    try {
      const metrics = (await gw.next((l) => l.event === "metrics")).address as string
      client.connect(await gw.endpoint("rr", "outside"))
      await client.send("count me")
      assert.equal(String((await receive(app))[0]), "count me")
      await app.send("counted")
      assert.equal(String((await receive(client))[0]), "counted")
      const text = await scrape(metrics)
      assert.match(text, /^ironhouse_gateway_messages_total\{route="rr",direction="in"\} 1$/m)
      assert.match(text, /^ironhouse_gateway_messages_total\{route="rr",direction="out"\} 1$/m)
      assert.match(text, /^ironhouse_gateway_bytes_total\{route="rr",direction="in"\} \d+$/m)
      assert.match(text, /^ironhouse_gateway_handshakes_total\{route="rr",side="outside",outcome="ok",reason="ok"\} 1$/m)
      assert.match(text, /^ironhouse_gateway_connections\{route="rr",side="outside"\} 1$/m)
      assert.match(text, /^ironhouse_gateway_routes 1$/m)
      gw.child.kill("SIGTERM")
      assert.equal(await gw.exited, 0)
      for (const secret of [keys.server.secretKey, keys.client.secretKey] as string[]) assert.ok(!gw.stdout.includes(secret) && !gw.stderr.includes(secret))
      assert.ok(gw.lines.some((l) => l.event === "stop"))
    } finally {
      client.close()
      app.close()
      gw.child.kill("SIGKILL")
    }
  })

  it("SIGHUP: a client certificate added and one removed take effect; the established session of a still-allowed client stays", async () => {
    const dir = join(tmp.dir, "hup-clients")
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir)
    const alice = Certificate.generate({ name: "alice" })
    const bob = Certificate.generate({ name: "bob" })
    const carol = Certificate.generate({ name: "carol" })
    await alice.savePublic(join(dir, "alice.key"))
    await carol.savePublic(join(dir, "carol.key"))
    const app = new zmq.Router({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const answering = (async () => {
      try {
        for (;;) {
          const [id, ...envelope] = await receive(app)
          await app.send([id as Buffer, ...envelope.slice(0, -1), Buffer.from(`re:${String(envelope[envelope.length - 1])}`)])
        }
      } catch {
        // closed
      }
    })()
    const file = writeConfig(tmp.dir, "hup.toml", reqRepConfig(appEndpoint, "", "hup-clients"))
    const gw = new GatewayProcess([file])
    const sockets: zmq.Request[] = []
    const client = (cert: Certificate): zmq.Request => {
      const s = new zmq.Request({ ...keys.clientOptions(cert), linger: 0 })
      sockets.push(s)
      return s
    }
    try {
      const outside = await gw.endpoint("rr", "outside")
      const a = client(alice)
      a.connect(outside)
      await a.send("a1")
      assert.equal(String((await receive(a))[0]), "re:a1")
      // Change the directory, then SIGHUP.
      rmSync(join(dir, "carol.key"))
      await bob.savePublic(join(dir, "bob.key"))
      gw.child.kill("SIGHUP")
      await gw.next((l) => l.event === "reload")
      const b = client(bob)
      b.connect(outside)
      await b.send("b1")
      assert.equal(String((await receive(b))[0]), "re:b1", "the added certificate is allowed")
      const c = client(carol)
      c.connect(outside)
      void c.send("c1").catch(() => undefined)
      const refused = await gw.next((l) => l.event === "decision" && l.allowed === false)
      assert.equal(refused.publicKey, carol.publicKey)
      assert.equal(refused.reason, "certificate not found")
      await a.send("a2")
      assert.equal(String((await receive(a))[0]), "re:a2", "alice's session still works")
      const aliceHandshakes = gw.lines.filter((l) => l.event === "handshake" && l.outcome === "ok" && l.publicKey === alice.publicKey)
      assert.equal(aliceHandshakes.length, 1, "alice's connection was never re-established")
      gw.child.kill("SIGTERM")
      assert.equal(await gw.exited, 0)
    } finally {
      for (const s of sockets) s.close()
      app.close()
      await answering
      gw.child.kill("SIGKILL")
    }
  })

  it("SIGHUP with a bad file changes nothing (reload-failed, still serving); then a route added and one removed while the unchanged one keeps its session", async () => {
    const app = new zmq.Reply({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const pull = new zmq.Pull({ linger: 0 })
    const pullEndpoint = await bindLocal(pull)
    const pushRoute = (name: string, extra = ""): string =>
      `\n[[route]]\nname = "${name}"\npattern = "push-pull"\nside = "server"\noutside = "tcp://127.0.0.1:*"\ninside = "${pullEndpoint}"\n${extra}\n[route.curve]\ncertificate = "server.key_secret"\nallowAny = true\n`
    const file = writeConfig(tmp.dir, "hup2.toml", reqRepConfig(appEndpoint) + pushRoute("old"))
    const gw = new GatewayProcess([file])
    const client = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    const push = new zmq.Push({ ...keys.clientOptions(), linger: 0 })
    try {
      client.connect(await gw.endpoint("rr", "outside"))
      await client.send("before")
      assert.equal(String((await receive(app))[0]), "before")
      await app.send("ok")
      await receive(client)
      writeConfig(tmp.dir, "hup2.toml", reqRepConfig(appEndpoint).replace('pattern = "req-rep"', 'pattern = "req-reply"'))
      gw.child.kill("SIGHUP")
      const failed = await gw.next((l) => l.event === "reload-failed")
      assert.match(String(failed.first), /route\[0\]\.pattern: expected one of/)
      assert.match(gw.stderr, /hup2\.toml:\d+: route\[0\]\.pattern/)
      await client.send("after a bad reload")
      assert.equal(String((await receive(app))[0]), "after a bad reload", "the old config still serves")
      await app.send("ok")
      await receive(client)
      // rr kept (same shape), "old" removed (drained), "new" added.
      writeConfig(tmp.dir, "hup2.toml", reqRepConfig(appEndpoint) + pushRoute("new"))
      gw.child.kill("SIGHUP")
      const reload = await gw.next((l) => l.event === "reload")
      assert.equal(reload.kept, "rr")
      assert.equal(reload.added, "new")
      assert.equal(reload.removed, "old")
      push.connect(await gw.endpoint("new", "outside"))
      await push.send("via the new route")
      assert.equal(String((await receive(pull))[0]), "via the new route")
      await client.send("rr kept its session")
      assert.equal(String((await receive(app))[0]), "rr kept its session")
      await app.send("ok")
      await receive(client)
      const rrHandshakes = gw.lines.filter((l) => l.event === "handshake" && l.route === "rr" && l.side === "outside" && l.outcome === "ok")
      assert.equal(rrHandshakes.length, 1, "rr's client never reconnected")
      gw.child.kill("SIGTERM")
      assert.equal(await gw.exited, 0)
    } finally {
      client.close()
      push.close()
      app.close()
      pull.close()
      gw.child.kill("SIGKILL")
    }
  })

  it("SIGTERM drains: new sessions are refused, the reply in flight is delivered, exit 0", async () => {
    const app = new zmq.Reply({ linger: 0 })
    const appEndpoint = await bindLocal(app)
    const file = writeConfig(tmp.dir, "drain.toml", reqRepConfig(appEndpoint))
    const gw = new GatewayProcess([file])
    const client = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    const late = new zmq.Request({ ...keys.clientOptions(), linger: 0 })
    try {
      const outside = await gw.endpoint("rr", "outside")
      client.connect(outside)
      await client.send("slow question")
      assert.equal(String((await receive(app))[0]), "slow question")
      gw.child.kill("SIGTERM")
      const drain = await gw.next((l) => l.event === "drain")
      assert.equal(drain.inFlight, 1)
      late.connect(outside)
      void late.send("too late").catch(() => undefined)
      const refused = await gw.next((l) => l.event === "decision" && l.side === "outside" && l.reason === "gateway draining")
      assert.equal(refused.status, 300)
      await app.send("late answer")
      assert.equal(String((await receive(client))[0]), "late answer")
      assert.equal(await gw.exited, 0)
      const stop = gw.lines.find((l) => l.event === "stop")
      assert.equal(stop?.unanswered, 0)
    } finally {
      client.close()
      late.close()
      app.close()
      gw.child.kill("SIGKILL")
    }
  })

  it("a config that cannot start (endpoint in use) exits 1 with the reason", async () => {
    const holder = new zmq.Reply({ linger: 0 })
    const taken = await bindLocal(holder)
    try {
      const file = writeConfig(tmp.dir, "taken.toml", reqRepConfig("tcp://127.0.0.1:5998").replace('outside = "tcp://127.0.0.1:*"', `outside = "${taken}"`))
      const r = await run([file])
      assert.equal(r.code, 1)
      assert.match(r.stderr, /could not start: .*(EADDRINUSE|in use)/i)
    } finally {
      holder.close()
    }
  })
})
