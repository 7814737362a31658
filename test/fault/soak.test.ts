/**
 * No leak (issue 14 item 4), short version (`npm run soak` is the long one): in a child
 * process with --expose-gc, the hostile catalogue (test/fault/soak.ts) 10 times against one REP
 * server per mechanism — RSS after round 10 within 10 % of round 1, heap and open file
 * descriptors flat, a good client served after every round — and 1,000 CURVE connect /
 * handshake / exchange / close cycles against one ROUTER with RSS, heap and descriptors flat.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import type { RoundsResult, Sample } from "./soak.js"

async function child<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const script = new URL("./soak-main.js", import.meta.url).pathname
  const preload = new URL("../helpers/crypto-ready.js", import.meta.url).pathname
  // --min-semi-space-size=16: V8's young generation starts at its default maximum (16 MiB
  // semi-spaces) instead of growing to it during the first passes, a one-time RSS step of
  // ≈ 16 MiB that would otherwise land inside the short measurement (seen: 84 → 100 MiB once,
  // then flat).
  const p = spawn(process.execPath, ["--expose-gc", "--min-semi-space-size=16", "--import", preload, script, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
  let out = ""
  let err = ""
  p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
  p.stderr.setEncoding("utf8").on("data", (d: string) => (err += d))
  const code = await new Promise<number | null>((resolve) => p.once("exit", resolve))
  assert.equal(code, 0, `child failed: ${err}`)
  const line = out.split("\n").find((l) => l.startsWith("RESULT "))
  assert.ok(line !== undefined, `no result: ${out} ${err}`)
  console.log(err.trimEnd())
  return JSON.parse(line.slice(7)) as T
}

const MiB = 2 ** 20

// The four children run at once (each measures only itself), so the file takes the time of the
// longest one rather than the sum.
const MECHANISMS = ["NULL", "PLAIN", "CURVE"] as const
const ROUNDS = 5
const rounds = new Map(MECHANISMS.map((m) => [m, child<RoundsResult>(["rounds", m, String(ROUNDS)], { IRONHOUSE_SOAK_WARM_UP: "2" })]))
const cycles = child<Array<{ done: number } & Sample>>(["cycles", "1000", "250"])
for (const p of [...rounds.values(), cycles]) p.catch(() => {}) // awaited (and reported) by the tests below

describe("no leak under attack or churn", () => {
  for (const mechanism of MECHANISMS) {
    it(`${mechanism}: ${ROUNDS} rounds of the hostile catalogue against one REP server: RSS after the last round within 10 % of round 1, heap and fds flat`, async () => {
      const r = await (rounds.get(mechanism) as Promise<RoundsResult>)
      assert.equal(r.samples.length, ROUNDS)
      assert.ok(r.kinds >= 15, `${r.kinds} hostile kinds per round`)
      const first = r.samples[0] as Sample
      const last = r.samples[ROUNDS - 1] as Sample
      assert.ok(last.rss <= first.rss * 1.1, `RSS ${(first.rss / MiB).toFixed(1)} → ${(last.rss / MiB).toFixed(1)} MiB`)
      assert.ok(last.heap <= first.heap * 1.1, `heap ${(first.heap / MiB).toFixed(1)} → ${(last.heap / MiB).toFixed(1)} MiB`)
      assert.ok(last.fds <= first.fds + 2, `fds ${first.fds} → ${last.fds}`)
    })
  }

  it("1,000 CURVE connect / handshake / exchange / close cycles against one ROUTER: RSS, heap and fds flat", async () => {
    const curve = await cycles
    assert.equal(curve[curve.length - 1]?.done, 1000)
    // From the first sample after warm-up (250 cycles: V8 and malloc reach their working size) to the end.
    const base = curve[1] as Sample
    const end = curve[curve.length - 1] as Sample
    assert.ok(end.rss <= base.rss * 1.1, `RSS ${(base.rss / MiB).toFixed(1)} → ${(end.rss / MiB).toFixed(1)} MiB`)
    assert.ok(end.heap <= base.heap * 1.1, `heap ${(base.heap / MiB).toFixed(1)} → ${(end.heap / MiB).toFixed(1)} MiB`)
    assert.ok(end.fds <= base.fds + 2, `fds ${base.fds} → ${end.fds}`)
  })
})
