/**
 * The child side of the bench line protocol (shared with bench/c/zmq-bench.c): a bench process
 * writes one JSON object per stdout line, `{"ready":{...}}` once it is listening,
 * `{"result":{...}}` with its measurement, or `{"error":"..."}` when it cannot run. The
 * orchestrator (run.ts) reads these lines; everything else a child prints goes to stderr.
 *
 * A child receives its parameters as one JSON argument (process.argv[2]).
 */

/** Parameters every bench child receives. Fields a role does not use are absent. */
export interface ChildArgs {
  readonly impl: string
  readonly security: "NULL" | "CURVE"
  readonly endpoint?: string
  readonly serverKey?: string
  readonly size?: number
  readonly durationMs?: number
  readonly warmup?: number
  /** Throughput receivers: milliseconds of traffic not counted before counting starts. */
  readonly warmupMs?: number
  readonly count?: number
  readonly concurrency?: number
  /** Handshake under flood: the server's pid, to read its resident memory. */
  readonly serverPid?: number
}

export function emit(kind: "ready" | "result", value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ [kind]: value })}\n`)
}

function isSecurity(value: unknown): value is "NULL" | "CURVE" {
  return value === "NULL" || value === "CURVE"
}

function parseArgs(text: string | undefined): ChildArgs {
  if (text === undefined) throw new TypeError("expected one JSON argument, got none")
  const parsed: unknown = JSON.parse(text)
  if (typeof parsed !== "object" || parsed === null) {
    throw new TypeError(`expected a JSON object argument, got ${typeof parsed}`)
  }
  const record = parsed as Record<string, unknown>
  if (typeof record.impl !== "string") throw new TypeError("expected args.impl to be a string")
  if (!isSecurity(record.security)) {
    throw new TypeError(`expected args.security "NULL" or "CURVE", got ${String(record.security)}`)
  }
  return record as unknown as ChildArgs
}

/** A required numeric parameter. */
export function need(value: number | undefined, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`expected args.${name} to be a number, got ${typeof value}`)
  }
  return value
}

/** A required string parameter. */
export function needText(value: string | undefined, name: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`expected args.${name} to be a string, got ${typeof value}`)
  }
  return value
}

/**
 * Runs a bench role. A role that returns resolves to its result line; a role that serves until
 * killed never returns. Any failure becomes an `{"error":...}` line and exit code 1, so the
 * orchestrator can print "n/a (reason)" for that row.
 */
export function runChild(role: (args: ChildArgs) => Promise<Record<string, unknown>>): void {
  const fail = (err: unknown): void => {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    process.stdout.write(`${JSON.stringify({ error: message })}\n`)
    process.exit(1)
  }
  process.on("uncaughtException", fail)
  process.on("unhandledRejection", fail)
  let args: ChildArgs
  try {
    args = parseArgs(process.argv[2])
  } catch (err) {
    fail(err)
    return
  }
  role(args).then((result) => {
    emit("result", result)
    // Some impls keep the process alive after close (linger, blocky contexts): the result is
    // out, so leave now. stdout to a pipe is asynchronous; exit once it has drained.
    process.stdout.write("", () => process.exit(0))
  }, fail)
}

/**
 * Keeps a process serving (or lingering, so its last messages leave) until the orchestrator
 * kills it.
 */
export function untilKilled(): Promise<never> {
  return new Promise<never>(() => {
    setInterval(() => {}, 60_000)
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
