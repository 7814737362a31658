/**
 * The crypto backend without a top-level await (issue 7 defect 8, issue 15 item 2): with
 * libsodium-wrappers (WebAssembly, ready asynchronously) the key functions work synchronously
 * right after the import, box/secretbox functions say to await cryptoReady(), and a CURVE
 * handshake started before the backend is ready waits for it and completes. Each case runs in
 * a fresh process (without the test runner's preload, which awaits readiness).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import fc from "fast-check"
import { loadBackend } from "../../src/crypto/backend.js"
import { opensslKeyBackend } from "../../src/crypto/openssl-keys.js"
import { availableBackends, SODIUM_NATIVE_INSTALLED } from "./available-backends.js"
import { toHex } from "../vectors/hex.js"

const src = (path: string): string => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href)

function runFresh(script: string, backend: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, IRONHOUSE_CRYPTO: backend },
    timeout: 60_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe("crypto readiness with libsodium-wrappers (a fresh process, right after import)", () => {
  it("key functions are synchronous at once; box functions and cryptoBackend() ask for cryptoReady(); then all work", () => {
    const script = `
      const c = await import(${src("crypto/index.js")})
      const keys = await import(${src("crypto/keys.js")})
      const out = []
      const pair = keys.curveKeyPair()
      out.push(keys.curvePublicKey(pair.secretKey) === pair.publicKey)
      out.push(c.randomBytes(8).length)
      try { c.cryptoBackend(); out.push("no throw") } catch (e) { out.push(/await cryptoReady\\(\\)/.test(e.message)) }
      try { c.seal(new Uint8Array(1), new Uint8Array(24), new Uint8Array(32)); out.push("no throw") } catch (e) { out.push(/still loading/.test(e.message)) }
      const name = await c.cryptoReady()
      out.push(name, c.cryptoBackend().name)
      out.push(keys.curvePublicKey(pair.secretKey) === pair.publicKey)
      out.push(c.seal(new Uint8Array(1), new Uint8Array(24), new Uint8Array(32)).length)
      process.stdout.write(JSON.stringify(out))
    `
    const result = runFresh(script, "libsodium-wrappers")
    assert.equal(result.status, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), [true, 8, true, true, "libsodium-wrappers", "libsodium-wrappers", true, 17])
  })

  it("with sodium-native everything is ready at import (and forcing it when it is missing fails the import)", () => {
    const script = `
      const c = await import(${src("crypto/index.js")})
      process.stdout.write(c.cryptoBackend().name + " " + c.seal(new Uint8Array(1), new Uint8Array(24), new Uint8Array(32)).length)
    `
    const result = runFresh(script, "sodium-native")
    if (SODIUM_NATIVE_INSTALLED) {
      assert.equal(result.status, 0, result.stderr)
      assert.equal(result.stdout, "sodium-native 17")
    } else {
      assert.notEqual(result.status, 0)
      assert.match(result.stderr, /crypto backend "sodium-native" is not available/)
    }
  })

  it("an engine CURVE handshake started before the backend is ready waits for it and completes", () => {
    const script = `
      const { Connection } = await import(${src("engine/connection.js")})
      const c = await import(${src("crypto/index.js")})
      const s = c.generateKeyPair(), k = c.generateKeyPair()
      const server = new Connection({ socketType: "REP", security: { mechanism: "CURVE", asServer: true, curvePublicKey: s.publicKey, curveSecretKey: s.secretKey } })
      const client = new Connection({ socketType: "REQ", security: { mechanism: "CURVE", asServer: false, curvePublicKey: k.publicKey, curveSecretKey: k.secretKey, curveServerKey: s.publicKey } })
      const readyBefore = (() => { try { c.cryptoBackend(); return true } catch { return false } })()
      let wakes = 0
      client.onWake = server.onWake = () => wakes++
      const seen = []
      for (let round = 0; round < 2000 && seen.length < 2; round++) {
        for (const [from, to] of [[client, server], [server, client]]) for (const chunk of from.takeOutput()) to.receiveData(chunk)
        for (const conn of [client, server]) for (const e of conn.takeEvents()) seen.push(e.type === "error" ? e.error.code : e.type)
        await new Promise((r) => setTimeout(r, 1))
      }
      process.stdout.write(JSON.stringify({ readyBefore, seen, woke: wakes > 0 }))
    `
    const result = runFresh(script, "libsodium-wrappers")
    assert.equal(result.status, 0, result.stderr)
    const outcome = JSON.parse(result.stdout) as { readyBefore: boolean; seen: string[]; woke: boolean }
    assert.equal(outcome.readyBefore, false, "the handshake really started before the backend was ready")
    assert.deepEqual(outcome.seen, ["handshake", "handshake"])
    assert.equal(outcome.woke, true, "the engine called onWake when the backend became ready")
  })

  it("CURVE sockets made right after import talk, with no readiness step in the program", () => {
    const script = `
      const zmq = await import(${src("index.js")})
      const server = zmq.curveKeyPair(), client = zmq.curveKeyPair()
      const rep = new zmq.Reply({ curveServer: true, curveSecretKey: server.secretKey, linger: 0 })
      await rep.bind("tcp://127.0.0.1:*")
      const req = new zmq.Request({ curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, linger: 0 })
      req.connect(rep.lastEndpoint)
      await req.send("ping")
      const [msg] = await rep.receive()
      await rep.send(msg)
      const [back] = await req.receive()
      process.stdout.write(String(back))
      req.close(); rep.close()
    `
    const result = runFresh(script, "libsodium-wrappers")
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stdout, "ping")
  })
})

describe("the OpenSSL key fallback", () => {
  it("gives libsodium's public key for any secret, on every backend", async () => {
    const backends = await availableBackends()
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
        const ours = toHex(opensslKeyBackend.scalarMultBase(secret))
        for (const b of backends) assert.equal(ours, toHex(b.scalarMultBase(secret)), b.name)
      }),
      { numRuns: 200 },
    )
  })

  it("matches RFC 7748 section 6.1 (Alice's key pair)", async () => {
    const secret = Uint8Array.from(Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex"))
    assert.equal(toHex(opensslKeyBackend.scalarMultBase(secret)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert.equal(toHex((await loadBackend("libsodium-wrappers")).scalarMultBase(secret)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
  })

  it("compares in constant time via timingSafeEqual and wipes", () => {
    assert.equal(opensslKeyBackend.equal?.(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true)
    assert.equal(opensslKeyBackend.equal?.(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false)
    const buf = new Uint8Array([1, 2, 3])
    opensslKeyBackend.wipe(buf)
    assert.deepEqual([...buf], [0, 0, 0])
  })
})
