/**
 * Endpoint strings (zmq_tcp(7), zmq_ipc(7)): `tcp://host:port` and `ipc://path`.
 *
 *   tcp://127.0.0.1:5555   tcp://[::1]:5555   tcp://localhost:5555
 *   tcp://*:5555           (bind: every IPv4 interface, or every interface with ipv6)
 *   tcp://127.0.0.1:*      tcp://127.0.0.1:0  (bind: an ephemeral port; lastEndpoint tells which)
 *   ipc:///tmp/feed.sock   ipc://relative.sock
 *   ipc://@name            refused: see parseIpc
 *   ipc://*                (bind: a fresh socket file in a new temporary directory)
 *   inproc://name          (sockets of one context; parseSocketEndpoint)
 *
 * Malformed endpoints are bad arguments: TypeError / RangeError with `code` EINVAL (or
 * EPROTONOSUPPORT for a transport we do not implement), like `zeromq`'s codes.
 */

/**
 * A bad-argument error (TypeError or RangeError, per ../errors.ts) that also carries the
 * `code` `zeromq` uses for a malformed endpoint (EINVAL) or an unknown transport
 * (EPROTONOSUPPORT).
 */
export function endpointArgumentError(
  kind: "type" | "range",
  message: string,
  code: "EINVAL" | "EPROTONOSUPPORT" = "EINVAL",
): (TypeError | RangeError) & { code: string } {
  const err = kind === "type" ? new TypeError(message) : new RangeError(message)
  return Object.assign(err, { code })
}

export interface TcpEndpoint {
  readonly transport: "tcp"
  /** Host name or IP address, without brackets; "" for the `*` wildcard. */
  readonly host: string
  /** 0 for an ephemeral port (`*` or `0`, bind only). */
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

function parseTcp(rest: string, text: string, usage: "bind" | "connect"): TcpEndpoint {
  if (rest.includes(";")) {
    throw endpointArgumentError("range", `source addresses ("tcp://source;destination") are not supported, got ${quote(text)}`)
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
  return { transport: "tcp", host: host === "*" ? "" : host, port }
}

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
