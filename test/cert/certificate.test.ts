import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import { Certificate, INSECURE_SECRET_FILE_WARNING } from "../../src/cert/certificate.js"
import { CertificateError } from "../../src/cert/certificate-error.js"
import { curveKeyPair } from "../../src/crypto/keys.js"
import { z85Decode } from "../../src/wire/z85.js"
import { collectWarnings, tempDir } from "./helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
let counter = 0
const fresh = (name = "cert"): string => join(tmp.dir, `${name}-${++counter}.key`)

async function rejectsWithCertificateError(promise: Promise<unknown>, check: (error: CertificateError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CertificateError, `expected CertificateError, got ${String(error)}`)
    check(error)
    return true
  })
}

describe("Certificate", () => {
  it("generates a key pair whose secret key belongs to its public key", () => {
    const cert = Certificate.generate({ name: "Alice" })
    assert.equal(cert.publicKey.length, 40)
    assert.equal(cert.secretKey?.length, 40)
    assert.equal(cert.hasSecretKey, true)
    assert.equal(cert.publicKeyBytes.length, 32)
    assert.deepEqual(cert.metadata, { name: "Alice" })
    assert.ok(Object.isFrozen(cert.metadata))
  })

  it("round-trips keys and metadata through save() and load()", async () => {
    const metadata = { name: "Alice Example", email: "alice@example.com", empty: "", utf8: "Zoë", quote: 'say "hi"', hash: "a#b=c" }
    const cert = Certificate.generate(metadata)
    const path = fresh()
    await cert.save(path)
    const loaded = await Certificate.load(path)
    assert.equal(loaded.publicKey, cert.publicKey)
    assert.equal(loaded.secretKey, cert.secretKey)
    assert.deepEqual(loaded.metadata, metadata)
    const publicOnly = Certificate.fromText(readFileSync(path, "utf8"), path)
    assert.equal(publicOnly.publicKey, cert.publicKey)
    assert.equal(publicOnly.hasSecretKey, false)
    assert.deepEqual(publicOnly.metadata, metadata, "the public file carries the metadata too, as CZMQ writes it")
  })

  it("writes exactly CZMQ's layout: banner, empty line, metadata, curve, LF endings", async () => {
    const pair = curveKeyPair()
    const cert = new Certificate({ publicKey: pair.publicKey, secretKey: pair.secretKey, metadata: { name: "Alice" } })
    const date = new Date(2026, 10, 22, 8, 29, 51)
    assert.equal(
      cert.publicText({ date }),
      [
        "#   ****  Generated on 2026-11-22 08:29:51 by Ironhouse  ****",
        "#   ZeroMQ CURVE Public Certificate",
        "#   Exchange securely, or use a secure mechanism to verify the contents",
        "#   of this file after exchange. Store public certificates in your home",
        "#   directory, in the .curve subdirectory.",
        "",
        "metadata",
        '    name = "Alice"',
        "curve",
        `    public-key = "${pair.publicKey}"`,
        "",
      ].join("\n"),
    )
    assert.equal(
      cert.secretText({ date }),
      [
        "#   ****  Generated on 2026-11-22 08:29:51 by Ironhouse  ****",
        "#   ZeroMQ CURVE **Secret** Certificate",
        "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
        "",
        "metadata",
        '    name = "Alice"',
        "curve",
        `    public-key = "${pair.publicKey}"`,
        `    secret-key = "${pair.secretKey}"`,
        "",
      ].join("\n"),
    )
    const empty = new Certificate({ publicKey: pair.publicKey })
    assert.match(empty.publicText({ date }), /\n\nmetadata\ncurve\n {4}public-key = /, "an empty metadata section is still written")
  })

  it("creates the secret file with mode 0600 even with umask 000, and leaves no temporary files", async () => {
    const previous = process.umask(0o000)
    try {
      const dir = tempDir()
      try {
        const path = join(dir.dir, "server.key")
        await Certificate.generate().save(path)
        assert.equal(statSync(`${path}_secret`).mode & 0o777, 0o600)
        assert.equal(statSync(path).mode & 0o777, 0o644)
        assert.deepEqual(readdirSync(dir.dir).sort(), ["server.key", "server.key_secret"])
      } finally {
        dir.cleanup()
      }
    } finally {
      process.umask(previous)
    }
  })

  it("replaces a world-readable secret file with a 0600 one (a new inode, never chmod after writing)", async () => {
    const path = fresh()
    writeFileSync(`${path}_secret`, "old", { mode: 0o644 })
    chmodSync(`${path}_secret`, 0o644)
    const before = statSync(`${path}_secret`).ino
    await Certificate.generate().saveSecret(`${path}_secret`)
    const after = statSync(`${path}_secret`)
    assert.equal(after.mode & 0o777, 0o600)
    assert.notEqual(after.ino, before)
  })

  it("warns (IRONHOUSE_INSECURE_SECRET_FILE) when a secret file is readable by others, without the key", async () => {
    const cert = Certificate.generate()
    const path = fresh()
    await cert.save(path)
    chmodSync(`${path}_secret`, 0o644)
    const warnings = await collectWarnings(INSECURE_SECRET_FILE_WARNING, () => Certificate.load(path))
    assert.equal(warnings.length, 1)
    const warning = warnings[0] as Error
    assert.match(warning.message, /readable or writable by group or others \(mode 0644\)/)
    assert.ok(warning.message.includes(`${path}_secret`))
    assert.equal(warning.message.includes(cert.secretKey as string), false)
  })

  it("does not warn for a 0600 secret file or a 0644 public file", async () => {
    const path = fresh()
    await Certificate.generate().save(path)
    const warnings = await collectWarnings(INSECURE_SECRET_FILE_WARNING, () => Certificate.load(path))
    assert.equal(warnings.length, 0)
  })

  it("never shows the secret key through inspect, JSON or String", () => {
    const cert = Certificate.generate({ name: "x" })
    const secret = cert.secretKey as string
    for (const text of [inspect(cert), inspect(cert, { showHidden: true, depth: 10 }), JSON.stringify(cert), String(cert), inspect({ nested: [cert] })]) {
      assert.equal(text.includes(secret), false, text)
    }
    assert.deepEqual(JSON.parse(JSON.stringify(cert)), { publicKey: cert.publicKey, metadata: { name: "x" }, hasSecretKey: true })
    assert.deepEqual(Object.keys(cert), ["publicKey", "metadata"])
  })

  it("accepts keys as 32 octets or 40 Z85 characters and refuses other sizes without printing them", () => {
    const pair = curveKeyPair()
    const fromBytes = new Certificate({ publicKey: z85Decode(pair.publicKey), secretKey: z85Decode(pair.secretKey) })
    assert.equal(fromBytes.publicKey, pair.publicKey)
    assert.throws(() => new Certificate({ publicKey: pair.publicKey.slice(1) }), (error: Error) => {
      assert.ok(error instanceof RangeError)
      assert.match(error.message, /expected 32 octets or a 40-character Z85 string, got string of length 39/)
      assert.equal(error.message.includes(pair.publicKey.slice(1)), false)
      return true
    })
    assert.throws(() => new Certificate({ publicKey: pair.publicKey, secretKey: new Uint8Array(31) }), /got Uint8Array of length 31/)
    assert.throws(() => new Certificate({ publicKey: 42 as unknown as string }), TypeError)
  })

  it("refuses a secret key that does not belong to the public key", () => {
    const a = curveKeyPair()
    const b = curveKeyPair()
    assert.throws(() => new Certificate({ publicKey: a.publicKey, secretKey: b.secretKey }), (error: Error) => {
      assert.ok(error instanceof RangeError)
      assert.match(error.message, /expected secretKey to belong to publicKey/)
      assert.equal(error.message.includes(b.secretKey), false)
      return true
    })
  })

  it("refuses metadata that cannot be written and read back", () => {
    assert.throws(() => Certificate.generate({ "bad name": "x" }), TypeError)
    assert.throws(() => Certificate.generate({ "/lead": "x" }), TypeError)
    assert.throws(() => Certificate.generate({ both: `it's "x"` }), RangeError)
    assert.throws(() => Certificate.generate({ line: "a\nb" }), RangeError)
    assert.throws(() => Certificate.generate({ n: 1 as unknown as string }), TypeError)
  })

  it("keeps a metadata name __proto__ as an ordinary entry", async () => {
    const cert = Certificate.generate({ __proto__: "p" } as unknown as Record<string, string>)
    const path = fresh()
    await cert.save(path)
    const loaded = await Certificate.load(path)
    assert.deepEqual(Object.entries(loaded.metadata), Object.entries(cert.metadata))
  })

  it("cannot save a secret file without a secret key", async () => {
    const publicOnly = Certificate.generate().toPublic()
    assert.equal(publicOnly.hasSecretKey, false)
    await assert.rejects(publicOnly.save(fresh()), { name: "TypeError", message: /expected a certificate with a secret key/ })
    assert.throws(() => publicOnly.secretText(), TypeError)
  })

  it("loads a public file alone, and a secret file given by its own name", async () => {
    const cert = Certificate.generate({ n: "1" })
    const path = fresh()
    await cert.savePublic(path)
    const pub = await Certificate.load(path)
    assert.equal(pub.publicKey, cert.publicKey)
    assert.equal(pub.hasSecretKey, false)
    const secretPath = fresh()
    await cert.saveSecret(secretPath + "_secret")
    const sec = await Certificate.load(secretPath + "_secret")
    assert.equal(sec.secretKey, cert.secretKey)
    const viaBase = await Certificate.load(secretPath)
    assert.equal(viaBase.secretKey, cert.secretKey, "only PATH_secret exists: loaded like zcert_load")
  })

  it("merges pyzmq's split: metadata only in the secret file", async () => {
    const cert = Certificate.generate({ name: "Alice" })
    const path = fresh()
    await cert.toPublic().savePublic(path) // metadata included...
    writeFileSync(path, readFileSync(path, "utf8").replace('    name = "Alice"\n', "")) // ...now removed, as pyzmq writes it
    await cert.saveSecret(`${path}_secret`)
    const loaded = await Certificate.load(path)
    assert.deepEqual(loaded.metadata, { name: "Alice" })
  })

  it("fails with CertificateError when neither file exists", async () => {
    const path = fresh()
    await rejectsWithCertificateError(Certificate.load(path), (error) => {
      assert.equal(error.file, path)
      assert.equal(error.line, undefined)
      assert.match(error.message, /expected a certificate file here or at .*_secret, got neither/)
    })
  })

  it("fails when the public file and the secret file hold different public keys", async () => {
    const path = fresh()
    await Certificate.generate().savePublic(path)
    await Certificate.generate().saveSecret(`${path}_secret`)
    await rejectsWithCertificateError(Certificate.load(path), (error) => {
      assert.equal(error.file, `${path}_secret`)
      assert.match(error.message, /expected the same public-key as/)
    })
  })

  it("names file and line for a key of the wrong length, without printing it", async () => {
    const pair = curveKeyPair()
    const path = fresh()
    writeFileSync(path, `metadata\ncurve\n    public-key = "${pair.publicKey.slice(0, 39)}"\n`)
    await rejectsWithCertificateError(Certificate.load(path), (error) => {
      assert.equal(error.line, 3)
      assert.match(error.message, /:3: expected public-key to be 40 Z85 characters \(32 octets\), got 39 characters$/)
      assert.equal(error.message.includes(pair.publicKey.slice(0, 39)), false)
    })
  })

  it("names the line of a secret key that is not Z85, and says nothing about its characters", async () => {
    const pair = curveKeyPair()
    const path = fresh()
    const badSecret = `${pair.secretKey.slice(0, 39)}~`
    writeFileSync(`${path}_secret`, `metadata\ncurve\n    public-key = "${pair.publicKey}"\n    secret-key = "${badSecret}"\n`, { mode: 0o600 })
    await rejectsWithCertificateError(Certificate.load(path), (error) => {
      assert.equal(error.line, 4)
      assert.match(error.message, /expected secret-key to be 40 Z85 characters, got text that is not valid Z85$/)
      assert.equal(error.message.includes(badSecret), false)
    })
  })

  it("reports a secret key that does not match the file's public key as a CertificateError", async () => {
    const a = curveKeyPair()
    const b = curveKeyPair()
    const path = fresh()
    writeFileSync(`${path}_secret`, `metadata\ncurve\n    public-key = "${a.publicKey}"\n    secret-key = "${b.secretKey}"\n`, { mode: 0o600 })
    await rejectsWithCertificateError(Certificate.load(path), (error) => {
      assert.match(error.message, /expected secretKey to belong to publicKey/)
    })
  })

  it("refuses missing or repeated sections and items", () => {
    const { publicKey } = curveKeyPair()
    const cases: [string, number | undefined, RegExp][] = [
      ["metadata\n", undefined, /expected a "curve" section with "public-key", got none/],
      ["curve\n", 1, /expected "curve" to contain "public-key", got none/],
      [`curve\n    public-key = "${publicKey}"\ncurve\n`, 3, /expected one "curve" section, got a second one \(first on line 1\)/],
      [`metadata\n    a = 1\n    a = 2\ncurve\n    public-key = "${publicKey}"\n`, 3, /expected each metadata name once, got "a" again/],
      [`curve\n    public-key = "${publicKey}"\n    public-key = "${publicKey}"\n`, 3, /expected one "public-key"/],
      [`metadata\n    a = 1\n        b = 2\ncurve\n    public-key = "${publicKey}"\n`, 3, /expected metadata item "a" to have no children/],
      ["curve\n    public-key\n", 2, /expected public-key = "<40 Z85 characters>", got no value/],
    ]
    for (const [text, line, message] of cases) {
      assert.throws(() => Certificate.fromText(text, "case.cert"), (error: unknown) => {
        assert.ok(error instanceof CertificateError)
        assert.equal(error.line, line, text)
        assert.match(error.message, message)
        return true
      })
    }
  })

  it("reads an all-zero secret key (CZMQ's public-only certificate) as no secret key", () => {
    const { publicKey } = curveKeyPair()
    const cert = Certificate.fromText(`metadata\ncurve\n    public-key = "${publicKey}"\n    secret-key = "${"0".repeat(40)}"\n`)
    assert.equal(cert.hasSecretKey, false)
  })

  it("refuses a file larger than 64 KiB and a file that is not UTF-8", async () => {
    const big = fresh()
    writeFileSync(big, `# ${"x".repeat(70 * 1024)}\n`)
    await rejectsWithCertificateError(Certificate.load(big), (error) => assert.match(error.message, /at most 65536 bytes/))
    const binary = fresh()
    writeFileSync(binary, Uint8Array.of(0x63, 0x75, 0x72, 0x76, 0x65, 0xff, 0x0a))
    await rejectsWithCertificateError(Certificate.load(binary), (error) => assert.match(error.message, /expected UTF-8 text/))
  })
})
