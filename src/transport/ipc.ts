/**
 * ipc:// (zmq_ipc(7)) over Unix domain sockets. One of the two files (with tcp.ts) that touch
 * node:net besides stream-connection.ts.
 *
 * Stale socket files: a process that died leaves its socket file behind, and binding the path
 * again fails with EADDRINUSE. libzmq unlinks whatever is at the path before binding, which
 * silently steals the endpoint from a live process. We unlink only a file that IS a socket and
 * that nobody accepts connections on (connecting to it is refused); when a process still
 * listens, or the path is not a socket, bind() fails with EADDRINUSE.
 */
import net from "node:net"
import { lstat, mkdtemp, rm, unlink } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { formatIpcEndpoint, type IpcEndpoint } from "./endpoint.js"
import type { Listener, ListenOptions, OnConnection } from "./listener.js"

export async function listenIpc(endpoint: IpcEndpoint, options: ListenOptions, onConnection: OnConnection): Promise<Listener> {
  let target = endpoint
  let tempDir: string | undefined
  if (endpoint.path === "") {
    // ipc://* : a fresh path in a new private directory, like libzmq's tmpXXXXXX/socket.
    tempDir = await mkdtemp(join(tmpdir(), "ironhouse-"))
    target = { transport: "ipc", path: join(tempDir, "socket") }
  }
  const server = net.createServer({ pauseOnConnect: false }, (socket) => onConnection(socket, ""))
  try {
    await listenOnce(server, target, options)
  } catch (err) {
    if (!isCode(err, "EADDRINUSE") || !(await isStaleSocketFile(target.path))) {
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true })
      throw err
    }
    await unlink(target.path).catch(() => {})
    await listenOnce(server, target, options)
  }
  server.on("error", (err: Error) => options.onAcceptError?.(err))
  // Never keeps the process alive by itself: the socket layer refs while it has work.
  server.unref()
  return {
    endpoint: formatIpcEndpoint(target.path),
    close: async () => {
      // Stops listening and removes the socket file at once (libuv unlinks it when closing the
      // handle); accepted connections are the socket layer's, so do not wait for them.
      server.close()
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true })
    },
  }
}

export function dialIpc(endpoint: IpcEndpoint): net.Socket {
  return net.connect({ path: endpoint.path })
}

function listenOnce(server: net.Server, endpoint: IpcEndpoint, options: ListenOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen({ path: endpoint.path, backlog: options.backlog }, () => {
      server.off("error", reject)
      resolve()
    })
  })
}

/** True when `path` is a socket file that nobody accepts connections on. */
async function isStaleSocketFile(path: string): Promise<boolean> {
  try {
    if (!(await lstat(path)).isSocket()) return false
  } catch {
    return false
  }
  return new Promise<boolean>((resolve) => {
    const probe = net.connect({ path })
    probe.once("connect", () => {
      probe.destroy()
      resolve(false)
    })
    probe.once("error", (err) => {
      probe.destroy()
      resolve(isCode(err, "ECONNREFUSED"))
    })
  })
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code
}
