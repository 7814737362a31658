/**
 * Stream access end to end over real sockets, through two XPUB↔XSUB repeaters that hold no
 * keys: repeater 1 is Ironhouse's Proxy (XSUB↔XPUB), repeater 2 the `zeromq` package's Proxy
 * (libzmq 4.3.5's zmq_proxy).
 *
 *   SecurePublisher(Ironhouse PUB) ──┐
 *   mallory's PUB (Ironhouse)  ──────┴─> [repeater 1: XSUB bind │ XPUB bind] ──> capture SUB
 *                                         └─> [repeater 2: XSUB connect │ XPUB bind]
 *                                              ├─> alice  (SecureSubscriber over Ironhouse SUB)
 *                                              ├─> bob    (SecureSubscriber over zeromq SUB)
 *                                              ├─> carol  (late joiner, Ironhouse XSUB)
 *                                              └─> eve    (plain zeromq SUB, no key)
 *   key service: Ironhouse ROUTER, CURVE server + Authenticator over the reader directory.
 */
import { describe, it, before, after } from "node:test"
import assert from "node:assert/strict"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as zmq from "zeromq"
import * as ironhouse from "../../src/index.js"
import { SecurePublisher, SecureSubscriber, type RejectedInfo } from "../../src/stream-access/index.js"
import { aeadEncryptInto } from "../../src/crypto/aead.js"
import { dataNonce, HEADER_BYTES, writeHeader, concat } from "../../src/stream-access/codec.js"

const TIMEOUT = 20_000
let dir: string
const auth = new ironhouse.Authenticator({ interval: 50 })
const serviceCert = ironhouse.Certificate.generate({ name: "key-service" })
const certs = {
  alice: ironhouse.Certificate.generate({ name: "alice" }),
  bob: ironhouse.Certificate.generate({ name: "bob" }),
  carol: ironhouse.Certificate.generate({ name: "carol" }),
  dave: ironhouse.Certificate.generate({ name: "dave" }),
}
const signing = ironhouse.signKeyPair()
const closers: Array<() => unknown> = []
const decoder = new TextDecoder()

let publisher: SecurePublisher
let store: ironhouse.CertificateStore
let repeater2Endpoint: string
let keyEndpoint: string
let capture: zmq.Subscriber
const captured: Buffer[] = []
let mallory: ironhouse.Publisher

function secureReader(name: keyof typeof certs, socket: ConstructorParameters<typeof SecureSubscriber>[0]["socket"], timeout = 5000) {
  const cert = certs[name]
  const reader = new SecureSubscriber({
    socket,
    publicKey: cert.publicKey,
    secretKey: cert.secretKey as string,
    publisherKey: signing.publicKey,
    keyService: { endpoint: keyEndpoint, serverKey: serviceCert.publicKey },
    keyServiceTimeout: timeout,
  })
  const rejected: RejectedInfo[] = []
  reader.on("rejected", (r) => rejected.push(r))
  closers.push(() => reader.close())
  return { reader, rejected }
}

/** Collect verified bodies until `stop` says so (warm-up messages are skipped unless asked for). */
function collect(reader: SecureSubscriber, stop: (bodies: string[]) => boolean, warm = false): Promise<string[]> {
  return (async () => {
    const bodies: string[] = []
    while (!stop(bodies)) {
      const [topic, body] = await reader.receive()
      if (warm || topic.toString() !== "warm") bodies.push(decoder.decode(body))
    }
    return bodies
  })()
}

/**
 * Publish warm-up messages until every reader has one and `alsoReady()` holds (subscriptions
 * cross two repeaters).
 */
