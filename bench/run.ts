/**
 * `npm run bench`: Ironhouse and the `zeromq` package side by side (issue 3, "Benchmark"),
 * with libzmq from C (when Debian's libzmq3-dev is installed) and raw Node `net` as references.
 * Every measurement runs its sending and receiving sides in separate processes (see plan.ts
 * and bench/README.md); each is repeated and the median reported. A column whose
 * implementation cannot run prints "n/a" with the reason; targets missed are reported, never
 * a failed exit: this is a benchmark, not a test.
 *
 *   npm run bench -- [--quick] [--only REGEX] [--json FILE] [--repeats N] [--duration MS]
 *                    [--connections N] [--handshake-concurrency N] [--handshake-warmup N]
 */
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { buildCReference } from "./c-reference.js"
import { IRONHOUSE_MODULE_ENV } from "./impl.js"
import { planMeasurements, type Measurement, type Settings } from "./plan.js"
import { runOnce, runScenario } from "./processes.js"
import { formatValue, renderTable, type Cell } from "./report.js"
import { rowId, type Column, type RowKey } from "./rows.js"
import { median } from "./stats.js"

interface Options {
  quick: boolean
  only: RegExp | undefined
  json: string | undefined
  repeats: number | undefined
  durationMs: number | undefined
  connections: number | undefined
  handshakeConcurrency: number | undefined
  handshakeWarmup: number | undefined
}

const USAGE =
  "usage: npm run bench -- [--quick] [--only REGEX] [--json FILE] [--repeats N] [--duration MS] " +
  "[--connections N] [--handshake-concurrency N] [--handshake-warmup N]\n" +
  "  --only matches a run's label, e.g. 'push-pull throughput NULL 16 B zeromq'"

function positiveInteger(flag: string, value: string | undefined): number {
  const n = Number(value)
  if (value === undefined || !Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`${flag}: expected a positive integer, got ${value ?? "nothing"}`)
  }
  return n
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    quick: false,
    only: undefined,
    json: undefined,
    repeats: undefined,
    durationMs: undefined,
    connections: undefined,
    handshakeConcurrency: undefined,
    handshakeWarmup: undefined,
  }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const next = (): string | undefined => argv[++i]
    switch (flag) {
      case "--quick":
        options.quick = true
        break
      case "--only": {
        const pattern = next()
        if (pattern === undefined) throw new RangeError("--only: expected a pattern, got nothing")
        options.only = new RegExp(pattern, "i")
        break
      }
      case "--json": {
        const file = next()
        if (file === undefined) throw new RangeError("--json: expected a file name, got nothing")
        options.json = file
        break
      }
      case "--repeats":
        options.repeats = positiveInteger(flag, next())
        break
      case "--duration":
        options.durationMs = positiveInteger(flag, next())
        break
      case "--connections":
        options.connections = positiveInteger(flag, next())
        break
      case "--handshake-concurrency":
        options.handshakeConcurrency = positiveInteger(flag, next())
        break
      case "--handshake-warmup": // h21 (issue 13): untimed CURVE handshakes before each timed loop
        options.handshakeWarmup = positiveInteger(flag, next())
        break
      case "--help":
      case "-h":
        console.log(USAGE)
        process.exit(0)
        break
      default:
        throw new RangeError(`unknown option ${flag}\n${USAGE}`)
    }
  }
  return options
}

/** The soft limit on open files, which a node process cannot raise for itself. */
function openFileLimit(): number {
  const probe = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" })
  const limit = Number(probe.stdout.trim())
  return Number.isSafeInteger(limit) && limit > 0 ? limit : 1024
}

/** Spare descriptors per process for the runtime, listeners, libzmq's own threads. */
const FD_RESERVE = 200
/** Descriptors a connection can cost a connecting `zeromq` process: TCP + the socket's eventfd + slack. */
const CONNECTOR_FDS_PER_CONNECTION = 3

function connectionPlan(wanted: number, fdLimit: number): { connections: number; processes: number; note: string } {
  const binderMax = fdLimit - FD_RESERVE
  const connections = Math.max(1, Math.min(wanted, binderMax))
  const perConnector = Math.max(1, Math.floor((fdLimit - FD_RESERVE) / CONNECTOR_FDS_PER_CONNECTION))
  const processes = Math.ceil(connections / perConnector)
  const reduced = connections < wanted ? `, reduced from ${wanted} to fit the binder under ulimit -n` : ""
  return {
    connections,
    processes,
    note: `N=${connections} idle connections from ${processes} connecting process(es) (ulimit -n ${fdLimit}${reduced})`,
  }
}

function label(measurement: Measurement): string {
  return `${measurement.group} ${measurement.column}`
}

interface Collected {
  readonly values: Map<string, number[]>
  readonly missing: Map<string, string>
}

