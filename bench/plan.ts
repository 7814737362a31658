/**
 * The measurements `npm run bench` makes: for each row group, the processes to start per
 * column and how to read their result. See bench/README.md for the method behind each.
 */
import { fileURLToPath } from "node:url"
import type { ChildArgs } from "./child.js"
import type { CReference } from "./c-reference.js"
import type { Fields, ProcessSpec, Scenario } from "./processes.js"
import { Test, Unit, type Column, type RowKey, type Security } from "./rows.js"
import { planStreamAccess } from "./stream-access-plan.js"
import { planScaling } from "./scaling-plan.js"

export const THROUGHPUT_SIZES = [16, 256, 4096, 65536] as const
export const LATENCY_SIZE = 64
export const HANDSHAKE_SIZE = 64
/** Issue 11: TLS-over-ZeroMQ message sizes. */
export const TLS_SIZES = [256, 65536] as const

export interface Settings {
  /** Sending / round-trip / handshake loop time per run. */
  readonly durationMs: number
  readonly warmup: number
  readonly handshakeConcurrency: number
  /**
   * Issue 13: the CURVE handshake rows' concurrencies; 1 and 32 by default, or just
   * `--handshake-concurrency N` when given (any N > 1 is the "32 concurrent" row).
   */
  readonly curveHandshakeConcurrencies?: readonly number[]
  /** h21 (issue 13): `--handshake-warmup N`, untimed CURVE handshakes before each timed loop. */
  readonly handshakeWarmup?: number
  /** Idle connections for the memory row, and how many connecting processes hold them. */
  readonly connections: number
  readonly connectorProcesses: number
  /** Connections held open by the handshake flood (issue 8 item 6), within the fd limit. */
  readonly floodConnections?: number
}

/** One column of one row group: run `repeats` times, each run yielding every row's value. */
export interface Measurement {
  readonly group: string
  readonly column: Column
  readonly scenario: Scenario
  readonly rows: ReadonlyArray<{ readonly key: RowKey; readonly read: (result: Fields) => number }>
}

const BUILD_DIR = fileURLToPath(new URL(".", import.meta.url))

function nodeRole(role: string, args: ChildArgs): ProcessSpec {
  return { command: process.execPath, args: ["--expose-gc", `${BUILD_DIR}${role}.js`, JSON.stringify(args)] }
}

function field(result: Fields, name: string): number {
  const value = result[name]
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`result field ${name}: expected a number, got ${JSON.stringify(value)}`)
  }
  return value
}

function text(fields: Fields, name: string): string {
  const value = fields[name]
  if (typeof value !== "string") throw new TypeError(`ready field ${name}: expected a string`)
  return value
}

function optionalText(fields: Fields, name: string): string | undefined {
  const value = fields[name]
  return typeof value === "string" ? value : undefined
}

export function formatSize(size: number | null): string {
  if (size === null) return "-"
  return size >= 1024 ? `${size / 1024} KiB` : `${size} B`
}

function throughputRows(security: Security, size: number): Measurement["rows"] {
  return [
    { key: { test: Test.THROUGHPUT, security, size, unit: Unit.MSG_PER_SEC }, read: (r) => field(r, "msgPerSec") },
    {
      key: { test: Test.THROUGHPUT, security, size, unit: Unit.MB_PER_SEC },
      read: (r) => (field(r, "msgPerSec") * size) / 1e6,
    },
  ]
}

function latencyRows(security: Security): Measurement["rows"] {
  const size = LATENCY_SIZE
  return [
    { key: { test: Test.LATENCY_MEDIAN, security, size, unit: Unit.MICROSECONDS }, read: (r) => field(r, "medianUs") },
    { key: { test: Test.LATENCY_P99, security, size, unit: Unit.MICROSECONDS }, read: (r) => field(r, "p99Us") },
    { key: { test: Test.LATENCY_P999, security, size, unit: Unit.MICROSECONDS }, read: (r) => field(r, "p999Us") },
  ]
}