async function warmUp(readers: SecureSubscriber[], alsoReady: () => boolean = () => true): Promise<void> {
  let go = true
  const pump = (async () => {
    while (go) {
      await publisher.send(["warm", "up"])
      await publisher.flush()
      await new Promise((r) => setTimeout(r, 5))
    }
  })()
  await Promise.all(readers.map((r) => collect(r, (b) => b.includes("up"), true)))
  await waitFor(alsoReady)
  go = false
  await pump
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ih-stream-access-"))
  await certs.alice.savePublic(join(dir, "alice.key"))
  await certs.bob.savePublic(join(dir, "bob.key"))
  await auth.configureCurve({ certificates: dir })
  store = await ironhouse.CertificateStore.open(dir, { watch: true, interval: 50 })
  closers.push(() => store.close(), () => auth.close())

  // Repeater 1 (Ironhouse's Proxy) binds both sides; repeater 2 (zeromq's Proxy) connects its
  // XSUB to repeater 1's XPUB.
  const r1 = new ironhouse.Proxy(new ironhouse.XSubscriber(), new ironhouse.XPublisher())
  const r1front = r1.frontEnd
  const r1back = r1.backEnd
  await r1front.bind("tcp://127.0.0.1:*")
  await r1back.bind("tcp://127.0.0.1:*")
  const r1running = r1.run()
  closers.push(async () => {
    r1.terminate()
    await r1running // closes both sockets
  })
  const r2front = new zmq.XSubscriber()
  const r2back = new zmq.XPublisher()
  await r2back.bind("tcp://127.0.0.1:*")
  r2front.connect(r1back.lastEndpoint as string)
  repeater2Endpoint = r2back.lastEndpoint as string
  const r2 = new zmq.Proxy(r2front, r2back)
  const r2running = r2.run()
  closers.push(async () => {
    r2.terminate()
    await r2running
    r2front.close()
    r2back.close()
  })
  // The capture sees everything repeater 1 forwards.
  capture = new zmq.Subscriber()
  capture.connect(r1back.lastEndpoint as string)
  capture.subscribe()
  void (async () => {
    for await (const frames of capture) captured.push(...frames)
  })().catch(() => undefined)
  closers.push(() => capture.close())

  const pub = new ironhouse.Publisher()
  pub.connect(r1front.lastEndpoint as string)
  closers.push(() => pub.close())
  mallory = new ironhouse.Publisher()
  mallory.connect(r1front.lastEndpoint as string)
  closers.push(() => mallory.close())
  publisher = new SecurePublisher({ socket: pub, signingKey: signing, readers: store, batchDelay: 5 })
  closers.push(() => publisher.close())

  const router = new ironhouse.Router({ curveServer: true, curveSecretKey: serviceCert.secretKey as string, authenticate: auth.authenticate })
  await router.bind("tcp://127.0.0.1:*")
  keyEndpoint = router.lastEndpoint as string
  void publisher.serveKeys(router)
  closers.push(() => router.close())
})

after(async () => {
  for (const close of closers.reverse()) await close()
  await rm(dir, { recursive: true, force: true })
})

