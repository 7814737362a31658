import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { PasswordFile, PasswordFileError, parsePasswordFile } from "../../src/auth/password-file.js"
import { PasswordTable } from "../../src/auth/password-table.js"
import { nextEvent, tempDir } from "../cert/helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
let counter = 0
const fresh = (text: string): string => {
  const path = join(tmp.dir, `passwords-${++counter}`)
  writeFileSync(path, text)
  return path
}
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const MTIME = 1_790_000_000

function parseError(text: string): PasswordFileError {
  try {
    parsePasswordFile(text, "pw.txt")
  } catch (error) {
    assert.ok(error instanceof PasswordFileError)
    assert.equal(error.file, "pw.txt")
    return error
  }
  assert.fail("expected parsePasswordFile to throw")
}

describe("parsePasswordFile (CZMQ zauth format)", () => {
  it("reads name=password lines, comments, blank lines; the password is everything after the first '='", () => {
    const map = parsePasswordFile("# users\nadmin=Password\n\nalice=p=ss word \r\n  \nbob=\n", "pw.txt")
    assert.deepEqual([...map], [
      ["admin", "Password"],
      ["alice", "p=ss word "],
      ["bob", ""],
    ])
  })

  it("keeps spaces around '=' as part of name and password, as CZMQ does", () => {
    assert.deepEqual([...parsePasswordFile("admin = secret\n", "f")], [["admin ", " secret"]])
  })

  it("names file and line for a line without '=', never printing the line", () => {
    const error = parseError("admin=x\nhunter2hunter2\n")
    assert.equal(error.line, 2)
    assert.equal(error.message, "pw.txt:2: expected name=password, got a line without '='")
  })

  it("names file and line for an empty user name", () => {
    const error = parseError("=secretpassword\n")
    assert.equal(error.line, 1)
    assert.equal(error.message.includes("secretpassword"), false)
  })

  it("names both lines for a user given twice", () => {
    const error = parseError("admin=one\n# c\nadmin=two\n")
    assert.equal(error.line, 3)
    assert.match(error.message, /got "admin" again \(first on line 1\)/)
    assert.equal(error.message.includes("two"), false)
  })
})

describe("PasswordTable", () => {
  it("accepts the right password and says why it refuses the others", () => {
    const table = new PasswordTable({ admin: "Password", empty: "" })
    assert.equal(table.verify("admin", bytes("Password")), "ok")
    assert.equal(table.verify("admin", bytes("password")), "wrong-password")
    assert.equal(table.verify("admin", bytes("Password ")), "wrong-password")
    assert.equal(table.verify("admin", bytes("")), "wrong-password")
    assert.equal(table.verify("empty", bytes("")), "ok")
    assert.equal(table.verify("nobody", bytes("Password")), "unknown-user")
    assert.equal(table.size, 2)
  })

  it("compares UTF-8 bytes", () => {
    const table = new PasswordTable(new Map([["zoë", "pässwörd"]]))
    assert.equal(table.verify("zoë", bytes("pässwörd")), "ok")
  })

  it("does not reveal passwords through JSON", () => {
    assert.equal(JSON.stringify(new PasswordTable({ a: "topsecret" })).includes("topsecret"), false)
  })

  it("refuses non-string passwords", () => {
    assert.throws(() => new PasswordTable({ a: 1 as unknown as string }), TypeError)
  })
})

describe("PasswordFile", () => {
  it("loads a file and checks passwords against it", async () => {
    const file = await PasswordFile.open(fresh("admin=Password\n"))
    assert.equal(file.verify("admin", bytes("Password")), "ok")
    assert.equal(file.verify("admin", bytes("nope")), "wrong-password")
    assert.equal(file.available, true)
    file.close()
  })

  it("rejects open() for a missing or malformed file, naming file and line", async () => {
    await assert.rejects(PasswordFile.open(join(tmp.dir, "none")), { name: "PasswordFileError", message: /expected a password file, got no such file/ })
    const path = fresh("ok=1\nbroken\n")
    await assert.rejects(PasswordFile.open(path), (error: unknown) => {
      assert.ok(error instanceof PasswordFileError)
      assert.equal(error.file, path)
      assert.equal(error.line, 2)
      return true
    })
  })

  it("refresh() re-reads a change with the same size and mtime (content hash)", async () => {
    const path = fresh("admin=Password1\n")
    utimesSync(path, MTIME, MTIME)
    const file = await PasswordFile.open(path)
    const reloaded: unknown[] = []
    file.on("reloaded", (info) => reloaded.push(info))
    try {
      writeFileSync(path, "admin=Password2\n")
      utimesSync(path, MTIME, MTIME)
      assert.equal(statSync(path).mtimeMs, MTIME * 1000)
      await file.refresh()
      assert.equal(file.verify("admin", bytes("Password2")), "ok")
      assert.equal(file.verify("admin", bytes("Password1")), "wrong-password")
      assert.deepEqual(reloaded, [{ file: path, users: 1 }])
      await file.refresh() // unchanged: no event
      assert.equal(reloaded.length, 1)
    } finally {
      file.close()
    }
  })

  it("fails closed while the file is malformed or missing, and recovers when it is fixed", async () => {
    const path = fresh("admin=Password\n")
    const file = await PasswordFile.open(path)
    const invalid: { file: string; reason: string }[] = []
    file.on("invalid", (info) => invalid.push(info))
    try {
      writeFileSync(path, "admin=Password\nnot a valid line with secret\n")
      await file.refresh()
      assert.equal(file.available, false)
      assert.equal(file.verify("admin", bytes("Password")), "unavailable")
      assert.equal(invalid.length, 1)
      assert.match(invalid[0]?.reason ?? "", /:2: expected name=password/)
      assert.equal(invalid[0]?.reason.includes("secret"), false)
      unlinkSync(path)
      await file.refresh()
      assert.equal(file.verify("admin", bytes("Password")), "unavailable")
      writeFileSync(path, "admin=New\n")
      await file.refresh()
      assert.equal(file.verify("admin", bytes("New")), "ok")
      assert.equal(file.available, true)
    } finally {
      file.close()
    }
  })

  it("in watch mode re-reads the file after an atomic replacement, without a refresh() call", async () => {
    const path = fresh("admin=Old\n")
    const file = await PasswordFile.open(path, { watch: true, interval: 50 })
    try {
      const reloaded = nextEvent(file, "reloaded")
      writeFileSync(`${path}.new`, "admin=Fresh\n")
      renameSync(`${path}.new`, path)
      await reloaded
      assert.equal(file.verify("admin", bytes("Fresh")), "ok")
    } finally {
      file.close()
    }
  })
})
