/** The transports, chosen by endpoint. */
import type { Endpoint } from "./endpoint.js"
import { listenIpc } from "./ipc.js"
import type { Listener, ListenOptions, OnConnection } from "./listener.js"
import { listenTcp } from "./tcp.js"

export { parseEndpoint, formatTcpEndpoint, formatIpcEndpoint, type Endpoint } from "./endpoint.js"
export type { Listener, ListenOptions, OnConnection } from "./listener.js"
export { Dialer, type DialerEvent, type DialerHandlers, type DialerOptions } from "./dialer.js"
export { Backoff } from "./backoff.js"

/** Bind `endpoint`; rejects with node's error (with its errno `code`) when that fails. */
export function listen(endpoint: Endpoint, options: ListenOptions, onConnection: OnConnection): Promise<Listener> {
  return endpoint.transport === "tcp" ? listenTcp(endpoint, options, onConnection) : listenIpc(endpoint, options, onConnection)
}
