/**
 * Route planning: from a validated config (config.ts) to what the runtime builds — for each
 * route, the socket type, action (bind/connect), endpoint and security of its outside and
 * inside sockets, which one is the Proxy's front end, and the message flow. Pure (no I/O):
 * the cross-field rules are checked here and reported with the same problem shape as the
 * schema's, so `--check` lists them all at once.
 *
 * The shapes (the `zeromq` Proxy's, with the outside secured):
 *
 * | pattern   | side   | flow | outside socket | inside socket | front end |
 * | --------- | ------ | ---- | -------------- | ------------- | --------- |
 * | req-rep   | server | in   | ROUTER (bind)  | DEALER (connect) | outside |
 * | req-rep   | client | out  | DEALER (connect) | ROUTER (bind)  | inside  |
 * | pub-sub   | any    | out  | XPUB           | XSUB          | outside   |
 * | pub-sub   | any    | in   | XSUB           | XPUB          | outside   |
 * | push-pull | any    | in   | PULL           | PUSH          | outside   |
 * | push-pull | any    | out  | PUSH           | PULL          | outside   |
 *
 * Defaults: server side binds outside and connects inside, a client side the reverse; pub-sub
 * flows out on a server side (publishers inside) and in on a client side, push-pull the other
 * way round — so a client-side gateway and a server-side gateway with defaults fit together.
 */
import { AddressFilter } from "../auth/address-filter.js"
import { parseEndpoint } from "../transport/endpoint.js"
import type { SocketTypeName } from "../wire/constants.js"
import { z85Decode } from "../wire/z85.js"
import {
  type ConfigProblem,
  type EndpointConfig,
  fieldName,
  type Flow,
  type GatewayConfig,
  type IdentityMode,
  type Locator,
  type Pattern,
  type RouteConfig,
  type Side,
} from "./config.js"

export const DEFAULT_LINGER = 5000
export const DEFAULT_RESCAN_INTERVAL = 1000
export const DEFAULT_HIGH_WATER_MARK = 1000
export const DEFAULT_KEY_CHECK_TIMEOUT = 2000

export type Action = "bind" | "connect"

export interface EndpointPlan {
  socketType: SocketTypeName
  action: Action
  address: string
}

/** Security of the outside socket. Paths are as written in the file (load.ts resolves them). */
export type OutsideSecurity =
  | {
      kind: "curve-server"
      certificate: string
      clients: string | undefined
      allowAny: boolean
      /** A key-check command (argv) or URL, and its timeout in ms. */
      keyCheck: KeyCheckPlan | undefined
    }
  | { kind: "plain-server"; passwordFile: string }
  | { kind: "curve-client"; certificate: string; serverKey: string | undefined; serverCertificate: string | undefined }
  | { kind: "plain-client"; credentials: string }

export type KeyCheckPlan = { command: string[]; timeout: number } | { url: string; timeout: number }

export interface RoutePlan {
  /** Position in the file's [[route]] list (for problems found later, e.g. by load.ts). */
  index: number
  name: string
  pattern: Pattern
  side: Side
  flow: Flow
  identity: IdentityMode
  outside: EndpointPlan
  inside: EndpointPlan
  /** Which socket is the Proxy's front end (req-rep: the ROUTER, the requesters' side). */
  front: "outside" | "inside"
  security: OutsideSecurity
  /** Address rules, for the connections the gateway accepts from the secured side (server) or from local apps (client). */
  addresses: { allow: string[]; deny: string[] }
  highWaterMark: number
  heartbeat: number
  /** undefined: the sockets' default (64 MiB). */
  maxMessageSize: number | undefined
}

export interface GatewayPlan {
  audit: string
  metrics: { host: string; port: number } | undefined
  linger: number
  rescanInterval: number
  routes: RoutePlan[]
}

/** On failure, `routes` holds the routes that planned without a problem (so their files can still be checked). */
export type PlanResult = { ok: true; plan: GatewayPlan } | { ok: false; problems: ConfigProblem[]; routes: RoutePlan[] }

