/**
 * The coverage-guided loop itself (fuzz/loop.ts), in a process of its own: V8 counts blocks
 * only in functions compiled after precise coverage started, so coverage starts before the
 * code under test is loaded (as fuzz/worker.ts does).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Coverage } from "../../fuzz/coverage.js"

const coverage = new Coverage("/build/src/")
const { runLoop } = await import("../../fuzz/loop.js")
const { TARGETS } = await import("../../fuzz/targets/index.js")
const root = fileURLToPath(new URL("../../..", import.meta.url))
const seedCount = (name: string): number => {
  const dir = join(root, "fuzz", "corpus", name)
  return existsSync(dir) ? readdirSync(dir).length : 0
}

describe("fuzz harness", () => {
  it("the coverage-guided loop finds inputs beyond the seeds and keeps the oracle", () => {
    const target = TARGETS.find((t) => t.name === "metadata")
    assert.ok(target)
    const findings: string[] = []
    const stats = runLoop(
      target,
      {
        timeMs: 60_000,
        runs: 10_000,
        seed: 1,
        corpusDir: join(root, "fuzz", "corpus", target.name),
        outDir: undefined,
        shared: new SharedArrayBuffer(8 + target.maxLength),
        checkEveryMs: 60_000,
        rssLimitBytes: 4 * 1024 ** 3,
      },
      { stats: () => undefined, finding: (f) => findings.push(f.message) },
      coverage,
    )
    assert.deepEqual(findings, [])
    assert.ok(stats.execs >= 10_000)
    const seeds = seedCount(target.name)
    assert.ok(stats.corpus > seeds, `corpus grew from ${seeds} seeds to ${stats.corpus}`)
    assert.ok(stats.blocks > 20, `covered ${stats.blocks} blocks of src/wire/metadata.ts and its callees`)
  })

  it("a target's oracle reports a broken contract (a planted bug is found)", () => {
    // The harness must turn a stray exception into a finding, not swallow it.
    const planted = {
      name: "planted",
      about: "throws a TypeError on inputs starting with 'BUG'",
      maxLength: 16,
      dictionary: ["BUG"],
      seeds: () => [new TextEncoder().encode("BUx")],
      run(data: Uint8Array) {
        if (data[0] === 0x42 && data[1] === 0x55 && data[2] === 0x47) throw new TypeError("planted")
      },
    }
    const findings: string[] = []
    runLoop(
      planted,
      { timeMs: 60_000, runs: 50_000, seed: 3, corpusDir: "/nonexistent", outDir: undefined, shared: new SharedArrayBuffer(8 + 16), checkEveryMs: 60_000, rssLimitBytes: 4 * 1024 ** 3 },
      { stats: () => undefined, finding: (f) => findings.push(f.message) },
      coverage,
    )
    assert.ok(findings.some((m) => m.startsWith("TypeError: planted")), `found: ${findings.join("; ")}`)
  })
})
