/**
 * The gateway runtime: every route of a loaded config (load.ts), the audit log and the
 * metrics endpoint, with reload (SIGHUP) and drain (SIGTERM) as ghostunnel does them.
 *
 * - `Gateway.start(loaded)`: opens the audit log, starts the metrics listener (if
 *   configured), then each route; if one cannot start (an endpoint in use, say), the ones
 *   started are closed and start() rejects with the reason.
 * - `reload(loaded)`: routes whose shape did not change (same pattern, side, flow,
 *   endpoints, mechanism, identity) get new keys, address rules, certificates and passwords
 *   for NEW sessions, and keep every established one; routes that changed shape are rebuilt
 *   (their connections drop); new routes start; routes no longer in the file drain and stop.
 *   `audit` and `metrics` changes need a restart (reported in the `reload` audit line).
 *   Reloads are serialized. A file that fails to load changes nothing (the caller audits
 *   `reload-failed` with the problems).
 * - `drain()`: every route stops taking new sessions and waits for its in-flight requests
 *   (at most `linger` ms), then stops; the audit log is closed last.
 */
import type { AddressInfo } from "node:net"
import { type AuditSink, openAudit } from "./audit.js"
import type { LoadedGateway } from "./load.js"
import { GatewayMetrics } from "./metrics.js"
import { describeRoute, type GatewayPlan, sameShape } from "./plan.js"
import { RouteRuntime } from "./route.js"

export interface GatewayOptions {
  /** Use this audit sink instead of opening the configured one. */
  audit?: AuditSink
}

export class Gateway {
  readonly audit: AuditSink
  readonly metrics = new GatewayMetrics()
  readonly #routes = new Map<string, RouteRuntime>()
  #plan: GatewayPlan
  #metricsAddress: AddressInfo | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #stopped = false

  private constructor(plan: GatewayPlan, audit: AuditSink) {
    this.#plan = plan
    this.audit = audit
  }

  static async start(loaded: LoadedGateway, options: GatewayOptions = {}): Promise<Gateway> {
    const audit = options.audit ?? openAudit(loaded.plan.audit)
    const gateway = new Gateway(loaded.plan, audit)
    audit.write("start", { config: loaded.file, routes: loaded.plan.routes.length, pid: process.pid })
    try {
      if (loaded.plan.metrics !== undefined) {
        gateway.#metricsAddress = await gateway.metrics.listen(loaded.plan.metrics.host, loaded.plan.metrics.port)
        audit.write("metrics", { address: `${gateway.#metricsAddress.address}:${gateway.#metricsAddress.port}`, path: "/metrics" })
      }
      for (const plan of loaded.plan.routes) {
        const route = new RouteRuntime(plan, loaded.secrets.get(plan.name) as NonNullable<ReturnType<typeof loaded.secrets.get>>, gateway.#context())
        gateway.#routes.set(plan.name, route)
        await route.start()
      }
    } catch (error) {
      for (const route of gateway.#routes.values()) await route.close()
      await gateway.metrics.close()
      audit.write("stop", { reason: `start failed: ${error instanceof Error ? error.message : "unknown error"}` })
      if (options.audit === undefined) await audit.close()
      throw error
    }
    gateway.metrics.routes(gateway.#routes.size)
    return gateway
  }

  /** The metrics listener's address (port 0 in the config: the port chosen). */
  get metricsAddress(): AddressInfo | undefined {
    return this.#metricsAddress
  }

  /** Routes by name. */
  get routes(): ReadonlyMap<string, RouteRuntime> {
    return this.#routes
  }

  /** Apply a newly loaded config (see the file comment). Serialized with other reloads and drain. */
  reload(loaded: LoadedGateway): Promise<void> {
    const next = this.#queue.then(() => this.#reload(loaded))
    this.#queue = next.catch(() => undefined)
    return next
  }

  /** Stop taking sessions, finish in-flight requests within linger, stop. Idempotent. */
  drain(): Promise<void> {
    const next = this.#queue.then(() => this.#drain())
    this.#queue = next.catch(() => undefined)
    return next
  }

  #context() {
    return { audit: this.audit, metrics: this.metrics, linger: this.#plan.linger, rescanInterval: this.#plan.rescanInterval }
  }

  async #reload(loaded: LoadedGateway): Promise<void> {
    if (this.#stopped) return
    const before = this.#plan
    const notes: string[] = []
    if (loaded.plan.audit !== before.audit) notes.push("audit destination changed: restart to apply")
    if (JSON.stringify(loaded.plan.metrics) !== JSON.stringify(before.metrics)) notes.push("metrics listener changed: restart to apply")
    this.#plan = { ...loaded.plan, audit: before.audit, metrics: before.metrics }
    const kept: string[] = []
    const rebuilt: string[] = []
    const added: string[] = []
    const removed: string[] = []
    const wanted = new Set(loaded.plan.routes.map((r) => r.name))
    for (const [name, route] of [...this.#routes]) {
      if (wanted.has(name)) continue
      this.#routes.delete(name)
      removed.push(name)
      await route.drain(Date.now() + this.#plan.linger)
    }
    for (const plan of loaded.plan.routes) {
      const secrets = loaded.secrets.get(plan.name)
      if (secrets === undefined) continue
      const current = this.#routes.get(plan.name)
      if (current !== undefined && sameShape(current.plan, plan)) {
        await current.update(plan, secrets)
        kept.push(plan.name)
        continue
      }
      const base = current?.traffic()
      if (current !== undefined) {
        this.#routes.delete(plan.name)
        await current.close()
      }
      const route = new RouteRuntime(plan, secrets, this.#context(), base)
      try {
        await route.start()
      } catch (error) {
        await route.close()
        this.audit.write("route-failed", { route: plan.name, reason: error instanceof Error ? error.message : "start failed" })
        continue
      }
      this.#routes.set(plan.name, route)
      ;(current === undefined ? added : rebuilt).push(plan.name)
    }
    this.metrics.routes(this.#routes.size)
    this.metrics.reload("ok")
    this.audit.write("reload", { config: loaded.file, kept: kept.join(",") , rebuilt: rebuilt.join(","), added: added.join(","), removed: removed.join(","), note: notes.length ? notes.join("; ") : undefined })
  }

  async #drain(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    const deadline = Date.now() + this.#plan.linger
    let inFlight = 0
    for (const route of this.#routes.values()) inFlight += route.inFlight()
    this.audit.write("drain", { linger: this.#plan.linger, inFlight })
    await Promise.all([...this.#routes.values()].map((route) => route.drain(deadline)))
    let left = 0
    for (const route of this.#routes.values()) left += route.inFlight()
    this.#routes.clear()
    await this.metrics.close()
    this.audit.write("stop", { reason: "drained", unanswered: left })
    await this.audit.close()
  }
}

/** One line per route, for --check and the start banner. */
export function describePlan(plan: GatewayPlan): string[] {
  return plan.routes.map(describeRoute)
}
