/**
 * Issue 15, item 2: `require("ironhouse")` works from CommonJS, through the package's own
 * "exports" ("require" condition → cjs/index.cjs). The package is assembled in a temporary
 * directory as npm would install it (package.json, cjs/, a dist/ freshly built from src/ with
 * the project's tsconfig.json, its dependencies), and a CommonJS program in another temporary
 * directory requires it by name through node_modules/ironhouse (a symlink), in a child process.
 */
import { describe, it, before, after } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const repo = fileURLToPath(new URL("../../../", import.meta.url))
const tsc = join(repo, "node_modules", "typescript", "bin", "tsc")

const PROGRAM = String.raw`"use strict"
const zmq = require("ironhouse")
const assert = require("node:assert/strict")
async function main() {
  assert.equal(zmq.version, "4.3.5")
  assert.equal(zmq.capability.curve, true)
  // NULL over tcp
  const pull = new zmq.Pull({ linger: 0 })
  const push = new zmq.Push({ linger: 0 })
  await pull.bind("tcp://127.0.0.1:*")
  push.connect(pull.lastEndpoint)
  await push.send(["hello", "from", "cjs"])
  const plain = (await pull.receive()).map(String)
  // CURVE: the crypto backend works under require() too
  const server = zmq.curveKeyPair()
  const client = zmq.curveKeyPair()
  const rep = new zmq.Reply({ linger: 0, curveServer: true, curveSecretKey: server.secretKey })
  const req = new zmq.Request({ linger: 0, curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey })
  await rep.bind("tcp://127.0.0.1:*")
  req.connect(rep.lastEndpoint)
  await req.send("secret")
  const [question] = await rep.receive()
  await rep.send(String(question).toUpperCase())
  const [answer] = await req.receive()
  // require() and import() give the same module instance
  const esm = await import("ironhouse")
  console.log(JSON.stringify({
    plain,
    answer: String(answer),
    sameInstance: esm.Router === zmq.Router && esm.context === zmq.context,
    resolved: require.resolve("ironhouse"),
  }))
  for (const s of [pull, push, rep, req]) s.close()
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
`

describe("CommonJS: require(\"ironhouse\") through the package's exports (issue 15)", () => {
  let dir = ""
  let pkg = ""
  let app = ""

  before(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "ih-cjs-")))
    pkg = join(dir, "pkg")
    app = join(dir, "app")
    mkdirSync(pkg)
    cpSync(join(repo, "package.json"), join(pkg, "package.json"))
    cpSync(join(repo, "cjs"), join(pkg, "cjs"), { recursive: true })
    const r = spawnSync(process.execPath, [tsc, "-p", join(repo, "tsconfig.json"), "--outDir", join(pkg, "dist"), "--sourceMap", "false"], {
      cwd: repo,
      encoding: "utf8",
      timeout: 120_000,
    })
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`)
    symlinkSync(join(repo, "node_modules"), join(pkg, "node_modules"), "dir") // its dependencies
    mkdirSync(join(app, "node_modules"), { recursive: true })
    symlinkSync(pkg, join(app, "node_modules", "ironhouse"), "dir")
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "cjs-app", private: true, type: "commonjs" }))
    writeFileSync(join(app, "main.js"), PROGRAM)
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it("a CommonJS program requires it, sends over NULL and CURVE, and shares one instance with import()", () => {
    const r = spawnSync(process.execPath, ["main.js"], { cwd: app, encoding: "utf8", timeout: 60_000, env: process.env })
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`)
    assert.equal(r.stderr, "", "no warning (e.g. an experimental require(esm) warning)")
    const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as {
      plain: string[]
      answer: string
      sameInstance: boolean
      resolved: string
    }
    assert.deepEqual(out.plain, ["hello", "from", "cjs"])
    assert.equal(out.answer, "SECRET")
    assert.equal(out.sameInstance, true)
    assert.equal(out.resolved, join(pkg, "cjs", "index.cjs"), "resolved through the \"require\" condition")
  })
})
