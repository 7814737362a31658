/**
 * Socket options: the `zeromq` v6 names (each documented with its ZMQ_* name), their
 * defaults (the values `zeromq` 6.8 / libzmq 4.3.5 report, except maxMessageSize, which is
 * finite here), and their validation. Options are constructor fields and properties, like
 * `zeromq`; an unknown name is a TypeError naming it; a wrong type a TypeError; a value out of
 * range a RangeError. Secret values (curveSecretKey, plainPassword) never appear in a message.
 *
 * Most options take effect for connections made after they are set (like libzmq).
 */
import { argumentError, describeValue } from "../errors.js"
import type { Authenticate } from "../mechanism/mechanism.js"
import { toKey } from "../crypto/keys.js"
import { z85Encode } from "../wire/z85.js"
import { DEFAULT_LIMITS } from "../wire/types.js"
import { wipe } from "../crypto/index.js"

const INT32_MAX = 0x7fffffff
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Every option value a socket holds (a superset: each socket type exposes its own subset). */
export interface OptionValues {
  // ---- every socket -------------------------------------------------------------------
  /** ZMQ_LINGER: ms that close() keeps flushing queued messages; -1 forever, 0 discard. */
  linger: number
  /** ZMQ_RECONNECT_IVL: ms before reconnecting; -1 never. */
  reconnectInterval: number
  /** ZMQ_RECONNECT_IVL_MAX: upper bound of the doubling back-off; 0 no doubling. */
  reconnectMaxInterval: number
  /** ZMQ_CONNECT_TIMEOUT: ms for one TCP connect; 0 the OS default. */
  connectTimeout: number
  /** ZMQ_HANDSHAKE_IVL: ms for greeting + security handshake; 0 no limit. */
  handshakeInterval: number
  /** ZMQ_HEARTBEAT_IVL: ms between PINGs; 0 none. */
  heartbeatInterval: number
  /** ZMQ_HEARTBEAT_TTL: ms the peer should wait for our traffic (sent in PING, deciseconds). */
  heartbeatTimeToLive: number
  /** ZMQ_HEARTBEAT_TIMEOUT: ms without traffic after a PING before the peer is dead; -1 = heartbeatInterval. */
  heartbeatTimeout: number
  /** ZMQ_MAXMSGSIZE: largest inbound message in octets; -1 no limit. Finite by default here. */
  maxMessageSize: number
  /** ZMQ_IMMEDIATE: queue messages only on completed connections. */
  immediate: boolean
  /** ZMQ_IPV6: tcp://* binds IPv6 and IPv4. */
  ipv6: boolean
  /** ZMQ_BACKLOG: pending-connection queue of a bound endpoint. */
  backlog: number
  /** ZMQ_PLAIN_SERVER */
  plainServer: boolean
  /** ZMQ_PLAIN_USERNAME */
  plainUsername: string | null
  /** ZMQ_PLAIN_PASSWORD (secret) */
  plainPassword: string | null
  /** ZMQ_CURVE_SERVER */
  curveServer: boolean
  /** ZMQ_CURVE_PUBLICKEY (32 octets) */
  curvePublicKey: Uint8Array | null
  /** ZMQ_CURVE_SECRETKEY (32 octets, secret) */
  curveSecretKey: Uint8Array | null
  /** ZMQ_CURVE_SERVERKEY (32 octets) */
  curveServerKey: Uint8Array | null
  /** ZMQ_ZAP_DOMAIN */
  zapDomain: string | null
  /** ZMQ_ZAP_ENFORCE_DOMAIN */
  zapEnforceDomain: boolean
  /** Ironhouse: the authentication hook for this socket (else its context's zapHandler). */
  authenticate: Authenticate | undefined
  /**
   * Ironhouse: most accepted connections in their handshake at once (and at most half of the
   * process's file descriptors); at the limit a newcomer sheds the oldest of the most
   * represented source (handshake-guard.ts), it is never refused.
   */
  maxPendingHandshakes: number
  /** Ironhouse: ms an accepted connection has to send its 64-octet greeting; 0: handshakeInterval only. */
  greetingTimeout: number
  /** Ironhouse: remember the peer of every received message for peerOf(). */
  trackPeers: boolean
  // ---- transport (tcp) options: every socket -------------------------------------------------
  /** ZMQ_TCP_KEEPALIVE: SO_KEEPALIVE on every tcp connection; -1 OS default, 0 off, 1 on. */
  tcpKeepalive: number
  /** ZMQ_TCP_KEEPALIVE_IDLE: TCP_KEEPIDLE in seconds, when tcpKeepalive is 1; -1 (or 0) OS default. */
  tcpKeepaliveIdle: number
  /** ZMQ_TCP_KEEPALIVE_CNT: only -1 (the OS default): Node has no API for TCP_KEEPCNT. */
  tcpKeepaliveCount: number
  /** ZMQ_TCP_KEEPALIVE_INTVL: only -1 (the OS default): Node has no API for TCP_KEEPINTVL. */
  tcpKeepaliveInterval: number
  /** ZMQ_TOS: only 0 (the OS default): Node has no API for IP_TOS / IPV6_TCLASS. */
  typeOfService: number
  /** ZMQ_BINDTODEVICE: only null: Node has no API for SO_BINDTODEVICE (use `tcp://eth0:0;host:port`). */
  interface: string | null
  // ---- sockets that send ------------------------------------------------------------------
  /** ZMQ_SNDHWM: messages queued per peer; 0 no limit. */
  sendHighWaterMark: number
  /** ZMQ_SNDTIMEO: ms send() waits; -1 forever, 0 fail at once with EAGAIN. */
  sendTimeout: number
  // ---- sockets that receive ---------------------------------------------------------------
  /** ZMQ_RCVHWM: messages queued per peer before reading from it pauses; 0 no limit. */
  receiveHighWaterMark: number
  /** ZMQ_RCVTIMEO: ms receive() waits; -1 forever, 0 fail at once with EAGAIN. */
  receiveTimeout: number
  // ---- REQ, DEALER, ROUTER, REP (sockets that talk to a ROUTER) -----------------------------
  /** ZMQ_ROUTING_ID: our identity towards a ROUTER, 1-255 octets. */
  routingId: Uint8Array | null
  /** ZMQ_PROBE_ROUTER: send an empty message to every new peer. */
  probeRouter: boolean
  // ---- ROUTER -------------------------------------------------------------------------------
  /** ZMQ_ROUTER_MANDATORY: unroutable messages fail with EHOSTUNREACH; full peers make send() wait. */
  mandatory: boolean
  /** ZMQ_ROUTER_HANDOVER: a new peer with a routing id in use takes it over. */
  handover: boolean
  // ---- REQ ----------------------------------------------------------------------------------
  /** ZMQ_REQ_CORRELATE: prefix requests with a request id and only accept the matching reply. */
  correlate: boolean
  /** ZMQ_REQ_RELAXED: allow a new request before the reply to the previous one. */
  relaxed: boolean
  // ---- PUB / XPUB ---------------------------------------------------------------------------
  /** ZMQ_XPUB_NODROP: send() waits (or fails with EAGAIN) instead of dropping for a full subscriber. */
  noDrop: boolean
  // ---- XPUB ---------------------------------------------------------------------------------
  /** ZMQ_XPUB_VERBOSE / ZMQ_XPUB_VERBOSER */
  verbosity: null | "allSubs" | "allSubsUnsubs"
  /** ZMQ_XPUB_WELCOME_MSG: sent to every new subscriber. */
  welcomeMessage: Uint8Array | null
  // ---- pub/sub and conflate (see publisher-base.ts, subscriber-base.ts, pipe.ts) -----------
  /**
   * Ironhouse (PUB, XPUB; default 1024): longest subscription prefix a peer may send, in octets;
   * -1 no limit. A peer that sends a longer one is disconnected (`disconnect` event with an
   * ERR_IRONHOUSE_SUBSCRIPTION_TOO_LARGE error). libzmq has no limit.
   */
  maxSubscriptionSize: number
  /**
   * Ironhouse (PUB, XPUB; default 10 000): most distinct prefixes one peer may hold subscribed;
   * -1 no limit. A peer that subscribes to one more is disconnected (`disconnect` event with an
   * ERR_IRONHOUSE_TOO_MANY_SUBSCRIPTIONS error). libzmq has no limit.
   */
  maxSubscriptions: number
  /** ZMQ_CONFLATE (PUSH, PULL, DEALER, PUB, SUB): keep only the last message per peer and direction. */
  conflate: boolean
  /** ZMQ_INVERT_MATCHING (PUB, XPUB, SUB): a message goes to / is kept by those whose prefixes do NOT match. */
  invertMatching: boolean
  /** ZMQ_XPUB_MANUAL: subscriptions from peers are only reported; XPublisher.subscribe() applies them. */
  manual: boolean
}

