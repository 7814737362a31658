/**
 * The socket-level end-to-end API over real sockets: Ironhouse's and the `zeromq` package's
 * (libzmq 4.3.5) Router/Dealer/Request in every pairing, the Authenticator deciding unchanged,
 * the client key and User-Id on every message, multipart frames kept, refusals as events.
 */
import { describe, it, after } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import * as ih from "../../src/index.js"
import { Authenticator } from "../../src/auth/authenticator.js"
import { generateKeyPair } from "../../src/crypto/index.js"
import { CurveZmqClient, CurveZmqServer, type MessageSocket } from "../../src/e2e/socket.js"
import type { E2eEvent } from "../../src/e2e/events.js"
import { z85Encode } from "../../src/wire/z85.js"

zmq.context.blocky = false

type Impl = "ironhouse" | "zeromq"
interface Bindable extends MessageSocket {
  bind(address: string): Promise<void>
  connect(address: string): void
  readonly lastEndpoint: string | null
}

export function router(impl: Impl): Bindable {
  return (impl === "ironhouse" ? new ih.Router() : new zmq.Router()) as unknown as Bindable
}
export function dealer(impl: Impl): Bindable {
  return (impl === "ironhouse" ? new ih.Dealer() : new zmq.Dealer()) as unknown as Bindable
}
function request(impl: Impl): Bindable {
  return (impl === "ironhouse" ? new ih.Request() : new zmq.Request()) as unknown as Bindable
}

const serverKeys = generateKeyPair()
const closers: (() => void)[] = []
after(() => {
  for (const c of closers.splice(0)) c()
})

/** A server over `impl`'s Router with an Authenticator (refusing `refused`), echoing each message with the peer's identity. */
async function echoServer(impl: Impl, refused?: Uint8Array) {
  const auth = new Authenticator()
  await auth.configureCurve({
    check: (key) => (refused !== undefined && key === z85Encode(refused) ? false : { userId: `user:${key.slice(0, 6)}` }),
  })
  const sock = router(impl)
  await sock.bind("tcp://127.0.0.1:*")
  const server = new CurveZmqServer(sock, { secretKey: serverKeys.secretKey, authenticate: auth.authenticate })
  const events: E2eEvent[] = []
  server.on("event", (e) => events.push(e))
  const decisions: unknown[] = []
  auth.on("decision", (d) => decisions.push(d))
  void (async () => {
    for await (const { message, peer } of server) {
      await server.send(peer, [...message, z85Encode(peer.publicKey), peer.userId]).catch(() => undefined)
    }
  })()
  closers.push(() => (server.close(), auth.close()))
  return { server, endpoint: sock.lastEndpoint as string, events, decisions }
}

function client(sock: Bindable, endpoint: string, keys = generateKeyPair()) {
  sock.connect(endpoint)
  const c = new CurveZmqClient(sock, { serverKey: serverKeys.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey })
  closers.push(() => c.close())
  return { c, keys }
}

const text = (m: Uint8Array[]): string[] => m.map((f) => Buffer.from(f).toString())

describe("end-to-end over sockets", () => {
  for (const serverImpl of ["ironhouse", "zeromq"] as const) {
    for (const clientImpl of ["ironhouse", "zeromq"] as const) {
      it(`${clientImpl} Dealer client -> ${serverImpl} Router server: multipart kept, key and User-Id attached`, async () => {
        const { endpoint, decisions } = await echoServer(serverImpl)
        const { c, keys } = client(dealer(clientImpl), endpoint)
        await c.send(["hello", "", Buffer.alloc(70_000, 7)])
        const answer = await c.receive()
        const z = z85Encode(keys.publicKey)
        assert.deepEqual(text(answer.slice(0, 2)), ["hello", ""])
        assert.deepEqual(Buffer.from(answer[2] as Uint8Array), Buffer.alloc(70_000, 7))
        assert.deepEqual(text(answer.slice(3)), [z, `user:${z.slice(0, 6)}`])
        await c.send("again")
        assert.deepEqual(text(await c.receive()).slice(0, 1), ["again"])
        assert.equal(decisions.length, 1)
        c.close()
      })
    }
    it(`a Request client (${serverImpl} server): one request, one reply, alternating`, async () => {
      const { endpoint } = await echoServer(serverImpl)
      for (const impl of ["ironhouse", "zeromq"] as const) {
        const { c } = client(request(impl), endpoint)
        for (let i = 0; i < 3; i++) {
          await c.send([`q${i}`, "part"])
          assert.deepEqual(text(await c.receive()).slice(0, 2), [`q${i}`, "part"])
        }
        c.close()
      }
    })
  }

  it("the Authenticator's refusal (400) reaches the client as auth-refused; receive() rejects", async () => {
    const bad = generateKeyPair()
    const { endpoint, events } = await echoServer("ironhouse", bad.publicKey)
    const { c } = client(dealer("zeromq"), endpoint, bad)
    const clientEvents: E2eEvent[] = []
    c.on("event", (e) => clientEvents.push(e))
    await assert.rejects(c.receive(), (err: unknown) => err instanceof ih.AuthError && err.status === 400)
    assert.ok(clientEvents.some((e) => e.type === "auth-refused" && e.status === 400))
    assert.ok(events.some((e) => e.type === "auth-refused"))
    await assert.rejects(c.send("x"), ih.AuthError)
  })

  it("accepts Z85 keys (zeromq's curveKeyPair) and refuses bad key arguments with TypeError/RangeError", async () => {
    const { endpoint } = await echoServer("zeromq")
    const keys = zmq.curveKeyPair()
    const sock = dealer("zeromq")
    sock.connect(endpoint)
    const c = new CurveZmqClient(sock, { serverKey: z85Encode(serverKeys.publicKey), publicKey: keys.publicKey, secretKey: keys.secretKey })
    closers.push(() => c.close())
    await c.send("z85")
    assert.deepEqual(text(await c.receive()).slice(0, 2), ["z85", keys.publicKey])
    assert.throws(() => new CurveZmqClient(dealer("zeromq"), { serverKey: new Uint8Array(31), publicKey: keys.publicKey, secretKey: keys.secretKey }), RangeError)
    assert.throws(() => new CurveZmqClient({} as MessageSocket, { serverKey: keys.publicKey, publicKey: keys.publicKey, secretKey: keys.secretKey }), TypeError)
  })

  it("garbage from a raw socket gives events, never a crash, and the server goes on serving; a throwing listener changes nothing", async () => {
    const { endpoint, events } = await echoServer("ironhouse")
    const raw = new zmq.Dealer()
    raw.connect(endpoint)
    closers.push(() => raw.close())
    const garbage: (Buffer | string)[][] = [
      [""],
      ["", ""],
      ["x", "y", "z"],
      [Buffer.from([5, ...Buffer.from("HELLO")])],
      [Buffer.concat([Buffer.from([7, ...Buffer.from("MESSAGE")]), Buffer.alloc(40)])],
      [Buffer.concat([Buffer.from([8, ...Buffer.from("INITIATE")]), Buffer.alloc(400, 1)])],
      [Buffer.alloc(5000, 0xff)],
    ]
    for (const m of garbage) await raw.send(m)
    const { c } = client(dealer("ironhouse"), endpoint)
    c.on("event", () => {
      throw new Error("a listener that throws")
    })
    await c.send("still served")
    assert.deepEqual(text(await c.receive()).slice(0, 1), ["still served"])
    assert.ok(events.filter((e) => e.type === "dropped" || e.type === "handshake-refused").length >= garbage.length - 1)
    assert.ok(events.every((e) => typeof e.detail === "string"))
  })
})
