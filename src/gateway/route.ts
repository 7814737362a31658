/**
 * One running route: its outside and inside sockets, the Authenticator guarding them, the
 * forwarder between them (the Proxy, or the IdentityForwarder when identity inward is on),
 * and the wiring of their events into the audit log and the metrics.
 *
 * Security: the outside socket gets the route's CURVE or PLAIN options; the inside socket is
 * NULL. Every socket that accepts connections asks a hook: on the secured side the route's
 * Authenticator (address rules, client certificates or allowAny, or the password file), on a
 * client side's inside its address rules; NULL asks only when `zapDomain` is set (RFC 27), so
 * the inside socket gets zapDomain "gateway.inside". While draining, the hook answers 300
 * ("temporary", RFC 27: no ERROR, the peer retries later — towards the next gateway process).
 *
 * Reload (`update`): the Authenticator is rebuilt from the new config and swapped in once its
 * certificate directory has been read (the hook reads the current one per handshake), and the
 * socket's keys are replaced; established connections are not touched.
 */
import { Authenticator, type AuthDecision } from "../auth/authenticator.js"
import { CertificateStore } from "../cert/store.js"
import type { AuthReply, AuthRequest } from "../mechanism/mechanism.js"
import { Dealer } from "../socket/dealer.js"
import { Proxy, type ProxyStatistics } from "../socket/proxy.js"
import { Pull } from "../socket/pull.js"
import { Push } from "../socket/push.js"
import { Router } from "../socket/router.js"
import type { Socket } from "../socket/socket.js"
import type { SocketEvent } from "../socket/observer.js"
import { XPublisher } from "../socket/xpublisher.js"
import { XSubscriber } from "../socket/xsubscriber.js"
import type { SocketTypeName } from "../wire/constants.js"
import type { AuditSink } from "./audit.js"
import { IdentityForwarder } from "./identity.js"
import { keyCheckCommand, keyCheckUrl } from "./key-check.js"
import type { RouteSecrets } from "./load.js"
import type { GatewayMetrics, TrafficTotals } from "./metrics.js"
import type { EndpointPlan, RoutePlan } from "./plan.js"

/** ZAP domain of the inside socket (so NULL peers pass the hook: address rules, draining). */
export const INSIDE_ZAP_DOMAIN = "gateway.inside"

interface Forwarder {
  run(): Promise<void>
  terminate(): void
  statistics(): ProxyStatistics
}

type Where = "outside" | "inside"

export interface RouteContext {
  audit: AuditSink
  metrics: GatewayMetrics
  /** Socket linger (ms), also the longest a drain waits. */
  linger: number
  rescanInterval: number
}

function makeSocket(type: SocketTypeName): Socket {
  switch (type) {
    case "ROUTER":
      return new Router()
    case "DEALER":
      return new Dealer()
    case "XPUB":
      return new XPublisher()
    case "XSUB":
      return new XSubscriber()
    case "PUSH":
      return new Push()
    case "PULL":
      return new Pull()
    default:
      throw new RangeError(`expected a gateway socket type, got ${type}`)
  }
}

/** Options are set as properties (the zeromq way); each type has its own subset. */
type OptionTarget = Record<string, unknown>

function setOption(socket: Socket, name: string, value: unknown): void {
  if (name in socket) (socket as unknown as OptionTarget)[name] = value
}

export class RouteRuntime {
  plan: RoutePlan
  #secrets: RouteSecrets
  readonly #context: RouteContext
  readonly outside: Socket
  readonly inside: Socket
  #forwarder: Forwarder | undefined
  #done: Promise<void> | undefined
  #outsideAuth: Authenticator
  #insideAuth: Authenticator | undefined
  #store: CertificateStore | undefined
  #draining = false
  /** Traffic of forwarders retired by a restart of this route (metrics stay monotonic). */
  readonly #base: TrafficTotals

