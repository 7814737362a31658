/**
 * Endpoint strings (zmq_tcp(7), zmq_ipc(7)): `tcp://host:port` and `ipc://path`.
 *
 *   tcp://127.0.0.1:5555   tcp://[::1]:5555   tcp://localhost:5555 (connect: DNS names)
 *   tcp://*:5555           (bind: every IPv4 interface, or every interface with ipv6)
 *   tcp://lo:5555          (bind: the address of a network interface, os.networkInterfaces())
 *   tcp://127.0.0.2:0;127.0.0.1:5555   (connect from a source address and port, zmq_tcp(7)
 *                          "source_endpoint;endpoint"; the source may be an interface name,
 *                          its port `0` or `*` or absent for any)
 *   tcp://127.0.0.1:*      tcp://127.0.0.1:0  (bind: an ephemeral port; lastEndpoint tells which)
 *   ipc:///tmp/feed.sock   ipc://relative.sock
 *   ipc://@name            refused: see parseIpc
 *   ipc://*                (bind: a fresh socket file in a new temporary directory)
 *   inproc://name          (sockets of one context; parseSocketEndpoint)
 *
 * Malformed endpoints are bad arguments: TypeError / RangeError with `code` EINVAL (or
 * EPROTONOSUPPORT for a transport we do not implement), like `zeromq`'s codes.
 */
import { isIP } from "node:net"
import { constants as osConstants, networkInterfaces } from "node:os"

/**
 * A bad-argument error (TypeError or RangeError, per ../errors.ts) that also carries the
 * `code` `zeromq` uses for a malformed endpoint (EINVAL) or an unknown transport
 * (EPROTONOSUPPORT).
 */
export function endpointArgumentError(
  kind: "type" | "range",
  message: string,
  code: "EINVAL" | "EPROTONOSUPPORT" = "EINVAL",
): EndpointArgumentError {
  const err = kind === "type" ? new TypeError(message) : new RangeError(message)
  return Object.assign(err, { code, errno: osConstants.errno[code] })
}

/**
 * What bind/unbind/connect/disconnect throw for a malformed endpoint: `zeromq`'s `code`,
 * `errno` and (for a string) `address`, on the TypeError/RangeError of the error contract.
 */
export type EndpointArgumentError = (TypeError | RangeError) & { code: string; errno: number; address?: string }

/** Attach the endpoint text to an error from parsing it, as `zeromq` does (`err.address`). */
function withAddress<T>(text: unknown, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (typeof text === "string" && err instanceof Error && "errno" in err) Object.assign(err, { address: text })
    throw err
  }
}

/** Transports libzmq knows (zmq_bind(3)); any other is EPROTONOSUPPORT, as in `zeromq`. */
const KNOWN_TRANSPORTS = ["tcp", "ipc", "inproc", "pgm", "epgm", "tipc", "vmci", "udp", "ws", "wss", "norm"]

/**
 * The part of parsing that unbind() and disconnect() do before looking the endpoint up, like
 * libzmq's (socket_base.cpp parse_uri + check_protocol): `transport://address` with a
 * non-empty address (EINVAL otherwise) and a transport we know (EPROTONOSUPPORT otherwise).
 * An endpoint that passes but was never bound/connected is then ENOENT, as in `zeromq`.
 */
export function checkEndpointSyntax(text: unknown): string {
  return withAddress(text, () => {
    if (typeof text !== "string") {
      throw endpointArgumentError("type", `expected an endpoint string like "tcp://host:port", got ${typeof text}`)
    }
    const sep = text.indexOf("://")
    if (sep <= 0 || sep + 3 === text.length) {
      throw endpointArgumentError("range", `expected an endpoint like "tcp://host:port" or "ipc://path", got ${quote(text)}`)
    }
    const transport = text.slice(0, sep)
    if (!KNOWN_TRANSPORTS.includes(transport)) {
      throw endpointArgumentError("range", `expected a transport such as "tcp" or "ipc", got ${quote(transport)}`, "EPROTONOSUPPORT")
    }
    return text
  })
}

