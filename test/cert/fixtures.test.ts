/**
 * Reading the certificate files CZMQ and pyzmq wrote (test/fixtures/certs, made by
 * scripts/gen-cert-fixtures.sh). expected.json holds what the peers' own loaders read from each
 * file; Ironhouse must read the same, and fail (with file and line) where zcert_load fails.
 */
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { chmodSync, cpSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Certificate } from "../../src/cert/certificate.js"
import { CertificateError } from "../../src/cert/certificate-error.js"
import { CertificateStore, type SkippedFile } from "../../src/cert/store.js"
import { FIXTURES, tempDir } from "./helpers.js"

interface PeerRead {
  public: string
  secret: string | null
  metadata?: Record<string, string>
}
interface Expected {
  files: Record<string, { mode: string; czmq_zcert_load: PeerRead | null; pyzmq_load_certificate: PeerRead | null }>
}
const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as Expected

// Git does not keep file modes: copy the fixtures and give secret files 0600 (as CZMQ made
// them; pyzmq's are 0644 and tested for the warning in certificate.test.ts).
const tmp = tempDir()
const copy = (rel: string): string => join(tmp.dir, rel)
before(() => {
  cpSync(FIXTURES, tmp.dir, { recursive: true })
  for (const rel of Object.keys(expected.files)) if (rel.endsWith("_secret")) chmodSync(copy(rel), 0o600)
})
after(() => tmp.cleanup())

describe("certificate fixtures written by CZMQ and pyzmq", () => {
  it("has fixtures from both writers", () => {
    const files = Object.keys(expected.files)
    assert.ok(files.some((f) => f.startsWith("czmq/")))
    assert.ok(files.some((f) => f.startsWith("pyzmq/")))
  })

  for (const [rel, peers] of Object.entries(expected.files)) {
    const czmq = peers.czmq_zcert_load
    if (czmq) {
      it(`Certificate.load reads ${rel} exactly as CZMQ's zcert_load does`, async () => {
        const cert = await Certificate.load(copy(rel))
        assert.equal(cert.publicKey, czmq.public)
        assert.equal(cert.secretKey ?? null, czmq.secret)
        assert.deepEqual({ ...cert.metadata }, czmq.metadata)
      })
    } else {
      it(`Certificate.load fails on ${rel} with file and line, as zcert_load fails`, async () => {
        await assert.rejects(Certificate.load(copy(rel)), (error: unknown) => {
          assert.ok(error instanceof CertificateError)
          assert.equal(typeof error.line, "number")
          assert.match(error.message, /:\d+: expected the value of "dquote" to end at its closing quote/)
          return true
        })
      })
    }

    const pyzmq = peers.pyzmq_load_certificate
    if (pyzmq && czmq) {
      it(`Certificate.fromText reads the keys of the single file ${rel} as pyzmq's load_certificate does`, () => {
        const cert = Certificate.fromText(readFileSync(copy(rel), "utf8"), rel)
        assert.equal(cert.publicKey, pyzmq.public)
        assert.equal(cert.secretKey ?? null, pyzmq.secret)
      })
    }
  }

  it("a CertificateStore over each writer's directory finds every public key and skips the broken file", async () => {
    const skipped: SkippedFile[] = []
    const stores = ["czmq", "pyzmq"].map((sub) => {
      const store = new CertificateStore(copy(sub))
      store.on("skipped", (s: SkippedFile) => skipped.push(s))
      return store
    })
    try {
      await Promise.all(stores.map((s) => s.ready))
      const [czmqStore, pyzmqStore] = stores as [CertificateStore, CertificateStore]
      for (const [rel, peers] of Object.entries(expected.files)) {
        const store = rel.startsWith("czmq/") ? czmqStore : pyzmqStore
        const key = peers.pyzmq_load_certificate?.public as string
        assert.equal(store.has(key), peers.czmq_zcert_load !== null, rel)
        assert.equal(store.lookup(key)?.hasSecretKey ?? false, false, "a store holds public certificates only")
      }
      assert.deepEqual(
        skipped.map((s) => s.file),
        [copy("czmq/broken-dquote")],
      )
      // CZMQ puts metadata in the public file; the store returns it.
      const server = expected.files["czmq/server"]?.czmq_zcert_load as PeerRead
      assert.deepEqual({ ...czmqStore.lookup(server.public)?.metadata }, server.metadata)
    } finally {
      for (const store of stores) store.close()
    }
  })
})
