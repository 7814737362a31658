/**
 * The one thing src/tls/ needs from a ZeroMQ socket: the `zeromq` v6 send/receive shape.
 * Ironhouse's sockets and the `zeromq` package's both fit; so does anything else that does.
 */
export interface MessageSocket {
  send(message: Uint8Array | Uint8Array[]): Promise<void>
  receive(): Promise<Buffer[]>
}

/** REQ adds and strips the empty delimiter itself; DEALER needs it written and read. */
export type ClientEnvelope = "request" | "dealer"

/**
 * Which kind of client socket this is, from Ironhouse's `socketType` ("REQ", "DEALER") or
 * `zeromq`'s `type` (ZMQ_REQ = 3, ZMQ_DEALER = 5); undefined when neither says.
 */
export function detectEnvelope(socket: object): ClientEnvelope | undefined {
  const named = (socket as { socketType?: unknown }).socketType
  if (named === "REQ") return "request"
  if (named === "DEALER") return "dealer"
  const numbered = (socket as { type?: unknown }).type
  if (numbered === 3) return "request"
  if (numbered === 5) return "dealer"
  return undefined
}