export interface TcpEndpoint {
  readonly transport: "tcp"
  /** Host name, interface name (bind) or IP address, without brackets; "" for the `*` wildcard. */
  readonly host: string
  /** 0 for an ephemeral port (`*` or `0`, bind only). */
  readonly port: number
  /** connect() only: the local address (and port) to connect from, `tcp://SOURCE;DEST`. */
  readonly source?: TcpSource
}

/** The source part of `tcp://SOURCE;DEST` (zmq_tcp(7)). */
export interface TcpSource {
  /** An IP address or a network interface name (no DNS, as libzmq); "" for `*` (any). */
  readonly host: string
  /** 0 for any port (`0`, `*`, or no port). */
  readonly port: number
}

export interface IpcEndpoint {
  readonly transport: "ipc"
  /** File system path; "" for the `*` wildcard. */
  readonly path: string
}

export type Endpoint = TcpEndpoint | IpcEndpoint

/** sockaddr_un.sun_path holds 108 octets including the terminating NUL. */
export const IPC_PATH_MAX = 107

const TRANSPORTS_WE_LACK = ["pgm", "epgm", "tipc", "vmci", "udp", "ws", "wss", "norm"]

/** Parse an endpoint for bind() or connect(). Throws TypeError/RangeError (code EINVAL). */
export function parseEndpoint(text: unknown, usage: "bind" | "connect"): Endpoint {
  return withAddress(text, () => parseEndpointText(text, usage))
}

function parseEndpointText(text: unknown, usage: "bind" | "connect"): Endpoint {
  if (typeof text !== "string") {
    throw endpointArgumentError("type", `expected an endpoint string like "tcp://host:port", got ${typeof text}`)
  }
  const sep = text.indexOf("://")
  if (sep <= 0) {
    throw endpointArgumentError("range", `expected an endpoint like "tcp://host:port" or "ipc://path", got ${quote(text)}`)
  }
  const transport = text.slice(0, sep)
  const rest = text.slice(sep + 3)
  if (transport === "tcp") return parseTcp(rest, text, usage)
  if (transport === "ipc") return parseIpc(rest, text, usage)
  if (transport === "inproc") {
    // h4-proxy: inproc endpoints are parsed by parseSocketEndpoint (sockets only, no transport).
    throw endpointArgumentError("range", `expected transport "tcp" or "ipc" here, got "inproc" (inproc:// is for sockets)`, "EPROTONOSUPPORT")
  }
  const hint = TRANSPORTS_WE_LACK.includes(transport) ? " (Ironhouse implements tcp://, ipc:// and inproc:// only)" : ""
  throw endpointArgumentError("range", `expected transport "tcp" or "ipc", got ${quote(transport)}${hint}`, "EPROTONOSUPPORT")
}

function parseTcp(whole: string, text: string, usage: "bind" | "connect"): TcpEndpoint {
  let rest = whole
  let source: TcpSource | undefined
  const semicolon = whole.indexOf(";")
  if (semicolon >= 0) {
    if (usage === "bind") {
      throw endpointArgumentError("range", `a source address ("tcp://source;destination") applies to connect() only, got ${quote(text)} for bind()`)
    }
    rest = whole.slice(semicolon + 1)
    if (rest.includes(";")) throw endpointArgumentError("range", `expected one ";" between source and destination, got ${quote(text)}`)
    source = parseTcpSource(whole.slice(0, semicolon), text)
  }
  const colon = rest.lastIndexOf(":")
  if (colon < 0) throw endpointArgumentError("range", `expected "tcp://host:port", got ${quote(text)} (no port)`)
  let host = rest.slice(0, colon)
  const portText = rest.slice(colon + 1)
  if (host.startsWith("[")) {
    if (!host.endsWith("]")) throw endpointArgumentError("range", `expected "]" to close the IPv6 address in ${quote(text)}`)
    host = host.slice(1, -1)
  }
  if (host === "") throw endpointArgumentError("range", `expected a host in ${quote(text)}`)
  if (/[\s/]/.test(host)) throw endpointArgumentError("range", `expected a host name or IP address, got ${quote(host)}`)
  let port: number
  if (portText === "*") {
    port = 0
  } else if (/^[0-9]{1,5}$/.test(portText) && Number(portText) <= 65535) {
    port = Number(portText)
  } else {
    throw endpointArgumentError("range", `expected a port 0-65535 or "*", got ${quote(portText)} in ${quote(text)}`)
  }
  if (usage === "connect") {
    if (port === 0) throw endpointArgumentError("range", `expected a port 1-65535 to connect to, got ${quote(portText)}`)
    if (host === "*") throw endpointArgumentError("range", `expected a host to connect to, got "*"`)
  }
  const endpoint: TcpEndpoint = { transport: "tcp", host: host === "*" ? "" : host, port }
  if (source === undefined) return endpoint
  const sourceFamily = isIP(source.host)
  const destinationFamily = isIP(host)
  if (sourceFamily !== 0 && destinationFamily !== 0 && sourceFamily !== destinationFamily) {
    throw endpointArgumentError(
      "range",
      `expected source and destination of one address family, got IPv${sourceFamily} ${quote(source.host)} and IPv${destinationFamily} ${quote(host)} in ${quote(text)}`,
    )
  }
  return { ...endpoint, source }
}

