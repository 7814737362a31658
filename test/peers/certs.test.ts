/**
 * Certificate interop with the real peers (run by `npm run test:peers`, not `npm test`):
 * pyzmq's `zmq.auth.load_certificate(s)` and CZMQ's `zcert_load` must read the files Ironhouse
 * writes, metadata included, and Ironhouse must read what they write today.
 *
 * Needs Debian's python3-zmq and libczmq-dev + gcc (see scripts/gen-cert-fixtures.sh).
 * Without them the tests are skipped locally, but FAIL under CI (`process.env.CI` set), so a
 * CI image that lost a peer cannot pass silently. Set IRONHOUSE_PYTHON to a python3 that has
 * the zmq module if neither `/usr/bin/python3` nor `python3` on PATH has it (pyenv shims).
 */
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdirSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { Certificate } from "../../src/cert/certificate.js"
import { CertificateStore } from "../../src/cert/store.js"
import { REPO_ROOT, tempDir } from "../cert/helpers.js"

const inCI = Boolean(process.env.CI)
const tmp = tempDir("ironhouse-peers-")
after(() => tmp.cleanup())

function findPython(): string | undefined {
  const candidates = [process.env.IRONHOUSE_PYTHON, "/usr/bin/python3", "python3"].filter((c): c is string => Boolean(c))
  return candidates.find((python) => spawnSync(python, ["-c", "import zmq.auth"], { stdio: "ignore" }).status === 0)
}

function buildZcertTool(): string | undefined {
  const output = join(tmp.dir, "zcert-tool")
  const build = spawnSync("gcc", ["-o", output, join(REPO_ROOT, "scripts", "zcert-tool.c"), "-lczmq", "-lzmq"], { encoding: "utf8" })
  return build.status === 0 ? output : undefined
}

const python = findPython()
const zcertTool = buildZcertTool()

/** Skip when a peer is missing, except under CI where the test fails saying which peer. */
function peerOption(peer: string, available: boolean): { skip?: string } {
  if (available || inCI) return {}
  return { skip: `${peer} not installed (apt-get install -y python3-zmq libczmq-dev gcc); this FAILS under CI` }
}
function requirePeer(peer: string, available: boolean): void {
  if (!available) assert.fail(`${peer} is required under CI but was not found (apt-get install -y python3-zmq libczmq-dev gcc)`)
}

interface CzmqRead {
  public: string
  secret: string
  metadata: Record<string, string>
}

function zcertLoad(path: string): CzmqRead | undefined {
  const run = spawnSync(zcertTool as string, ["load", path], { encoding: "utf8" })
  if (run.status !== 0) return undefined
  const result: CzmqRead = { public: "", secret: "", metadata: {} }
  for (const line of run.stdout.split("\n")) {
    if (line.startsWith("public ")) result.public = line.slice(7)
    else if (line.startsWith("secret ")) result.secret = line.slice(7)
    else if (line.startsWith("meta ")) {
      const [name, ...value] = line.slice(5).split("\t")
      result.metadata[name as string] = value.join("\t")
    }
  }
  return result
}

function runPython(script: string, ...args: string[]): unknown {
  const run = spawnSync(python as string, ["-c", script, ...args], { encoding: "utf8" })
  assert.equal(run.status, 0, run.stderr)
  return JSON.parse(run.stdout)
}

const LOAD_CERTIFICATE = `
import json, sys, zmq.auth
out = {}
for path in sys.argv[1:]:
    public, secret = zmq.auth.load_certificate(path)
    out[path] = [public.decode(), secret.decode() if secret else None]
print(json.dumps(out))
`

// Metadata that exercises quoting: '"' (written in single quotes), "'", '#', '=', spaces, UTF-8, empty.
const METADATA = {
  name: "Alice Example",
  quote: 'say "hi"',
  apostrophe: "it's",
  hash: "a#b",
  equals: "k=v",
  utf8: "Zoë 中文",
  empty: "",
  "dotted.name-with_chars": "x",
}

let ours: Certificate
let oursPath: string
before(async () => {
  ours = Certificate.generate(METADATA)
  oursPath = join(tmp.dir, "ours.key")
  await ours.save(oursPath)
})