/** Every measurement, in run order: row group by row group, all columns of a group together. */
export function planMeasurements(settings: Settings, c: CReference): Measurement[] {
  const plan: Measurement[] = []
  // Drain after the sender stops is well under a second (two high-water marks of messages); a
  // run that has not finished 15 s after its loop ended is stuck (say, a handshake refused).
  const timeoutMs = settings.durationMs + 15_000
  const impls = ["ironhouse", "zeromq"] as const

  for (const security of ["NULL", "CURVE"] as const) {
    for (const size of THROUGHPUT_SIZES) {
      const group = `${Test.THROUGHPUT} ${security} ${formatSize(size)}`
      const rows = throughputRows(security, size)
      for (const impl of impls) {
        plan.push({
          group,
          column: impl,
          rows,
          scenario: {
            server: nodeRole("throughput-receiver", { impl, security }),
            clients: (ready) => [
              nodeRole("throughput-sender", {
                impl,
                security,
                size,
                durationMs: settings.durationMs,
                endpoint: text(ready, "endpoint"),
                serverKey: optionalText(ready, "serverKey"),
              }),
            ],
            resultFrom: "server",
            timeoutMs,
          },
        })
      }
      if (c.available && (security === "NULL" || c.curve)) {
        plan.push({
          group,
          column: "libzmq-c",
          rows,
          scenario: {
            server: { command: c.binary, args: ["pull", security] },
            clients: (ready) => [
              {
                command: c.binary,
                args: [
                  "push",
                  text(ready, "endpoint"),
                  String(size),
                  String(settings.durationMs),
                  security,
                  ...(security === "CURVE" ? [text(ready, "serverKey")] : []),
                ],
              },
            ],
            resultFrom: "server",
            timeoutMs,
          },
        })
      }
      if (security === "NULL") {
        plan.push({
          group,
          column: "node-net",
          rows,
          scenario: {
            server: nodeRole("net-receiver", { impl: "node-net", security, size }),
            clients: (ready) => [
              nodeRole("net-sender", {
                impl: "node-net",
                security,
                size,
                durationMs: settings.durationMs,
                endpoint: text(ready, "endpoint"),
              }),
            ],
            resultFrom: "server",
            timeoutMs,
          },
        })
      }
    }
  }

  for (const security of ["NULL", "CURVE"] as const) {
    const group = `req-rep latency ${security} ${formatSize(LATENCY_SIZE)}`
    const rows = latencyRows(security)
    const clientArgs = (impl: string, ready: Fields): ChildArgs => ({
      impl,
      security,
      size: LATENCY_SIZE,
      durationMs: settings.durationMs,
      warmup: settings.warmup,
      endpoint: text(ready, "endpoint"),
      serverKey: optionalText(ready, "serverKey"),
    })
    for (const impl of impls) {
      plan.push({
        group,
        column: impl,
        rows,
        scenario: {
          server: nodeRole("latency-server", { impl, security }),
          clients: (ready) => [nodeRole("latency-client", clientArgs(impl, ready))],
          resultFrom: "client",
          timeoutMs,
        },
      })
    }
    if (c.available && (security === "NULL" || c.curve)) {
      plan.push({
        group,
        column: "libzmq-c",
        rows,
        scenario: {
          server: { command: c.binary, args: ["rep", security] },
          clients: (ready) => [
            {
              command: c.binary,
              args: [
                "req",
                text(ready, "endpoint"),
                String(LATENCY_SIZE),
                String(settings.durationMs),
                String(settings.warmup),
                security,
                ...(security === "CURVE" ? [text(ready, "serverKey")] : []),
              ],
            },
          ],
          resultFrom: "client",
          timeoutMs,
        },
      })
    }
  }

  for (const concurrency of settings.curveHandshakeConcurrencies ?? [settings.handshakeConcurrency]) {
    const security = "CURVE"
    const group = `${Test.HANDSHAKES} (concurrency ${concurrency})`
    const rows: Measurement["rows"] = [
      {
        key: {
          test: concurrency === 1 ? Test.HANDSHAKES : Test.HANDSHAKES_CONCURRENT,
          security,
          size: HANDSHAKE_SIZE,
          unit: Unit.HANDSHAKES_PER_SEC,
        },
        read: (r) => field(r, "perSec"),
      },
    ]
    for (const impl of impls) {
      plan.push({
        group,
        column: impl,
        rows,
        scenario: {
          server: nodeRole("handshake-server", { impl, security }),
          clients: (ready) => [
            nodeRole("handshake-client", {
              impl,
              security,
              size: HANDSHAKE_SIZE,
              durationMs: settings.durationMs,
              // Issue 13: untimed handshakes first (both columns), as the latency rows warm up.
              warmup: handshakeWarmup(settings),
              concurrency,
              endpoint: text(ready, "endpoint"),
              serverKey: optionalText(ready, "serverKey"),
            }),
          ],
          resultFrom: "client",
          timeoutMs,
        },
      })
    }
  }

  // ---- Issue 11: TLS over ZeroMQ, over each library's sockets (bench/tls-bench.ts) ----
  for (const size of TLS_SIZES) {
    const group = `${Test.TLS_THROUGHPUT} ${formatSize(size)}`
    const rows: Measurement["rows"] = [
      { key: { test: Test.TLS_THROUGHPUT, security: "TLS", size, unit: Unit.MSG_PER_SEC }, read: (r) => field(r, "msgPerSec") },
      {
        key: { test: Test.TLS_THROUGHPUT, security: "TLS", size, unit: Unit.MB_PER_SEC },
        read: (r) => (field(r, "msgPerSec") * size) / 1e6,
      },
    ]
    for (const impl of impls) {
      plan.push({
        group,
        column: impl,
        rows,
        scenario: {
          server: nodeRole("tls-bench", { impl, security: "NULL", count: 0 }),
          clients: (ready) => [
            nodeRole("tls-bench", { impl, security: "NULL", count: 1, size, durationMs: settings.durationMs, endpoint: text(ready, "endpoint") }),
          ],
          resultFrom: "server",
          timeoutMs,
        },
      })
    }
  }
  {
    const group = `${Test.TLS_HANDSHAKES} (concurrency ${settings.handshakeConcurrency})`
    const rows: Measurement["rows"] = [
      { key: { test: Test.TLS_HANDSHAKES, security: "TLS", size: null, unit: Unit.HANDSHAKES_PER_SEC }, read: (r) => field(r, "perSec") },
    ]
    for (const impl of impls) {
      plan.push({
        group,
        column: impl,
        rows,
        scenario: {
          server: nodeRole("tls-bench", { impl, security: "NULL", count: 0 }),
          clients: (ready) => [
            nodeRole("tls-bench", {
              impl,
              security: "NULL",
              count: 2,
              durationMs: settings.durationMs,
              concurrency: settings.handshakeConcurrency,
              endpoint: text(ready, "endpoint"),
            }),
          ],
          resultFrom: "client",
          timeoutMs,
        },
      })
    }
  }

  {
    const security = "NULL"
    const group = `${Test.MEMORY} (N=${settings.connections}, binding side)`
    const rows: Measurement["rows"] = [
      {
        key: { test: Test.MEMORY, security, size: null, unit: Unit.KIB_PER_CONNECTION },
        read: (r) => field(r, "bytesPerConnection") / 1024,
      },
    ]
    const shares = splitEvenly(settings.connections, settings.connectorProcesses)
    const memoryTimeout = 180_000
    for (const impl of impls) {
      plan.push({
        group,
        column: impl,
        rows,
        scenario: {
          server: nodeRole("memory-binder", { impl, security, count: settings.connections }),
          clients: (ready) =>
            shares.map((count) =>
              nodeRole("memory-connector", { impl, security, count, endpoint: text(ready, "endpoint") }),
            ),
          resultFrom: "server",
          timeoutMs: memoryTimeout,
        },
      })
    }
    plan.push({
      group,
      column: "node-net",
      rows,
      scenario: {
        server: nodeRole("net-idle-server", { impl: "node-net", security, count: settings.connections }),
        clients: (ready) =>
          shares.map((count) =>
            nodeRole("net-idle-client", { impl: "node-net", security, count, endpoint: text(ready, "endpoint") }),
          ),
        resultFrom: "server",
        timeoutMs: memoryTimeout,
      },
    })
  }
  if (settings.floodConnections !== undefined) plan.push(...floodMeasurements(settings.floodConnections))
  // ---- h4-proxy (issue 8): Proxy and inproc rows ---------------------------------------------
  for (const security of ["NULL", "CURVE"] as const) {
    const size = 256
    const group = `${Test.PROXY_THROUGHPUT} ${security} front ${formatSize(size)}`
    const rows: Measurement["rows"] = [
      { key: { test: Test.PROXY_THROUGHPUT, security, size, unit: Unit.MSG_PER_SEC }, read: (r) => field(r, "msgPerSec") },
    ]
    for (const impl of impls) {
      plan.push({
        group,
        column: impl,
        rows,
        scenario: {
          // The proxy process binds both ends (front with `security`, back NULL: the gateway case).
          server: nodeRole("proxy-hop", { impl, security }),
          clients: (ready) => [
            nodeRole("throughput-receiver", { impl, security: "NULL", endpoint: text(ready, "backEndpoint") }),
            nodeRole("throughput-sender", {
              impl,
              security,
              size,
              durationMs: settings.durationMs,
              endpoint: text(ready, "endpoint"),
              serverKey: optionalText(ready, "serverKey"),
            }),
          ],
          resultFrom: "client",
          timeoutMs,
        },
      })
    }
  }
  for (const size of [16, 4096]) {
    const security = "NULL"
    const group = `${Test.INPROC_THROUGHPUT} ${formatSize(size)}`
    const rows: Measurement["rows"] = [
      { key: { test: Test.INPROC_THROUGHPUT, security, size, unit: Unit.MSG_PER_SEC }, read: (r) => field(r, "msgPerSec") },
    ]
    for (const impl of impls) {
      plan.push({
        group,
        column: impl,
        rows,
        scenario: {
          server: nodeRole("inproc-throughput", { impl, security, size, durationMs: settings.durationMs }),
          clients: () => [],
          resultFrom: "server",
          timeoutMs,
        },
      })
    }
  }
  plan.push(...e2eMeasurements(settings, timeoutMs))
  plan.push(...gatewayMeasurements(settings, timeoutMs, c))
  plan.push(...planStreamAccess(settings)) // stream access (issue 10)
  plan.push(...planScaling(settings)) // h15-bulk (issue 13 item 6): how cost grows
  return plan
}