function cellKey(key: RowKey, column: Column): string {
  return `${rowId(key)}|${column}`
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  const started = performance.now()
  const repeats = options.repeats ?? (options.quick ? 1 : 3)
  const fdLimit = openFileLimit()
  const connections = connectionPlan(options.connections ?? (options.quick ? 2000 : 10_000), fdLimit)
  const settings: Settings = {
    durationMs: options.durationMs ?? (options.quick ? 1000 : 1500),
    warmup: options.quick ? 100 : 500,
    handshakeConcurrency: options.handshakeConcurrency ?? 1,
    curveHandshakeConcurrencies: options.handshakeConcurrency === undefined ? [1, 32] : [options.handshakeConcurrency],
    ...(options.handshakeWarmup !== undefined ? { handshakeWarmup: options.handshakeWarmup } : {}),
    connections: connections.connections,
    connectorProcesses: connections.processes,
    floodConnections: connectionPlan(10_000, fdLimit).connections,
  }

  const c = buildCReference()
  const probes = new Map<Column, string>()
  const versions: string[] = []
  for (const impl of ["ironhouse", "zeromq"] as const) {
    const spec = {
      command: process.execPath,
      args: [fileURLToPath(new URL("probe.js", import.meta.url)), JSON.stringify({ impl, security: "NULL" })],
    }
    try {
      const result = await runOnce(spec, 30_000)
      versions.push(result.version === "unknown" ? impl : `${impl} ${String(result.version)}`)
    } catch (err) {
      const reason = `${impl} cannot run: ${err instanceof Error ? err.message : String(err)}`
      probes.set(impl, reason)
      versions.push(`${impl} n/a`)
    }
  }
  versions.push(c.available ? `libzmq C ${c.version}${c.curve ? "" : " (no CURVE)"}` : "libzmq C skipped")

  console.log("Ironhouse benchmark (issue 3): separate sender and receiver processes, loopback TCP")
  console.log(`  ${new Date().toISOString()}  node ${process.version}  ${cpus()[0]?.model ?? "cpu"} ×${cpus().length}`)
  console.log(`  ${versions.join(", ")}`)
  if (!c.available) console.log(`  libzmq C reference skipped: ${c.reason}`)
  const override = process.env[IRONHOUSE_MODULE_ENV]
  if (override !== undefined && override !== "") {
    console.log(`  NOTE: the ironhouse column runs module "${override}" (${IRONHOUSE_MODULE_ENV})`)
  }
  console.log(
    `  ${repeats} run(s) per cell, median; ${settings.durationMs} ms per throughput/latency/handshake run; ` +
      `default high-water marks (1000) for both implementations`,
  )
  console.log(`  memory row: ${connections.note}`)
  console.log(`  flood row: N=${settings.floodConnections} held (10000 unless reduced to fit ulimit -n ${fdLimit})`)
  console.log(`  load average at start: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`)
  console.log("")

  const plan = planMeasurements(settings, c).filter((m) => options.only?.test(label(m)) ?? true)
  if (plan.length === 0) {
    console.log(`nothing matches --only ${options.only?.source ?? ""}`)
    return
  }
  const collected: Collected = { values: new Map(), missing: new Map() }
  for (const m of plan) {
    const reason = probes.get(m.column)
    if (reason !== undefined) for (const row of m.rows) collected.missing.set(cellKey(row.key, m.column), reason)
  }

  // Row group by row group; within a group, repeat r runs every column once before r+1, so
  // load from elsewhere on the machine falls on all columns alike.
  const groups = [...new Set(plan.map((m) => m.group))]
  const total = plan.filter((m) => !probes.has(m.column)).length * repeats
  let done = 0
  for (const group of groups) {
    const members = plan.filter((m) => m.group === group && !probes.has(m.column))
    for (let run = 1; run <= repeats; run++) {
      for (const m of members) {
        const first = m.rows[0]
        if (first === undefined || collected.missing.has(cellKey(first.key, m.column))) continue
        done++
        const prefix = `[${done}/${total}] ${label(m)} run ${run}/${repeats}`
        try {
          const result = await runScenario(m.scenario)
          const shown: string[] = []
          for (const row of m.rows) {
            const value = row.read(result)
            const key = cellKey(row.key, m.column)
            collected.values.set(key, [...(collected.values.get(key) ?? []), value])
            shown.push(`${formatValue(value, row.key.unit)} ${row.key.unit}`)
          }
          process.stderr.write(`${prefix}: ${shown.join(", ")}\n`)
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err)
          for (const row of m.rows) collected.missing.set(cellKey(row.key, m.column), reason)
          process.stderr.write(`${prefix}: n/a (${reason})\n`)
        }
      }
    }
  }

  // Table rows in plan order; one JSON object per row and column, value null where n/a.
  const rows = new Map<string, { key: RowKey; cells: Map<Column, Cell> }>()
  const json: Array<Record<string, unknown>> = []
  for (const m of plan) {
    for (const row of m.rows) {
      const id = rowId(row.key)
      const report = rows.get(id) ?? { key: row.key, cells: new Map<Column, Cell>() }
      rows.set(id, report)
      const key = cellKey(row.key, m.column)
      const values = collected.values.get(key) ?? []
      const missing = collected.missing.get(key)
      const cell: Cell =
        missing !== undefined || values.length === 0 ? { missing: missing ?? "no result" } : { value: median(values) }
      report.cells.set(m.column, cell)
      json.push({
        test: row.key.test,
        security: row.key.security,
        size: row.key.size,
        impl: m.column,
        value: "value" in cell ? cell.value : null,
        unit: row.key.unit,
      })
    }
  }

  const { text, tally } = renderTable([...rows.values()])
  console.log(text)
  console.log("")
  console.log(`targets (issue 3): ${tally.met} met, ${tally.missed} missed, ${tally.unavailable} n/a`)
  for (const line of tally.lines) console.log(`  ${line}`)
  console.log("")
  console.log(
    `load average at end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ` +
      `bench took ${((performance.now() - started) / 1000).toFixed(0)} s`,
  )
  if (options.json !== undefined) {
    writeFileSync(options.json, json.map((o) => JSON.stringify(o)).join("\n") + "\n")
    console.log(`wrote ${json.length} rows to ${options.json}`)
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exitCode = 1
})
