/**
 * Ironhouse's side of the drop-in items of issue 15 that are deliberate or Ironhouse-only
 * (the shared cases are in behaviour.ts, run against both packages).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import * as ih from "../../src/index.js"

const packageJson = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }

describe("drop-in: version and capability (Ironhouse)", () => {
  it("ironhouseVersion is package.json's version; version is the libzmq level, not ours", () => {
    assert.equal(ih.ironhouseVersion, packageJson.version)
    assert.equal(ih.version, "4.3.5")
  })

  it("capability is true only for what works: ipc and curve; no draft sockets, pgm, tipc, norm, gssapi, ws", () => {
    assert.deepEqual(
      { ...ih.capability },
      { ipc: true, pgm: false, tipc: false, norm: false, curve: true, gssapi: false, draft: false, ws: false },
    )
    assert.throws(() => {
      ;(ih.capability as { ipc: boolean }).ipc = false
    }, TypeError)
    // tipc is false because it does not work here: binding a tipc endpoint is refused.
    const s = new ih.Pull({ linger: 0 })
    try {
      assert.throws(() => s.connect("tipc://{5560,0,0}"), (err: unknown) => (err as { code?: string }).code === "EPROTONOSUPPORT")
    } finally {
      s.close()
    }
  })
})