describe("peers read the certificates Ironhouse writes", () => {
  it("pyzmq load_certificate reads our public and secret files", peerOption("python3-zmq", python !== undefined), () => {
    requirePeer("python3-zmq", python !== undefined)
    const read = runPython(LOAD_CERTIFICATE, oursPath, `${oursPath}_secret`) as Record<string, [string, string | null]>
    assert.deepEqual(read[oursPath], [ours.publicKey, null])
    assert.deepEqual(read[`${oursPath}_secret`], [ours.publicKey, ours.secretKey])
  })

  it("pyzmq load_certificates finds our *.key public certificates in a directory", peerOption("python3-zmq", python !== undefined), async () => {
    requirePeer("python3-zmq", python !== undefined)
    const dir = join(tmp.dir, "pydir")
    mkdirSync(dir)
    const certs = [Certificate.generate({ n: "1" }), Certificate.generate()]
    await Promise.all(certs.map((cert, i) => cert.save(join(dir, `client${i}.key`))))
    const keys = runPython("import json, sys, zmq.auth\nprint(json.dumps(sorted(k.decode() for k in zmq.auth.load_certificates(sys.argv[1]))))", dir)
    assert.deepEqual(keys, certs.map((c) => c.publicKey).sort())
  })

  it("CZMQ zcert_load reads our certificate with its metadata, from either file name", peerOption("libczmq-dev + gcc", zcertTool !== undefined), () => {
    requirePeer("libczmq-dev + gcc", zcertTool !== undefined)
    for (const path of [oursPath, `${oursPath}_secret`]) {
      const read = zcertLoad(path)
      assert.ok(read, `zcert_load returned NULL for ${path}`)
      assert.equal(read.public, ours.publicKey)
      assert.equal(read.secret, ours.secretKey)
      assert.deepEqual(read.metadata, METADATA)
    }
  })

  it("CZMQ zcert_load reads our public-only file (metadata included, secret all zero)", peerOption("libczmq-dev + gcc", zcertTool !== undefined), async () => {
    requirePeer("libczmq-dev + gcc", zcertTool !== undefined)
    const path = join(tmp.dir, "public-only.key")
    await ours.savePublic(path)
    const read = zcertLoad(path)
    assert.ok(read)
    assert.equal(read.public, ours.publicKey)
    assert.equal(read.secret, "0".repeat(40))
    assert.deepEqual(read.metadata, METADATA)
  })
})

describe("Ironhouse reads what the peers write today", () => {
  it("pyzmq create_certificates output, metadata from the secret file", peerOption("python3-zmq", python !== undefined), async () => {
    requirePeer("python3-zmq", python !== undefined)
    const dir = join(tmp.dir, "pyzmq-out")
    const written = runPython(
      "import json, os, sys, zmq.auth\nos.mkdir(sys.argv[1])\npub, sec = zmq.auth.create_certificates(sys.argv[1], 'peer', metadata={'name': 'Py Peer', 'quote': 'a \"b\"'})\nprint(json.dumps([pub, sec]))",
      dir,
    ) as [string, string]
    const cert = await Certificate.load(written[0])
    const keys = runPython(LOAD_CERTIFICATE, written[1]) as Record<string, [string, string]>
    assert.deepEqual([cert.publicKey, cert.secretKey], keys[written[1]])
    assert.deepEqual({ ...cert.metadata }, { name: "Py Peer", quote: 'a "b"' })
  })

  it("CZMQ zcert_save output, and a store over it", peerOption("libczmq-dev + gcc", zcertTool !== undefined), async () => {
    requirePeer("libczmq-dev + gcc", zcertTool !== undefined)
    const dir = join(tmp.dir, "czmq-out")
    mkdirSync(dir)
    const save = spawnSync(zcertTool as string, ["save", join(dir, "server"), "name=C Peer", "utf8=Zoë"], { encoding: "utf8" })
    assert.equal(save.status, 0, save.stderr)
    const expected = zcertLoad(join(dir, "server"))
    assert.ok(expected)
    const cert = await Certificate.load(join(dir, "server"))
    assert.equal(cert.publicKey, expected.public)
    assert.equal(cert.secretKey, expected.secret)
    assert.deepEqual({ ...cert.metadata }, expected.metadata)
    assert.deepEqual(readdirSync(dir).sort(), ["server", "server_secret"])
    const store = await CertificateStore.open(dir)
    assert.equal(store.has(expected.public), true)
    assert.equal(store.size, 1)
    store.close()
  })
})