export type OptionName = keyof OptionValues

export function defaultOptions(): OptionValues {
  return {
    linger: -1,
    reconnectInterval: 100,
    reconnectMaxInterval: 0,
    connectTimeout: 0,
    handshakeInterval: 30_000,
    heartbeatInterval: 0,
    heartbeatTimeToLive: 0,
    heartbeatTimeout: -1,
    maxMessageSize: DEFAULT_LIMITS.maxMessageSize,
    immediate: false,
    ipv6: false,
    backlog: 100,
    plainServer: false,
    plainUsername: null,
    plainPassword: null,
    curveServer: false,
    curvePublicKey: null,
    curveSecretKey: null,
    curveServerKey: null,
    zapDomain: null,
    zapEnforceDomain: false,
    authenticate: undefined,
    maxPendingHandshakes: 4096,
    greetingTimeout: 5_000,
    trackPeers: false,
    tcpKeepalive: -1,
    tcpKeepaliveIdle: -1,
    tcpKeepaliveCount: -1,
    tcpKeepaliveInterval: -1,
    typeOfService: 0,
    interface: null,
    sendHighWaterMark: 1000,
    sendTimeout: -1,
    receiveHighWaterMark: 1000,
    receiveTimeout: -1,
    routingId: null,
    probeRouter: false,
    mandatory: false,
    handover: false,
    correlate: false,
    relaxed: false,
    noDrop: false,
    verbosity: null,
    welcomeMessage: null,
    maxSubscriptionSize: 1024,
    maxSubscriptions: 10_000,
    conflate: false,
    invertMatching: false,
    manual: false,
  }
}