/** End-to-end CurveZMQ rows (issue 9): bench/e2e.ts roles, Ironhouse sockets, NULL on the wire. */
function e2eMeasurements(settings: Settings, timeoutMs: number): Measurement[] {
  const plan: Measurement[] = []
  const security = "CURVE"
  const e2e = (args: Record<string, unknown>): ProcessSpec => nodeRole("e2e", { impl: "ironhouse", security: "NULL", ...args } as unknown as ChildArgs)
  const msgRows = (test: typeof Test.E2E_DIRECT | typeof Test.E2E_BROKER, size: number): Measurement["rows"] => [
    { key: { test, security, size, unit: Unit.MSG_PER_SEC }, read: (r) => field(r, "msgPerSec") },
  ]
  // Direct (receiver: a bound ROUTER) and through one broker (brokered-receiver: zeromq's Proxy in front).
  const throughput = [
    [Test.E2E_DIRECT, "receiver"],
    [Test.E2E_BROKER, "brokered-receiver"],
  ] as const
  for (const size of [256, 65536]) {
    for (const [test, role] of throughput) {
      plan.push({
        group: `${test} ${formatSize(size)}`,
        column: "ironhouse",
        rows: msgRows(test, size),
        scenario: {
          server: e2e({ role }),
          clients: (ready) => [
            e2e({ role: "sender", size, durationMs: settings.durationMs, endpoint: text(ready, "endpoint"), serverKey: text(ready, "serverKey") }),
          ],
          resultFrom: "server",
          timeoutMs,
        },
      })
    }
  }
  plan.push({
    group: `${Test.E2E_HANDSHAKES} (concurrency ${settings.handshakeConcurrency})`,
    column: "ironhouse",
    rows: [{ key: { test: Test.E2E_HANDSHAKES, security, size: null, unit: Unit.HANDSHAKES_PER_SEC }, read: (r) => field(r, "perSec") }],
    scenario: {
      server: e2e({ role: "hs-server" }),
      clients: (ready) => [
        e2e({
          role: "hs-client",
          durationMs: settings.durationMs,
          concurrency: settings.handshakeConcurrency,
          endpoint: text(ready, "endpoint"),
          serverKey: text(ready, "serverKey"),
        }),
      ],
      resultFrom: "client",
      timeoutMs,
    },
  })
  plan.push({
    group: `${Test.E2E_MEMORY} (N=10000, server core)`,
    column: "ironhouse",
    rows: [{ key: { test: Test.E2E_MEMORY, security, size: null, unit: Unit.KIB_PER_SESSION }, read: (r) => field(r, "bytesPerSession") / 1024 }],
    scenario: { server: e2e({ role: "memory", count: 10_000 }), clients: () => [], resultFrom: "server", timeoutMs: 180_000 },
  })
  return plan
}

