/**
 * The typed face of the socket options (see options.ts for meaning, defaults and checks):
 * constructor option objects and the properties each socket class has, with `zeromq`'s names.
 * Keys read back as Z85 strings and may be set as Z85 strings or 32-octet buffers.
 */
import type { Authenticate } from "../mechanism/mechanism.js"
import type { Context } from "./context.js"

/** Options every socket accepts in its constructor. */
export interface SocketOptions {
  /** The context (default: the global `context`). */
  context?: Context
  /** ZMQ_LINGER (default -1): ms close() keeps delivering queued messages; 0 discards them. */
  linger?: number
  /** ZMQ_RECONNECT_IVL (default 100): ms before reconnecting; -1 never. */
  reconnectInterval?: number
  /** ZMQ_RECONNECT_IVL_MAX (default 0): doubling back-off up to this many ms; 0 none. */
  reconnectMaxInterval?: number
  /** ZMQ_CONNECT_TIMEOUT (default 0 = OS default): ms for one TCP connect. */
  connectTimeout?: number
  /** ZMQ_HANDSHAKE_IVL (default 30 000): ms for the greeting and security handshake; 0 no limit. */
  handshakeInterval?: number
  /** ZMQ_HEARTBEAT_IVL (default 0 = off): ms between PINGs. */
  heartbeatInterval?: number
  /** ZMQ_HEARTBEAT_TTL (default 0): ms the peer should wait for our traffic. */
  heartbeatTimeToLive?: number
  /** ZMQ_HEARTBEAT_TIMEOUT (default -1 = heartbeatInterval): ms without traffic after a PING. */
  heartbeatTimeout?: number
  /** ZMQ_MAXMSGSIZE (default 64 MiB here, unlimited in libzmq): largest inbound message; -1 no limit. */
  maxMessageSize?: number
  /** ZMQ_IMMEDIATE (default false): queue messages only on connections that completed their handshake. */
  immediate?: boolean
  /** ZMQ_IPV6 (default false): `tcp://*` binds IPv6 and IPv4. */
  ipv6?: boolean
  /** ZMQ_BACKLOG (default 100). */
  backlog?: number
  /** ZMQ_PLAIN_SERVER: act as PLAIN server (needs an authenticate hook to accept anyone). */
  plainServer?: boolean
  /** ZMQ_PLAIN_USERNAME: act as PLAIN client with this user name. */
  plainUsername?: string | null
  /** ZMQ_PLAIN_PASSWORD */
  plainPassword?: string | null
  /** ZMQ_CURVE_SERVER: act as CURVE server (needs curveSecretKey). */
  curveServer?: boolean
  /** ZMQ_CURVE_PUBLICKEY: our long-term public key (derived from the secret key when absent). */
  curvePublicKey?: string | Uint8Array | null
  /** ZMQ_CURVE_SECRETKEY: our long-term secret key. */
  curveSecretKey?: string | Uint8Array | null
  /** ZMQ_CURVE_SERVERKEY: the server's public key; makes this socket a CURVE client. */
  curveServerKey?: string | Uint8Array | null
  /** ZMQ_ZAP_DOMAIN */
  zapDomain?: string | null
  /** ZMQ_ZAP_ENFORCE_DOMAIN: refuse clients when no authenticate hook exists. */
  zapEnforceDomain?: boolean
  /** Ironhouse: authenticate clients of this socket (default: the context's zapHandler). */
  authenticate?: Authenticate | undefined
  /**
   * Ironhouse (default 4096): accepted connections allowed in their handshake at once; at the
   * limit a newcomer sheds the oldest of the most represented source address (never refused).
   */
  maxPendingHandshakes?: number
  /** Ironhouse (default 5000): ms an accepted connection has to send its greeting; 0: handshakeInterval only. */
  greetingTimeout?: number
  /** Ironhouse (default false): remember each received message's peer for peerOf(). */
  trackPeers?: boolean
  // ---- transport (tcp) options ----
  /** ZMQ_TCP_KEEPALIVE (default -1 = OS default): SO_KEEPALIVE on tcp connections; 0 off, 1 on. */
  tcpKeepalive?: number
  /** ZMQ_TCP_KEEPALIVE_IDLE (default -1 = OS default): seconds idle before the first probe (with tcpKeepalive 1). */
  tcpKeepaliveIdle?: number
  /** ZMQ_TCP_KEEPALIVE_CNT: only -1 (OS default); Node has no API for TCP_KEEPCNT (RangeError otherwise). */
  tcpKeepaliveCount?: number
  /** ZMQ_TCP_KEEPALIVE_INTVL: only -1 (OS default); Node has no API for TCP_KEEPINTVL (RangeError otherwise). */
  tcpKeepaliveInterval?: number
  /** ZMQ_TOS: only 0 (OS default); Node has no API for IP_TOS (RangeError otherwise). */
  typeOfService?: number
  /** ZMQ_BINDTODEVICE: only null; Node cannot set SO_BINDTODEVICE (use `tcp://eth0:0;host:port`). */
  interface?: string | null
}

