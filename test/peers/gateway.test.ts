/**
 * The gateway with pyzmq applications (Debian python3-zmq; `npm run test:peers`): for each
 * pattern, a pyzmq application with no security inside, and on the other end a pyzmq
 * CURVE client through a server-side gateway, or a pyzmq application with no security
 * through a pair of gateways (client side ⇄ server side). One Python process holds both
 * applications; the gateways run here.
 *
 * Needs python3 with the zmq module (`apt-get install -y python3-zmq`); without it the test
 * fails saying so. IRONHOUSE_PYTHON names another python3.
 */
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn, spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../cert/helpers.js"
import { type Keys, makeKeys, startGateway, writeConfig } from "../gateway/helpers.js"

const tmp = tempDir("ironhouse-peers-gateway-")
let keys: Keys
before(async () => {
  keys = await makeKeys(tmp.dir)
})
after(() => tmp.cleanup())

const python = [process.env.IRONHOUSE_PYTHON, "/usr/bin/python3", "python3"]
  .filter((c): c is string => Boolean(c))
  .find((p) => spawnSync(p, ["-c", "import zmq"], { stdio: "ignore" }).status === 0)

const SCRIPT = String.raw`
import json, os, sys, zmq
pattern, mode = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
kinds = {"req-rep": (zmq.REP, zmq.REQ), "pub-sub": (zmq.PUB, zmq.SUB), "push-pull": (zmq.PULL, zmq.PUSH)}
app, client = (ctx.socket(k) for k in kinds[pattern])
for s in (app, client):
    s.linger = 0
    s.rcvtimeo = 30000
port = app.bind_to_random_port("tcp://127.0.0.1")
print(json.dumps({"port": port}), flush=True)
endpoint = sys.stdin.readline().strip()
if mode == "curve":
    client.curve_serverkey = os.environ["SERVER_KEY"].encode()
    client.curve_publickey = os.environ["CLIENT_PUBLIC"].encode()
    client.curve_secretkey = os.environ["CLIENT_SECRET"].encode()
client.connect(endpoint)
text = lambda frames: [f.decode() for f in frames]
if pattern == "req-rep":
    client.send_multipart([b"hello", b"from python"])
    got = app.recv_multipart()
    app.send_multipart([b"re"] + got)
    result = {"app": text(got), "client": text(client.recv_multipart())}
elif pattern == "pub-sub":
    client.setsockopt(zmq.SUBSCRIBE, b"t")
    got = None
    for _ in range(600):
        app.send_multipart([b"x", b"nobody"])
        app.send_multipart([b"t", b"yes"])
        if client.poll(50):
            got = client.recv_multipart()
            break
    result = {"client": text(got) if got else None}
else:
    client.send_multipart([b"job", b"1"])
    client.send_multipart([b"job", b"2"])
    result = {"app": text(app.recv_multipart()) + text(app.recv_multipart())}
print(json.dumps(result), flush=True)
`

const scriptPath = join(tmp.dir, "apps.py")
writeFileSync(scriptPath, SCRIPT)

/** Run the Python apps; `connectTo(appEndpoint)` starts the gateway(s) and returns where the Python client connects. */
async function pythonApps(pattern: string, mode: "curve" | "plain", connectTo: (appEndpoint: string) => Promise<string>): Promise<Record<string, string[] | null>> {
  if (python === undefined) assert.fail("python3 with the zmq module is required (apt-get install -y python3-zmq)")
  const child = spawn(python, [scriptPath, pattern, mode], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, SERVER_KEY: keys.server.publicKey, CLIENT_PUBLIC: keys.client.publicKey, CLIENT_SECRET: keys.client.secretKey as string },
  })
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const lines: string[] = []
  let waiting: (() => void) | undefined
  let partial = ""
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    partial += d
    const parts = partial.split("\n")
    partial = parts.pop() ?? ""
    lines.push(...parts.filter((p) => p.trim() !== ""))
    waiting?.()
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
  const line = async (n: number): Promise<string> => {
    while (lines.length <= n) {
      const more = new Promise<void>((resolve) => (waiting = resolve))
      const code = await Promise.race([more.then(() => undefined), exited])
      if (code !== undefined && lines.length <= n) assert.fail(`python exited (${code}): ${stderr}`)
    }
    return lines[n] as string
  }
  const { port } = JSON.parse(await line(0)) as { port: number }
  child.stdin.write(`${await connectTo(`tcp://127.0.0.1:${port}`)}\n`)
  const result = JSON.parse(await line(1)) as Record<string, string[] | null>
  assert.equal(await exited, 0, stderr)
  return result
}

type Started = Awaited<ReturnType<typeof startGateway>>
let n = 0
const serverRoute = (pattern: string, inside: string): string =>
  `linger = 0\n[[route]]\nname = "r"\npattern = "${pattern}"\nside = "server"\noutside = "tcp://127.0.0.1:*"\ninside = "${inside}"\n[route.curve]\ncertificate = "server.key_secret"\nclients = "clients"\n`
const clientRoute = (pattern: string, outside: string): string =>
  `linger = 0\n[[route]]\nname = "c"\npattern = "${pattern}"\nside = "client"\noutside = "${outside}"\ninside = "tcp://127.0.0.1:*"\n[route.curve]\ncertificate = "client.key_secret"\nserverCertificate = "server.key"\n`

const EXPECTED: Record<string, Record<string, string[]>> = {
  "req-rep": { app: ["hello", "from python"], client: ["re", "hello", "from python"] },
  "pub-sub": { client: ["t", "yes"] },
  "push-pull": { app: ["job", "1", "job", "2"] },
}

describe("gateway with pyzmq applications", () => {
  for (const pattern of ["req-rep", "pub-sub", "push-pull"]) {
    it(`${pattern}: a pyzmq CURVE client through a server-side gateway to a pyzmq app with no security`, async () => {
      const gateways: Started[] = []
      try {
        const result = await pythonApps(pattern, "curve", async (app) => {
          const server = await startGateway(writeConfig(tmp.dir, `py-${++n}.toml`, serverRoute(pattern, app)))
          gateways.push(server)
          return server.endpoint("r", "outside")
        })
        assert.deepEqual(result, EXPECTED[pattern])
        const handshake = gateways[0]?.audit.lines.find((l) => l.event === "handshake" && l.side === "outside" && l.outcome === "ok")
        assert.equal(handshake?.publicKey, keys.client.publicKey)
      } finally {
        for (const g of gateways) await g.gateway.drain()
      }
    })

    it(`${pattern}: pyzmq apps with no security on both ends of a pair of gateways`, async () => {
      const gateways: Started[] = []
      try {
        const result = await pythonApps(pattern, "plain", async (app) => {
          const server = await startGateway(writeConfig(tmp.dir, `py-${++n}.toml`, serverRoute(pattern, app)))
          gateways.push(server)
          const client = await startGateway(writeConfig(tmp.dir, `py-${++n}.toml`, clientRoute(pattern, server.endpoint("r", "outside"))))
          gateways.push(client)
          return client.endpoint("c", "inside")
        })
        assert.deepEqual(result, EXPECTED[pattern])
      } finally {
        for (const g of gateways.reverse()) await g.gateway.drain()
      }
    })
  }
})
