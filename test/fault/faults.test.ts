/**
 * Fault injection on live connections, short run (issue 14 item 2): ~100 faults per pattern and
 * mechanism through the fault relay (test/fault/relay.ts). `npm run faults` runs 1,000+ each.
 * The seed is printed; IRONHOUSE_FAULT_SEED=<seed> replays the same fault plan.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { PATTERNS, runFaults } from "./scenarios.js"
import { faultSeed } from "./prng.js"

const FAULTS = Number(process.env.IRONHOUSE_FAULTS ?? 100)
const seed = faultSeed()
console.log(`fault injection seed ${seed} (IRONHOUSE_FAULT_SEED=${seed} to replay)`)

describe(`fault injection through a relay (${FAULTS} faults per pattern and mechanism, seed ${seed})`, () => {
  for (const mechanism of ["NULL", "CURVE"] as const) {
    for (const pattern of PATTERNS) {
      it(`${pattern} ${mechanism}: nothing corrupted, truncated, duplicated or lost without a cut; traffic resumes after every fault`, async () => {
        const r = await runFaults({ pattern, mechanism, faults: FAULTS, seed })
        assert.deepEqual(r.violations, [], `seed ${seed}`)
        assert.ok(r.faults >= FAULTS, `${r.faults} faults injected`)
        assert.ok(r.cuts > 0 && r.connections > r.cuts / 2, `cuts ${r.cuts}, connections ${r.connections}`)
        assert.ok(r.delivered > 0)
      })
    }
  }
})
