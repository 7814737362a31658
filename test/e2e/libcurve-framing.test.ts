/**
 * libcurve wire compatibility, byte by byte, from RFC 26 and what zeromq/libcurve's
 * curve_codec.c does (it is C over CZMQ 3; the facts are written into the crafted peers below):
 *   - every command is one frame, sent as its own single-frame message;
 *   - an application message of n frames is n MESSAGE commands, flags octet bit 0 = MORE;
 *   - MESSAGE nonce prefixes "CurveZMQMESSAGEC" (client to server) and "CurveZMQMESSAGES";
 *   - short nonces are a 64-bit little-endian counter from 0 (s_encrypt memcpy()s an int64_t),
 *     never checked by libcurve; HELLO version octets often 00 00, padding unchecked (garbage);
 *   - its metadata decoder lower-cases names and skips a last property of 6 octets or fewer.
 * The crafted libcurve peers use only the crypto module's box functions.
 */
import { describe, it, after } from "node:test"
import assert from "node:assert/strict"
import * as zmq from "zeromq"
import { boxOpen, boxSeal, generateKeyPair } from "../../src/crypto/index.js"
import { ErrorCode } from "../../src/errors.js"
import { E2eClientSession, type E2eClientOutput } from "../../src/e2e/client-session.js"
import { announceMetadata } from "../../src/e2e/common.js"
import { E2eServerCore, type E2eServerOutput } from "../../src/e2e/server-sessions.js"
import { CurveZmqClient, CurveZmqServer, type MessageSocket } from "../../src/e2e/socket.js"
import { encodeMetadata } from "../../src/wire/metadata.js"
import { testEnv } from "../mechanism/pump.js"

zmq.context.blocky = false
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]))
/** libcurve's short nonce: its int64_t counter as host (little-endian) octets. */
const le = (n: number): Uint8Array => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true)
  return out
}
const cmd = (name: string, data: Uint8Array): Uint8Array => concat(Uint8Array.of(name.length), ascii(name), data)
const nonce = (prefix: string, tail: Uint8Array): Uint8Array => concat(ascii(prefix), tail)

/** libcurve's s_decode_metadata, ported: lower-cased names, `while (needle < limit - 6)`. */
function libcurveDecodeMetadata(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>()
  let at = 0
  const limit = data.length
  while (at < limit - 6) {
    const n = data[at++] as number
    if (at + n > limit - 5) break
    const name = Buffer.from(data.subarray(at, at + n)).toString().toLowerCase()
    at += n
    const len = new DataView(data.buffer, data.byteOffset + at, 4).getUint32(0)
    at += 4
    out.set(name, Buffer.from(data.subarray(at, at + len)).toString())
    at += len
  }
  return out
}

/** A libcurve client (curve_codec.c client side), crafted. */
class LibcurveClient {
  counter = 0
  readonly transient = generateKeyPair()
  serverTransient = new Uint8Array(0)
  constructor(
    readonly keys: { publicKey: Uint8Array; secretKey: Uint8Array },
    readonly serverKey: Uint8Array,
  ) {}
  #short(): Uint8Array {
    return le(this.counter++)
  }
  hello(): Uint8Array {
    const n = this.#short()
    const box = boxSeal(new Uint8Array(64), nonce("CurveZMQHELLO---", n), this.serverKey, this.transient.secretKey)
    // version: uninitialised memory, often 00 00; padding: whatever was there.
    return cmd("HELLO", concat(Uint8Array.of(0, 0), new Uint8Array(72).fill(0xcd), this.transient.publicKey, n, box))
  }
  initiate(welcome: Uint8Array, metadata: Uint8Array): Uint8Array {
    const data = welcome.subarray(8)
    const plain = boxOpen(data.subarray(16), nonce("WELCOME-", data.subarray(0, 16)), this.serverKey, this.transient.secretKey)
    assert.ok(plain !== undefined, "WELCOME opens for a libcurve client")
    this.serverTransient = plain.slice(0, 32)
    const cookie = plain.slice(32)
    const vouchTail = new Uint8Array(16).fill(1)
    const vouch = boxSeal(concat(this.transient.publicKey, this.serverKey), nonce("VOUCH---", vouchTail), this.serverTransient, this.keys.secretKey)
    const n = this.#short()
    const box = boxSeal(concat(this.keys.publicKey, vouchTail, vouch, metadata), nonce("CurveZMQINITIATE", n), this.serverTransient, this.transient.secretKey)
    return cmd("INITIATE", concat(cookie, n, box))
  }
  openReady(ready: Uint8Array): Uint8Array | undefined {
    const data = ready.subarray(6)
    return boxOpen(data.subarray(8), nonce("CurveZMQREADY---", data.subarray(0, 8)), this.serverTransient, this.transient.secretKey)
  }
  message(body: string, more: boolean): Uint8Array {
    const n = this.#short()
    return cmd("MESSAGE", concat(n, boxSeal(concat(Uint8Array.of(more ? 1 : 0), ascii(body)), nonce("CurveZMQMESSAGEC", n), this.serverTransient, this.transient.secretKey)))
  }
  openMessage(frame: Uint8Array): { more: boolean; body: string } | undefined {
    const data = frame.subarray(8)
    const plain = boxOpen(data.subarray(8), nonce("CurveZMQMESSAGES", data.subarray(0, 8)), this.serverTransient, this.transient.secretKey)
    return plain === undefined ? undefined : { more: plain[0] === 1, body: Buffer.from(plain.subarray(1)).toString() }
  }
}

