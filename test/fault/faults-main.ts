/**
 * `npm run faults`: the long fault-injection run (issue 14 item 2), 1,000 faults (or
 * IRONHOUSE_FAULTS) per pattern and mechanism, with progress, then one table of counts.
 * Exit status 1 if any run saw a violation. IRONHOUSE_FAULT_SEED=<seed> replays a plan.
 */
import { PATTERNS, runFaults, type FaultRunResult } from "./scenarios.js"
import { faultSeed } from "./prng.js"

const faults = Number(process.env.IRONHOUSE_FAULTS ?? 1000)
const seed = faultSeed()
console.log(`fault injection: ${faults} faults per pattern and mechanism, seed ${seed} (IRONHOUSE_FAULT_SEED=${seed} to replay)`)
const results: FaultRunResult[] = []
let failed = false
for (const mechanism of ["NULL", "CURVE"] as const) {
  for (const pattern of PATTERNS) {
    const started = Date.now()
    try {
      const r = await runFaults({
        pattern,
        mechanism,
        faults,
        seed,
        onFault: (n) => {
          if (n % 100 === 0) process.stdout.write(`  ${pattern} ${mechanism}: ${n} faults, ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
        },
      })
      results.push(r)
      if (r.violations.length > 0) {
        failed = true
        console.log(`${pattern} ${mechanism}: VIOLATIONS\n  ${r.violations.slice(0, 20).join("\n  ")}`)
      } else console.log(`${pattern} ${mechanism}: ok (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    } catch (err) {
      failed = true
      console.log(`${pattern} ${mechanism}: FAILED: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
}
console.log("\n| pattern | mechanism | faults | split | delay | stall | cuts: greeting | handshake | mid-frame | mid-multipart | between messages | connections | delivered | lost | gaps | REQ resends | violations |")
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for (const r of results) {
  const k = (name: string): number => r.byKind[name] ?? 0
  const w = r.cutsWhere
  console.log(
    `| ${r.pattern} | ${r.mechanism} | ${r.faults} | ${k("split")} | ${k("delay")} | ${k("stall")} | ${w.greeting} | ${w.handshake} | ${w.frame} | ${w.multipart} | ${w.between} | ${r.connections} | ${r.delivered} | ${r.lost} | ${r.gaps} | ${r.resends} | ${r.violations.length} |`,
  )
}
process.exit(failed ? 1 : 0)
