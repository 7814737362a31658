/**
 * Source-address connect (`tcp://SOURCE;DEST`, zmq_tcp(7)) against Strawhouse (RFC 27 address
 * filtering), with Ironhouse and libzmq (the `zeromq` package) on either side: a server that
 * allows only 127.0.0.2 admits a client connecting from 127.0.0.2 and refuses one from
 * 127.0.0.1. And the ZAP request's address on a dual-stack listener: dotted IPv4, seen by a
 * frame-level ZAP handler that is not the Authenticator.
 *
 * Linux routes all of 127.0.0.0/8 to lo, so 127.0.0.2 can be bound without configuration.
 */
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import net from "node:net"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as zmq from "zeromq"
import { Authenticator, type AuthDecision } from "../../src/auth/authenticator.js"
import { serveZeromqZap, type ZeromqZapServer } from "../../src/auth/zeromq-zap.js"
import { Pull, Push, SocketError, zapProtocolClient } from "../../src/index.js"

zmq.context.blocky = false

const DOMAIN = "strawhouse"
const auth = new Authenticator().allow("127.0.0.2")
const decisions: AuthDecision[] = []
const decisionWaiters: Array<{ match: (d: AuthDecision) => boolean; resolve: (d: AuthDecision) => void }> = []
auth.on("decision", (d) => {
  decisions.push(d)
  for (const w of [...decisionWaiters]) {
    if (w.match(d)) {
      decisionWaiters.splice(decisionWaiters.indexOf(w), 1)
      w.resolve(d)
    }
  }
})

/** The first decision (already made or to come) that `match`es. */
function decision(match: (d: AuthDecision) => boolean): Promise<AuthDecision> {
  const seen = decisions.find(match)
  if (seen !== undefined) return Promise.resolve(seen)
  return new Promise((resolve) => decisionWaiters.push({ match, resolve }))
}

let zap: ZeromqZapServer
before(async () => {
  zap = await serveZeromqZap(zmq, auth.authenticate)
})
after(() => {
  zap.close()
  auth.close()
})

const ipv6Available = await new Promise<boolean>((resolve) => {
  const s = net.createServer()
  s.once("error", () => resolve(false))
  s.listen(0, "::1", () => s.close(() => resolve(true)))
})

interface Server {
  endpoint: string
  receive(): Promise<string>
  close(): void
}
interface Client {
  send(text: string): Promise<void>
  close(): void
}

async function ironhouseServer(bind = "tcp://127.0.0.1:*", ipv6 = false): Promise<Server> {
  const pull = new Pull({ linger: 0, ipv6, zapDomain: DOMAIN, authenticate: auth.authenticate })
  await pull.bind(bind)
  return { endpoint: pull.lastEndpoint as string, receive: async () => String((await pull.receive())[0]), close: () => pull.close() }
}

async function zeromqServer(bind = "tcp://127.0.0.1:*", ipv6 = false): Promise<Server> {
  const pull = new zmq.Pull({ linger: 0, ipv6, zapDomain: DOMAIN })
  await pull.bind(bind)
  return { endpoint: pull.lastEndpoint as string, receive: async () => String((await pull.receive())[0]), close: () => pull.close() }
}

function ironhouseClient(endpoint: string): Client {
  const push = new Push({ linger: 0 })
  push.connect(endpoint)
  return { send: (t) => push.send(t), close: () => push.close() }
}

function zeromqClient(endpoint: string): Client {
  const push = new zmq.Push({ linger: 0 })
  push.connect(endpoint)
  return { send: (t) => push.send(t), close: () => push.close() }
}

function portOf(endpoint: string): string {
  return endpoint.split(":").pop() as string
}

const servers = { ironhouse: ironhouseServer, zeromq: zeromqServer }
const clients = { ironhouse: ironhouseClient, zeromq: zeromqClient }

describe("Strawhouse (allow 127.0.0.2) with source-address clients", () => {
  for (const [serverName, makeServer] of Object.entries(servers)) {
    for (const [clientName, makeClient] of Object.entries(clients)) {
      it(`${serverName} server, ${clientName} clients: from 127.0.0.2 admitted, from 127.0.0.1 refused`, async () => {
        const server = await makeServer()
        const port = portOf(server.endpoint)
        const admitted = makeClient(`tcp://127.0.0.2:0;127.0.0.1:${port}`)
        const refused = makeClient(`tcp://127.0.0.1:0;127.0.0.1:${port}`)
        const started = decisions.length
        try {
          await admitted.send("from 127.0.0.2")
          assert.equal(await server.receive(), "from 127.0.0.2")
          void refused.send("from 127.0.0.1").catch(() => undefined)
          const no = await decision((d) => decisions.indexOf(d) >= started && d.address === "127.0.0.1")
          assert.equal(no.allowed, false)
          assert.equal(no.domain, DOMAIN)
          const yes = decisions.slice(started).find((d) => d.address === "127.0.0.2")
          assert.equal(yes?.allowed, true)
          // After the refusal, the next message the server gets is the admitted client's: the
          // refused client's message never arrives.
          await admitted.send("after the refusal")
          assert.equal(await server.receive(), "after the refusal")
        } finally {
          admitted.close()
          refused.close()
          server.close()
        }
      })
    }
  }
})