type Spec =
  | { kind: "int"; min: number; max: number }
  | { kind: "bool" }
  | { kind: "string"; maxOctets: number; secret: boolean }
  | { kind: "bytes"; minOctets: number; maxOctets: number }
  | { kind: "key"; secret: boolean }
  | { kind: "function" }
  | { kind: "choice"; values: readonly unknown[] }
  | { kind: "unsupported"; only: number | null; why: string }

const int = (min: number, max = INT32_MAX): Spec => ({ kind: "int", min, max })
const bool: Spec = { kind: "bool" }

/** How each option is validated and converted. */
const SPECS: Record<OptionName, Spec> = {
  linger: int(-1),
  reconnectInterval: int(-1),
  reconnectMaxInterval: int(0),
  connectTimeout: int(0),
  handshakeInterval: int(0),
  heartbeatInterval: int(0),
  // The TTL travels in deciseconds in a 16-bit field (RFC 37 "Connection Heartbeating").
  heartbeatTimeToLive: int(0, 6_553_599),
  heartbeatTimeout: int(-1),
  maxMessageSize: int(-1, Number.MAX_SAFE_INTEGER),
  immediate: bool,
  ipv6: bool,
  backlog: int(0),
  plainServer: bool,
  plainUsername: { kind: "string", maxOctets: 255, secret: false },
  plainPassword: { kind: "string", maxOctets: 255, secret: true },
  curveServer: bool,
  curvePublicKey: { kind: "key", secret: false },
  curveSecretKey: { kind: "key", secret: true },
  curveServerKey: { kind: "key", secret: false },
  zapDomain: { kind: "string", maxOctets: 255, secret: false },
  zapEnforceDomain: bool,
  authenticate: { kind: "function" },
  maxPendingHandshakes: int(1),
  greetingTimeout: int(0),
  trackPeers: bool,
  // Transport options. -1 / 0 / 1 as libzmq; Linux caps TCP_KEEPIDLE at 32767 s (MAX_TCP_KEEPIDLE).
  tcpKeepalive: int(-1, 1),
  tcpKeepaliveIdle: int(-1, 32767),
  tcpKeepaliveCount: {
    kind: "unsupported",
    only: -1,
    why: "Node's net module has no API for TCP_KEEPCNT, so the OS default applies (Linux: sysctl net.ipv4.tcp_keepalive_probes)",
  },
  tcpKeepaliveInterval: {
    kind: "unsupported",
    only: -1,
    why: "Node's net module has no API for TCP_KEEPINTVL, so the OS default applies (Linux: sysctl net.ipv4.tcp_keepalive_intvl)",
  },
  typeOfService: {
    kind: "unsupported",
    only: 0,
    why: "Node's net module has no API for IP_TOS / IPV6_TCLASS, so packets keep the OS default ToS",
  },
  interface: {
    kind: "unsupported",
    only: null,
    why: 'Node\'s net module cannot set SO_BINDTODEVICE; to connect from an interface\'s address use "tcp://eth0:0;host:port", to listen on it bind "tcp://eth0:port"',
  },
  sendHighWaterMark: int(0),
  sendTimeout: int(-1),
  receiveHighWaterMark: int(0),
  receiveTimeout: int(-1),
  routingId: { kind: "bytes", minOctets: 1, maxOctets: 255 },
  probeRouter: bool,
  mandatory: bool,
  handover: bool,
  correlate: bool,
  relaxed: bool,
  noDrop: bool,
  verbosity: { kind: "choice", values: [null, "allSubs", "allSubsUnsubs"] },
  welcomeMessage: { kind: "bytes", minOctets: 0, maxOctets: INT32_MAX },
  maxSubscriptionSize: int(-1),
  maxSubscriptions: int(-1),
  conflate: bool,
  invertMatching: bool,
  manual: bool,
}

