/** The `ironhouse` CLI, run as a child process on the built JavaScript. */
import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Certificate } from "../../src/cert/certificate.js"
import { tempDir } from "../cert/helpers.js"

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url))
const tmp = tempDir()
after(() => tmp.cleanup())

interface Result {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[], stdin?: Uint8Array): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: tmp.dir, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin ?? new Uint8Array(0))
  })
}

describe("ironhouse CLI", () => {
  it("--help prints usage (mentioning CZMQ's _secret naming) and exits 0", async () => {
    for (const args of [["--help"], ["-h"], ["keygen", "--help"]]) {
      const r = await cli(args)
      assert.equal(r.code, 0, args.join(" "))
      assert.match(r.stdout, /ironhouse keygen NAME/)
      assert.match(r.stdout, /NAME\.key_secret/)
      assert.match(r.stdout, /CZMQ/)
    }
  })

  it("exits 2 with usage for no command, an unknown command, or an unknown option", async () => {
    for (const args of [[], ["frobnicate"], ["keygen"], ["keygen", "a", "--bogus"], ["cert"], ["cert", "show"], ["z85"], ["z85", "encode"], ["keygen", "a", "--meta", "novalue"]]) {
      const r = await cli(args)
      assert.equal(r.code, 2, args.join(" "))
      assert.match(r.stderr, /^ironhouse: /)
      assert.match(r.stderr, /Usage:/)
    }
  })

  it("keygen writes NAME.key and NAME.key_secret (0600) with metadata, loadable by Certificate.load", async () => {
    const r = await cli(["keygen", "alice", "--dir", tmp.dir, "--meta", "name=Alice Example", "--meta", "email=a@example.com"])
    assert.equal(r.code, 0, r.stderr)
    const path = join(tmp.dir, "alice.key")
    assert.equal(statSync(`${path}_secret`).mode & 0o777, 0o600)
    const cert = await Certificate.load(path)
    assert.deepEqual({ ...cert.metadata }, { name: "Alice Example", email: "a@example.com" })
    assert.equal(r.stdout.split("\n")[0], `public-key: ${cert.publicKey}`)
    assert.equal(r.stdout.includes(cert.secretKey as string), false, "keygen never prints the secret key")
    assert.match(readFileSync(path, "utf8"), /^#   \*\*\*\*  Generated on .* by Ironhouse  \*\*\*\*\n#   ZeroMQ CURVE Public Certificate\n/)
  })

  it("keygen refuses to overwrite (exit 1) unless --force", async () => {
    assert.equal((await cli(["keygen", "bob"])).code, 0)
    const before = readFileSync(join(tmp.dir, "bob.key"), "utf8")
    const again = await cli(["keygen", "bob"])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /bob\.key exists; use --force/)
    assert.equal(readFileSync(join(tmp.dir, "bob.key"), "utf8"), before)
    assert.equal((await cli(["keygen", "bob", "--force"])).code, 0)
    assert.notEqual(readFileSync(join(tmp.dir, "bob.key"), "utf8"), before)
  })

  it("keygen --dir creates a missing directory (and its parents) with mode 0700", async () => {
    const dir = join(tmp.dir, "made", "for", "keys")
    const r = await cli(["keygen", "carol", "--dir", dir])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, "")
    assert.equal(statSync(dir).mode & 0o777, 0o700)
    assert.equal(statSync(join(tmp.dir, "made")).mode & 0o777, 0o700)
    assert.equal(statSync(join(dir, "carol.key_secret")).mode & 0o777, 0o600)
    assert.ok((await Certificate.load(join(dir, "carol.key"))).secretKey !== undefined)
  })

  it("keygen --dir leaves an existing directory's mode alone", async () => {
    const dir = join(tmp.dir, "existing")
    mkdirSync(dir, { mode: 0o755 })
    chmodSync(dir, 0o755)
    assert.equal((await cli(["keygen", "dave", "--dir", dir])).code, 0)
    assert.equal(statSync(dir).mode & 0o777, 0o755)
  })

  it("keygen --dir that cannot be a directory fails with one line naming it (exit 1), no temporary file name", async () => {
    const file = join(tmp.dir, "plain-file")
    writeFileSync(file, "not a directory")
    for (const dir of [file, join(file, "sub")]) {
      const r = await cli(["keygen", "erin", "--dir", dir])
      assert.equal(r.code, 1, dir)
      assert.equal(r.stdout, "")
      const lines = r.stderr.trimEnd().split("\n")
      assert.equal(lines.length, 1, r.stderr)
      assert.match(lines[0] as string, new RegExp(`^ironhouse: cannot (use|create) directory ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `))
      assert.doesNotMatch(r.stderr, /\.tmp|ENOENT: no such file/)
    }
  })

  it("keygen refuses a NAME with a directory in it (exit 2)", async () => {
    assert.equal((await cli(["keygen", "../escape"])).code, 2)
  })

  it("cert show prints the public key and metadata, and the secret key only with --secret", async () => {
    const cert = Certificate.generate({ name: "Carol", quote: 'say "hi"' })
    const path = join(tmp.dir, "carol.key")
    await cert.save(path)
    const shown = await cli(["cert", "show", path])
    assert.equal(shown.code, 0, shown.stderr)
    assert.equal(
      shown.stdout,
      [`file: ${path}`, `public-key: ${cert.publicKey}`, "secret-key: present (shown with --secret)", "metadata:", '    name = "Carol"', '    quote = "say \\"hi\\""', ""].join("\n"),
    )
    assert.equal(shown.stdout.includes(cert.secretKey as string), false)
    const secret = await cli(["cert", "show", path, "--secret"])
    assert.equal(secret.code, 0)
    assert.match(secret.stdout, new RegExp(`^secret-key: ${cert.secretKey?.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"))
  })

  it("cert show --secret on a public-only certificate exits 1", async () => {
    const path = join(tmp.dir, "public-only.key")
    await Certificate.generate().savePublic(path)
    const r = await cli(["cert", "show", path, "--secret"])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /no secret key/)
    const plain = await cli(["cert", "show", path])
    assert.match(plain.stdout, /^secret-key: none$/m)
    assert.match(plain.stdout, /^metadata: none$/m)
  })

  it("cert show exits 1 naming file and line for a malformed file, and for a missing one", async () => {
    const bad = join(tmp.dir, "bad.key")
    writeFileSync(bad, "metadata\ncurve\n    public-key = \"tooshort\"\n")
    const r = await cli(["cert", "show", bad])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `ironhouse: ${bad}:3: expected public-key to be 40 Z85 characters (32 octets), got 8 characters\n`)
    const missing = await cli(["cert", "show", join(tmp.dir, "nope.key")])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /got neither/)
  })

  it("cert show warns about a secret file others can read (without printing the key)", async () => {
    const cert = Certificate.generate()
    const path = join(tmp.dir, "open.key")
    await cert.save(path)
    chmodSync(`${path}_secret`, 0o644)
    const r = await cli(["cert", "show", path])
    assert.equal(r.code, 0)
    assert.match(r.stderr, /IRONHOUSE_INSECURE_SECRET_FILE/)
    assert.equal(r.stderr.includes(cert.secretKey as string), false)
  })

  it("z85 encode / decode use the RFC 32 test vector", async () => {
    const encoded = await cli(["z85", "encode", "864FD26FB559F75B"])
    assert.deepEqual(encoded, { code: 0, stdout: "HelloWorld\n", stderr: "" })
    const decoded = await cli(["z85", "decode", "HelloWorld"])
    assert.deepEqual(decoded, { code: 0, stdout: "864fd26fb559f75b\n", stderr: "" })
  })

  it("z85 encode --stdin reads raw bytes", async () => {
    const r = await cli(["z85", "encode", "--stdin"], Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b))
    assert.deepEqual(r, { code: 0, stdout: "HelloWorld\n", stderr: "" })
  })

  it("z85 decode accepts text starting with '-' after --", async () => {
    const r = await cli(["z85", "decode", "--", "-----"])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^[0-9a-f]{8}\n$/)
  })

  it("z85 exits 1 for a length that is not a multiple of 4, bad hex, or bad Z85", async () => {
    const odd = await cli(["z85", "encode", "010203"])
    assert.equal(odd.code, 1)
    assert.match(odd.stderr, /expected a multiple of 4 octets, got 3/)
    assert.equal((await cli(["z85", "encode", "zz"])).code, 1)
    const bad = await cli(["z85", "decode", "Hello"])
    assert.equal(bad.code, 0, "5 characters are one valid group")
    const badLength = await cli(["z85", "decode", "Hell"])
    assert.equal(badLength.code, 1)
    const badChar = await cli(["z85", "decode", "Hell~"])
    assert.equal(badChar.code, 1)
  })
})