describe("ZAP address on a dual-stack listener", () => {
  for (const bind of ["tcp://*:*", "tcp://[::]:*"]) {
    it(`${bind} with ipv6: a frame-level ZAP handler sees 127.0.0.1 (Ironhouse and libzmq clients) and ::1`, async () => {
      const addresses: string[] = []
      const handler = zapProtocolClient((frames) => {
        // RFC 27 request: version, request id, domain, address, identity, mechanism, ...
        addresses.push(Buffer.from(frames[3] as Uint8Array).toString())
        const text = (s: string) => new Uint8Array(Buffer.from(s))
        return [text("1.0"), frames[1] as Uint8Array, text("200"), text("OK"), text(""), new Uint8Array(0)]
      })
      const pull = new Pull({ linger: 0, ipv6: true, zapDomain: DOMAIN, authenticate: handler })
      const ours = new Push({ linger: 0 })
      const theirs = new zmq.Push({ linger: 0 })
      const ours6 = new Push({ linger: 0 })
      try {
        if (!ipv6Available) {
          await assert.rejects(pull.bind(bind), (err: unknown) => err instanceof SocketError)
          return
        }
        await pull.bind(bind)
        const port = portOf(pull.lastEndpoint as string)
        ours.connect(`tcp://127.0.0.1:${port}`)
        await ours.send("ours")
        assert.equal(String((await pull.receive())[0]), "ours")
        theirs.connect(`tcp://127.0.0.1:${port}`)
        await theirs.send("theirs")
        assert.equal(String((await pull.receive())[0]), "theirs")
        ours6.connect(`tcp://[::1]:${port}`)
        await ours6.send("ours over IPv6")
        assert.equal(String((await pull.receive())[0]), "ours over IPv6")
        assert.deepEqual(addresses, ["127.0.0.1", "127.0.0.1", "::1"])
      } finally {
        pull.close()
        ours.close()
        theirs.close()
        ours6.close()
      }
    })
  }

  it("a libzmq dual-stack server's decisions read 127.0.0.1 too (serveZeromqZap unmaps libzmq's ::ffff: form)", async () => {
    if (!ipv6Available) {
      await assert.rejects(zeromqServer("tcp://[::1]:*", true))
      return
    }
    const server = await zeromqServer("tcp://*:*", true)
    assert.match(server.endpoint, /^tcp:\/\/\[::\]:\d+$/)
    const port = portOf(server.endpoint)
    const admitted = ironhouseClient(`tcp://127.0.0.2:0;127.0.0.1:${port}`)
    const refused = zeromqClient(`tcp://127.0.0.1:${port}`)
    const started = decisions.length
    try {
      await admitted.send("from 127.0.0.2 to dual-stack libzmq")
      assert.equal(await server.receive(), "from 127.0.0.2 to dual-stack libzmq")
      void refused.send("x").catch(() => undefined)
      // Matches either form, so that a mapped address fails the assertion instead of waiting.
      const no = await decision((d) => decisions.indexOf(d) >= started && d.address.endsWith("127.0.0.1"))
      assert.equal(no.address, "127.0.0.1")
      assert.equal(no.allowed, false)
      assert.equal(decisions.slice(started).some((d) => d.address.startsWith("::ffff:")), false)
    } finally {
      admitted.close()
      refused.close()
      server.close()
    }
  })
})

describe("examples/security/strawhouse", () => {
  it("runs: the client from 127.0.0.2 is admitted and its message arrives, the one from 127.0.0.1 is refused", async () => {
    const file = fileURLToPath(new URL("../../examples/security/strawhouse.js", import.meta.url))
    const { status, out } = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] })
      let out = ""
      child.stdout.on("data", (c: Buffer) => (out += c.toString()))
      child.once("exit", (status) => resolve({ status, out }))
    })
    assert.equal(status, 0, out)
    assert.match(out, /127\.0\.0\.2 admitted/)
    assert.match(out, /server got "hello from 127\.0\.0\.2" from 127\.0\.0\.2/)
    assert.match(out, /127\.0\.0\.1 refused/)
    assert.match(out, /refused a client with status 400/)
    assert.doesNotMatch(out, /server got "hello from 127\.0\.0\.1"/)
  })
})
