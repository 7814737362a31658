/**
 * Issue 13 item 6: the rows that show how cost grows, Ironhouse and `zeromq` side by side, each
 * with the target ≥ 1× `zeromq` (bench/rows.ts ScalingTest). See bench/README.md "Scaling rows".
 *   - PUB→SUB fan-out to 1, 10 and 100 subscribers (bench/fanout.ts): total delivered msg/s.
 *   - a ROUTER sending round-robin to 1000 DEALERs (bench/router-spread.ts): delivered msg/s.
 *   - a publisher holding 100,000 subscription prefixes (bench/prefix-filter.ts): msg/s.
 *   - Ironhouse on the WebAssembly crypto backend (IRONHOUSE_CRYPTO=libsodium-wrappers in both
 *     of its processes): CURVE 256 B push-pull throughput and CURVE handshakes/s, with Ironhouse
 *     on sodium-native in the `direct` column and `zeromq` as the reference.
 * (Idle memory per connection at 10,000 connections is the existing memory row.)
 */
import { fileURLToPath } from "node:url"
import type { ChildArgs } from "./child.js"
import { formatSize, type Measurement, type Settings } from "./plan.js"
import type { Fields, ProcessSpec } from "./processes.js"
import { ScalingTest, Unit, type Column } from "./rows.js"

const BUILD_DIR = fileURLToPath(new URL(".", import.meta.url))
export const FANOUT_SIZE = 64
export const FANOUT_SUBSCRIBERS = [1, 10, 100] as const
export const SPREAD_DEALERS = 1000
export const PREFIX_COUNT = 100_000
const WASM_SIZE = 256
const HANDSHAKE_SIZE = 64
const WASM_ENV = "IRONHOUSE_CRYPTO=libsodium-wrappers"

function role(file: string, args: Record<string, unknown>, env?: string): ProcessSpec {
  const node = [process.execPath, "--expose-gc", `${BUILD_DIR}${file}.js`, JSON.stringify(args as unknown as ChildArgs)]
  // The environment of one process only, through env(1): the orchestrator passes its own on.
  return env === undefined ? { command: node[0] as string, args: node.slice(1) } : { command: "env", args: [env, ...node] }
}

function number(result: Fields, name: string): number {
  const value = result[name]
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`result field ${name}: expected a number, got ${JSON.stringify(value)}`)
  return value
}

function endpoint(ready: Fields): string {
  const value = ready.endpoint
  if (typeof value !== "string") throw new TypeError("ready field endpoint: expected a string")
  return value
}

export function planScaling(settings: Settings): Measurement[] {
  const plan: Measurement[] = []
  const impls = ["ironhouse", "zeromq"] as const
  const durationMs = settings.durationMs
  // Set-up (100 subscribers, 1000 DEALERs, 100,000 subscriptions) comes before the window.
  const timeoutMs = durationMs + 60_000
  const msgRows = (test: (typeof ScalingTest)[keyof typeof ScalingTest], size: number): Measurement["rows"] => [
    { key: { test, security: "NULL", size, unit: Unit.MSG_PER_SEC }, read: (r) => number(r, "msgPerSec") },
  ]
  const fanoutTests = { 1: ScalingTest.FANOUT_1, 10: ScalingTest.FANOUT_10, 100: ScalingTest.FANOUT_100 } as const
  for (const count of FANOUT_SUBSCRIBERS) {
    const test = fanoutTests[count]
    for (const impl of impls) {
      plan.push({
        group: `${test} ${formatSize(FANOUT_SIZE)}`,
        column: impl,
        rows: msgRows(test, FANOUT_SIZE),
        scenario: {
          server: role("fanout", { impl, security: "NULL", role: "pub", size: FANOUT_SIZE }),
          clients: (ready) => [role("fanout", { impl, security: "NULL", role: "sub", count, durationMs, endpoint: endpoint(ready) })],
          resultFrom: "client",
          timeoutMs,
        },
      })
    }
  }
  for (const impl of impls) {
    plan.push({
      group: `${ScalingTest.ROUTER_SPREAD} ${formatSize(FANOUT_SIZE)}`,
      column: impl,
      rows: msgRows(ScalingTest.ROUTER_SPREAD, FANOUT_SIZE),
      scenario: {
        server: role("router-spread", { impl, security: "NULL", role: "router", count: SPREAD_DEALERS, size: FANOUT_SIZE }),
        clients: (ready) => [
          role("router-spread", { impl, security: "NULL", role: "dealers", count: SPREAD_DEALERS, durationMs, endpoint: endpoint(ready) }),
        ],
        resultFrom: "client",
        timeoutMs,
      },
    })
  }
  for (const impl of impls) {
    plan.push({
      group: `${ScalingTest.PREFIXES} ${formatSize(FANOUT_SIZE)}`,
      column: impl,
      rows: msgRows(ScalingTest.PREFIXES, FANOUT_SIZE),
      scenario: {
        server: role("prefix-filter", { impl, security: "NULL", role: "pub", count: PREFIX_COUNT, size: FANOUT_SIZE }),
        clients: (ready) => [
          role("prefix-filter", { impl, security: "NULL", role: "sub", count: PREFIX_COUNT, durationMs, endpoint: endpoint(ready) }),
        ],
        resultFrom: "client",
        timeoutMs,
      },
    })
  }
  // WebAssembly crypto: `ironhouse` = libsodium-wrappers, `direct` = sodium-native, `zeromq` as always.
  const wasmColumns: ReadonlyArray<{ column: Column; impl: "ironhouse" | "zeromq"; env?: string }> = [
    { column: "ironhouse", impl: "ironhouse", env: WASM_ENV },
    { column: "zeromq", impl: "zeromq" },
    { column: "direct", impl: "ironhouse" },
  ]
  const security = "CURVE"
  for (const { column, impl, env } of wasmColumns) {
    plan.push({
      group: `${ScalingTest.WASM_THROUGHPUT} ${security} ${formatSize(WASM_SIZE)}`,
      column,
      rows: [{ key: { test: ScalingTest.WASM_THROUGHPUT, security, size: WASM_SIZE, unit: Unit.MSG_PER_SEC }, read: (r) => number(r, "msgPerSec") }],
      scenario: {
        server: role("throughput-receiver", { impl, security }, env),
        clients: (ready) => [
          role("throughput-sender", { impl, security, size: WASM_SIZE, durationMs, endpoint: endpoint(ready), serverKey: ready.serverKey }, env),
        ],
        resultFrom: "server",
        timeoutMs,
      },
    })
  }
  for (const { column, impl, env } of wasmColumns) {
    plan.push({
      group: `${ScalingTest.WASM_HANDSHAKES} (concurrency ${settings.handshakeConcurrency})`,
      column,
      rows: [
        { key: { test: ScalingTest.WASM_HANDSHAKES, security, size: HANDSHAKE_SIZE, unit: Unit.HANDSHAKES_PER_SEC }, read: (r) => number(r, "perSec") },
      ],
      scenario: {
        server: role("handshake-server", { impl, security }, env),
        clients: (ready) => [
          role(
            "handshake-client",
            { impl, security, size: HANDSHAKE_SIZE, durationMs, concurrency: settings.handshakeConcurrency, endpoint: endpoint(ready), serverKey: ready.serverKey },
            env,
          ),
        ],
        resultFrom: "client",
        timeoutMs,
      },
    })
  }
  return plan
}