/** A libcurve server (curve_codec.c server side), crafted. */
class LibcurveServer {
  counter = 0
  readonly transient = generateKeyPair()
  clientTransient = new Uint8Array(0)
  constructor(readonly keys: { publicKey: Uint8Array; secretKey: Uint8Array }) {}
  welcome(hello: Uint8Array): Uint8Array {
    const data = hello.subarray(6)
    this.clientTransient = data.slice(74, 106)
    const tail = new Uint8Array(16).fill(2)
    const box = boxSeal(concat(this.transient.publicKey, new Uint8Array(96).fill(0x11)), nonce("WELCOME-", tail), this.clientTransient, this.keys.secretKey)
    return cmd("WELCOME", concat(tail, box))
  }
  openInitiate(initiate: Uint8Array): { clientKey: Uint8Array; metadata: Map<string, string> } | undefined {
    const data = initiate.subarray(9)
    const plain = boxOpen(data.subarray(104), nonce("CurveZMQINITIATE", data.subarray(96, 104)), this.clientTransient, this.transient.secretKey)
    return plain === undefined ? undefined : { clientKey: plain.slice(0, 32), metadata: libcurveDecodeMetadata(plain.subarray(128)) }
  }
  ready(metadata: Uint8Array): Uint8Array {
    const n = le(this.counter++)
    return cmd("READY", concat(n, boxSeal(metadata, nonce("CurveZMQREADY---", n), this.clientTransient, this.transient.secretKey)))
  }
  message(body: string, more: boolean, n = this.counter++): Uint8Array {
    const sn = le(n)
    return cmd("MESSAGE", concat(sn, boxSeal(concat(Uint8Array.of(more ? 1 : 0), ascii(body)), nonce("CurveZMQMESSAGES", sn), this.clientTransient, this.transient.secretKey)))
  }
  openMessage(frame: Uint8Array): { more: boolean; body: string } | undefined {
    const data = frame.subarray(8)
    const plain = boxOpen(data.subarray(8), nonce("CurveZMQMESSAGEC", data.subarray(0, 8)), this.clientTransient, this.transient.secretKey)
    return plain === undefined ? undefined : { more: plain[0] === 1, body: Buffer.from(plain.subarray(1)).toString() }
  }
}

const sends = (outs: (E2eServerOutput | E2eClientOutput)[]): Uint8Array[] => outs.flatMap((o) => (o.type === "send" ? [o.frame] : []))

