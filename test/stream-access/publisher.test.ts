/**
 * SecurePublisher's own duties: rotation on a timer, commits following a CertificateStore,
 * argument errors. Over a real Ironhouse PUB and SUB.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Certificate, CertificateStore, Publisher, Subscriber, cryptoReady, signKeyPair } from "../../src/index.js"
import { SecurePublisher, SecureSubscriber, StreamReader, type CommitInfo } from "../../src/stream-access/index.js"
import { answerKeyRequest, keyRequest } from "../../src/stream-access/key-service.js"
import * as zmq from "zeromq"

describe("SecurePublisher", () => {
  it("rotates the epoch on its timer; a reader follows every rotation in-band", { timeout: 20_000 }, async () => {
    const pub = new Publisher()
    await pub.bind("tcp://127.0.0.1:*")
    const sub = new Subscriber()
    sub.connect(pub.lastEndpoint as string)
    const signing = signKeyPair()
    const reader = Certificate.generate()
    const publisher = new SecurePublisher({ socket: pub, signingKey: signing, readers: [reader.publicKey], rotateInterval: 50 })
    const secure = new SecureSubscriber({
      socket: sub,
      publicKey: reader.publicKey,
      secretKey: reader.secretKey as string,
      publisherKey: signing.publicKey,
      keyService: async (request) => answerKeyRequest(publisher.writer, reader.publicKey, request).reply,
    })
    secure.subscribe("t")
    await secure.fetchKeys()
    const epochs = new Set<number>()
    secure.on("epoch", (e) => epochs.add(e.epoch))
    // Publish until the reader has followed three rotations and decrypted a message of the last.
    const deadline = Date.now() + 15_000
    let lastEpochRead = 0
    const receiving = (async () => {
      while (epochs.size < 3 || lastEpochRead < Math.max(...epochs)) {
        await secure.receive()
        lastEpochRead = secure.reader.epoch
      }
    })()
    let done = false
    void receiving.then(() => (done = true))
    while (!done && Date.now() < deadline) {
      await publisher.send(["t", "x"])
      await new Promise((r) => setTimeout(r, 5))
    }
    await receiving
    assert.ok(publisher.epoch >= 4)
    assert.ok(epochs.size >= 3)
    await publisher.close()
    secure.close()
    sub.close()
    pub.close()
  })

  it("works over the zeromq package's PUB and XSUB too (libzmq 4.3.5 carries the frames)", { timeout: 20_000 }, async () => {
    const pub = new zmq.Publisher()
    await pub.bind("tcp://127.0.0.1:*")
    const xsub = new zmq.XSubscriber()
    xsub.connect(pub.lastEndpoint as string)
    const signing = signKeyPair()
    const reader = Certificate.generate()
    const publisher = new SecurePublisher({ socket: pub, signingKey: signing, readers: [reader.publicKey] })
    const secure = new SecureSubscriber({
      socket: xsub,
      publicKey: reader.publicKey,
      secretKey: reader.secretKey as string,
      publisherKey: signing.publicKey,
      keyService: async (request) => answerKeyRequest(publisher.writer, reader.publicKey, request).reply,
    })
    secure.subscribe("z.")
    await secure.fetchKeys()
    const got = secure.receive()
    let received = false
    void got.then(() => (received = true))
    while (!received) {
      await publisher.send(["z.topic", "over libzmq"])
      await new Promise((r) => setTimeout(r, 10))
    }
    const [topic, body] = await got
    assert.equal(topic.toString(), "z.topic")
    assert.equal(body.toString(), "over libzmq")
    await publisher.close()
    secure.close()
    xsub.close()
    pub.close()
  })

  it("a sender that awaits every send() in a tight loop does not starve the timer's batches: every message is delivered", { timeout: 60_000 }, async () => {
    // The batch the 1 ms timer emits must leave in order with the data, even while the
    // application always has the next send() ready (a per-caller "wait until idle" loop lost
    // that race every time, so those batches left late or never and their messages were
    // refused as unverified).
    const pub = new Publisher({ noDrop: true })
    await pub.bind("tcp://127.0.0.1:*")
    const sub = new Subscriber()
    sub.connect(pub.lastEndpoint as string)
    const signing = signKeyPair()
    const reader = Certificate.generate()
    // The socket behind an async adapter (as an application that wraps send() for logging or
    // retries has): its send() settles a few microtasks later than the socket's own.
    const adapter = {
      async send(message: Uint8Array[]): Promise<void> {
        await pub.send(message)
      },
    }
    const publisher = new SecurePublisher({ socket: adapter, signingKey: signing, readers: [reader.publicKey] })
    const secure = new SecureSubscriber({
      socket: sub,
      publicKey: reader.publicKey,
      secretKey: reader.secretKey as string,
      publisherKey: signing.publicKey,
      keyService: async (request) => answerKeyRequest(publisher.writer, reader.publicKey, request).reply,
    })
    const rejected: string[] = []
    secure.on("rejected", (r) => rejected.push(r.reason))
    secure.subscribe("t")
    await secure.fetchKeys()
    const first = secure.receive()
    let warm = false
    void first.then(() => (warm = true))
    while (!warm) {
      await publisher.send(["t", "warm"])
      await publisher.flush()
      await new Promise((r) => setTimeout(r, 5))
    }
    await first
    const COUNT = 20_000
    // Ends at the first refusal too (a lost batch shows as "unverified" after holdTimeout).
    const refused = new Promise<string[]>((resolve) => secure.once("rejected", () => resolve([])))
    const receiving = (async () => {
      const bodies: string[] = []
      while (bodies.length < COUNT && rejected.length === 0) {
        const [, body] = await secure.receive()
        const text = body.toString()
        if (text !== "warm") bodies.push(text)
      }
      return bodies
    })()
    for (let i = 0; i < COUNT; i++) await publisher.send(["t", `m${i}`])
    await publisher.flush()
    const bodies = await Promise.race([receiving, refused])
    assert.deepEqual(rejected, [])
    assert.equal(bodies[0], "m0")
    assert.equal(bodies[COUNT - 1], `m${COUNT - 1}`)
    assert.equal(new Set(bodies).size, COUNT)
    await publisher.close()
    secure.close()
    sub.close()
    pub.close()
  })

  it("never has two socket sends pending (zeromq v6 allows one), keeps data and batches in order, and a failed send rejects only its own send()", async () => {
    await cryptoReady() // the WebAssembly backend (IRONHOUSE_CRYPTO=libsodium-wrappers) loads asynchronously
    // A socket with zeromq's contract: a second send() while one is pending fails (EBUSY).
    // Each send settles on a later turn, so the flush timer's batches interleave with data.
    const sent: Uint8Array[][] = []
    let pending = false
    let failNext = false
    let throwNext = false
    const socket = {
      send(message: Uint8Array[]): Promise<void> {
        if (pending) return Promise.reject(Object.assign(new Error("EBUSY: a send is already pending"), { code: "EBUSY" }))
        if (throwNext) {
          // as Ironhouse's and zeromq's sockets throw EBADF: synchronously, not as a rejection
          throwNext = false
          throw Object.assign(new Error("EBADF: socket is closed"), { code: "EBADF" })
        }
        pending = true
        return new Promise<void>((resolve, reject) =>
          setImmediate(() => {
            pending = false
            if (failNext && message[0]?.[0] !== 0) {
              // the next data message (not a batch on the control topic, which starts with \0)
              failNext = false
              reject(new Error("socket closed"))
              return
            }
            sent.push(message)
            resolve()
          }),
        )
      },
    }
    const signing = signKeyPair()
    const reader = Certificate.generate()
    // packBytes 0: every send() is its own message, so that a failed one rejects its own send().
    const publisher = new SecurePublisher({ socket, signingKey: signing, readers: [reader.publicKey], batchSize: 7, packBytes: 0 })
    const reads = new StreamReader({ publicKey: reader.publicKey, secretKey: reader.secretKey as string, publisherKey: signing.publicKey })
    reads.acceptWelcome(answerKeyRequest(publisher.writer, reader.publicKey, keyRequest()).reply[2] as Uint8Array, 0)
    const COUNT = 100
    const unawaited: Promise<void>[] = []
    for (let i = 0; i < COUNT; i++) {
      if (i === 50) {
        failNext = true
        await assert.rejects(publisher.send(["t", `m${i}`]), { message: "socket closed" })
        continue
      }
      if (i === 60) {
        await Promise.all(unawaited) // nothing in flight: the direct path
        throwNext = true
        await assert.rejects(publisher.send(["t", `m${i}`]), { code: "EBADF" })
        continue
      }
      // Every few messages the application does not wait: sends queue behind each other.
      if (i % 3 === 0) unawaited.push(publisher.send(["t", `m${i}`]))
      else await publisher.send(["t", `m${i}`])
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 2)) // the 1 ms timer's batch leaves
    }
    await Promise.all(unawaited)
    // flush() resolves only once everything queued before it, a batch the 1 ms timer emitted
    // included, is with the socket: nothing may still be on its way when the test reads `sent`.
    await publisher.flush()
    await publisher.close()
    const bodies: string[] = []
    const refused: string[] = []
    for (const frames of sent) {
      for (const e of reads.receive(frames, 0)) {
        if (e.type === "message") bodies.push(new TextDecoder().decode(e.body))
        else if (e.type === "rejected") refused.push(e.reason)
      }
    }
    const expected = Array.from({ length: COUNT }, (_, i) => `m${i}`).filter((m) => m !== "m50" && m !== "m60")
    assert.deepEqual(bodies, expected) // every message that was handed over, in order, verified
    // The messages whose send failed never reached the reader; the batches that list them
    // did, so nothing but those gaps (no unverified or forged message) shows.
    assert.deepEqual(refused, [])
    assert.ok(sent.some((f) => f[0]?.[0] === 0), "batches went out on the control topic")
  })

  it("packs what one turn sends: fewer, larger messages; readers get every message in order, topics interleaved; never two sends pending", async () => {
    await cryptoReady()
    // zeromq's contract again: one pending send at a time, each settling on a later turn.
    const sent: Uint8Array[][] = []
    let pending = false
    let overlapped = false
    const socket = {
      send(message: Uint8Array[]): Promise<void> {
        if (pending) overlapped = true
        pending = true
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            pending = false
            sent.push(message)
            resolve()
          }),
        )
      },
    }
    const signing = signKeyPair()
    const reader = Certificate.generate()
    const publisher = new SecurePublisher({ socket, signingKey: signing, readers: [reader.publicKey], packBytes: 256 })
    const reads = new StreamReader({ publicKey: reader.publicKey, secretKey: reader.secretKey as string, publisherKey: signing.publicKey })
    reads.acceptWelcome(answerKeyRequest(publisher.writer, reader.publicKey, keyRequest()).reply[2] as Uint8Array, 0)
    const expected: string[] = []
    const sends: Promise<void>[] = []
    for (let i = 0; i < 200; i++) {
      // Runs of one topic, a topic change every 7 messages, one body larger than a pack, and
      // empty bodies: order must hold across all of them.
      const topic = Math.floor(i / 7) % 2 === 0 ? "a" : "b"
      const body = i === 100 ? "x".repeat(300) : i % 11 === 0 ? "" : `m${i}`
      expected.push(`${topic}:${body}`)
      // A buffer the application reuses right after send(): the pack holds a copy.
      const bytes = Buffer.from(body)
      if (i % 2 === 0) sends.push(publisher.send([topic, bytes]))
      else await publisher.send([topic, bytes])
      bytes.fill(0x21)
    }
    await Promise.all(sends)
    await publisher.flush()
    await publisher.close()
    assert.equal(overlapped, false, "two socket sends were pending at once")
    const got: string[] = []
    const refused: string[] = []
    const decoder = new TextDecoder()
    for (const frames of sent) {
      for (const e of reads.receive(frames, 0)) {
        if (e.type === "message") got.push(`${decoder.decode(e.topic)}:${decoder.decode(e.body)}`)
        else if (e.type === "rejected") refused.push(e.reason)
      }
    }
    assert.deepEqual(refused, [])
    assert.deepEqual(got, expected)
    const data = sent.filter((f) => f[0]?.[0] !== 0)
    const packed = data.filter((f) => f[1]?.[1] === 5)
    assert.ok(packed.length > 0 && data.length < 200, `expected packed messages, got ${data.length} data messages (${packed.length} packed)`)
    for (const f of data) assert.ok((f[1] as Uint8Array).length <= 22 + 300 + 4 + 16, "a pack grew past packBytes")
  })

  it("packBytes 0 sends every message alone; a bad packBytes throws", async () => {
    await cryptoReady()
    const sent: Uint8Array[][] = []
    const socket = { send: async (m: Uint8Array[]) => void sent.push(m) }
    const publisher = new SecurePublisher({ socket, signingKey: signKeyPair(), readers: [Certificate.generate().publicKey], packBytes: 0 })
    for (let i = 0; i < 20; i++) await publisher.send(["t", `m${i}`])
    await publisher.close()
    const data = sent.filter((f) => f[0]?.[0] !== 0)
    assert.equal(data.length, 20)
    assert.ok(data.every((f) => f[1]?.[1] === 1))
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 24 + 1]) {
      assert.throws(() => new SecurePublisher({ socket, signingKey: signKeyPair(), packBytes: bad }), RangeError)
    }
  })

  it("flush() and close() wait for a batch the timer queued behind a send still in flight", async () => {
    await cryptoReady()
    const sent: Uint8Array[][] = []
    const releases: (() => void)[] = []
    // Each send stays pending until the test releases it.
    const socket = {
      send: (message: Uint8Array[]) =>
        new Promise<void>((resolve) =>
          releases.push(() => {
            sent.push(message)
            resolve()
          }),
        ),
    }
    const publisher = new SecurePublisher({ socket, signingKey: signKeyPair(), readers: [Certificate.generate().publicKey] })
    const first = publisher.send(["t", "m0"]) // in flight, not released
    await new Promise((r) => setTimeout(r, 20)) // the timer signs m0's batch, which queues behind it
    let flushed = false
    const flushing = publisher.flush().then(() => (flushed = true))
    await new Promise((r) => setImmediate(r))
    assert.equal(flushed, false, "flush() resolved while the batch was still queued")
    while (releases.length > 0) {
      ;(releases.shift() as () => void)()
      await new Promise((r) => setImmediate(r))
    }
    await first
    await flushing
    assert.equal(sent.length, 2)
    assert.equal(sent[1]?.[0]?.[0], 0, "the second message is the batch on the control topic")
    await publisher.close()
  })

  it("turns each rescan of the reader directory into one commit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ih-sa-pub-"))
    const a = Certificate.generate()
    const b = Certificate.generate()
    await a.savePublic(join(dir, "a.key"))
    const store = await CertificateStore.open(dir)
    const pub = new Publisher()
    const publisher = new SecurePublisher({ socket: pub, signingKey: signKeyPair(), readers: store })
    const commits: CommitInfo[] = []
    publisher.on("commit", (c) => commits.push(c))
    assert.deepEqual(publisher.writer.tree.members(), [a.publicKey])
    await b.savePublic(join(dir, "b.key"))
    await rm(join(dir, "a.key"))
    await store.reload()
    assert.deepEqual(commits.map((c) => [c.epoch, c.added, c.removed]), [[2, 1, 1]])
    assert.deepEqual(publisher.writer.tree.members(), [b.publicKey])
    await store.reload() // nothing changed: no commit
    assert.equal(commits.length, 1)
    await publisher.close()
    store.close()
    pub.close()
    await rm(dir, { recursive: true })
  })

  it("refuses bad arguments with typed errors", async () => {
    const pub = new Publisher()
    assert.throws(() => new SecurePublisher({ socket: {} as never, signingKey: signKeyPair() }), { name: "TypeError" })
    assert.throws(() => new SecurePublisher({ socket: pub, signingKey: { publicKey: new Uint8Array(32), secretKey: new Uint8Array(10) } }), { name: "TypeError" })
    assert.throws(() => new SecurePublisher({ socket: pub, signingKey: signKeyPair(), rotateInterval: -1 }), { name: "RangeError" })
    const publisher = new SecurePublisher({ socket: pub, signingKey: signKeyPair() })
    await assert.rejects(publisher.send([] as never), { name: "RangeError" })
    await assert.rejects(publisher.send(["\u0000ih-sa/x", "b"]), { name: "RangeError", message: /reserved/ })
    await publisher.close()
    pub.close()
  })
})