/**
 * `SOURCE` of `tcp://SOURCE;DEST`: `host:port`, `[ipv6]:port`, `host` or `[ipv6]` (any port),
 * with host an IP address, an interface name or `*`. libzmq resolves it without DNS
 * (tcp_address.cpp: `allow_dns (false)`, `allow_nic_name (true)`); so do we (./tcp.ts).
 */
function parseTcpSource(text: string, whole: string): TcpSource {
  if (text === "") throw endpointArgumentError("range", `expected a source address before ";" in ${quote(whole)}`)
  let host = text
  let portText: string | undefined
  if (text.startsWith("[")) {
    const close = text.indexOf("]")
    if (close < 0) throw endpointArgumentError("range", `expected "]" to close the IPv6 source address in ${quote(whole)}`)
    host = text.slice(1, close)
    const after = text.slice(close + 1)
    if (after !== "") {
      if (!after.startsWith(":")) throw endpointArgumentError("range", `expected ":port" after the IPv6 source address in ${quote(whole)}`)
      portText = after.slice(1)
    }
  } else if (isIP(text) === 0) {
    // Not a bare address (an unbracketed IPv6 source has no port): split off ":port".
    const colon = text.lastIndexOf(":")
    if (colon >= 0) {
      host = text.slice(0, colon)
      portText = text.slice(colon + 1)
    }
  }
  if (host === "") throw endpointArgumentError("range", `expected a source host (an IP address, an interface name or "*") in ${quote(whole)}`)
  if (host !== "*" && isIP(host) === 0 && !INTERFACE_NAME.test(host)) {
    throw endpointArgumentError(
      "range",
      `expected the source to be an IP address, an interface name or "*" (no DNS names, as libzmq), got ${quote(host)} in ${quote(whole)}`,
    )
  }
  if (host !== "*" && isIP(host) === 0 && networkInterfaces()[host] === undefined) {
    const names = Object.keys(networkInterfaces()).join(", ")
    throw endpointArgumentError(
      "range",
      `expected the source to be an IP address, "*" or a network interface of this host (${names}), got ${quote(host)} in ${quote(whole)}`,
    )
  }
  let port = 0
  if (portText !== undefined && portText !== "*") {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
      throw endpointArgumentError("range", `expected a source port 0-65535 or "*", got ${quote(portText)} in ${quote(whole)}`)
    }
    port = Number(portText)
  }
  return { host: host === "*" ? "" : host, port }
}

/**
 * What a Linux interface name can be (IFNAMSIZ is 16 with the NUL; no "/" or white space):
 * used to refuse DNS names as sources early; whether the interface exists is checked on use.
 */
const INTERFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,14}$/