describe("libcurve wire compatibility", () => {
  it("a libcurve client (version 00 00, garbage padding, little-endian nonces from 0) is served; 300 messages cross the 255/256 boundary; a replay is refused", () => {
    const env = testEnv(21)
    const serverKeys = generateKeyPair()
    const core = new E2eServerCore({ secretKey: serverKeys.secretKey, env, metadata: { "Socket-Type": "ROUTER" } })
    const lc = new LibcurveClient(generateKeyPair(), serverKeys.publicKey)
    const envelope = [Uint8Array.of(0, 1, 2, 3, 4)]
    const [welcome] = sends(core.receive(envelope, lc.hello()))
    assert.ok(welcome !== undefined && welcome.length === 168)
    const outs = core.receive(envelope, lc.initiate(welcome, encodeMetadata(new Map([["Identity", ascii("lc-1")], ["Hostname", ascii("box")]]))))
    const [ready] = sends(outs)
    assert.ok(ready !== undefined)
    const md = lc.openReady(ready)
    assert.ok(md !== undefined)
    assert.deepEqual(libcurveDecodeMetadata(md), new Map([["socket-type", "ROUTER"]]))
    // One MESSAGE per frame, MORE in the flags octet.
    const got: string[][] = []
    const take = (o: E2eServerOutput[]) => {
      for (const x of o) if (x.type === "message") got.push(x.frames.map((f) => Buffer.from(f).toString()))
    }
    take(core.receive(envelope, lc.message("part 1", true)))
    take(core.receive(envelope, lc.message("part 2", false)))
    for (let i = 0; i < 300; i++) take(core.receive(envelope, lc.message(`m${i}`, false)))
    assert.equal(got.length, 301)
    assert.deepEqual(got[0], ["part 1", "part 2"])
    assert.deepEqual(got[300], ["m299"])
    lc.counter = 100
    const replay = core.receive(envelope, lc.message("replayed", false))
    assert.deepEqual(replay.map((o) => o.type === "event" && o.event.code), [ErrorCode.INVALID_SEQUENCE])
    // Replies: prefix CurveZMQMESSAGES, one MESSAGE per frame, MORE on all but the last.
    const peer = outs.find((o) => o.type === "event" && o.event.type === "session-opened")
    assert.ok(peer !== undefined && peer.type === "event")
    const reply = sends(core.send(peer.event.peerId as string, ["r1", "r2", "r3"]))
    assert.deepEqual(reply.map((f) => lc.openMessage(f)), [
      { more: true, body: "r1" },
      { more: true, body: "r2" },
      { more: false, body: "r3" },
    ])
  })

  it("an Ironhouse client against a libcurve server: RFC 26 HELLO bytes, READY nonce 0, little-endian MESSAGE nonces detected and enforced", () => {
    const env = testEnv(22)
    const serverKeys = generateKeyPair()
    const clientKeys = generateKeyPair()
    const lc = new LibcurveServer(serverKeys)
    const client = new E2eClientSession({ serverKey: serverKeys.publicKey, ...clientKeys, env, metadata: { "X-Empty": "", a: "", Hostname: "box" } })
    const [hello] = sends(client.start())
    assert.ok(hello !== undefined)
    assert.equal(hello.length, 200)
    assert.deepEqual([...hello.subarray(0, 8)], [5, ...ascii("HELLO"), 1, 0])
    assert.deepEqual([...hello.subarray(8, 80)], new Array(72).fill(0))
    assert.deepEqual([...hello.subarray(112, 120)], [0, 0, 0, 0, 0, 0, 0, 1], "our nonces are big-endian from 1 (libcurve does not check)")
    const [initiate] = sends(client.receive(lc.welcome(hello)))
    assert.ok(initiate !== undefined)
    const opened = lc.openInitiate(initiate)
    assert.ok(opened !== undefined)
    assert.deepEqual(Buffer.from(opened.clientKey), Buffer.from(clientKeys.publicKey))
    // The empty-valued properties went first, so libcurve's decoder keeps every property.
    assert.deepEqual(opened.metadata, new Map([["x-empty", ""], ["a", ""], ["hostname", "box"]]))
    const readyOuts = client.receive(lc.ready(encodeMetadata(new Map([["Socket-Type", ascii("ROUTER")]]))))
    assert.ok(readyOuts.some((o) => o.type === "ready"))
    const got: string[][] = []
    const take = (o: E2eClientOutput[]) => {
      for (const x of o) if (x.type === "message") got.push(x.frames.map((f) => Buffer.from(f).toString()))
    }
    take(client.receive(lc.message("x", true)))
    take(client.receive(lc.message("y", false)))
    for (let i = 0; i < 300; i++) take(client.receive(lc.message(`n${i}`, false)))
    assert.equal(got.length, 301)
    assert.deepEqual(got[0], ["x", "y"])
    const replayed = client.receive(lc.message("again", false, 7))
    assert.deepEqual(replayed.map((o) => o.type === "event" && o.event.code), [ErrorCode.INVALID_SEQUENCE])
    const out = sends(client.send(["p", "q"]))
    assert.deepEqual(out.map((f) => lc.openMessage(f)), [
      { more: true, body: "p" },
      { more: false, body: "q" },
    ])
  })

  it("libcurve's metadata decoder skips a last property with an empty value (6 octets or fewer, or a longer name); announceMetadata orders them first", () => {
    for (const name of ["t", "Longer-Name"]) {
      const md = new Map([["Long-Name", ascii("value")], [name, new Uint8Array(0)]])
      assert.deepEqual(libcurveDecodeMetadata(encodeMetadata(md)), new Map([["long-name", "value"]]))
      assert.deepEqual(libcurveDecodeMetadata(encodeMetadata(announceMetadata(md))), new Map([[name.toLowerCase(), ""], ["long-name", "value"]]))
    }
    // A last property with a one-octet value survives.
    assert.deepEqual(libcurveDecodeMetadata(encodeMetadata(new Map([["t", ascii("v")]]))), new Map([["t", "v"]]))
  })

  it("over real sockets each command is its own message: DEALER [command], ROUTER [routing-id][command]", async () => {
    const serverKeys = generateKeyPair()
    const router = new zmq.Router()
    await router.bind("tcp://127.0.0.1:*")
    const seen: Uint8Array[][] = []
    const recording: MessageSocket = {
      send: (m) => router.send(m),
      receive: async () => {
        const m = await router.receive()
        seen.push(m)
        return m
      },
      close: () => router.close(),
    }
    const server = new CurveZmqServer(recording, { secretKey: serverKeys.secretKey })
    void (async () => {
      for await (const { message, peer } of server) await server.send(peer, message)
    })()
    const dealer = new zmq.Dealer()
    dealer.connect(router.lastEndpoint as string)
    const client = new CurveZmqClient(dealer, { serverKey: serverKeys.publicKey, ...generateKeyPair() })
    after(() => (client.close(), server.close()))
    await client.send(["one", "two", "three"])
    assert.deepEqual((await client.receive()).map((f) => Buffer.from(f).toString()), ["one", "two", "three"])
    assert.deepEqual(
      seen.map((m) => [m.length, Buffer.from((m[1] as Uint8Array).subarray(1, (m[1] as Uint8Array)[0] as number + 1)).toString()]),
      [[2, "HELLO"], [2, "INITIATE"], [2, "MESSAGE"], [2, "MESSAGE"], [2, "MESSAGE"]],
    )
  })
})
