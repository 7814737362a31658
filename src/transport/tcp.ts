/**
 * tcp:// (zmq_tcp(7)) over node:net: listen on an address (ephemeral port resolved for
 * lastEndpoint) and open outgoing connections. One of the two files (with ipc.ts) that touch
 * node:net besides stream-connection.ts.
 *
 * Addresses as libzmq resolves them (tcp_address.cpp, ip_resolver.cpp):
 * - bind: an IP address, `*`, a network interface name (its address, from
 *   os.networkInterfaces(); IPv4, or IPv6 first with the ipv6 option), else a host name.
 * - connect: an IP address or a DNS name (node's lookup); `SOURCE;DEST` binds the connecting
 *   socket to SOURCE first (an IP address, an interface name or `*`, and a port or any).
 * - the peer's address is read here once and reported with IPv4-mapped IPv6 unmapped
 *   (./peer-address.ts), for Peer-Address, ZAP and events alike.
 *
 * TCP keep-alive (ZMQ_TCP_KEEPALIVE, ZMQ_TCP_KEEPALIVE_IDLE) is applied to every connection,
 * accepted or dialled, as libzmq's tune_tcp_keepalives does.
 */
import net from "node:net"
import { networkInterfaces } from "node:os"
import { formatTcpEndpoint, type TcpEndpoint, type TcpSource } from "./endpoint.js"
import type { Listener, ListenOptions, OnConnection } from "./listener.js"
import { unmapIPv4 } from "./peer-address.js"

/** Keep-alive settings with libzmq's meaning (zmq_setsockopt(3)). */
export interface TcpKeepaliveOptions {
  /** ZMQ_TCP_KEEPALIVE: -1 leave the OS default, 0 off, 1 on. */
  keepalive: number
  /** ZMQ_TCP_KEEPALIVE_IDLE: seconds idle before the first probe; -1 (or 0) the OS default. */
  keepaliveIdle: number
}

export const DEFAULT_KEEPALIVE: TcpKeepaliveOptions = { keepalive: -1, keepaliveIdle: -1 }

/**
 * Set SO_KEEPALIVE / TCP_KEEPIDLE as libzmq does: nothing when keepalive is -1; the idle time
 * only when keepalive is on. Node's setKeepAlive(enable, initialDelay) takes ms (0 leaves
 * TCP_KEEPIDLE as it is); call it on a connected socket (see dialTcp).
 */
export function applyKeepalive(socket: net.Socket, options: TcpKeepaliveOptions): void {
  if (options.keepalive < 0) return
  if (options.keepalive === 0) {
    socket.setKeepAlive(false)
    return
  }
  socket.setKeepAlive(true, options.keepaliveIdle > 0 ? options.keepaliveIdle * 1000 : 0)
}

/** An error with an errno-style `code` for an address we cannot use here. */
function addressError(code: "ENODEV", message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code })
}

/**
 * The address of network interface `name` in the first family of `families` it has one of;
 * undefined when there is no such interface, null when it has no address of those families. Link-local IPv6 addresses come last (they need a
 * scope) and carry it (`fe80::1%eth0`).
 */
export function interfaceAddress(name: string, families: readonly (4 | 6)[]): string | undefined | null {
  const entries = networkInterfaces()[name]
  if (entries === undefined) return undefined
  for (const family of families) {
    const candidates = entries.filter((e) => (family === 4 ? e.family === "IPv4" : e.family === "IPv6"))
    candidates.sort((a, b) => Number(isLinkLocal(a.address)) - Number(isLinkLocal(b.address)))
    const first = candidates[0]
    if (first !== undefined) return isLinkLocal(first.address) ? `${first.address}%${name}` : first.address
  }
  return null
}

function isLinkLocal(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address)
}

/** The host to listen on: interface names become their address (throws ENODEV if it has none). */
function bindHost(endpoint: TcpEndpoint, ipv6: boolean): string {
  if (endpoint.host === "") return ipv6 ? "::" : "0.0.0.0"
  if (net.isIP(endpoint.host) !== 0) return endpoint.host
  const address = interfaceAddress(endpoint.host, ipv6 ? [6, 4] : [4])
  if (address === null) {
    throw addressError(
      "ENODEV",
      `network interface ${JSON.stringify(endpoint.host)} has no ${ipv6 ? "IP" : "IPv4"} address${ipv6 ? "" : " (set ipv6 to bind its IPv6 address)"}`,
    )
  }
  // Not an interface: a host name for node to resolve.
  return address ?? endpoint.host
}

