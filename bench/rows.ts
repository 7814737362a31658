/** What the bench reports: the row keys, the columns, and the targets per row. */

export type Security = "NULL" | "CURVE" | "TLS"

/** One column of the table: the two implementations compared, and the two references. */
export const COLUMNS = ["ironhouse", "zeromq", "libzmq-c", "node-net", "direct", "libzmq-c-direct"] as const
export type Column = (typeof COLUMNS)[number]

export const Test = {
  THROUGHPUT: "push-pull throughput",
  LATENCY_MEDIAN: "req-rep latency median",
  LATENCY_P99: "req-rep latency p99",
  HANDSHAKES: "curve handshakes",
  // Issue 13: the tail beyond p99, and the handshake rate with many clients connecting at once.
  LATENCY_P999: "req-rep latency p99.9",
  HANDSHAKES_CONCURRENT: "curve handshakes, 32 concurrent",
  MEMORY: "idle connection memory",
  FLOOD: "handshake under flood",
  FLOOD_RSS: "server RSS under flood",
  FLOOD_HELD: "flood connections kept open",
  // h4-proxy (issue 8): a Proxy between two processes, and PUSH→PULL in one process over inproc://
  PROXY_THROUGHPUT: "push→proxy→pull throughput",
  INPROC_THROUGHPUT: "inproc push-pull throughput",
  // End-to-end CurveZMQ (src/e2e, issue 9); no column target: see e2eTargetNote.
  E2E_DIRECT: "e2e dealer-router throughput direct",
  E2E_BROKER: "e2e dealer-router throughput via broker",
  E2E_HANDSHAKES: "e2e handshakes",
  E2E_MEMORY: "e2e idle session memory",
  // h9-gateway (issue 12): "ironhouse" = through one `ironhouse gateway` process, "direct" = Ironhouse CURVE without it;
  // h19: "libzmq-c" = libzmq from C through a zmq_proxy() process, "libzmq-c-direct" = libzmq C CURVE without it
  GATEWAY_THROUGHPUT: "gateway push-pull throughput",
  GATEWAY_LATENCY_MEDIAN: "gateway req-rep latency median",
  GATEWAY_LATENCY_P99: "gateway req-rep latency p99",
  /** Issue 11: TLS over ZeroMQ (DEALER → ROUTER, streaming); compare with the CURVE throughput rows. */
  TLS_THROUGHPUT: "tls-over-zeromq throughput",
  TLS_HANDSHAKES: "tls 1.3 handshakes",
} as const
// Stream access (issue 10): bench/stream-access-plan.ts. Security "NULL" is the wire mechanism
// between the sockets; the stream-access layer runs on top of it.
export const StreamAccessTest = {
  PUBSUB_PLAIN: "pub-sub throughput, plain",
  PUBSUB_SECURE: "pub-sub throughput, stream access",
  PUBSUB_SECURE_UNPACKED: "pub-sub throughput, stream access, packBytes 0",
  LATENCY_PLAIN: "pub-sub latency median, plain",
  LATENCY_SECURE: "pub-sub latency median, stream access",
  LATENCY_SECURE_IMMEDIATE: "pub-sub latency median, stream access, batchDelay 0",
  LATENCY_SECURE_SPARSE: "pub-sub latency median, stream access, one message per 5 ms",
  REVOCATION_BYTES_1K: "revocation size, 1000 readers",
  REVOCATION_BYTES_10K: "revocation size, 10000 readers",
  REVOCATION_BYTES_100K: "revocation size, 100000 readers",
  REVOCATION_MS_1K: "revocation time, 1000 readers",
  REVOCATION_MS_10K: "revocation time, 10000 readers",
  REVOCATION_MS_100K: "revocation time, 100000 readers",
  // CPU per message in one process, no sockets (bench/stream-access-cpu.ts): what bounds the pub-sub rows
  CPU_PUBLISHER_CRYPTO: "CPU per message, publisher crypto",
  CPU_READER_CRYPTO: "CPU per message, reader crypto",
  CPU_SEAL: "CPU per message, StreamWriter.seal",
  CPU_RECEIVE: "CPU per message, StreamReader.receive",
  CPU_SEAL_PACKED: "CPU per message, StreamWriter.sealPacked, 16 KiB packs",
  CPU_RECEIVE_PACKED: "CPU per message, StreamReader.receive, 16 KiB packs",
} as const

