/**
 * Issue 13's bench rows: the nearest-rank percentile that both bench clients use (the C
 * program computes its rank in integers, so the TypeScript one must give the same rank where
 * floating point would round 99.9 % of n up), and the default plan's CURVE handshake rows at
 * concurrency 1 and 32 with a p99.9 latency row. No timing here: the plan is data.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { percentile } from "../../bench/stats.js"
import { GATEWAY_WARMUP_MS, planMeasurements, type Settings } from "../../bench/plan.js"
import { Test, Unit, type Column } from "../../bench/rows.js"
import { renderTable, type Cell } from "../../bench/report.js"
import type { CReference } from "../../bench/c-reference.js"

/** The C program's ranks (bench/c/zmq-bench.c): ceil(p n / 100) in integer arithmetic. */
function cRank(permille: number, n: number): number {
  return Math.floor((permille * n + 999) / 1000)
}

describe("bench percentile", () => {
  it("gives the C program's nearest rank for p50, p99 and p99.9", () => {
    for (const n of [1, 2, 3, 7, 100, 999, 1000, 1001, 2000, 3000, 10_000, 12_345, 65_536]) {
      const sorted = Float64Array.from({ length: n }, (_, i) => i + 1) // value = rank
      assert.equal(percentile(sorted, 50), cRank(500, n), `p50 of ${n}`)
      assert.equal(percentile(sorted, 99), cRank(990, n), `p99 of ${n}`)
      assert.equal(percentile(sorted, 99.9), cRank(999, n), `p99.9 of ${n}`)
    }
  })

  it("refuses an empty sample", () => {
    assert.throws(() => percentile([], 99.9), RangeError)
  })
})

describe("bench plan (issue 13)", () => {
  const base: Settings = { durationMs: 1000, warmup: 500, handshakeConcurrency: 1, connections: 10, connectorProcesses: 1 }
  const noC: CReference = { available: false, reason: "not needed here" }

  it("has CURVE handshake rows at concurrency 1 and 32 by default, with warm-up handshakes", () => {
    const plan = planMeasurements({ ...base, curveHandshakeConcurrencies: [1, 32] }, noC)
    const groups = [...new Set(plan.filter((m) => m.rows.some((r) => r.key.test === Test.HANDSHAKES || r.key.test === Test.HANDSHAKES_CONCURRENT)).map((m) => m.group))]
    assert.deepEqual(groups, ["curve handshakes (concurrency 1)", "curve handshakes (concurrency 32)"])
    const c32 = plan.filter((m) => m.group === "curve handshakes (concurrency 32)")
    assert.deepEqual(c32.map((m) => m.column), ["ironhouse", "zeromq"])
    for (const m of c32) {
      assert.equal(m.rows[0]?.key.test, Test.HANDSHAKES_CONCURRENT)
      const client = m.scenario.clients({ endpoint: "tcp://127.0.0.1:1", serverKey: "k" })[0]
      const args = JSON.parse(client?.args.at(-1) ?? "{}") as { concurrency?: number; warmup?: number }
      assert.equal(args.concurrency, 32)
      assert.equal(args.warmup, 200)
    }
  })

  it("reports p99.9 next to the median and p99 in both latency groups", () => {
    const plan = planMeasurements(base, noC)
    for (const security of ["NULL", "CURVE"]) {
      const m = plan.find((x) => x.group === `req-rep latency ${security} 64 B` && x.column === "zeromq")
      assert.deepEqual(m?.rows.map((r) => r.key.test), [Test.LATENCY_MEDIAN, Test.LATENCY_P99, Test.LATENCY_P999])
      assert.equal(m?.rows[2]?.read({ medianUs: 1, p99Us: 2, p999Us: 3 }), 3)
    }
  })
})

describe("bench gateway rows, libzmq C floor (h19, issue 12)", () => {
  const base: Settings = { durationMs: 1000, warmup: 500, handshakeConcurrency: 1, connections: 10, connectorProcesses: 1 }
  const c: CReference = { available: true, binary: "/bin/zmq-bench", version: "4.3.4", curve: true }
  const ready = { endpoint: "tcp://127.0.0.1:1", serverKey: "k" }

  it("runs C through zmq_proxy and C direct in both gateway groups, with the same sizes and durations", () => {
    const plan = planMeasurements(base, c)
    const throughput = plan.filter((m) => m.group === "gateway push-pull throughput CURVE 256 B")
    assert.deepEqual(throughput.map((m) => m.column), ["ironhouse", "direct", "libzmq-c", "libzmq-c-direct"])
    // Every throughput cell counts after the same warm-up; the senders send that much longer.
    const warm = String(GATEWAY_WARMUP_MS)
    assert.deepEqual(throughput.slice(2).map((m) => m.scenario.server.args), [["gateway-pull", warm], ["pull", "CURVE", warm]])
    for (const m of throughput.slice(2)) {
      assert.deepEqual(m.scenario.clients(ready)[0]?.args, ["push", "tcp://127.0.0.1:1", "256", String(1000 + GATEWAY_WARMUP_MS), "CURVE", "k"])
    }
    for (const m of throughput.slice(0, 2)) {
      assert.equal(JSON.parse(m.scenario.server.args.at(-1) as string).warmupMs, GATEWAY_WARMUP_MS)
      assert.equal(JSON.parse(m.scenario.clients(ready)[0]?.args.at(-1) as string).durationMs, 1000 + GATEWAY_WARMUP_MS)
    }
    const latency = plan.filter((m) => m.group === "gateway req-rep latency CURVE 64 B")
    assert.deepEqual(latency.map((m) => m.column), ["ironhouse", "direct", "libzmq-c", "libzmq-c-direct"])
    assert.deepEqual(latency.slice(2).map((m) => m.scenario.server.args), [["gateway-rep"], ["rep", "CURVE"]])
    for (const m of latency.slice(2)) {
      assert.deepEqual(m.scenario.clients(ready)[0]?.args, ["req", "tcp://127.0.0.1:1", "64", "1000", "500", "CURVE", "k"])
      assert.equal(m.rows[0]?.key.test, Test.GATEWAY_LATENCY_MEDIAN)
    }
  })

  it("leaves the C gateway cells out without a CURVE-capable libzmq", () => {
    const plan = planMeasurements(base, { ...c, curve: false })
    const columns = plan.filter((m) => m.group.startsWith("gateway")).map((m) => m.column)
    assert.deepEqual(columns, ["ironhouse", "direct", "ironhouse", "direct"])
  })

  it("prints C through zmq_proxy / C direct next to the gateway target's ratio", () => {
    const key = { test: Test.GATEWAY_LATENCY_MEDIAN, security: "CURVE", size: 64, unit: Unit.MICROSECONDS } as const
    const cells = new Map<Column, Cell>([
      ["ironhouse", { value: 500 }],
      ["direct", { value: 250 }],
      ["libzmq-c", { value: 300 }],
      ["libzmq-c-direct", { value: 100 }],
    ])
    const { text, tally } = renderTable([{ key, cells }])
    assert.match(text, /≤1\.5× direct: missed \(2\.00×\); C zmq_proxy\/C direct: 3\.00×/)
    assert.deepEqual(tally.lines, ["gateway req-rep latency median CURVE 64 B ≤1.5× direct: missed (2.00×); C zmq_proxy/C direct: 3.00×"])
    const withoutC = renderTable([{ key, cells: new Map([...cells].slice(0, 2)) }])
    assert.doesNotMatch(withoutC.text, /zmq_proxy/)
  })
})
