import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdirSync, renameSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Certificate } from "../../src/cert/certificate.js"
import { type CertificateChange, CertificateStore, type SkippedFile } from "../../src/cert/store.js"
import { curveKeyPair } from "../../src/crypto/keys.js"
import { z85Decode } from "../../src/wire/z85.js"
import { nextEvent, tempDir } from "./helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
let counter = 0
const freshDir = (): string => {
  const dir = join(tmp.dir, `store-${++counter}`)
  mkdirSync(dir)
  return dir
}
const DATE = new Date(2026, 0, 1, 12, 0, 0)
/** A whole-second mtime, so that restoring it with utimes is exact. */
const MTIME = 1_790_000_000
/** Public certificate text; the same metadata gives the same size for every key. */
const publicText = (cert: Certificate): string => cert.publicText({ date: DATE })

describe("CertificateStore", () => {
  it("finds certificates by Z85 or 32-octet key, whatever the file names, skipping *_secret and hidden files", async () => {
    const dir = freshDir()
    const a = Certificate.generate({ name: "a" })
    const b = Certificate.generate({ name: "b" })
    const hidden = Certificate.generate()
    const onlySecret = Certificate.generate()
    await a.save(join(dir, "alice.key")) // alice.key + alice.key_secret
    await b.savePublic(join(dir, "bob")) // CZMQ naming, no extension
    await hidden.savePublic(join(dir, ".hidden.key"))
    await onlySecret.saveSecret(join(dir, "carol_secret"))
    const store = await CertificateStore.open(dir)
    try {
      assert.equal(store.size, 2)
      assert.equal(store.has(a.publicKey), true)
      assert.equal(store.has(z85Decode(b.publicKey)), true)
      assert.equal(store.lookup(b.publicKey)?.metadata.name, "b")
      assert.equal(store.lookup(a.publicKey)?.hasSecretKey, false, "only the public half is kept")
      assert.equal(store.has(hidden.publicKey), false)
      assert.equal(store.has(onlySecret.publicKey), false)
      assert.equal(store.has(curveKeyPair().publicKey), false)
      assert.throws(() => store.has("short"), RangeError)
    } finally {
      store.close()
    }
  })

  it("skips malformed and oversized files with a 'skipped' event and keeps the rest working", async () => {
    const dir = freshDir()
    const good = Certificate.generate()
    await good.savePublic(join(dir, "good.key"))
    writeFileSync(join(dir, "bad.key"), "curve\n  public-key = \"x\"\n")
    writeFileSync(join(dir, "big.key"), "#".repeat(70 * 1024))
    mkdirSync(join(dir, "subdir"))
    const store = new CertificateStore(dir)
    const skipped: SkippedFile[] = []
    store.on("skipped", (s: SkippedFile) => skipped.push(s))
    await store.ready
    try {
      assert.equal(store.has(good.publicKey), true)
      assert.equal(store.size, 1)
      assert.deepEqual(skipped.map((s) => s.file).sort(), [join(dir, "bad.key"), join(dir, "big.key")])
      assert.match(skipped.find((s) => s.file.endsWith("bad.key"))?.reason ?? "", /bad\.key:2: expected indentation by a multiple of 4 spaces/)
      // The same broken content is reported once, not on every rescan.
      await store.reload()
      assert.equal(skipped.length, 2)
    } finally {
      store.close()
    }
  })

  it("skips a file that cannot be read (a symlink loop) and reports the error code", async () => {
    const dir = freshDir()
    symlinkSync("loop.key", join(dir, "loop.key"))
    const store = new CertificateStore(dir)
    const skipped = nextEvent<SkippedFile>(store, "skipped")
    await store.ready
    assert.deepEqual(await skipped, { file: join(dir, "loop.key"), reason: "expected a readable file, got ELOOP" })
    store.close()
  })

  it("rejects open() for a directory that does not exist", async () => {
    await assert.rejects(CertificateStore.open(join(tmp.dir, "missing")), { code: "ENOENT" })
  })

  it("reload() picks up added, removed and replaced files (events say which)", async () => {
    const dir = freshDir()
    const a = Certificate.generate()
    await a.savePublic(join(dir, "a.key"))
    const store = await CertificateStore.open(dir)
    const events: [string, CertificateChange][] = []
    for (const name of ["added", "removed", "replaced"] as const) store.on(name, (c: CertificateChange) => events.push([name, c]))
    try {
      const b = Certificate.generate()
      await b.savePublic(join(dir, "b.key"))
      await store.reload()
      assert.equal(store.has(b.publicKey), true)
      unlinkSync(join(dir, "a.key"))
      await store.reload()
      assert.equal(store.has(a.publicKey), false)
      const c = Certificate.generate()
      await c.savePublic(join(dir, "b.key"))
      await store.reload()
      assert.equal(store.has(b.publicKey), false)
      assert.equal(store.has(c.publicKey), true)
      assert.deepEqual(events, [
        ["added", { file: join(dir, "b.key"), publicKey: b.publicKey }],
        ["removed", { file: join(dir, "a.key"), publicKey: a.publicKey }],
        ["replaced", { file: join(dir, "b.key"), publicKey: c.publicKey, previousPublicKey: b.publicKey }],
      ])
    } finally {
      store.close()
    }
  })

  it("detects a replacement with the same size and the same mtime (content hash, czmq#2113)", async () => {
    const dir = freshDir()
    const file = join(dir, "client.key")
    const first = Certificate.generate({ name: "same" })
    const second = Certificate.generate({ name: "same" })
    assert.equal(publicText(first).length, publicText(second).length)
    writeFileSync(file, publicText(first))
    utimesSync(file, MTIME, MTIME)
    const before = statSync(file)
    const store = await CertificateStore.open(dir)
    try {
      assert.equal(store.has(first.publicKey), true)
      writeFileSync(file, publicText(second)) // in place: same inode, same size
      utimesSync(file, MTIME, MTIME)
      const afterStat = statSync(file)
      assert.equal(afterStat.size, before.size)
      assert.equal(afterStat.mtimeMs, before.mtimeMs)
      await store.reload()
      assert.equal(store.has(first.publicKey), false)
      assert.equal(store.has(second.publicKey), true)
    } finally {
      store.close()
    }
  })

  it("in watch mode picks up add, remove and same-size-same-mtime replace without a reload() call", async () => {
    const dir = freshDir()
    const store = await CertificateStore.open(dir, { watch: true, interval: 50 })
    try {
      const a = Certificate.generate({ name: "w" })
      const added = nextEvent<CertificateChange>(store, "added", (c) => c.publicKey === a.publicKey)
      // Write elsewhere and rename in, so the store never sees a half-written file.
      writeFileSync(join(tmp.dir, "staged.key"), publicText(a))
      renameSync(join(tmp.dir, "staged.key"), join(dir, "a.key"))
      await added
      assert.equal(store.has(a.publicKey), true)

      const b = Certificate.generate({ name: "w" })
      utimesSync(join(dir, "a.key"), MTIME, MTIME)
      const replaced = nextEvent<CertificateChange>(store, "replaced", (c) => c.publicKey === b.publicKey)
      // Staged and renamed in (a watcher could otherwise catch the file half-written and report
      // it removed, then added), then given the old mtime back.
      writeFileSync(join(tmp.dir, "staged.key"), publicText(b))
      renameSync(join(tmp.dir, "staged.key"), join(dir, "a.key"))
      utimesSync(join(dir, "a.key"), MTIME, MTIME)
      assert.equal(statSync(join(dir, "a.key")).mtimeMs, MTIME * 1000)
      assert.deepEqual(await replaced, { file: join(dir, "a.key"), publicKey: b.publicKey, previousPublicKey: a.publicKey })
      assert.equal(store.has(a.publicKey), false)

      const removed = nextEvent<CertificateChange>(store, "removed", (c) => c.publicKey === b.publicKey)
      unlinkSync(join(dir, "a.key"))
      await removed
      assert.equal(store.has(b.publicKey), false)
      assert.equal(store.size, 0)
    } finally {
      store.close()
    }
  })

  it("empties (fails closed) when the watched directory disappears", async () => {
    const dir = freshDir()
    const a = Certificate.generate()
    await a.savePublic(join(dir, "a.key"))
    const store = await CertificateStore.open(dir, { watch: true, interval: 50 })
    try {
      const skipped = nextEvent<SkippedFile>(store, "skipped", (s) => s.file === dir)
      renameSync(dir, `${dir}-gone`)
      await skipped
      assert.equal(store.has(a.publicKey), false)
    } finally {
      store.close()
    }
  })

  it("coalesces reload() calls made while a scan is waiting", async () => {
    const dir = freshDir()
    const store = new CertificateStore(dir)
    const second = store.reload()
    const third = store.reload()
    assert.equal(second, third)
    await Promise.all([store.ready, second])
    store.close()
  })

  it("refuses bad arguments", () => {
    assert.throws(() => new CertificateStore(""), TypeError)
    assert.throws(() => new CertificateStore(tmp.dir, { interval: 0 }), RangeError)
  })
})