interface Shape {
  outside: SocketTypeName
  inside: SocketTypeName
  front: "outside" | "inside"
}

function shapeOf(pattern: Pattern, side: Side, flow: Flow): Shape {
  switch (pattern) {
    case "req-rep":
      return side === "server" ? { outside: "ROUTER", inside: "DEALER", front: "outside" } : { outside: "DEALER", inside: "ROUTER", front: "inside" }
    case "pub-sub":
      return flow === "out" ? { outside: "XPUB", inside: "XSUB", front: "outside" } : { outside: "XSUB", inside: "XPUB", front: "outside" }
    case "push-pull":
      return flow === "in" ? { outside: "PULL", inside: "PUSH", front: "outside" } : { outside: "PUSH", inside: "PULL", front: "outside" }
  }
}

/** The flow of a pattern on a side when the file does not say. */
export function defaultFlow(pattern: Pattern, side: Side): Flow {
  if (pattern === "req-rep") return side === "server" ? "in" : "out"
  if (pattern === "pub-sub") return side === "server" ? "out" : "in"
  return side === "server" ? "in" : "out"
}

function endpointOf(value: EndpointConfig, defaultAction: Action): { action: Action; address: string } {
  if (typeof value === "string") return { action: defaultAction, address: value }
  if ("bind" in value) return { action: "bind", address: value.bind }
  return { action: "connect", address: value.connect }
}

/** Check the cross-field rules and build the plan. `file` and `locate` label problems. */
export function planGateway(config: GatewayConfig, file: string, locate: Locator = () => undefined): PlanResult {
  const problems: ConfigProblem[] = []
  const problem = (path: PropertyKey[], message: string): void => {
    problems.push({ file, line: locate(path), field: fieldName(path), message })
  }
  const metrics = config.metrics === undefined ? undefined : parseListen(config.metrics)
  if (metrics === null) problem(["metrics"], 'expected "HOST:PORT" or a port number (0-65535)')
  const names = new Map<string, number>()
  const binds = new Map<string, string>()
  const routes: RoutePlan[] = []
  config.route.forEach((route, index) => {
    const at = (...rest: PropertyKey[]): PropertyKey[] => ["route", index, ...rest]
    const before = problems.length
    const previous = names.get(route.name)
    if (previous !== undefined) problem(at("name"), `expected a unique route name, got ${JSON.stringify(route.name)} again (also route[${previous}])`)
    else names.set(route.name, index)
    if (route.pattern === "req-rep" && route.flow !== undefined) {
      problem(at("flow"), "expected no flow for req-rep (requests always go from the requesters' side to the repliers'; a server side's requesters are outside)")
    }
    const flow = route.pattern === "req-rep" ? defaultFlow(route.pattern, route.side) : (route.flow ?? defaultFlow(route.pattern, route.side))
    const shape = shapeOf(route.pattern, route.side, flow)
    const outside = endpointOf(route.outside, route.side === "server" ? "bind" : "connect")
    const inside = endpointOf(route.inside, route.side === "server" ? "connect" : "bind")
    for (const [which, ep] of [["outside", outside], ["inside", inside]] as const) {
      try {
        parseEndpoint(ep.address, ep.action)
      } catch (error) {
        const path = typeof route[which] === "string" ? at(which) : at(which, ep.action)
        problem(path, error instanceof Error ? error.message : "expected an endpoint")
        continue
      }
      if (ep.action === "bind" && !ep.address.endsWith(":*") && !ep.address.endsWith(":0")) {
        const other = binds.get(ep.address)
        if (other !== undefined) problem(at(which), `expected an endpoint no other route binds, got ${JSON.stringify(ep.address)} (also ${other})`)
        else binds.set(ep.address, `route[${index}].${which}`)
      }
    }
    const security = planSecurity(route, at, problem)
    const identity = route.identity ?? "off"
    if (identity !== "off") {
      if (route.side !== "server") problem(at("identity"), 'expected identity only on side = "server" (where the gateway authenticates the peers), got a client side')
      else if (route.pattern === "pub-sub") problem(at("identity"), "expected identity only for req-rep and push-pull (a pub-sub frame in front would break topic matching)")
      else if (route.pattern === "push-pull" && flow !== "in") problem(at("identity"), 'expected identity on push-pull only with flow = "in" (messages from authenticated pushers)')
      else if (identity === "public-key" && route.plain !== undefined) problem(at("identity"), 'expected identity = "public-key" only with CURVE (PLAIN peers have no key); use "user-id"')
    }
    const addresses = { allow: route.addresses?.allow ?? [], deny: route.addresses?.deny ?? [] }
    for (const kind of ["allow", "deny"] as const) {
      addresses[kind].forEach((rule, i) => {
        try {
          new AddressFilter()[kind](rule)
        } catch (error) {
          problem(at("addresses", kind, i), error instanceof Error ? error.message : "expected an address or CIDR range")
        }
      })
    }
    if (problems.length > before || security === undefined) return
    routes.push({
      index,
      name: route.name,
      pattern: route.pattern,
      side: route.side,
      flow,
      identity,
      outside: { socketType: shape.outside, ...outside },
      inside: { socketType: shape.inside, ...inside },
      front: shape.front,
      security,
      addresses,
      highWaterMark: route.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      heartbeat: route.heartbeat ?? 0,
      maxMessageSize: route.maxMessageSize,
    })
  })
  if (problems.length > 0) return { ok: false, problems, routes }
  return {
    ok: true,
    plan: {
      audit: config.audit ?? "stdout",
      metrics: metrics ?? undefined,
      linger: config.linger ?? DEFAULT_LINGER,
      rescanInterval: config.rescanInterval ?? DEFAULT_RESCAN_INTERVAL,
      routes,
    },
  }
}

