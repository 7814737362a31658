/**
 * `ironhouse gateway CONFIG [--check]`: run the secure gateway (src/gateway/), or with
 * `--check` validate CONFIG — schema, cross-field rules, secret file modes, certificates —
 * print one line per route and exit 0, or one line per problem and exit 1.
 *
 * Signals while running: SIGHUP reloads CONFIG (a bad file changes nothing: the problems go
 * to stderr and the audit log); SIGTERM and SIGINT drain (stop taking sessions, let in-flight
 * requests finish within `linger`) and exit 0; their handlers are removed then, so a second
 * SIGTERM during the drain ends the process at once (Node's default action).
 */
import { parseArgs } from "node:util"
import { formatProblem } from "../gateway/config.js"
import { describePlan, Gateway } from "../gateway/gateway.js"
import { loadGatewayConfig } from "../gateway/load.js"
import { GatewayUsageError } from "./gateway-usage.js"

interface Output {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

/** Signals the command listens to (injectable for embedding). */
export interface SignalSource {
  on(signal: "SIGHUP" | "SIGTERM" | "SIGINT", listener: () => void): unknown
  off(signal: "SIGHUP" | "SIGTERM" | "SIGINT", listener: () => void): unknown
}


export async function gatewayCommand(args: readonly string[], io: Output, signals: SignalSource = process): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options: { check: { type: "boolean" } }, allowPositionals: true, strict: true })
  if (positionals.length !== 1) throw new GatewayUsageError(`gateway: expected one CONFIG file, got ${positionals.length}`)
  const file = positionals[0] as string
  const loaded = await loadGatewayConfig(file)
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.stderr.write(`${formatProblem(problem)}\n`)
    io.stderr.write(`ironhouse gateway: ${file}: ${loaded.problems.length} problem${loaded.problems.length === 1 ? "" : "s"}\n`)
    return 1
  }
  if (values.check === true) {
    for (const line of describePlan(loaded.gateway.plan)) io.stdout.write(`${line}\n`)
    io.stdout.write(`${file}: OK (${loaded.gateway.plan.routes.length} route${loaded.gateway.plan.routes.length === 1 ? "" : "s"})\n`)
    return 0
  }
  let gateway: Gateway
  try {
    gateway = await Gateway.start(loaded.gateway)
  } catch (error) {
    io.stderr.write(`ironhouse gateway: could not start: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
  for (const line of describePlan(loaded.gateway.plan)) io.stderr.write(`ironhouse gateway: ${line}\n`)
  // Keep the process alive while the gateway runs (sockets alone may not, when idle).
  const keepAlive = setInterval(() => {}, 0x7fffffff)
  return new Promise<number>((resolve) => {
    const reload = (): void => {
      loadGatewayConfig(file).then(
        async (next) => {
          if (!next.ok) {
            const lines = next.problems.map(formatProblem)
            for (const line of lines) io.stderr.write(`${line}\n`)
            gateway.metrics.reload("failed")
            gateway.audit.write("reload-failed", { config: file, problems: lines.length, first: lines[0] })
            return
          }
          await gateway.reload(next.gateway)
        },
        (error: unknown) => gateway.audit.write("reload-failed", { config: file, reason: error instanceof Error ? error.message : "unknown" }),
      ).catch((error: unknown) => gateway.audit.write("reload-failed", { config: file, reason: error instanceof Error ? error.message : "unknown" }))
    }
    const stop = (): void => {
      signals.off("SIGHUP", reload)
      signals.off("SIGTERM", stop)
      signals.off("SIGINT", stop)
      gateway.drain().then(
        () => {
          clearInterval(keepAlive)
          resolve(0)
        },
        (error: unknown) => {
          clearInterval(keepAlive)
          io.stderr.write(`ironhouse gateway: drain failed: ${error instanceof Error ? error.message : String(error)}\n`)
          resolve(1)
        },
      )
    }
    signals.on("SIGHUP", reload)
    signals.on("SIGTERM", stop)
    signals.on("SIGINT", stop)
  })
}