export interface WritableSocketOptions {
  /** ZMQ_SNDHWM (default 1000): messages queued per peer; 0 no limit. */
  sendHighWaterMark?: number
  /** ZMQ_SNDTIMEO (default -1): ms send() may wait; 0 fail at once (EAGAIN). */
  sendTimeout?: number
}

export interface ReadableSocketOptions {
  /** ZMQ_RCVHWM (default 1000): messages queued per peer before reading from it pauses; 0 no limit. */
  receiveHighWaterMark?: number
  /** ZMQ_RCVTIMEO (default -1): ms receive() may wait; 0 fail at once (EAGAIN). */
  receiveTimeout?: number
}

export interface RoutingIdSocketOptions {
  /** ZMQ_ROUTING_ID: our identity towards a ROUTER (1-255 octets). */
  routingId?: string | Uint8Array | null
}

export interface ProbeRouterSocketOptions {
  /** ZMQ_PROBE_ROUTER: send an empty message to each new peer. */
  probeRouter?: boolean
}

/** The option properties every socket has. */
export interface SocketOptionProperties {
  linger: number
  reconnectInterval: number
  reconnectMaxInterval: number
  connectTimeout: number
  handshakeInterval: number
  heartbeatInterval: number
  heartbeatTimeToLive: number
  heartbeatTimeout: number
  maxMessageSize: number
  immediate: boolean
  ipv6: boolean
  backlog: number
  plainServer: boolean
  plainUsername: string | null
  plainPassword: string | null
  curveServer: boolean
  get curvePublicKey(): string | null
  set curvePublicKey(value: string | Uint8Array | null)
  get curveSecretKey(): string | null
  set curveSecretKey(value: string | Uint8Array | null)
  get curveServerKey(): string | null
  set curveServerKey(value: string | Uint8Array | null)
  zapDomain: string | null
  zapEnforceDomain: boolean
  authenticate: Authenticate | undefined
  maxPendingHandshakes: number
  greetingTimeout: number
  trackPeers: boolean
  tcpKeepalive: number
  tcpKeepaliveIdle: number
  tcpKeepaliveCount: number
  tcpKeepaliveInterval: number
  typeOfService: number
  interface: string | null
}

export interface WritableOptionProperties {
  sendHighWaterMark: number
  sendTimeout: number
}

export interface ReadableOptionProperties {
  receiveHighWaterMark: number
  receiveTimeout: number
}

export interface RoutingIdOptionProperties {
  get routingId(): string | null
  set routingId(value: string | Uint8Array | null)
}

export interface ProbeRouterOptionProperties {
  probeRouter: boolean
}

/** PUSH, PULL, DEALER (PUB and SUB declare it with their own options). */
export interface ConflateSocketOptions {
  /**
   * ZMQ_CONFLATE (default false): keep only the newest message waiting per peer and direction
   * (the high-water marks then do not apply); send() refuses multi-frame messages (RangeError).
   */
  conflate?: boolean
}

export interface ConflateOptionProperties {
  conflate: boolean
}
