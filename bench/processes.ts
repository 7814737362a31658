/**
 * The orchestrator side of the bench line protocol (see child.ts): spawns a bench process,
 * waits for its `ready` and `result` lines, turns an `error` line, an unexpected exit or a
 * timeout into a rejection with a short reason, and kills what it spawned (by its own handle,
 * SIGKILL: a `zeromq` process may otherwise wait on linger at exit).
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createInterface } from "node:readline"

export interface ProcessSpec {
  readonly command: string
  readonly args: readonly string[]
}

export type Fields = Record<string, unknown>

type Kind = "ready" | "result"

const STDERR_KEEP = 4000

function shorten(text: string, max = 160): string {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

class BenchProcess {
  private readonly child: ChildProcess
  private readonly seen = new Map<Kind, Fields>()
  private readonly waiters = new Map<Kind, { resolve: (f: Fields) => void; reject: (e: Error) => void }>()
  private stderr = ""
  private errorLine: string | undefined
  private exited = false
  private killedByUs = false
  private readonly exit: Promise<void>
  /** Rejects when the process reports an error or dies unexpectedly; never resolves. */
  readonly failure: Promise<never>

  constructor(
    readonly label: string,
    spec: ProcessSpec,
  ) {
    this.child = spawn(spec.command, [...spec.args], { stdio: ["ignore", "pipe", "pipe"] })
    let fail: (err: Error) => void = () => {}
    this.failure = new Promise<never>((_, reject) => (fail = reject))
    this.failure.catch(() => {})
    this.child.stderr?.setEncoding("utf8")
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_KEEP)
    })
    const lines = createInterface({ input: this.child.stdout ?? process.stdin })
    lines.on("line", (line) => this.onLine(line, fail))
    this.exit = new Promise<void>((resolve) => {
      this.child.on("error", (err) => {
        this.exited = true
        const error = new Error(`${label}: ${err.message}`)
        fail(error)
        this.rejectWaiters(error)
        resolve()
      })
      this.child.on("exit", (code, signal) => {
        this.exited = true
        if (!this.killedByUs) {
          const error = new Error(this.reason(code, signal))
          if (code !== 0) fail(error)
          this.rejectWaiters(error)
        }
        resolve()
      })
    })
  }

  private onLine(line: string, fail: (err: Error) => void): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      this.stderr = (this.stderr + line + "\n").slice(-STDERR_KEEP)
      return
    }
    if (typeof parsed !== "object" || parsed === null) return
    const record = parsed as Record<string, unknown>
    if (typeof record.error === "string") {
      this.errorLine = record.error
      const error = new Error(shorten(record.error))
      fail(error)
      this.rejectWaiters(error)
      return
    }
    for (const kind of ["ready", "result"] as const) {
      const value = record[kind]
      if (typeof value === "object" && value !== null) {
        this.seen.set(kind, value as Fields)
        this.waiters.get(kind)?.resolve(value as Fields)
        this.waiters.delete(kind)
      }
    }
  }

  private reason(code: number | null, signal: NodeJS.Signals | null): string {
    if (this.errorLine !== undefined) return shorten(this.errorLine)
    const lastLines = this.stderr.trim().split("\n").slice(-3).join(" ")
    const how = signal !== null ? `killed by ${signal}` : `exited with code ${code}`
    return shorten(`${this.label} ${how}${lastLines ? `: ${lastLines}` : ""}`)
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.values()) waiter.reject(error)
    this.waiters.clear()
  }

  /** The process's `kind` line, or a rejection saying why it will not come. */
  waitFor(kind: Kind, timeoutMs: number): Promise<Fields> {
    const already = this.seen.get(kind)
    if (already !== undefined) return Promise.resolve(already)
    if (this.exited) return Promise.reject(new Error(`${this.label} exited before its ${kind} line`))
    return new Promise<Fields>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(kind)
        reject(new Error(`timeout: no ${kind} from ${this.label} within ${Math.round(timeoutMs / 1000)} s`))
      }, timeoutMs)
      this.waiters.set(kind, {
        resolve: (fields) => {
          clearTimeout(timer)
          resolve(fields)
        },
        reject: (err) => {
          clearTimeout(timer)
          reject(err)
        },
      })
    })
  }

  async kill(): Promise<void> {
    if (!this.exited) {
      this.killedByUs = true
      this.child.kill("SIGKILL")
    }
    await this.exit
  }
}

export interface Scenario {
  readonly server: ProcessSpec
  /** The connecting processes, made once the server has announced its endpoint (and key). */
  readonly clients: (ready: Fields) => readonly ProcessSpec[]
  /** Which process measures: the server, or the first client. */
  readonly resultFrom: "server" | "client"
  readonly timeoutMs: number
}

/**
 * Runs one measurement: server first, clients once it is ready, then the measuring process's
 * result. Whatever happens, every process spawned here is killed and reaped before returning.
 */
export async function runScenario(scenario: Scenario): Promise<Fields> {
  const server = new BenchProcess("server", scenario.server)
  const running = [server]
  try {
    const ready = await Promise.race([server.waitFor("ready", 30_000), server.failure])
    const clients = scenario.clients(ready).map((spec, i) => new BenchProcess(`client ${i + 1}`, spec))
    running.push(...clients)
    const measuring = scenario.resultFrom === "server" ? server : clients[0]
    if (measuring === undefined) throw new Error("scenario has no client to measure")
    return await Promise.race([
      measuring.waitFor("result", scenario.timeoutMs),
      ...running.map((p) => p.failure),
    ])
  } finally {
    await Promise.all(running.map((p) => p.kill()))
  }
}

/** Runs one process to its result line (probes). */
export async function runOnce(spec: ProcessSpec, timeoutMs: number): Promise<Fields> {
  const probe = new BenchProcess("probe", spec)
  try {
    return await Promise.race([probe.waitFor("result", timeoutMs), probe.failure])
  } finally {
    await probe.kill()
  }
}