// h15-bulk (issue 13 item 6): rows that show how cost grows (bench/scaling-plan.ts), each ≥ 1× zeromq.
export const ScalingTest = {
  FANOUT_1: "pub-sub fan-out, 1 subscriber",
  FANOUT_10: "pub-sub fan-out, 10 subscribers",
  FANOUT_100: "pub-sub fan-out, 100 subscribers",
  ROUTER_SPREAD: "router round-robin to 1000 dealers",
  PREFIXES: "pub-sub, 100000 subscribed prefixes",
  WASM_THROUGHPUT: "push-pull throughput, wasm crypto",
  WASM_HANDSHAKES: "curve handshakes, wasm crypto",
} as const

export type TestName =
  | (typeof Test)[keyof typeof Test]
  | (typeof StreamAccessTest)[keyof typeof StreamAccessTest]
  | (typeof ScalingTest)[keyof typeof ScalingTest]

export const Unit = {
  MSG_PER_SEC: "msg/s",
  MB_PER_SEC: "MB/s",
  MICROSECONDS: "µs",
  HANDSHAKES_PER_SEC: "handshakes/s",
  KIB_PER_CONNECTION: "KiB/connection",
  OCTETS: "B",
  MILLISECONDS: "ms",
  MIB: "MiB",
  CONNECTIONS: "connections",
  KIB_PER_SESSION: "KiB/session",
} as const
export type UnitName = (typeof Unit)[keyof typeof Unit]

/** One table row (and one JSON object per column): `size` is the message size in bytes. */
export interface RowKey {
  readonly test: TestName
  readonly security: Security
  readonly size: number | null
  readonly unit: UnitName
}

export function rowId(key: RowKey): string {
  return `${key.test}|${key.security}|${key.size ?? "-"}|${key.unit}`
}

export function higherIsBetter(unit: UnitName): boolean {
  return (
    unit !== Unit.MICROSECONDS &&
    unit !== Unit.KIB_PER_CONNECTION &&
    unit !== Unit.KIB_PER_SESSION &&
    unit !== Unit.OCTETS &&
    unit !== Unit.MILLISECONDS &&
    unit !== Unit.MIB
  )
}

/**
 * Issue 9's targets compare rows, not columns, so they are not checked by targetsFor(): e2e via
 * broker at 256 B >= 0.5x "push-pull throughput CURVE 256 B" (ironhouse), and <= 2 KiB per idle
 * session.
 */
export const e2eTargetNote = "e2e: via broker 256 B >= 0.5x wire CURVE 256 B; <= 2 KiB/session"

/** A target from issue 3: Ironhouse's value against a reference column, as a ratio. */
export interface Target {
  readonly against: "zeromq" | "libzmq-c" | "direct"
  readonly factor: number
  readonly higherIsBetter: boolean
}

/**
 * The targets for a row: every row ≥ 1× `zeromq` (≤ 1× where lower is better);
 * 16 B and 256 B throughput ≥ 3×; REQ/REP latency ≤ 0.6×; CURVE handshakes/s ≥ 2×;
 * NULL 16 B ≥ 0.5× libzmq from C. MB/s rows carry no target of their own: they are the msg/s
 * rows times the size, so the same ratio.
 */
