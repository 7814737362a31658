/**
 * The authenticator at the hook level (src/mechanism/mechanism.ts `Authenticate`): the five
 * patterns of "Using ZeroMQ Security" (Grasslands, Strawhouse, Woodhouse, Stonehouse,
 * Ironhouse), the key-check callback, domains, and what the 'decision' events contain.
 */
import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type AuthDecision, Authenticator } from "../../src/auth/authenticator.js"
import { Certificate } from "../../src/cert/certificate.js"
import { CertificateStore } from "../../src/cert/store.js"
import type { Authenticate, AuthReply, AuthRequest } from "../../src/mechanism/mechanism.js"
import { z85Decode } from "../../src/wire/z85.js"
import { nextEvent, tempDir } from "../cert/helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
let counter = 0
const freshDir = (): string => {
  const dir = join(tmp.dir, `auth-${++counter}`)
  mkdirSync(dir)
  return dir
}
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

const nullRequest = (address = "10.0.0.1", domain = "global"): AuthRequest => ({ domain, address, routingId: new Uint8Array(0), mechanism: "NULL", credentials: [] })
const plainRequest = (username: string, password: string, address = "10.0.0.1", domain = "global"): AuthRequest => ({
  domain,
  address,
  routingId: new Uint8Array(0),
  mechanism: "PLAIN",
  credentials: [text(username), text(password)],
})
const curveRequest = (publicKey: string, address = "10.0.0.1", domain = "global"): AuthRequest => ({
  domain,
  address,
  routingId: text("client"),
  mechanism: "CURVE",
  credentials: [z85Decode(publicKey)],
})

/** Run `request` and return the reply and the one 'decision' it emitted. */
async function decide(auth: Authenticator, request: AuthRequest): Promise<{ reply: AuthReply; decision: AuthDecision }> {
  const decisions: AuthDecision[] = []
  const listener = (d: AuthDecision): void => void decisions.push(d)
  auth.on("decision", listener)
  try {
    const reply = await auth.authenticate(request)
    assert.equal(decisions.length, 1, "exactly one decision per request")
    return { reply, decision: decisions[0] as AuthDecision }
  } finally {
    auth.off("decision", listener)
  }
}

