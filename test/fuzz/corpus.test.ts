/**
 * The fuzz targets in `npm test` (docs/fuzzing.md):
 *   - every committed seed (fuzz/corpus/<target>/, including the exchanges recorded against
 *     libzmq) and every regression input (test/fuzz/regressions/<target>/, inputs the fuzzer
 *     once found) passes its target's oracle;
 *   - the recorded valid exchanges still reach the handshake in their engine targets;
 *   - each stateful target's valid-peer check passes;
 * The long runs are `npm run fuzz`; CI runs a short budget of it (.ci/run).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Connection } from "../../src/engine/connection.js"
import { Mechanism, type MechanismName } from "../../src/wire/constants.js"
import { TARGETS } from "../../fuzz/targets/index.js"
import { connectionOptions } from "../../fuzz/targets/engine.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))

function files(dir: string): Array<{ name: string; data: Uint8Array }> {
  const full = join(root, dir)
  if (!existsSync(full)) return []
  return readdirSync(full)
    .filter((f) => !f.endsWith(".txt") && !f.endsWith(".md"))
    .sort()
    .map((name) => ({ name, data: new Uint8Array(readFileSync(join(full, name))) }))
}

describe("fuzz targets: committed seeds and regression inputs", () => {
  for (const target of TARGETS) {
    it(`${target.name}: every seed and regression input passes the oracle`, () => {
      const seeds = files(join("fuzz", "corpus", target.name))
      assert.ok(seeds.length > 0, `fuzz/corpus/${target.name}/ holds seeds`)
      for (const { name, data } of [...seeds, ...files(join("test", "fuzz", "regressions", target.name))]) {
        assert.doesNotThrow(() => target.run(data.slice(0, target.maxLength)), `${target.name}/${name}`)
      }
      if (target.check) assert.doesNotThrow(() => target.check?.(), `${target.name}: a valid peer completes`)
    })
  }

  it("the exchanges recorded against libzmq replay to a handshake in their targets", () => {
    for (const mechanism of [Mechanism.NULL, Mechanism.PLAIN, Mechanism.CURVE] as MechanismName[]) {
      for (const [asServer, file] of [
        [true, "libzmq-dealer"],
        [false, "libzmq-router"],
      ] as const) {
        const path = join(root, "fuzz", "corpus", `${mechanism.toLowerCase()}-${asServer ? "server" : "client"}`, file)
        const conn = new Connection(connectionOptions(mechanism, asServer))
        conn.takeOutput()
        conn.receiveData(new Uint8Array(readFileSync(path))) // its own copy (CURVE decrypts in place)
        const events = conn.takeEvents()
        assert.ok(events.some((e) => e.type === "handshake"), `${path} reaches the handshake`)
        assert.ok(events.some((e) => e.type === "message"), `${path} delivers libzmq's message`)
        assert.ok(!events.some((e) => e.type === "error"), `${path} replays without error`)
      }
    }
  })
})