/**
 * Handshake under flood (issue 8 item 6, CVE-2020-15166): a CURVE server (flood-server.ts)
 * while the client process (flood-client.ts) holds `count` connections open in every
 * pre-authentication state, then times a legitimate CURVE handshake + request/reply.
 */
function floodMeasurements(count: number): Measurement[] {
  const security = "CURVE"
  const group = `${Test.FLOOD} (N=${count} held)`
  const rows: Measurement["rows"] = [
    { key: { test: Test.FLOOD, security, size: HANDSHAKE_SIZE, unit: Unit.MILLISECONDS }, read: (r) => field(r, "legitMs") },
    { key: { test: Test.FLOOD_RSS, security, size: null, unit: Unit.MIB }, read: (r) => field(r, "serverRss") / 2 ** 20 },
    { key: { test: Test.FLOOD_HELD, security, size: null, unit: Unit.CONNECTIONS }, read: (r) => field(r, "heldOpen") },
  ]
  return (["ironhouse", "zeromq"] as const).map((impl) => ({
    group,
    column: impl,
    rows,
    scenario: {
      server: nodeRole("flood-server", { impl, security }),
      clients: (ready) => [
        nodeRole("flood-client", {
          impl,
          security,
          count,
          endpoint: text(ready, "endpoint"),
          serverKey: optionalText(ready, "serverKey"),
          serverPid: field(ready, "pid"),
        }),
      ],
      resultFrom: "client",
      timeoutMs: 180_000,
    },
  }))
}