function planSecurity(route: RouteConfig, at: (...rest: PropertyKey[]) => PropertyKey[], problem: (path: PropertyKey[], message: string) => void): OutsideSecurity | undefined {
  const { curve, plain } = route
  if ((curve === undefined) === (plain === undefined)) {
    problem(at(), curve === undefined ? "expected a [route.curve] or a [route.plain] table (the outside is always secured), got neither" : "expected one of [route.curve] or [route.plain], got both")
    return undefined
  }
  const serverOnly = ["clients", "allowAny", "keyCheck"] as const
  const clientOnly = ["serverKey", "serverCertificate"] as const
  if (curve !== undefined) {
    if (route.side === "server") {
      for (const key of clientOnly) if (curve[key] !== undefined) problem(at("curve", key), "expected this field only on a client side (a server side holds the server's own key)")
      const sources = (curve.clients !== undefined ? 1 : 0) + (curve.allowAny === true ? 1 : 0) + (curve.keyCheck !== undefined ? 1 : 0)
      if (curve.allowAny === false) problem(at("curve", "allowAny"), "expected allowAny = true or no allowAny (use clients = DIR to allow known keys only)")
      else if (sources !== 1) {
        problem(at("curve"), sources === 0 ? "expected clients = DIR (known client certificates), keyCheck or allowAny = true, got none" : `expected one of clients, keyCheck or allowAny, got ${sources}`)
      }
      let keyCheck: KeyCheckPlan | undefined
      if (curve.keyCheck !== undefined) {
        const { command, url } = curve.keyCheck
        const timeout = curve.keyCheck.timeout ?? DEFAULT_KEY_CHECK_TIMEOUT
        if ((command === undefined) === (url === undefined)) {
          problem(at("curve", "keyCheck"), command === undefined ? "expected command = [ARGV...] or url = \"http(s)://...\", got neither" : "expected one of command or url, got both")
        } else if (url !== undefined) {
          if (!/^https?:\/\/[^\s/]+/.test(url)) problem(at("curve", "keyCheck", "url"), "expected an http:// or https:// URL")
          else keyCheck = { url, timeout }
        } else if (command !== undefined) keyCheck = { command, timeout }
      }
      return { kind: "curve-server", certificate: curve.certificate, clients: curve.clients, allowAny: curve.allowAny === true, keyCheck }
    }
    for (const key of serverOnly) if (curve[key] !== undefined) problem(at("curve", key), "expected this field only on a server side")
    if ((curve.serverKey === undefined) === (curve.serverCertificate === undefined)) {
      problem(at("curve"), curve.serverKey === undefined ? "expected serverKey (Z85) or serverCertificate (file), got neither" : "expected one of serverKey or serverCertificate, got both")
    } else if (curve.serverKey !== undefined) {
      let ok = curve.serverKey.length === 40
      if (ok) {
        try {
          z85Decode(curve.serverKey)
        } catch {
          ok = false
        }
      }
      if (!ok) problem(at("curve", "serverKey"), `expected a public key of 40 Z85 characters, got ${curve.serverKey.length} characters${curve.serverKey.length === 40 ? " that are not Z85" : ""}`)
    }
    return { kind: "curve-client", certificate: curve.certificate, serverKey: curve.serverKey, serverCertificate: curve.serverCertificate }
  }
  const p = plain as NonNullable<RouteConfig["plain"]>
  if (route.side === "server") {
    if (p.credentials !== undefined) problem(at("plain", "credentials"), "expected credentials only on a client side (a server side checks passwordFile)")
    if (p.passwordFile === undefined) {
      problem(at("plain"), "expected passwordFile = FILE (CZMQ name=password lines, mode 0600)")
      return undefined
    }
    return { kind: "plain-server", passwordFile: p.passwordFile }
  }
  if (p.passwordFile !== undefined) problem(at("plain", "passwordFile"), "expected passwordFile only on a server side (a client side sends credentials)")
  if (p.credentials === undefined) {
    problem(at("plain"), "expected credentials = FILE (one name=password line, mode 0600)")
    return undefined
  }
  return { kind: "plain-client", credentials: p.credentials }
}

