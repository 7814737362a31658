/**
 * Stream access before the crypto backend is ready: with libsodium-wrappers (WebAssembly,
 * ready asynchronously) a SecurePublisher and a SecureSubscriber created right after the
 * import, before cryptoReady() resolved, check their arguments at once, wait for the backend
 * on their own, and then deliver. A fresh process without the test runner's preload (which
 * awaits readiness), over real Ironhouse PUB/SUB sockets on inproc://.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { signKeyPair } from "../../src/crypto/sign.js"

const src = (path: string): string => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href)

describe("stream access while libsodium-wrappers is still loading", () => {
  it("SecurePublisher and SecureSubscriber made before cryptoReady() wait for it, then deliver", () => {
    const full = `
      const ih = await import(${src("index.js")})
      const active = await import(${src("crypto/active-backend.js")})
      const { answerKeyRequest } = await import(${src("stream-access/key-service.js")})
      const out = { readyAtStart: active.readyBackend() !== undefined }
      // An Ed25519 key pair made by the caller ahead of time (its bytes are all one needs).
      const signingKey = JSON.parse(process.env.SIGNING_KEY, (k, v) => (Array.isArray(v) ? new Uint8Array(v) : v))
      const reader = ih.Certificate.generate()
      const pub = new ih.Publisher()
      await pub.bind("inproc://stream-access-readiness")
      const sub = new ih.Subscriber()
      sub.connect("inproc://stream-access-readiness")
      try { new ih.SecurePublisher({ socket: pub, signingKey: { publicKey: new Uint8Array(32), secretKey: new Uint8Array(3) } }) } catch (e) { out.badKeyThrows = e instanceof TypeError }
      const publisher = new ih.SecurePublisher({ socket: pub, signingKey, readers: [reader.publicKey], batchDelay: 0 })
      const secure = new ih.SecureSubscriber({
        socket: sub, publicKey: reader.publicKey, secretKey: reader.secretKey, publisherKey: signingKey.publicKey,
        keyService: async (request) => answerKeyRequest(publisher.writer, reader.publicKey, request).reply,
      })
      out.stillLoading = active.readyBackend() === undefined
      try { publisher.writer; out.writerEarly = "no throw" } catch (e) { out.writerEarly = /await publisher.ready\\(\\)/.test(e.message) }
      secure.subscribe("t")
      const got = secure.receive()
      await secure.fetchKeys()
      out.hasKeys = secure.reader.hasKeys
      let done = false
      got.then(() => (done = true))
      for (let i = 0; i < 2000 && !done; i++) {
        await publisher.send(["t", "hello " + i])
        await new Promise((r) => setTimeout(r, 2))
      }
      const [topic, body] = await got
      out.topic = topic.toString()
      out.body = body.toString().startsWith("hello ")
      out.backend = (await import(${src("crypto/index.js")})).cryptoBackend().name
      await publisher.close()
      secure.close()
      sub.close()
      pub.close()
      process.stdout.write(JSON.stringify(out))
      process.exit(0)
    `
    // The signing key pair is made here (the backend of this process is ready) and passed in.
    const signing = signKeyPair()
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", full], {
      encoding: "utf8",
      env: { ...process.env, IRONHOUSE_CRYPTO: "libsodium-wrappers", SIGNING_KEY: JSON.stringify({ publicKey: [...signing.publicKey], secretKey: [...signing.secretKey] }) },
      timeout: 60_000,
    })
    assert.equal(result.status, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), {
      readyAtStart: false,
      badKeyThrows: true,
      stillLoading: true,
      writerEarly: true,
      hasKeys: true,
      topic: "t",
      body: true,
      backend: "libsodium-wrappers",
    })
  })
})