describe("stream access through two XPUB/XSUB repeaters", { timeout: TIMEOUT * 3 }, () => {
  let alice: ReturnType<typeof secureReader>
  let bob: ReturnType<typeof secureReader>
  const eveFrames: Buffer[] = []

  it("approved readers receive every message; a subscriber without a key and the repeater see only ciphertext", { timeout: TIMEOUT }, async () => {
    const aliceSocket = new ironhouse.Subscriber()
    aliceSocket.connect(repeater2Endpoint)
    closers.push(() => aliceSocket.close())
    const bobSocket = new zmq.Subscriber()
    bobSocket.connect(repeater2Endpoint)
    closers.push(() => bobSocket.close())
    alice = secureReader("alice", aliceSocket)
    bob = secureReader("bob", bobSocket)
    alice.reader.subscribe("weather.", "warm")
    bob.reader.subscribe("weather.", "warm")
    await Promise.all([alice.reader.fetchKeys(), bob.reader.fetchKeys()])
    assert.ok(alice.reader.reader.hasKeys && bob.reader.reader.hasKeys)
    const eve = new zmq.Subscriber()
    eve.connect(repeater2Endpoint)
    eve.subscribe("weather.", "warm")
    closers.push(() => eve.close())
    void (async () => {
      for await (const frames of eve) eveFrames.push(...frames)
    })().catch(() => undefined)

    await warmUp([alice.reader, bob.reader], () => eveFrames.some((f) => f.toString() === "warm"))
    const sent = Array.from({ length: 300 }, (_, i) => `secret reading ${i}`)
    const aliceGot = collect(alice.reader, (b) => b.length === sent.length)
    const bobGot = collect(bob.reader, (b) => b.length === sent.length)
    const firstSeq = publisher.writer.sequence
    for (const body of sent) await publisher.send(["weather.paris", body])
    await publisher.flush()
    // Sent in a burst, they leave packed (packBytes): fewer data messages on the wire, one
    // sequence number each.
    const onWire = publisher.writer.sequence - firstSeq
    assert.ok(onWire >= 2 && onWire < sent.length, `expected the burst packed, got ${onWire} data messages for ${sent.length}`)
    assert.deepEqual(await aliceGot, sent)
    assert.deepEqual(await bobGot, sent)
    assert.deepEqual(alice.rejected, [])
    // Eve (subscribed, no key) got the ciphertext frames; neither she nor the repeater got plaintext.
    await waitFor(() => eveFrames.filter((f) => f.toString() === "weather.paris").length >= onWire)
    for (const frames of [eveFrames, captured]) {
      const all = Buffer.concat(frames)
      assert.ok(all.includes("weather.paris"), "the topic stays in clear")
      assert.ok(!all.includes("secret reading"), "plaintext crossed a repeater")
    }
  })

  it("revocation: the removed reader, still subscribed, opens nothing of the new epoch; the other loses nothing", { timeout: TIMEOUT }, async () => {
    const before = publisher.epoch
    const aliceGot = collect(alice.reader, (b) => b.includes("after 99"))
    const bobGot: string[] = []
    const bobDone = (async () => {
      for (;;) {
        const [, body] = await bob.reader.receive()
        bobGot.push(decoder.decode(body))
        if (decoder.decode(body) === "before 49") break
      }
      // Keep pulling: Bob stays subscribed and his reader sees every later message.
      bob.reader.receive().then((m) => bobGot.push(decoder.decode(m[1])), () => undefined)
    })()
    for (let i = 0; i < 50; i++) await publisher.send(["weather.paris", `before ${i}`])
    await rm(join(dir, "bob.key"))
    await store.reload() // the watcher would also see it; reload makes the commit happen now
    assert.equal(publisher.epoch, before + 1)
    const firstSeq = publisher.writer.sequence
    for (let i = 0; i < 100; i++) await publisher.send(["weather.paris", `after ${i}`])
    await publisher.flush()
    const onWire = publisher.writer.sequence - firstSeq // data messages of the new epoch (packed)
    const got = await aliceGot
    assert.deepEqual(got, [...Array.from({ length: 50 }, (_, i) => `before ${i}`), ...Array.from({ length: 100 }, (_, i) => `after ${i}`)])
    await bobDone
    assert.equal(bobGot.length, 50)
    // Bob keeps receiving every byte but opens none of it: each new-epoch message is refused.
    await waitFor(() => bob.rejected.filter((r) => r.reason === "no-key" && r.epoch === before + 1).length === onWire)
    assert.ok(bob.rejected.some((r) => r.reason === "commit-unreadable"))
    assert.equal(bob.reader.reader.epoch, before)
    // And the key service gives him nothing: he is no longer a reader (his CURVE connection
    // predates the removal; a new one would be refused by ZAP, as for dave below).
    const outcome = new Promise<{ ok: boolean }>((resolve) => bob.reader.once("key-service", resolve))
    await bob.reader.fetchKeys()
    assert.equal((await outcome).ok, false)
    assert.equal(bob.reader.reader.epoch, before)
  })

  it("forgery by a key-holding reader through the repeaters is refused; a replayed message too", { timeout: TIMEOUT }, async () => {
    // Mallory holds the current data key (she is a reader) and publishes her own message.
    const writer = publisher.writer
    const forged = new Uint8Array(HEADER_BYTES + 11 + 16)
    writeHeader(forged, writer.keyId, writer.epoch, writer.sequence + 1_000)
    aeadEncryptInto(forged.subarray(HEADER_BYTES), new TextEncoder().encode("forged body"), concat(new TextEncoder().encode("weather.paris"), forged.subarray(0, HEADER_BYTES)), dataNonce(forged, new Uint8Array(24)), writer.tree.epochKey)
    const got = collect(alice.reader, (b) => b.includes("genuine"))
    await waitFor(async () => {
      await mallory.send(["weather.paris", Buffer.from(forged)])
      return alice.rejected.length > 0
    })
    const mark = captured.length
    await publisher.send(["weather.paris", "genuine"])
    await publisher.flush()
    assert.ok(!(await got).includes("forged body"))
    assert.ok(alice.rejected.length > 0 && alice.rejected.every((r) => r.reason === "unverified" && r.seq === writer.sequence + 999))
    // Replay the genuine message and its batch, as captured at repeater 1: refused.
    await waitFor(() => captured.slice(mark).some((f) => f.length === 116))
    const frames = captured.slice(mark)
    const genuine = frames.findIndex((f, i) => f.toString() === "weather.paris" && frames[i + 1]?.length === HEADER_BYTES + 7 + 16)
    assert.ok(genuine >= 0)
    const before = alice.rejected.length
    const pulling = collect(alice.reader, () => false) // keep Alice's reader pulling in the background
    pulling.catch(() => undefined)
    await waitFor(async () => {
      await mallory.send([frames[genuine] as Buffer, frames[genuine + 1] as Buffer])
      return alice.rejected.length > before
    })
    await waitFor(() => alice.rejected.slice(before).some((r) => r.reason === "replay" || r.reason === "too-old"))
  })

  it("late join: a reader approved after the stream started decrypts after one round trip to the key service", { timeout: TIMEOUT }, async () => {
    const requests: boolean[] = []
    publisher.on("key-request", (r) => {
      if (r.peer === certs.carol.publicKey) requests.push(r.granted)
    })
    await certs.carol.savePublic(join(dir, "carol.key"))
    await store.reload()
    assert.ok(publisher.writer.tree.has(certs.carol.publicKey))
    const carolSocket = new ironhouse.XSubscriber()
    carolSocket.connect(repeater2Endpoint)
    closers.push(() => carolSocket.close())
    const carol = secureReader("carol", carolSocket)
    carol.reader.subscribe("weather.", "warm")
    await carol.reader.fetchKeys()
    assert.deepEqual(requests, [true])
    assert.equal(carol.reader.reader.epoch, publisher.epoch)
    await warmUp([carol.reader])
    const got = collect(carol.reader, (b) => b.includes("for carol"))
    await publisher.send(["weather.paris", "for carol"])
    assert.ok((await got).includes("for carol"))
    assert.deepEqual(requests, [true])
  })

  it("a reader that is not approved gets nothing usable from the key service", { timeout: TIMEOUT }, async () => {
    const daveSocket = new ironhouse.Subscriber()
    daveSocket.connect(repeater2Endpoint)
    closers.push(() => daveSocket.close())
    const dave = secureReader("dave", daveSocket, 1000)
    const outcome = new Promise<{ ok: boolean }>((resolve) => dave.reader.once("key-service", resolve))
    await dave.reader.fetchKeys()
    assert.equal((await outcome).ok, false)
    assert.equal(dave.reader.reader.hasKeys, false)
  })
})

async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  const start = Date.now()
  while (!(await check())) {
    if (Date.now() - start > TIMEOUT) throw new Error("waitFor: condition not met in time")
    await new Promise((r) => setTimeout(r, 10))
  }
}
