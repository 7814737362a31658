/**
 * `npm run demo:gateway`: the secure gateway in front of unmodified ZeroMQ applications.
 *
 * For each pattern (req-rep, pub-sub, push-pull) this starts an application with the
 * `zeromq` package (libzmq, no security option set), a server-side gateway and a client-side
 * gateway as real `ironhouse gateway CONFIG` processes with the configs in this folder, and a
 * second unmodified application on the other end. Traffic between the two gateways is CURVE;
 * each application speaks clear ZMTP to its own gateway. Certificates are made in a temporary
 * directory; the configs are copied there (their paths are relative to the config file).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as zmq from "zeromq"
import { Certificate } from "../../src/index.js"

const HERE = fileURLToPath(new URL("../../../examples/gateway/", import.meta.url))
const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url))
const dir = await mkdtemp(join(tmpdir(), "ironhouse-gateway-demo-"))

await mkdir(join(dir, "certs", "clients"), { recursive: true })
const server = Certificate.generate({ name: "gateway-server" })
const client = Certificate.generate({ name: "gateway-client" })
await server.save(join(dir, "certs", "server.key"))
await client.save(join(dir, "certs", "client.key"))
await client.savePublic(join(dir, "certs", "clients", "client.key"))
for (const pattern of ["req-rep", "pub-sub", "push-pull"]) {
  for (const side of ["server", "client"]) await copyFile(join(HERE, `${pattern}-${side}.toml`), join(dir, `${pattern}-${side}.toml`))
}

interface Running {
  child: ChildProcess
  audit: Array<Record<string, unknown>>
  exited: Promise<number | null>
}

/** Start `ironhouse gateway CONFIG`; resolves once every route is up. */
async function gateway(config: string): Promise<Running> {
  const child = spawn(process.execPath, [MAIN, "gateway", config], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] })
  const audit: Array<Record<string, unknown>> = []
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
  await new Promise<void>((resolve, reject) => {
    let partial = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      partial += d
      const lines = partial.split("\n")
      partial = lines.pop() ?? ""
      for (const line of lines) {
        const record = JSON.parse(line) as Record<string, unknown>
        audit.push(record)
        if (record.event === "route") resolve()
      }
    })
    void exited.then((code) => reject(new Error(`${config}: exited with ${code}`)))
  })
  return { child, audit, exited }
}

async function stop(...gateways: Running[]): Promise<void> {
  for (const g of gateways) g.child.kill("SIGTERM")
  for (const g of gateways) await g.exited
}

function show(label: string, g: Running): void {
  for (const line of g.audit) {
    if (line.event === "handshake" && line.side === "outside") {
      console.log(`    ${label} audit: handshake ${String(line.outcome)} from ${String(line.address)} key ${String(line.publicKey)}`)
    }
  }
}

try {
  console.log("req-rep: plain REQ app -> client-side gateway ==CURVE==> server-side gateway -> plain REP app")
  {
    const rep = new zmq.Reply()
    await rep.bind("tcp://127.0.0.1:15100")
    const s = await gateway("req-rep-server.toml")
    const c = await gateway("req-rep-client.toml")
    const req = new zmq.Request()
    req.connect("tcp://127.0.0.1:15102")
    await req.send("What is the price of tea?")
    const [question] = await rep.receive()
    console.log(`    REP app got:  ${String(question)}`)
    await rep.send("Two pence.")
    const [answer] = await req.receive()
    console.log(`    REQ app got:  ${String(answer)}`)
    show("server gateway", s)
    req.close()
    await stop(c, s)
    rep.close()
  }

  console.log("pub-sub: plain PUB app -> server-side gateway ==CURVE==> client-side gateway -> plain SUB app")
  {
    const pub = new zmq.Publisher()
    await pub.bind("tcp://127.0.0.1:15200")
    const s = await gateway("pub-sub-server.toml")
    const c = await gateway("pub-sub-client.toml")
    const sub = new zmq.Subscriber()
    sub.connect("tcp://127.0.0.1:15202")
    sub.subscribe("tea")
    const received = sub.receive()
    let done = false
    void received.then(() => (done = true))
    while (!done) {
      await pub.send(["coffee", "1.10"]) // nobody subscribed: filtered upstream
      await pub.send(["tea", "0.02"])
      await new Promise((r) => setTimeout(r, 50))
    }
    console.log(`    SUB app got:  ${(await received).map(String).join(" ")}`)
    sub.close()
    await stop(c, s)
    pub.close()
  }

  console.log("push-pull: plain PUSH app -> client-side gateway ==CURVE==> server-side gateway -> plain PULL app (identity = json)")
  {
    const pull = new zmq.Pull()
    await pull.bind("tcp://127.0.0.1:15300")
    const s = await gateway("push-pull-server.toml")
    const c = await gateway("push-pull-client.toml")
    const push = new zmq.Push()
    push.connect("tcp://127.0.0.1:15302")
    await push.send("log line 1")
    const [identity, line] = await pull.receive()
    console.log(`    PULL app got: ${String(line)}  (identity frame: ${String(identity)})`)
    push.close()
    await stop(c, s)
    pull.close()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
