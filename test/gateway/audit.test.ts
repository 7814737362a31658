/**
 * The gateway's audit log to a file (JSON lines, appended, mode 0640, long strings cut,
 * undefined fields left out) and RouteSecrets, which never shows its secrets in inspect or
 * JSON output.
 */
import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import { openAudit } from "../../src/gateway/audit.js"
import { RouteSecrets } from "../../src/gateway/load.js"
import { tempDir } from "../cert/helpers.js"

const tmp = tempDir("ironhouse-gateway-audit-")
after(() => tmp.cleanup())

describe("gateway audit log", () => {
  it("appends one JSON object per line with time and event; drops undefined; cuts long strings", async () => {
    const file = join(tmp.dir, "audit.jsonl")
    const fixed = new Date("2026-01-02T03:04:05.000Z")
    const first = openAudit(file, () => fixed)
    first.write("start", { routes: 2, missing: undefined })
    first.write("decision", { reason: "x".repeat(300), allowed: false, peer: { address: "10.0.0.1", key: undefined } })
    await first.close()
    const second = openAudit(file, () => fixed)
    second.write("stop", { reason: "drained" })
    await second.close()
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(lines.length, 3, "the second sink appended")
    assert.deepEqual(lines[0], { time: "2026-01-02T03:04:05.000Z", event: "start", routes: 2 })
    assert.equal((lines[1]?.reason as string).length, 257)
    assert.deepEqual(lines[1]?.peer, { address: "10.0.0.1" })
    assert.equal(lines[2]?.event, "stop")
    assert.equal(statSync(file).mode & 0o777 & ~0o640, 0, "not more open than 0640")
  })
})

describe("RouteSecrets", () => {
  it("keeps the secret key and the password out of inspect and JSON", () => {
    const secret = new Uint8Array(32).fill(7)
    const s = new RouteSecrets({ curveSecretKey: secret, curvePublicKey: "PUBLIC", plainUsername: "u", plainPassword: "hunter2" })
    assert.equal(s.curveSecretKey, secret)
    assert.equal(s.plainPassword, "hunter2")
    for (const text of [inspect(s, { showHidden: true, depth: 5 }), JSON.stringify(s)]) {
      assert.ok(!text.includes("hunter2"), text)
      assert.ok(!text.includes("7, 7, 7"), text)
      assert.ok(text.includes("PUBLIC"))
    }
  })
})