/** Options every socket type has. */
export const COMMON_OPTIONS: readonly OptionName[] = [
  "linger",
  "reconnectInterval",
  "reconnectMaxInterval",
  "connectTimeout",
  "handshakeInterval",
  "heartbeatInterval",
  "heartbeatTimeToLive",
  "heartbeatTimeout",
  "maxMessageSize",
  "immediate",
  "ipv6",
  "backlog",
  "plainServer",
  "plainUsername",
  "plainPassword",
  "curveServer",
  "curvePublicKey",
  "curveSecretKey",
  "curveServerKey",
  "zapDomain",
  "zapEnforceDomain",
  "authenticate",
  "maxPendingHandshakes",
  "greetingTimeout",
  "trackPeers",
  // transport options
  "tcpKeepalive",
  "tcpKeepaliveIdle",
  "tcpKeepaliveCount",
  "tcpKeepaliveInterval",
  "typeOfService",
  "interface",
]
export const WRITABLE_OPTIONS: readonly OptionName[] = ["sendHighWaterMark", "sendTimeout"]
export const READABLE_OPTIONS: readonly OptionName[] = ["receiveHighWaterMark", "receiveTimeout"]

/** Option names that are set-only in `zeromq` and read back as written here. */
const SECRET_OPTIONS: ReadonlySet<OptionName> = new Set(["plainPassword", "curveSecretKey"])