export function targetsFor(key: RowKey): Target[] {
  const better = higherIsBetter(key.unit)
  switch (key.test) {
    case Test.THROUGHPUT: {
      if (key.unit !== Unit.MSG_PER_SEC) return []
      const small = key.size === 16 || key.size === 256
      const targets: Target[] = [{ against: "zeromq", factor: small ? 3 : 1, higherIsBetter: true }]
      if (key.security === "NULL" && key.size === 16) {
        targets.push({ against: "libzmq-c", factor: 0.5, higherIsBetter: true })
      }
      return targets
    }
    case Test.LATENCY_MEDIAN:
    case Test.LATENCY_P99:
      return [{ against: "zeromq", factor: 0.6, higherIsBetter: false }]
    case Test.LATENCY_P999:
      return [{ against: "zeromq", factor: 1, higherIsBetter: false }] // issue 13: reported, level with zeromq
    case Test.HANDSHAKES:
    case Test.HANDSHAKES_CONCURRENT:
      return [{ against: "zeromq", factor: 2, higherIsBetter: true }]
    case Test.MEMORY:
      return [{ against: "zeromq", factor: 1, higherIsBetter: better }]
    case Test.FLOOD:
    case Test.FLOOD_RSS:
    case Test.FLOOD_HELD:
      return [] // issue 8 item 6: reported, no ratio target (the legit client must be served)
    case Test.PROXY_THROUGHPUT:
    case Test.INPROC_THROUGHPUT:
      // h4-proxy: no target in issue 8; shown against zeromq (its Proxy runs libzmq's in a thread).
      return key.unit === Unit.MSG_PER_SEC ? [{ against: "zeromq", factor: 1, higherIsBetter: true }] : []
    case Test.E2E_DIRECT:
    case Test.E2E_BROKER:
    case Test.E2E_HANDSHAKES:
    case Test.E2E_MEMORY:
      return []
    // h9-gateway (issue 12): through a gateway ≥ 0.7× direct CURVE throughput, ≤ 1.5× its latency
    case Test.GATEWAY_THROUGHPUT:
      return key.unit === Unit.MSG_PER_SEC ? [{ against: "direct", factor: 0.7, higherIsBetter: true }] : []
    case Test.GATEWAY_LATENCY_MEDIAN:
    case Test.GATEWAY_LATENCY_P99:
      return [{ against: "direct", factor: 1.5, higherIsBetter: false }]
    // h15-bulk (issue 13 item 6): every scaling row ≥ 1× zeromq (the MB/s-free rows: one unit each)
    case ScalingTest.FANOUT_1:
    case ScalingTest.FANOUT_10:
    case ScalingTest.FANOUT_100:
    case ScalingTest.ROUTER_SPREAD:
    case ScalingTest.PREFIXES:
    case ScalingTest.WASM_THROUGHPUT:
    case ScalingTest.WASM_HANDSHAKES:
      return [{ against: "zeromq", factor: 1, higherIsBetter: true }]
    case Test.TLS_THROUGHPUT:
    case Test.TLS_HANDSHAKES:
      // Issue 11's target (≥ 0.5× wire CURVE at 64 KiB) compares rows, not columns: see the report.
    default:
      // Stream-access rows: their targets (secure ≥ 0.3× plain at 256 B, a revocation at 100,000
      // readers ≤ 4 KiB and ≤ 50 ms) compare rows, not columns; stream-access-plan.ts prints them.
      return []
  }
}

export type TargetStatus = "met" | "missed" | "n/a"

export function checkTarget(target: Target, ironhouse: number | undefined, reference: number | undefined): {
  status: TargetStatus
  ratio?: number
} {
  if (ironhouse === undefined || reference === undefined || reference === 0) return { status: "n/a" }
  const ratio = ironhouse / reference
  const met = target.higherIsBetter ? ratio >= target.factor : ratio <= target.factor
  return { status: met ? "met" : "missed", ratio }
}

export function describeTarget(target: Target): string {
  const against = target.against === "zeromq" ? "zeromq" : target.against === "direct" ? "direct" : "C"
  return `${target.higherIsBetter ? "≥" : "≤"}${target.factor}× ${against}`
}
