/**
 * The stream-access rows (issue 10) of `npm run bench`:
 *   pub-sub throughput, plain / stream access   256 B and 4 KiB, PUB binds, SUB connects and
 *       measures; columns = whose sockets (Ironhouse's, or the `zeromq` package's) carry it
 *   pub-sub latency median, plain / stream access (default batchDelay 1 ms, and 0)   64 B,
 *       one process, Ironhouse sockets
 *   revocation message size / compute time   one revocation at 1,000 / 10,000 / 100,000 readers
 *   CPU per message (publisher / reader crypto, seal, receive)   256 B and 4 KiB, one process,
 *       no sockets: what stream access adds per message on each side (bench/stream-access-cpu.ts)
 * Targets (issue 10), compared by hand from these rows: stream access ≥ 0.3× plain at 256 B
 * (same column, same run); a revocation at 100,000 readers ≤ 4 KiB and ≤ 50 ms.
 */
import { fileURLToPath } from "node:url"
import type { ChildArgs } from "./child.js"
import type { Measurement, Settings } from "./plan.js"
import type { Fields, ProcessSpec } from "./processes.js"
import { StreamAccessTest, Unit } from "./rows.js"

const BUILD_DIR = fileURLToPath(new URL(".", import.meta.url))
export const STREAM_SIZES = [256, 4096] as const
export const REVOCATION_READERS = [1000, 10_000, 100_000] as const

function role(name: string, args: ChildArgs & Record<string, unknown>): ProcessSpec {
  return { command: process.execPath, args: [`${BUILD_DIR}${name}.js`, JSON.stringify(args)] }
}

function num(result: Fields, name: string): number {
  const value = result[name]
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`result field ${name}: expected a number, got ${JSON.stringify(value)}`)
  return value
}

function str(fields: Fields, name: string): string | undefined {
  const value = fields[name]
  return typeof value === "string" ? value : undefined
}

export function planStreamAccess(settings: Settings): Measurement[] {
  const plan: Measurement[] = []
  const timeoutMs = settings.durationMs + 20_000
  const security = "NULL" as const
  for (const size of STREAM_SIZES) {
    for (const mode of ["plain", "secure", "secure-unpacked"] as const) {
      const test = { plain: StreamAccessTest.PUBSUB_PLAIN, secure: StreamAccessTest.PUBSUB_SECURE, "secure-unpacked": StreamAccessTest.PUBSUB_SECURE_UNPACKED }[mode]
      const group = `stream-access ${test} ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}`
      const rows: Measurement["rows"] = [{ key: { test, security, size, unit: Unit.MSG_PER_SEC }, read: (r) => num(r, "msgPerSec") }]
      for (const impl of ["ironhouse", "zeromq"] as const) {
        plan.push({
          group,
          column: impl,
          rows,
          scenario: {
            server: role("stream-access-publisher", { impl, security, size, mode }),
            clients: (ready) => [
              role("stream-access-subscriber", {
                impl,
                security,
                size,
                mode,
                durationMs: settings.durationMs,
                endpoint: str(ready, "endpoint"),
                keyEndpoint: str(ready, "keyEndpoint"),
                serverKey: str(ready, "serverKey"),
              }),
            ],
            resultFrom: "client",
            timeoutMs,
          },
        })
      }
    }
  }
  const latencyTests = {
    plain: StreamAccessTest.LATENCY_PLAIN,
    secure: StreamAccessTest.LATENCY_SECURE,
    "secure-immediate": StreamAccessTest.LATENCY_SECURE_IMMEDIATE,
    "secure-sparse": StreamAccessTest.LATENCY_SECURE_SPARSE,
  } as const
  for (const mode of ["plain", "secure", "secure-immediate", "secure-sparse"] as const) {
    const test = latencyTests[mode]
    // Sparse: a 5 ms pause before each message, so fewer (and fewer warm-up) samples.
    const warmup = mode === "secure-sparse" ? Math.min(settings.warmup, 50) : settings.warmup
    plan.push({
      group: `stream-access ${test} 64 B`,
      column: "ironhouse",
      rows: [{ key: { test, security, size: 64, unit: Unit.MICROSECONDS }, read: (r) => num(r, "medianUs") }],
      scenario: {
        server: role("stream-access-latency", { impl: "ironhouse", security, size: 64, mode, durationMs: settings.durationMs, warmup }),
        clients: () => [],
        resultFrom: "server",
        timeoutMs,
      },
    })
  }
  const revocationTests = {
    1000: [StreamAccessTest.REVOCATION_BYTES_1K, StreamAccessTest.REVOCATION_MS_1K],
    10_000: [StreamAccessTest.REVOCATION_BYTES_10K, StreamAccessTest.REVOCATION_MS_10K],
    100_000: [StreamAccessTest.REVOCATION_BYTES_100K, StreamAccessTest.REVOCATION_MS_100K],
  } as const
  for (const readers of REVOCATION_READERS) {
    const group = `stream-access revocation at ${readers} readers`
    const [bytesTest, msTest] = revocationTests[readers]
    plan.push({
      group,
      column: "ironhouse",
      rows: [
        { key: { test: bytesTest, security, size: null, unit: Unit.OCTETS }, read: (r) => num(r, "bytes") },
        { key: { test: msTest, security, size: null, unit: Unit.MILLISECONDS }, read: (r) => num(r, "ms") },
      ],
      scenario: {
        server: role("stream-access-revocation", { impl: "ironhouse", security, count: readers }),
        clients: () => [],
        resultFrom: "server",
        timeoutMs: 120_000,
      },
    })
  }
  const cpuRows = [
    [StreamAccessTest.CPU_PUBLISHER_CRYPTO, "publisherCrypto"],
    [StreamAccessTest.CPU_READER_CRYPTO, "readerCrypto"],
    [StreamAccessTest.CPU_SEAL, "seal"],
    [StreamAccessTest.CPU_RECEIVE, "receive"],
    [StreamAccessTest.CPU_SEAL_PACKED, "sealPacked"],
    [StreamAccessTest.CPU_RECEIVE_PACKED, "receivePacked"],
  ] as const
  for (const size of STREAM_SIZES) {
    plan.push({
      group: `stream-access CPU per message ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}`,
      column: "ironhouse",
      rows: cpuRows.map(([test, field]) => ({ key: { test, security, size, unit: Unit.MICROSECONDS }, read: (r: Fields) => num(r, field) })),
      scenario: {
        server: role("stream-access-cpu", { impl: "ironhouse", security, size }),
        clients: () => [],
        resultFrom: "server",
        timeoutMs: 120_000,
      },
    })
  }
  return plan
}
