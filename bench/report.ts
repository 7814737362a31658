/** The bench's table: one line per row key, a column per implementation, ratios, targets. */
import { formatSize } from "./plan.js"
import {
  checkTarget,
  COLUMNS,
  describeTarget,
  targetsFor,
  Unit,
  type Column,
  type RowKey,
  type TargetStatus,
} from "./rows.js"

/** A cell: the median of the runs, or why there is none. */
export type Cell = { readonly value: number } | { readonly missing: string }

export interface ReportRow {
  readonly key: RowKey
  readonly cells: ReadonlyMap<Column, Cell>
}

const HEADERS: Record<Column, string> = {
  ironhouse: "ironhouse",
  zeromq: "zeromq",
  "libzmq-c": "libzmq C",
  "node-net": "node net",
  direct: "direct", // h9-gateway: Ironhouse CURVE without the gateway (gateway rows only)
  "libzmq-c-direct": "C direct", // h19: libzmq C CURVE without zmq_proxy (gateway rows only; `libzmq C` is through it)
}

export function formatValue(value: number, unit: string): string {
  if (unit === Unit.MSG_PER_SEC) {
    if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`
    if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`
    return value.toFixed(0)
  }
  if (unit === Unit.HANDSHAKES_PER_SEC) return value.toFixed(0)
  if (unit === Unit.KIB_PER_CONNECTION) return value.toFixed(2)
  return value >= 100 ? value.toFixed(0) : value.toFixed(1)
}

function valueOf(cell: Cell | undefined): number | undefined {
  return cell !== undefined && "value" in cell ? cell.value : undefined
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? "-" : `${(a / b).toFixed(2)}×`
}

function pad(text: string, width: number, right: boolean): string {
  return right ? text.padStart(width) : text.padEnd(width)
}

export interface TargetTally {
  met: number
  missed: number
  unavailable: number
  lines: string[]
}

/** Renders the table; n/a reasons become numbered notes under it. */
export function renderTable(rows: readonly ReportRow[]): { text: string; tally: TargetTally } {
  const notes: string[] = []
  const note = (reason: string): string => {
    let index = notes.indexOf(reason)
    if (index === -1) index = notes.push(reason) - 1
    return `n/a[${index + 1}]`
  }
  const tally: TargetTally = { met: 0, missed: 0, unavailable: 0, lines: [] }
  const header = ["test", "sec", "size", "unit", ...COLUMNS.map((c) => HEADERS[c]), "ih/zmq", "ih/C", "targets"]
  const lines: string[][] = [header]
  for (const row of rows) {
    const cell = (column: Column): string => {
      const c = row.cells.get(column)
      if (c === undefined) return "-"
      return "value" in c ? formatValue(c.value, row.key.unit) : note(c.missing)
    }
    const ih = valueOf(row.cells.get("ironhouse"))
    const floor = cFloor(row)
    const targets = targetsFor(row.key).map((target) => {
      const reference = valueOf(row.cells.get(target.against))
      const { status, ratio: r } = checkTarget(target, ih, reference)
      countStatus(tally, status)
      const shown =
        `${describeTarget(target)}: ${status}${r !== undefined ? ` (${r.toFixed(2)}×)` : ""}` +
        (target.against === "direct" && floor !== undefined ? `; ${floor}` : "")
      if (status !== "n/a") {
        tally.lines.push(`${row.key.test} ${row.key.security} ${formatSize(row.key.size)} ${shown}`)
      }
      return shown
    })
    lines.push([
      row.key.test,
      row.key.security,
      formatSize(row.key.size),
      row.key.unit,
      ...COLUMNS.map(cell),
      ratio(ih, valueOf(row.cells.get("zeromq"))),
      ratio(ih, valueOf(row.cells.get("libzmq-c"))),
      targets.join("; "),
    ])
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? "").length)))
  const numeric = (i: number): boolean => i >= 4 && i < header.length - 1
  const text = lines
    .map((l) => l.map((v, i) => pad(v, widths[i] ?? 0, numeric(i))).join("  ").trimEnd())
    .join("\n")
  const noteText = notes.map((reason, i) => `  [${i + 1}] ${reason}`).join("\n")
  const direction =
    "ratios are ironhouse / reference; for µs, ms, MiB and KiB/connection lower is better, elsewhere higher"
  return { text: `${text}\n\n${direction}${notes.length > 0 ? `\nn/a:\n${noteText}` : ""}`, tally }
}

/**
 * h19 (gateway rows): the same ratio from libzmq alone, C through a zmq_proxy() process over
 * C direct, shown next to the target's "ironhouse through the gateway / ironhouse direct".
 */
function cFloor(row: ReportRow): string | undefined {
  const through = valueOf(row.cells.get("libzmq-c"))
  const direct = valueOf(row.cells.get("libzmq-c-direct"))
  if (through === undefined || direct === undefined || direct === 0) return undefined
  return `C zmq_proxy/C direct: ${(through / direct).toFixed(2)}×`
}

function countStatus(tally: TargetTally, status: TargetStatus): void {
  if (status === "met") tally.met++
  else if (status === "missed") tally.missed++
  else tally.unavailable++
}