/** Bind `endpoint`; rejects with node's error (its `code`, e.g. EADDRINUSE) when that fails. */
export async function listenTcp(endpoint: TcpEndpoint, options: ListenOptions, onConnection: OnConnection): Promise<Listener> {
  const keepalive = options.keepalive ?? DEFAULT_KEEPALIVE
  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    applyKeepalive(socket, keepalive)
    onConnection(socket, unmapIPv4(socket.remoteAddress ?? ""))
  })
  const host = bindHost(endpoint, options.ipv6)
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host, port: endpoint.port, backlog: options.backlog, ipv6Only: false }, () => {
      server.off("error", reject)
      resolve()
    })
  })
  // A listening server reports later errors (EMFILE on accept, ...) here; accepted sockets
  // have their own handlers. Never let one crash the process.
  server.on("error", (err: Error) => options.onAcceptError?.(err))
  // Never keeps the process alive by itself: the socket layer refs while it has work.
  server.unref()
  const address = server.address()
  const bound = address !== null && typeof address === "object" ? address : { address: host, port: endpoint.port }
  return {
    endpoint: formatTcpEndpoint(bound.address, bound.port),
    close: () => {
      // Stops listening at once (the port is free on return); connections accepted earlier
      // are the socket layer's to close, so do not wait for them as server.close(cb) would.
      server.close()
      return Promise.resolve()
    },
  }
}

export interface DialTcpOptions {
  /** Prefer IPv6 for an interface-name source when the destination is a host name (ZMQ_IPV6). */
  ipv6?: boolean
  keepalive?: TcpKeepaliveOptions
}

/**
 * The local address to connect from, for a destination `host`: an IP source as given, an
 * interface name as its address in the destination's family. Throws ENODEV when the
 * interface is gone or has no address of that family (the dialer reports it and retries).
 */
function sourceAddress(source: TcpSource, host: string, ipv6: boolean): string | undefined {
  const destination = net.isIP(host)
  // "*" means every address (node binds the wildcard of the destination's family for a localPort).
  if (source.host === "") return undefined
  if (net.isIP(source.host) !== 0) return source.host
  const families: (4 | 6)[] = destination === 4 ? [4] : destination === 6 ? [6] : ipv6 ? [6, 4] : [4, 6]
  const address = interfaceAddress(source.host, families)
  if (address === undefined) throw addressError("ENODEV", `source interface ${JSON.stringify(source.host)} does not exist`)
  if (address === null) {
    throw addressError("ENODEV", `source interface ${JSON.stringify(source.host)} has no IPv${families.join("/IPv")} address to connect to ${host}`)
  }
  return address
}

/**
 * Start an outgoing connection; the caller listens for "connect" / "error" / "close". Throws
 * (code ENODEV) when the source interface cannot be used now.
 */
export function dialTcp(endpoint: TcpEndpoint, options: DialTcpOptions = {}): net.Socket {
  const connectOptions: net.TcpNetConnectOpts = { host: endpoint.host, port: endpoint.port, noDelay: true }
  if (endpoint.source !== undefined) {
    const localAddress = sourceAddress(endpoint.source, endpoint.host, options.ipv6 === true)
    if (localAddress !== undefined) {
      connectOptions.localAddress = localAddress
      // A host name resolves to the source's family (an IPv4 source cannot reach ::1).
      connectOptions.family = net.isIP(localAddress.replace(/%.*$/, ""))
    }
    if (endpoint.source.port !== 0) connectOptions.localPort = endpoint.source.port
  }
  const socket = net.connect(connectOptions)
  // After the connect: before it, libuv has no descriptor yet and later applies keep-alive
  // with its own 60 s idle instead of ours (libuv maybe_new_socket).
  const keepalive = options.keepalive ?? DEFAULT_KEEPALIVE
  if (keepalive.keepalive >= 0) socket.once("connect", () => applyKeepalive(socket, keepalive))
  return socket
}

/** The peer address of a connected socket, as reported everywhere (IPv4 unmapped). */
export function tcpPeerAddress(socket: net.Socket): string {
  return unmapIPv4(socket.remoteAddress ?? "")
}

/**
 * The peer address of a socket dialled to `endpoint`. An IPv4 literal (net.isIPv4 takes only
 * the canonical dotted form, no leading zeros) is the address the socket reached, spelt as the
 * kernel would report it, so no getpeername() is needed (issue 13: one syscall less per
 * connection); anything else (a host name, IPv6) asks the socket.
 */
export function dialledPeerAddress(socket: net.Socket, endpoint: TcpEndpoint): string {
  return net.isIPv4(endpoint.host) ? endpoint.host : tcpPeerAddress(socket)
}