function parseIpc(rest: string, text: string, usage: "bind" | "connect"): IpcEndpoint {
  if (rest === "") throw endpointArgumentError("range", `expected a path after "ipc://", got ${quote(text)}`)
  if (rest === "*") {
    if (usage === "connect") throw endpointArgumentError("range", `expected a path to connect to, got "ipc://*"`)
    return { transport: "ipc", path: "" }
  }
  if (rest.includes("\0")) throw endpointArgumentError("range", "expected an ipc path without NUL characters")
  if (rest.startsWith("@")) {
    // Linux abstract names ("ipc://@name" in libzmq) are refused: node:net (libuv) binds and
    // connects them padded with NULs to the full 108-octet sun_path, while libzmq and most
    // programs use the exact length, so neither side could reach the other. A file path works.
    throw endpointArgumentError(
      "range",
      `abstract ipc endpoints ("ipc://@name") are not supported: node:net pads abstract names, so libzmq peers could not reach them; use a path such as "ipc:///tmp/name.sock"`,
    )
  }
  const path = rest
  const bytes = Buffer.byteLength(path)
  if (bytes > IPC_PATH_MAX) {
    throw endpointArgumentError("range", `expected an ipc path of at most ${IPC_PATH_MAX} octets, got ${bytes}`)
  }
  return { transport: "ipc", path }
}

// ---- h4-proxy: inproc:// (zmq_inproc(7)) ----------------------------------------------------

export interface InprocEndpoint {
  readonly transport: "inproc"
  /** The name after "inproc://" (any non-empty string, as in libzmq). */
  readonly name: string
}

/** Longest inproc name accepted (libzmq has no limit; this keeps error messages and maps sane). */
export const INPROC_NAME_MAX = 1024

/**
 * Parse an endpoint given to a socket's bind()/connect(): `inproc://name`, or whatever
 * parseEndpoint accepts. Same errors as parseEndpoint.
 */
export function parseSocketEndpoint(text: unknown, usage: "bind" | "connect"): Endpoint | InprocEndpoint {
  // Issue 13: a client that connects to one endpoint again and again (a new socket per
  // request) parses it once. Endpoints are not secrets; only successful parses are kept,
  // frozen (shared), and the cache is bounded: dropped whole when full.
  const cache = usage === "connect" ? parsedConnects : parsedBinds
  if (typeof text === "string") {
    const known = cache.get(text)
    if (known !== undefined) return known
  }
  const endpoint = parseSocketEndpointText(text, usage)
  if (cache.size >= PARSED_ENDPOINTS_MAX) cache.clear()
  cache.set(text as string, freezeEndpoint(endpoint))
  return endpoint
}

/** Endpoints kept parsed per usage (see parseSocketEndpoint). */
const PARSED_ENDPOINTS_MAX = 256
const parsedConnects = new Map<string, Endpoint | InprocEndpoint>()
const parsedBinds = new Map<string, Endpoint | InprocEndpoint>()

function freezeEndpoint(endpoint: Endpoint | InprocEndpoint): Endpoint | InprocEndpoint {
  if (endpoint.transport === "tcp" && endpoint.source !== undefined) Object.freeze(endpoint.source)
  return Object.freeze(endpoint)
}

function parseSocketEndpointText(text: unknown, usage: "bind" | "connect"): Endpoint | InprocEndpoint {
  if (typeof text === "string" && text.startsWith("inproc://")) {
    const name = text.slice("inproc://".length)
    if (name === "") throw endpointArgumentError("range", `expected a name after "inproc://", got ${quote(text)}`)
    if (name.length > INPROC_NAME_MAX) {
      throw endpointArgumentError("range", `expected an inproc name of at most ${INPROC_NAME_MAX} characters, got ${name.length}`)
    }
    return { transport: "inproc", name }
  }
  return parseEndpoint(text, usage)
}

/** `tcp://host:port`, with IPv6 addresses in brackets. */
export function formatTcpEndpoint(host: string, port: number): string {
  return host.includes(":") ? `tcp://[${host}]:${port}` : `tcp://${host}:${port}`
}

export function formatIpcEndpoint(path: string): string {
  return `ipc://${path}`
}

/** Quote a piece of an endpoint for an error message (endpoints are not secrets; keep it short). */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s)
}