/** Validate and convert one option value (throws TypeError/RangeError naming the option). */
export function convertOption(name: OptionName, value: unknown): OptionValues[OptionName] {
  const spec = SPECS[name]
  switch (spec.kind) {
    case "int": {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw argumentError("type", `${name}: expected an integer, got ${describeNumber(value)}`)
      }
      if (value < spec.min || value > spec.max) {
        throw argumentError("range", `${name}: expected an integer from ${spec.min} to ${spec.max}, got ${value}`)
      }
      return value
    }
    case "bool":
      if (typeof value !== "boolean") throw argumentError("type", `${name}: expected a boolean, got ${describeValue(value)}`)
      return value
    case "string": {
      if (value === null) return null
      if (typeof value !== "string") {
        throw argumentError("type", `${name}: expected a string or null, got ${describeValue(value)}`)
      }
      const octets = Buffer.byteLength(value)
      if (octets > spec.maxOctets) {
        throw argumentError("range", `${name}: expected at most ${spec.maxOctets} UTF-8 octets, got ${octets}`)
      }
      return value
    }
    case "bytes": {
      if (value === null) return null
      let bytes: Uint8Array
      if (typeof value === "string") bytes = encoder.encode(value)
      else if (value instanceof Uint8Array) bytes = new Uint8Array(value)
      else throw argumentError("type", `${name}: expected a string, a Uint8Array or null, got ${describeValue(value)}`)
      if (bytes.length < spec.minOctets || bytes.length > spec.maxOctets) {
        throw argumentError(
          "range",
          `${name}: expected ${spec.minOctets} to ${spec.maxOctets} octets, got ${bytes.length}`,
        )
      }
      return bytes
    }
    case "key":
      if (value === null) return null
      return toKey(value as Uint8Array | string, name)
    case "function":
      if (value === undefined) return undefined
      if (typeof value !== "function") {
        throw argumentError("type", `${name}: expected a function or undefined, got ${describeValue(value)}`)
      }
      return value as Authenticate
    case "choice":
      if (!spec.values.includes(value)) {
        throw argumentError(
          "range",
          `${name}: expected one of ${spec.values.map((v) => JSON.stringify(v)).join(", ")}, got ${
            typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : describeValue(value)
          }`,
        )
      }
      return value as OptionValues["verbosity"]
    case "unsupported":
      // Accepted only with the value that means "the OS default", so a program that sets it
      // to anything else learns at once that it has no effect here, and why.
      if (value === spec.only) return spec.only
      if (spec.only === null ? typeof value !== "string" : typeof value !== "number" || !Number.isInteger(value)) {
        throw argumentError("type", `${name}: expected ${spec.only === null ? "a string or null" : "an integer"}, got ${describeValue(value)}`)
      }
      throw argumentError("range", `${name}: only ${JSON.stringify(spec.only)} is supported, got ${typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value)}: ${spec.why}`)
  }
}

/** The value a property getter returns (keys as Z85 strings, routing ids as strings, like `zeromq`). */
export function presentOption(name: OptionName, value: OptionValues[OptionName]): unknown {
  const spec = SPECS[name]
  if (spec.kind === "key") return value === null ? null : z85Encode(value as Uint8Array)
  if (name === "routingId") return value === null ? null : decoder.decode(value as Uint8Array)
  return value
}

/** Store one option, wiping a secret key it replaces. */
export function storeOption(values: OptionValues, name: OptionName, value: OptionValues[OptionName]): void {
  const old = values[name]
  if (name === "curveSecretKey" && old instanceof Uint8Array && old !== value) wipe(old)
  ;(values as unknown as Record<string, unknown>)[name] = value
}

/** Check and apply a constructor options object; unknown names are a TypeError naming them. */
export function applyOptions(
  values: OptionValues,
  allowed: ReadonlySet<string>,
  options: object | undefined,
  socketName: string,
  extra: ReadonlySet<string> = new Set(),
): void {
  if (options === undefined) return
  if (typeof options !== "object" || options === null) {
    throw argumentError("type", `expected options as an object, got ${describeValue(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (extra.has(key)) continue
    if (!allowed.has(key)) throw unknownOption(key, socketName)
    const value = (options as Record<string, unknown>)[key]
    storeOption(values, key as OptionName, convertOption(key as OptionName, value))
  }
}

/** Options that `zeromq` has and Ironhouse does not implement: a clearer message than "unknown". */
const NOT_IMPLEMENTED = new Set([
  "affinity",
  "rate",
  "recoveryInterval",
  "sendBufferSize",
  "receiveBufferSize",
  "multicastHops",
  "multicastMaxTransportDataUnit",
  "tcpAcceptFilter",
  "tcpMaxRetransmitTimeout",
  "gssapiServer",
  "gssapiPrincipal",
  "gssapiServicePrincipal",
  "gssapiPlainText",
  "gssapiPrincipalNameType",
  "gssapiServicePrincipalNameType",
  "socksProxy",
  "loopbackFastPath",
  "vmciBufferSize",
  "vmciBufferMinSize",
  "vmciBufferMaxSize",
  "vmciConnectTimeout",
  "notify",
])

export function unknownOption(key: string, socketName: string): TypeError {
  const shown = JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}...` : key)
  if (NOT_IMPLEMENTED.has(key)) {
    return new TypeError(`option ${shown} of the zeromq package is not implemented by Ironhouse (${socketName} socket)`)
  }
  return new TypeError(`unknown option ${shown} for a ${socketName} socket`)
}

export function isSecretOption(name: string): boolean {
  return SECRET_OPTIONS.has(name as OptionName)
}

function describeNumber(value: unknown): string {
  return typeof value === "number" ? String(value) : describeValue(value)
}
