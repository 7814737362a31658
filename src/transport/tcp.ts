/**
 * tcp:// (zmq_tcp(7)) over node:net: listen on an address (ephemeral port resolved for
 * lastEndpoint) and open outgoing connections. One of the two files (with ipc.ts) that touch
 * node:net besides stream-connection.ts.
 */
import net from "node:net"
import { formatTcpEndpoint, type TcpEndpoint } from "./endpoint.js"
import type { Listener, ListenOptions, OnConnection } from "./listener.js"

/** Bind `endpoint`; rejects with node's error (its `code`, e.g. EADDRINUSE) when that fails. */
export async function listenTcp(endpoint: TcpEndpoint, options: ListenOptions, onConnection: OnConnection): Promise<Listener> {
  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
    onConnection(socket, socket.remoteAddress ?? "")
  })
  const host = endpoint.host !== "" ? endpoint.host : options.ipv6 ? "::" : "0.0.0.0"
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

/** Start an outgoing connection; the caller listens for "connect" / "error" / "close". */
export function dialTcp(endpoint: TcpEndpoint): net.Socket {
  return net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
}
