/**
 * Child-process entry for the leak checks (issue 14 item 4); needs --expose-gc.
 *   soak-main.js rounds <NULL|PLAIN|CURVE> <rounds>     hostile catalogue, RSS after each round
 *   soak-main.js cycles <count> <sample-every>          CURVE connect/handshake/exchange/close
 *   soak-main.js all                                    `npm run soak`: 10 rounds per mechanism,
 *                                                       then 100,000 CURVE cycles (IRONHOUSE_SOAK_CYCLES)
 * Progress goes to stderr; the results to stdout as `RESULT <json>` lines (and, for `all`, tables).
 */
import { cryptoReady } from "../../src/crypto/index.js"
import { WARM_UP_ROUNDS, curveCycles, hostileRounds, type Sample, type SoakMechanism } from "./soak.js"

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run with --expose-gc")
await cryptoReady()
const MB = (n: number): string => (n / 2 ** 20).toFixed(1)
const row = (s: Sample): string => `RSS ${MB(s.rss)} MiB, heap ${MB(s.heap)} MiB, fds ${s.fds}`

const [what, a, b] = process.argv.slice(2)
if (what === "rounds") {
  const r = await hostileRounds(a as SoakMechanism, Number(b), gc, (i, s) => process.stderr.write(`  ${a} round ${i}: ${row(s)}\n`))
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`)
} else if (what === "cycles") {
  const curve = await curveCycles(Number(a), Number(b), gc, (done, s) => process.stderr.write(`  ${done} cycles: ${row(s)}\n`))
  process.stdout.write(`RESULT ${JSON.stringify(curve)}\n`)
} else if (what === "all") {
  const rounds = Number(process.env.IRONHOUSE_SOAK_ROUNDS ?? 10)
  const cycles = Number(process.env.IRONHOUSE_SOAK_CYCLES ?? 100_000)
  console.log(`Hostile catalogue, ${rounds} rounds per mechanism against one REP server, after ${WARM_UP_ROUNDS} warm-up rounds (RSS after GC):`)
  console.log("| mechanism | kinds | round 1 RSS | round " + rounds + " RSS | change | heap 1 → " + rounds + " | fds 1 → " + rounds + " |")
  console.log("| --- | --- | --- | --- | --- | --- | --- |")
  let failed = false
  for (const m of ["NULL", "PLAIN", "CURVE"] as const) {
    const r = await hostileRounds(m, rounds, gc, (i, s) => process.stderr.write(`  ${m} round ${i}: ${row(s)}\n`))
    const first = r.samples[0] as Sample
    const last = r.samples[r.samples.length - 1] as Sample
    const change = (last.rss - first.rss) / first.rss
    if (change > 0.1) failed = true
    console.log(`| ${m} | ${r.kinds} | ${MB(first.rss)} MiB | ${MB(last.rss)} MiB | ${(change * 100).toFixed(1)} % | ${MB(first.heap)} → ${MB(last.heap)} MiB | ${first.fds} → ${last.fds} |`)
  }
  console.log(`\nCURVE connect / handshake / exchange / close, ${cycles} cycles against one ROUTER (8 at a time):`)
  console.log("| cycles | RSS | heap | open fds |")
  console.log("| --- | --- | --- | --- |")
  const curve = await curveCycles(cycles, 10_000, gc, (done, s) => {
    process.stderr.write(`  ${done} cycles: ${row(s)}\n`)
    console.log(`| ${done} | ${MB(s.rss)} MiB | ${MB(s.heap)} MiB | ${s.fds} |`)
  })
  const base = curve[1] ?? curve[0]
  const end = curve[curve.length - 1]
  if (base !== undefined && end !== undefined && (end.rss > base.rss * 1.1 || end.fds > base.fds + 2)) failed = true
  process.exit(failed ? 1 : 0)
} else {
  throw new Error(`unknown command ${what}`)
}
process.exit(0)