/** "HOST:PORT", ":PORT", "PORT" or a number → host and port; null when malformed. */
export function parseListen(value: string | number): { host: string; port: number } | null {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value <= 65535 ? { host: "127.0.0.1", port: value } : null
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):?(\d{1,5})$/.exec(value.includes(":") ? value : `:${value}`)
  if (!match) return null
  const port = Number(match[3])
  if (port > 65535) return null
  const host = match[1] ?? (match[2] === "" || match[2] === undefined ? "127.0.0.1" : match[2])
  return { host, port }
}

/** Whether two plans of a route can be switched without rebuilding its sockets (SIGHUP). */
export function sameShape(a: RoutePlan, b: RoutePlan): boolean {
  return (
    a.pattern === b.pattern &&
    a.side === b.side &&
    a.flow === b.flow &&
    a.identity === b.identity &&
    a.outside.action === b.outside.action &&
    a.outside.address === b.outside.address &&
    a.inside.action === b.inside.action &&
    a.inside.address === b.inside.address &&
    a.security.kind === b.security.kind &&
    a.highWaterMark === b.highWaterMark &&
    a.heartbeat === b.heartbeat &&
    a.maxMessageSize === b.maxMessageSize
  )
}

/** One line per route for `--check` and the start banner. */
export function describeRoute(route: RoutePlan): string {
  const mech = route.security.kind.startsWith("curve") ? "CURVE" : "PLAIN"
  const outside = `${route.outside.socketType} ${route.outside.action} ${route.outside.address} (${mech})`
  const inside = `${route.inside.socketType} ${route.inside.action} ${route.inside.address} (NULL)`
  return `${route.name}: ${route.pattern} ${route.side} side, flow ${route.flow}: outside ${outside}, inside ${inside}${route.identity === "off" ? "" : `, identity ${route.identity}`}`
}
