/** What tcp.ts and ipc.ts give the socket layer for a bound endpoint. */
import type { Socket } from "node:net"
import type { TcpKeepaliveOptions } from "./tcp.js"

export interface Listener {
  /** The endpoint actually bound (ephemeral port / temporary path resolved), for lastEndpoint. */
  readonly endpoint: string
  /** Stop accepting (at once: the address is free again) and remove what bind created. */
  close(): Promise<void>
}

export interface ListenOptions {
  /** Pending connection queue length (ZMQ_BACKLOG). */
  backlog: number
  /** tcp://*: bind every IPv6 and IPv4 interface instead of IPv4 only (ZMQ_IPV6). */
  ipv6: boolean
  /** tcp: ZMQ_TCP_KEEPALIVE(_IDLE) for accepted connections (default: the OS's). */
  keepalive?: TcpKeepaliveOptions
  /**
   * An error of the listening socket after bind, typically accept() failing with EMFILE/ENFILE
   * when the process is out of file descriptors (libuv then drops the waiting connections).
   * Never thrown: reported here only.
   */
  onAcceptError?: (error: Error) => void
}

/** Called for every accepted connection, with the peer's address ("" for ipc). */
export type OnConnection = (socket: Socket, peerAddress: string) => void