// ---- h9-gateway (issue 12): through one gateway vs direct CURVE, same run ---------------------
export const GATEWAY_THROUGHPUT_SIZE = 256

/** Traffic the gateway throughput row's receivers do not count before they start (all cells). */
export const GATEWAY_WARMUP_MS = 1000

function gatewayMeasurements(settings: Settings, timeoutMs: number, c: CReference): Measurement[] {
  const security = "CURVE"
  const impl = "ironhouse"
  const size = GATEWAY_THROUGHPUT_SIZE
  const out: Measurement[] = []
  const throughput: Measurement["rows"] = [
    { key: { test: Test.GATEWAY_THROUGHPUT, security, size, unit: Unit.MSG_PER_SEC }, read: (r) => field(r, "msgPerSec") },
  ]
  // Every cell of this row counts after GATEWAY_WARMUP_MS of traffic (the senders send that
  // much longer): each run starts three processes cold here against two direct, and a gateway
  // is a long-running server, so the row compares steady states (bench/README.md, gateway rows).
  const sendMs = settings.durationMs + GATEWAY_WARMUP_MS
  const sender = (ready: Fields): ProcessSpec[] => [
    nodeRole("throughput-sender", { impl, security, size, durationMs: sendMs, endpoint: text(ready, "endpoint"), serverKey: optionalText(ready, "serverKey") }),
  ]
  const group = `${Test.GATEWAY_THROUGHPUT} ${security} ${formatSize(size)}`
  for (const [column, role] of [["ironhouse", "gateway-receiver"], ["direct", "throughput-receiver"]] as const) {
    out.push({ group, column, rows: throughput, scenario: { server: nodeRole(role, { impl, security, warmupMs: GATEWAY_WARMUP_MS }), clients: sender, resultFrom: "server", timeoutMs } })
  }
  // h19: the same two topologies from libzmq in C, zmq_proxy() in its own process as the gateway
  // (bench/c/zmq-bench.c), for the floor of each ratio on this machine.
  const cCurve = c.available && c.curve
  if (cCurve) {
    const cPush = (ready: Fields): ProcessSpec[] => [
      { command: c.binary, args: ["push", text(ready, "endpoint"), String(size), String(sendMs), security, text(ready, "serverKey")] },
    ]
    const warm = String(GATEWAY_WARMUP_MS)
    for (const [column, args] of [["libzmq-c", ["gateway-pull", warm]], ["libzmq-c-direct", ["pull", security, warm]]] as const) {
      out.push({ group, column, rows: throughput, scenario: { server: { command: c.binary, args }, clients: cPush, resultFrom: "server", timeoutMs } })
    }
  }
  const latency: Measurement["rows"] = [
    { key: { test: Test.GATEWAY_LATENCY_MEDIAN, security, size: LATENCY_SIZE, unit: Unit.MICROSECONDS }, read: (r) => field(r, "medianUs") },
    { key: { test: Test.GATEWAY_LATENCY_P99, security, size: LATENCY_SIZE, unit: Unit.MICROSECONDS }, read: (r) => field(r, "p99Us") },
  ]
  const client = (ready: Fields): ProcessSpec[] => [
    nodeRole("latency-client", {
      impl,
      security,
      size: LATENCY_SIZE,
      durationMs: settings.durationMs,
      warmup: settings.warmup,
      endpoint: text(ready, "endpoint"),
      serverKey: optionalText(ready, "serverKey"),
    }),
  ]
  const latencyGroup = `gateway req-rep latency ${security} ${formatSize(LATENCY_SIZE)}`
  for (const [column, role] of [["ironhouse", "gateway-replier"], ["direct", "latency-server"]] as const) {
    out.push({ group: latencyGroup, column, rows: latency, scenario: { server: nodeRole(role, { impl, security }), clients: client, resultFrom: "client", timeoutMs } })
  }
  if (cCurve) {
    const cReq = (ready: Fields): ProcessSpec[] => [
      {
        command: c.binary,
        args: ["req", text(ready, "endpoint"), String(LATENCY_SIZE), String(settings.durationMs), String(settings.warmup), security, text(ready, "serverKey")],
      },
    ]
    for (const [column, args] of [["libzmq-c", ["gateway-rep"]], ["libzmq-c-direct", ["rep", security]]] as const) {
      out.push({ group: latencyGroup, column, rows: latency, scenario: { server: { command: c.binary, args }, clients: cReq, resultFrom: "client", timeoutMs } })
    }
  }
  return out
}
// ---- end h9-gateway ---------------------------------------------------------------------------

/**
 * Untimed handshakes before the CURVE handshake rows' timed loop: 200 (50 with --quick), or
 * `--handshake-warmup N` (h21: V8 optimizes code run once per connection only after a few
 * thousand connections; see bench/README.md "JIT warm-up").
 */
function handshakeWarmup(settings: Settings): number {
  if (settings.handshakeWarmup !== undefined) return settings.handshakeWarmup
  return Math.min(200, Math.max(0, Math.floor(settings.warmup / 2)))
}

function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts)
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0))
}
