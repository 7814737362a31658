/**
 * What the layers above the wire (src/e2e/, src/tls/, src/stream-access/) need of a socket: the
 * `zeromq` v6 `send()` / `receive()` shape. Ironhouse's sockets and the `zeromq` package's both
 * fit, and so does anything else that does (a test double, a recording relay).
 */
export interface MessageSocket {
  send(message: Uint8Array[]): Promise<void>
  receive(): Promise<Uint8Array[]>
  close?(): void
}