  constructor(plan: RoutePlan, secrets: RouteSecrets, context: RouteContext, base?: TrafficTotals) {
    this.plan = plan
    this.#secrets = secrets
    this.#context = context
    this.#base = base ?? { in: { messages: 0, bytes: 0 }, out: { messages: 0, bytes: 0 } }
    this.outside = makeSocket(plan.outside.socketType)
    this.inside = makeSocket(plan.inside.socketType)
    this.#outsideAuth = new Authenticator({ interval: context.rescanInterval })
    for (const [socket, where] of [[this.outside, "outside"], [this.inside, "inside"]] as const) {
      setOption(socket, "linger", context.linger)
      setOption(socket, "sendHighWaterMark", plan.highWaterMark)
      setOption(socket, "receiveHighWaterMark", plan.highWaterMark)
      if (plan.heartbeat > 0) setOption(socket, "heartbeatInterval", plan.heartbeat)
      if (plan.maxMessageSize !== undefined) setOption(socket, "maxMessageSize", plan.maxMessageSize)
      this.#watch(socket, where)
    }
    // Replies for a client that has left are dropped by the ROUTER (ZMQ_ROUTER_MANDATORY off), not queued.
    this.#applySecurity()
    setOption(this.inside, "zapDomain", INSIDE_ZAP_DOMAIN)
    setOption(this.inside, "authenticate", (request: AuthRequest) => this.#insideHook(request))
  }

  get name(): string {
    return this.plan.name
  }

  /** Set up the Authenticator(s), then bind/connect and start forwarding. */
  async start(): Promise<void> {
    await this.#configureAuth(this.plan, this.#secrets)
    await this.#open(this.outside, this.plan.outside, "outside")
    await this.#open(this.inside, this.plan.inside, "inside")
    const p = this.plan
    const front = p.front === "outside" ? this.outside : this.inside
    const back = p.front === "outside" ? this.inside : this.outside
    this.#forwarder =
      p.identity !== "off" && (p.pattern === "req-rep" || p.pattern === "push-pull")
        ? new IdentityForwarder(this.outside, this.inside, p.identity, p.pattern, p.name)
        : new Proxy(front, back)
    this.#done = this.#forwarder.run().catch((error: unknown) => {
      this.#context.audit.write("route-failed", { route: p.name, reason: error instanceof Error ? error.message : "forwarder failed" })
    })
    this.#context.metrics.traffic(p.name, () => this.traffic())
    this.#context.audit.write("route", {
      route: p.name,
      pattern: p.pattern,
      side: p.side,
      flow: p.flow,
      identity: p.identity,
      outside: `${p.outside.socketType} ${p.outside.action} ${this.outside.lastEndpoint ?? p.outside.address}`,
      inside: `${p.inside.socketType} ${p.inside.action} ${this.inside.lastEndpoint ?? p.inside.address}`,
      mechanism: p.security.kind.startsWith("curve") ? "CURVE" : "PLAIN",
      publicKey: this.#secrets.curvePublicKey,
    })
  }

  /** Totals in/out (in: outside → inside), including those of forwarders before a restart. */
  traffic(): TrafficTotals {
    const s = this.#forwarder?.statistics()
    const t: TrafficTotals = { in: { ...this.#base.in }, out: { ...this.#base.out } }
    if (s === undefined) return t
    const outsideStats = this.plan.front === "outside" || this.#forwarder instanceof IdentityForwarder ? s.frontEnd : s.backEnd
    const insideStats = outsideStats === s.frontEnd ? s.backEnd : s.frontEnd
    t.in.messages += outsideStats.received
    t.in.bytes += outsideStats.receivedBytes
    t.out.messages += insideStats.received
    t.out.bytes += insideStats.receivedBytes
    return t
  }

  /**
   * Requests taken from the requesters and not yet answered back to them (req-rep), or
   * messages taken and not yet passed on (other patterns).
   */
  inFlight(): number {
    const s = this.#forwarder?.statistics()
    if (s === undefined) return 0
    // The front end is the requesters' side for req-rep (the ROUTER, outside or inside).
    const { frontEnd, backEnd } = s
    if (this.plan.pattern === "req-rep") return Math.max(0, frontEnd.received - frontEnd.sent - s.dropped)
    return Math.max(0, frontEnd.received - backEnd.sent) + Math.max(0, backEnd.received - frontEnd.sent)
  }

  /** SIGHUP: new keys, rules, certificates and passwords for new connections; established ones stay. */
  async update(plan: RoutePlan, secrets: RouteSecrets): Promise<void> {
    await this.#configureAuth(plan, secrets)
    this.plan = plan
    this.#secrets = secrets
    this.#applySecurity()
  }

  /**
   * Stop taking new sessions, let in-flight requests finish (at most `linger` ms), then stop
   * forwarding and close the sockets (their linger flushes what was already sent).
   */
  async drain(deadline: number): Promise<void> {
    this.#draining = true
    const forwarder = this.#forwarder
    if (forwarder === undefined) return this.close()
    while (this.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    const remaining = Math.max(0, deadline - Date.now())
    setOption(this.outside, "linger", remaining)
    setOption(this.inside, "linger", remaining)
    try {
      forwarder.terminate()
    } catch {
      // already stopped (a socket failed): the sockets are closed
    }
    await this.#done
    await Promise.race([Promise.all([this.outside.whenClosed, this.inside.whenClosed]), new Promise((r) => setTimeout(r, remaining + 50))])
    this.#closeAuth()
  }

  /** Close at once (a route rebuilt by a reload, or after a failed start). */
  async close(): Promise<void> {
    this.#draining = true
    setOption(this.outside, "linger", 0)
    setOption(this.inside, "linger", 0)
    const forwarder = this.#forwarder
    if (forwarder !== undefined) {
      try {
        forwarder.terminate()
      } catch {
        // not running
      }
      await this.#done
    }
    this.outside.close()
    this.inside.close()
    await Promise.race([Promise.all([this.outside.whenClosed, this.inside.whenClosed]), new Promise((r) => setTimeout(r, 1000))])
    this.#closeAuth()
  }

  #closeAuth(): void {
    this.#outsideAuth.close()
    this.#insideAuth?.close()
    this.#store?.close()
  }

  async #open(socket: Socket, endpoint: EndpointPlan, where: Where): Promise<void> {
    if (endpoint.action === "bind") {
      await socket.bind(endpoint.address)
      this.#context.audit.write("bind", { route: this.plan.name, side: where, address: socket.lastEndpoint ?? endpoint.address })
    } else {
      socket.connect(endpoint.address)
    }
  }

  #applySecurity(): void {
    const s = this.#secrets
    const o = this.outside
    switch (this.plan.security.kind) {
      case "curve-server":
        setOption(o, "curveServer", true)
        setOption(o, "curveSecretKey", s.curveSecretKey)
        setOption(o, "zapDomain", this.plan.name)
        setOption(o, "authenticate", (request: AuthRequest) => this.#outsideHook(request))
        break
      case "plain-server":
        setOption(o, "plainServer", true)
        setOption(o, "zapDomain", this.plan.name)
        setOption(o, "authenticate", (request: AuthRequest) => this.#outsideHook(request))
        break
      case "curve-client":
        setOption(o, "curveSecretKey", s.curveSecretKey)
        setOption(o, "curvePublicKey", null)
        setOption(o, "curveServerKey", s.curveServerKey)
        break
      case "plain-client":
        setOption(o, "plainUsername", s.plainUsername)
        setOption(o, "plainPassword", s.plainPassword)
        break
    }
  }

  /** Build the Authenticators for `plan` and swap them in when ready (old ones closed). */
  async #configureAuth(plan: RoutePlan, secrets: RouteSecrets): Promise<void> {
    const audit = this.#context.audit
    const outsideAuth = new Authenticator({ interval: this.#context.rescanInterval })
    let store: CertificateStore | undefined
    const serverSide = plan.side === "server"
    try {
      if (serverSide && plan.addresses.allow.length > 0) outsideAuth.allow(...plan.addresses.allow)
      if (serverSide && plan.addresses.deny.length > 0) outsideAuth.deny(...plan.addresses.deny)
      if (plan.security.kind === "curve-server") {
        if (plan.security.allowAny) await outsideAuth.configureCurve({ allowAny: true })
        else if (secrets.keyCheck !== undefined) {
          const check = secrets.keyCheck
          await outsideAuth.configureCurve({
            check: "command" in check ? keyCheckCommand(check.command, check.timeout, plan.name) : keyCheckUrl(check.url, check.timeout, plan.name),
          })
        }
        else if (secrets.clientsDirectory !== undefined) {
          store = new CertificateStore(secrets.clientsDirectory, { watch: true, interval: this.#context.rescanInterval })
          const route = plan.name
          for (const change of ["added", "removed", "replaced"] as const) {
            store.on(change, (c) => audit.write("certificate", { route, change, file: c.file, publicKey: c.publicKey, previousPublicKey: c.previousPublicKey }))
          }
          store.on("skipped", (s) => audit.write("certificate", { route, change: "skipped", file: s.file, reason: s.reason }))
          await store.ready
          await outsideAuth.configureCurve({ certificates: store })
        }
      } else if (plan.security.kind === "plain-server" && secrets.passwordFile !== undefined) {
        outsideAuth.on("skipped", (s) => audit.write("password-file", { route: plan.name, file: s.file, reason: s.reason }))
        await outsideAuth.configurePlain({ passwordFile: secrets.passwordFile })
      }
    } catch (error) {
      outsideAuth.close()
      store?.close()
      throw error
    }
    let insideAuth: Authenticator | undefined
    if (!serverSide && (plan.addresses.allow.length > 0 || plan.addresses.deny.length > 0)) {
      insideAuth = new Authenticator()
      if (plan.addresses.allow.length > 0) insideAuth.allow(...plan.addresses.allow)
      if (plan.addresses.deny.length > 0) insideAuth.deny(...plan.addresses.deny)
    }
    outsideAuth.on("decision", (d: AuthDecision) => this.#decision(d, "outside"))
    insideAuth?.on("decision", (d: AuthDecision) => this.#decision(d, "inside"))
    // Swap (on the first call the constructor's empty placeholder goes).
    const old = { outside: this.#outsideAuth, inside: this.#insideAuth, store: this.#store }
    this.#outsideAuth = outsideAuth
    this.#insideAuth = insideAuth
    this.#store = store
    old.outside.close()
    old.inside?.close()
    old.store?.close()
  }

  #decision(d: AuthDecision, where: Where): void {
    this.#context.audit.write("decision", {
      route: this.plan.name,
      side: where,
      address: d.address,
      mechanism: d.mechanism,
      userId: d.userId,
      publicKey: d.publicKey,
      allowed: d.allowed,
      status: d.status,
      reason: d.reason,
    })
    if (!d.allowed) this.#context.metrics.handshake(this.plan.name, where, "refused", d.reason)
  }

  #refuseDraining(request: AuthRequest, where: Where): AuthReply {
    this.#context.audit.write("decision", {
      route: this.plan.name,
      side: where,
      address: request.address,
      mechanism: request.mechanism,
      allowed: false,
      status: 300,
      reason: "gateway draining",
    })
    this.#context.metrics.handshake(this.plan.name, where, "refused", "gateway draining")
    return { status: 300, statusText: "Gateway draining" }
  }

  #outsideHook(request: AuthRequest): AuthReply | Promise<AuthReply> {
    if (this.#draining) return this.#refuseDraining(request, "outside")
    return this.#outsideAuth.authenticate(request)
  }

  #insideHook(request: AuthRequest): AuthReply | Promise<AuthReply> {
    if (this.#draining) return this.#refuseDraining(request, "inside")
    if (this.#insideAuth !== undefined) return this.#insideAuth.authenticate(request)
    return { status: 200, statusText: "OK", userId: "" }
  }

  #watch(socket: Socket, where: Where): void {
    const route = this.plan.name
    const { audit, metrics } = this.#context
    const weAuthenticate = where === "inside" || this.plan.side === "server"
    const listener = (event: SocketEvent): void => {
      switch (event.type) {
        case "accept":
        case "connect":
          metrics.connection(route, where, 1)
          audit.write("connection", { route, side: where, action: event.type, endpoint: event.address })
          return
        case "disconnect":
          metrics.connection(route, where, -1)
          audit.write("connection", { route, side: where, action: "disconnect", endpoint: event.address })
          return
        case "handshake":
          metrics.handshake(route, where, "ok", "ok")
          audit.write("handshake", {
            route,
            side: where,
            outcome: "ok",
            endpoint: event.address,
            address: event.peer.address,
            mechanism: event.peer.mechanism,
            socketType: event.peer.socketType,
            userId: event.peer.userId === "" ? undefined : event.peer.userId,
            publicKey: event.peer.publicKey,
          })
          return
        case "handshake:error:auth":
          // Our own refusals are counted with their reason by #decision.
          if (!weAuthenticate) metrics.handshake(route, where, "refused", "refused by server")
          audit.write("handshake", { route, side: where, outcome: "refused", endpoint: event.address, status: event.error.status, code: event.error.code })
          return
        case "handshake:error:protocol":
        case "handshake:error:other":
          metrics.handshake(route, where, "failed", event.error.code)
          audit.write("handshake", { route, side: where, outcome: "failed", endpoint: event.address, code: event.error.code, reason: event.error.message })
          return
        case "accept:error":
        case "bind:error":
          audit.write("connection", { route, side: where, action: event.type, endpoint: event.address, code: event.error.code })
          return
        default:
          return
      }
    }
    for (const type of ["accept", "connect", "disconnect", "handshake", "handshake:error:auth", "handshake:error:protocol", "handshake:error:other", "accept:error", "bind:error"] as const) {
      socket.events.on(type, listener)
    }
  }
}