describe("Authenticator", () => {
  it("plugs into the mechanisms' hook type as a bound function", async () => {
    const auth = new Authenticator()
    const hook: Authenticate = auth.authenticate
    const reply = await hook(nullRequest())
    assert.equal(reply.status, 200)
    auth.close()
  })

  describe("Grasslands (NULL, no rules)", () => {
    it("lets every NULL client in", async () => {
      const auth = new Authenticator()
      const { reply, decision } = await decide(auth, nullRequest("203.0.113.9"))
      assert.deepEqual(reply, { status: 200, statusText: "OK", userId: "" })
      assert.deepEqual(decision, { domain: "global", address: "203.0.113.9", mechanism: "NULL", allowed: true, status: 200, reason: "no address rules" })
      auth.close()
    })

    it("refuses PLAIN and CURVE when they are not configured (as CZMQ zauth)", async () => {
      const auth = new Authenticator()
      assert.equal((await auth.authenticate(plainRequest("admin", "x"))).status, 400)
      const { decision } = await decide(auth, curveRequest(Certificate.generate().publicKey))
      assert.equal(decision.reason, "CURVE not configured for this domain")
      auth.close()
    })
  })

  describe("Strawhouse (address allow/deny)", () => {
    it("an allow list admits only listed addresses and ranges, IPv4-mapped IPv6 included", async () => {
      const auth = new Authenticator().allow("127.0.0.1", "10.0.0.0/8", "2001:db8::/32")
      for (const [address, allowed] of [
        ["127.0.0.1", true],
        ["10.200.1.1", true],
        ["::ffff:10.1.1.1", true],
        ["2001:db8::5", true],
        ["192.168.1.1", false],
        ["", false],
      ] as const) {
        const { reply, decision } = await decide(auth, nullRequest(address))
        assert.equal(reply.status, allowed ? 200 : 400, address)
        assert.equal(decision.allowed, allowed)
        assert.equal(decision.reason, allowed ? "address in allow list" : "address not in allow list")
      }
      auth.close()
    })

    it("a deny list refuses what it lists, for every mechanism", async () => {
      const auth = new Authenticator().deny("192.168.0.0/16")
      await auth.configurePlain({ passwords: { admin: "secret" } })
      assert.equal((await auth.authenticate(nullRequest("192.168.7.7"))).status, 400)
      assert.equal((await auth.authenticate(plainRequest("admin", "secret", "192.168.7.7"))).status, 400)
      assert.equal((await auth.authenticate(nullRequest("10.0.0.1"))).status, 200)
      auth.close()
    })

    it("refuses invalid rules with a TypeError and keeps the old rules", async () => {
      const auth = new Authenticator().allow("10.0.0.1")
      assert.throws(() => auth.allow("10.0.0.2", "host.example"), TypeError)
      assert.equal((await auth.authenticate(nullRequest("10.0.0.2"))).status, 400)
      auth.close()
    })
  })

  describe("Woodhouse (PLAIN)", () => {
    it("accepts the right password, with the username as user id", async () => {
      const auth = new Authenticator()
      await auth.configurePlain({ passwords: { admin: "Password" } })
      const { reply, decision } = await decide(auth, plainRequest("admin", "Password"))
      assert.deepEqual(reply, { status: 200, statusText: "OK", userId: "admin" })
      assert.deepEqual(decision, { domain: "global", address: "10.0.0.1", mechanism: "PLAIN", userId: "admin", allowed: true, status: 200, reason: "password accepted" })
      auth.close()
    })

    it("refuses a wrong password or unknown user with 400, and never puts a password in a decision", async () => {
      const auth = new Authenticator()
      await auth.configurePlain({ passwords: { admin: "Password" } })
      const wrong = await decide(auth, plainRequest("admin", "Bogus-Password-123"))
      assert.deepEqual(wrong.reply, { status: 400, statusText: "No access" })
      assert.equal(wrong.decision.reason, "wrong password")
      const unknown = await decide(auth, plainRequest("mallory", "Password"))
      assert.equal(unknown.decision.reason, "unknown user")
      for (const d of [wrong.decision, unknown.decision]) {
        const json = JSON.stringify(d)
        assert.equal(json.includes("Bogus-Password-123"), false)
        assert.equal(json.includes("Password\""), false)
      }
      auth.close()
    })

    it("an allowed address must still give the right password (as CZMQ)", async () => {
      const auth = new Authenticator().allow("10.0.0.1")
      await auth.configurePlain({ passwords: { admin: "Password" } })
      assert.equal((await auth.authenticate(plainRequest("admin", "nope"))).status, 400)
      auth.close()
    })

    it("reads a password file and follows its changes", async () => {
      const dir = freshDir()
      const path = join(dir, "passwords")
      writeFileSync(path, "# users\nadmin=Password\n")
      const auth = new Authenticator({ interval: 50 })
      await auth.configurePlain({ passwordFile: path })
      try {
        assert.equal((await auth.authenticate(plainRequest("admin", "Password"))).status, 200)
        const reloaded = nextEvent(auth, "reloaded")
        writeFileSync(join(dir, "staged"), "admin=Changed\n")
        renameSync(join(dir, "staged"), path)
        await reloaded
        assert.equal((await auth.authenticate(plainRequest("admin", "Changed"))).status, 200)
        assert.equal((await auth.authenticate(plainRequest("admin", "Password"))).status, 400)
      } finally {
        auth.close()
      }
    })

    it("answers 500 while the password file is malformed (fails closed), and reports it", async () => {
      const dir = freshDir()
      const path = join(dir, "passwords")
      writeFileSync(path, "admin=Password\n")
      const auth = new Authenticator({ interval: 50 })
      await auth.configurePlain({ passwordFile: path })
      try {
        const skipped = nextEvent<{ file: string; reason: string }>(auth, "skipped")
        writeFileSync(join(dir, "staged"), "admin=Password\nbroken line\n")
        renameSync(join(dir, "staged"), path)
        assert.match((await skipped).reason, /:2: expected name=password/)
        const { reply, decision } = await decide(auth, plainRequest("admin", "Password"))
        assert.equal(reply.status, 500)
        assert.equal(decision.reason, "password file unavailable")
      } finally {
        auth.close()
      }
    })

    it("rejects configurePlain for a missing file, and then answers 500", async () => {
      const auth = new Authenticator()
      await assert.rejects(auth.configurePlain({ passwordFile: join(tmp.dir, "no-such-file") }), { name: "PasswordFileError" })
      assert.equal((await auth.authenticate(plainRequest("admin", "x"))).status, 500)
      auth.close()
    })

    it("refuses both or neither of passwords and passwordFile", () => {
      const auth = new Authenticator()
      assert.throws(() => auth.configurePlain({}), TypeError)
      assert.throws(() => auth.configurePlain({ passwords: {}, passwordFile: "x" }), TypeError)
      auth.close()
    })
  })

  describe("Stonehouse (CURVE, any client key)", () => {
    it("accepts any client key, with the Z85 key as user id", async () => {
      const auth = new Authenticator()
      await auth.configureCurve({ allowAny: true })
      const key = Certificate.generate().publicKey
      const { reply, decision } = await decide(auth, curveRequest(key))
      assert.deepEqual(reply, { status: 200, statusText: "OK", userId: key })
      assert.equal(decision.publicKey, key)
      assert.equal(decision.reason, "any client key allowed")
      auth.close()
    })

    it("still applies the address filter first", async () => {
      const auth = new Authenticator().deny("10.0.0.1")
      await auth.configureCurve({ allowAny: true })
      assert.equal((await auth.authenticate(curveRequest(Certificate.generate().publicKey))).status, 400)
      auth.close()
    })
  })

  describe("Ironhouse (CURVE, certificate directory)", () => {
    it("accepts only clients with a certificate, returning the certificate's metadata", async () => {
      const dir = freshDir()
      const known = Certificate.generate({ name: "Alice", "X-Role": "admin", "bad$name": "skipped" })
      await known.save(join(dir, "alice.key"))
      const auth = new Authenticator()
      await auth.configureCurve({ certificates: dir })
      try {
        const { reply, decision } = await decide(auth, curveRequest(known.publicKey))
        assert.equal(reply.status, 200)
        assert.equal(reply.userId, known.publicKey)
        assert.deepEqual(
          [...(reply.metadata ?? new Map())].map(([k, v]) => [k, new TextDecoder().decode(v)]),
          [
            ["name", "Alice"],
            ["X-Role", "admin"],
          ],
          "metadata names that are not valid on the wire are left out",
        )
        assert.equal(decision.reason, "certificate found")
        const stranger = await decide(auth, curveRequest(Certificate.generate().publicKey))
        assert.equal(stranger.reply.status, 400)
        assert.equal(stranger.decision.reason, "certificate not found")
      } finally {
        auth.close()
      }
    })

    it("picks up a certificate added and removed while running", async () => {
      const dir = freshDir()
      const auth = new Authenticator({ interval: 50 })
      const store = new CertificateStore(dir, { watch: true, interval: 50 })
      await auth.configureCurve({ certificates: store })
      try {
        const late = Certificate.generate()
        assert.equal((await auth.authenticate(curveRequest(late.publicKey))).status, 400)
        const added = nextEvent(store, "added")
        writeFileSync(join(tmp.dir, "late.key"), late.publicText())
        renameSync(join(tmp.dir, "late.key"), join(dir, "late.key"))
        await added
        assert.equal((await auth.authenticate(curveRequest(late.publicKey))).status, 200)
        const removed = nextEvent(store, "removed")
        unlinkSync(join(dir, "late.key"))
        await removed
        assert.equal((await auth.authenticate(curveRequest(late.publicKey))).status, 400)
      } finally {
        auth.close()
        store.close()
      }
    })

    it("answers 500 when the certificate directory cannot be read", async () => {
      const auth = new Authenticator()
      await assert.rejects(auth.configureCurve({ certificates: join(tmp.dir, "missing-dir") }), { code: "ENOENT" })
      const { reply, decision } = await decide(auth, curveRequest(Certificate.generate().publicKey))
      assert.equal(reply.status, 500)
      assert.equal(decision.reason, "certificate directory unavailable")
      auth.close()
    })
  })

  describe("CURVE key-check callback", () => {
    it("awaits an async callback and uses the user id and metadata it returns", async () => {
      const auth = new Authenticator()
      const allowedKey = Certificate.generate().publicKey
      const seen: string[] = []
      await auth.configureCurve({
        check: async (publicKey, request) => {
          seen.push(`${publicKey}@${request.address}`)
          await new Promise((resolve) => setImmediate(resolve))
          return publicKey === allowedKey ? { userId: "alice", metadata: { Department: "R&D" } } : false
        },
      })
      const ok = await decide(auth, curveRequest(allowedKey))
      assert.equal(ok.reply.status, 200)
      assert.equal(ok.reply.userId, "alice")
      assert.equal(new TextDecoder().decode(ok.reply.metadata?.get("Department")), "R&D")
      assert.equal(ok.decision.reason, "accepted by key check")
      const other = Certificate.generate().publicKey
      const refused = await decide(auth, curveRequest(other))
      assert.equal(refused.reply.status, 400)
      assert.equal(refused.decision.reason, "refused by key check")
      assert.deepEqual(seen, [`${allowedKey}@10.0.0.1`, `${other}@10.0.0.1`])
      auth.close()
    })

    it("accepts `true` with the Z85 key as user id", async () => {
      const auth = new Authenticator()
      await auth.configureCurve({ check: () => true })
      const key = Certificate.generate().publicKey
      assert.equal((await auth.authenticate(curveRequest(key))).userId, key)
      auth.close()
    })

    it("answers 500 when the callback throws, rejects, or returns something else", async () => {
      const auth = new Authenticator()
      const key = Certificate.generate().publicKey
      for (const check of [
        () => {
          throw new Error("boom")
        },
        () => Promise.reject(new Error("boom")),
        () => "yes" as unknown as boolean,
        () => ({ metadata: { "bad name": "x" } }),
      ]) {
        await auth.configureCurve({ check })
        const { reply, decision } = await decide(auth, curveRequest(key))
        assert.equal(reply.status, 500)
        assert.equal(decision.allowed, false)
      }
      auth.close()
    })
  })

  describe("domains", () => {
    it("a domain's own settings win over '*', and each setting falls back to '*' separately", async () => {
      const auth = new Authenticator()
      await auth.configurePlain({ passwords: { admin: "star" } })
      await auth.configurePlain({ domain: "secure", passwords: { admin: "secure" } })
      auth.deny({ domain: "secure" }, "10.0.0.9")
      assert.equal((await auth.authenticate(plainRequest("admin", "star", "10.0.0.1", "other"))).status, 200)
      assert.equal((await auth.authenticate(plainRequest("admin", "star", "10.0.0.1", "secure"))).status, 400)
      assert.equal((await auth.authenticate(plainRequest("admin", "secure", "10.0.0.1", "secure"))).status, 200)
      assert.equal((await auth.authenticate(plainRequest("admin", "secure", "10.0.0.9", "secure"))).status, 400)
      assert.equal((await auth.authenticate(plainRequest("admin", "star", "10.0.0.9", "other"))).status, 200)
      auth.close()
    })

    it("a mechanism configured only for one domain is refused in others", async () => {
      const auth = new Authenticator()
      await auth.configureCurve({ domain: "a", allowAny: true })
      const key = Certificate.generate().publicKey
      assert.equal((await auth.authenticate(curveRequest(key, "10.0.0.1", "a"))).status, 200)
      assert.equal((await auth.authenticate(curveRequest(key, "10.0.0.1", "b"))).status, 400)
      auth.close()
    })
  })

  it("refuses malformed credentials and unknown mechanisms with 400", async () => {
    const auth = new Authenticator()
    await auth.configureCurve({ allowAny: true })
    await auth.configurePlain({ passwords: { a: "b" } })
    const base = nullRequest()
    assert.equal((await auth.authenticate({ ...base, mechanism: "CURVE", credentials: [new Uint8Array(31)] })).status, 400)
    assert.equal((await auth.authenticate({ ...base, mechanism: "PLAIN", credentials: [text("a")] })).status, 400)
    assert.equal((await auth.authenticate({ ...base, mechanism: "PLAIN", credentials: [Uint8Array.of(0xff), text("b")] })).status, 400)
    assert.equal((await auth.authenticate({ ...base, mechanism: "GSSAPI" as "NULL" })).status, 400)
    auth.close()
  })

  it("after close() answers 500 and refuses new configuration", async () => {
    const auth = new Authenticator()
    auth.close()
    assert.equal((await auth.authenticate(nullRequest())).status, 500)
    assert.throws(() => auth.configurePlain({ passwords: {} }), TypeError)
  })
})
