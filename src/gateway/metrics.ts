/**
 * Prometheus metrics of a gateway (prom-client, on a registry of its own), served as text on
 * `GET /metrics` by an optional HTTP listener. Labels are bounded: route names come from the
 * config file, sides are "outside"/"inside", outcomes and reasons are fixed strings or error
 * codes (never an address or a key).
 *
 *   ironhouse_gateway_connections_total{route,side}          connections accepted or made
 *   ironhouse_gateway_connections{route,side}                open connections now
 *   ironhouse_gateway_handshakes_total{route,side,outcome,reason}
 *       outcome "ok"; "refused" (reason: the Authenticator's, e.g. "certificate not found",
 *       or "refused by server" for a client side); "failed" (reason: the error code, e.g.
 *       ERR_ZMTP_CRYPTOGRAPHIC)
 *   ironhouse_gateway_messages_total{route,direction}        direction "in" (outside→inside) / "out"
 *   ironhouse_gateway_bytes_total{route,direction}           message body octets
 *   ironhouse_gateway_reloads_total{outcome}                  "ok" / "failed"
 *   ironhouse_gateway_routes                                  routes running
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Counter, Gauge, Registry } from "prom-client"

export interface TrafficTotals {
  in: { messages: number; bytes: number }
  out: { messages: number; bytes: number }
}

export class GatewayMetrics {
  readonly registry = new Registry()
  readonly #traffic = new Map<string, () => TrafficTotals>()
  readonly #connectionsTotal: Counter
  readonly #connections: Gauge
  readonly #handshakes: Counter
  readonly #reloads: Counter
  readonly #routes: Gauge
  #server: Server | undefined

  constructor() {
    const registers = [this.registry]
    this.#connectionsTotal = new Counter({ name: "ironhouse_gateway_connections_total", help: "Connections accepted or made, per route and side", labelNames: ["route", "side"], registers })
    this.#connections = new Gauge({ name: "ironhouse_gateway_connections", help: "Connections open now, per route and side", labelNames: ["route", "side"], registers })
    this.#handshakes = new Counter({
      name: "ironhouse_gateway_handshakes_total",
      help: "ZMTP handshakes by outcome (ok, refused, failed) and reason",
      labelNames: ["route", "side", "outcome", "reason"],
      registers,
    })
    this.#reloads = new Counter({ name: "ironhouse_gateway_reloads_total", help: "Config reloads (SIGHUP) by outcome", labelNames: ["outcome"], registers })
    this.#routes = new Gauge({ name: "ironhouse_gateway_routes", help: "Routes running", registers })
    const traffic = this.#traffic
    for (const [name, field, help] of [
      ["ironhouse_gateway_messages_total", "messages", "Messages forwarded, per route and direction (in: outside to inside)"],
      ["ironhouse_gateway_bytes_total", "bytes", "Message octets forwarded, per route and direction (in: outside to inside)"],
    ] as const) {
      new Counter({
        name,
        help,
        labelNames: ["route", "direction"],
        registers,
        collect(this: Counter) {
          this.reset()
          for (const [route, totals] of traffic) {
            const t = totals()
            this.inc({ route, direction: "in" }, t.in[field])
            this.inc({ route, direction: "out" }, t.out[field])
          }
        },
      })
    }
  }

  connection(route: string, side: string, delta: 1 | -1): void {
    if (delta > 0) this.#connectionsTotal.inc({ route, side })
    this.#connections.inc({ route, side }, delta)
  }

  handshake(route: string, side: string, outcome: "ok" | "refused" | "failed", reason: string): void {
    this.#handshakes.inc({ route, side, outcome, reason })
  }

  reload(outcome: "ok" | "failed"): void {
    this.#reloads.inc({ outcome })
  }

  /** Register (or replace) the traffic totals of a route; they are read at each scrape. */
  traffic(route: string, totals: () => TrafficTotals): void {
    this.#traffic.set(route, totals)
  }

  routes(count: number): void {
    this.#routes.set(count)
  }

  /** The Prometheus text. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  /** Serve GET /metrics; resolves the address listened on. */
  listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0]
      if (request.method !== "GET" || path !== "/metrics") {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n")
        return
      }
      this.registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        () => response.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n"),
      )
    })
    this.#server = server
    return new Promise((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, host, () => {
        server.off("error", reject)
        resolve(server.address() as AddressInfo)
      })
    })
  }

  close(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (server === undefined) return Promise.resolve()
    return new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
