/**
 * Serve ZAP (RFC 27) for sockets of the native `zeromq` package: bind a ROUTER at
 * `inproc://zeromq.zap.01` in that package's context and answer libzmq's requests with an
 * Ironhouse authenticate hook (e.g. `authenticator.authenticate`). Users of the native binding
 * get the same five patterns, certificate store and audit events as Ironhouse sockets.
 *
 * The `zeromq` module is passed in (it is not a dependency of Ironhouse):
 *
 *     import * as zmq from "zeromq"
 *     const zap = await serveZeromqZap(zmq, authenticator.authenticate)
 *     ...
 *     zap.close()
 */
import type { Authenticate } from "../mechanism/mechanism.js"
import { ZAP_ENDPOINT } from "../wire/constants.js"
import { answerZapRequest } from "./zap-handler.js"
import { unmapIPv4 } from "../transport/peer-address.js"

/** The part of a `zeromq` v6 Router this needs (structural, so no import of the package). */
export interface ZeromqRouterLike {
  bind(endpoint: string): Promise<void>
  send(message: Uint8Array[]): Promise<void>
  close(): void
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array[]>
}

/** The part of the `zeromq` v6 module this needs. */
export interface ZeromqModuleLike<C> {
  Router: new (options: { context: C }) => ZeromqRouterLike
  context: C
}

export interface ZeromqZapServer {
  /** Resolves when the serving loop ended (after close()). */
  readonly done: Promise<void>
  /** Requests that were malformed and dropped (libzmq then times the handshake out). */
  readonly dropped: number
  close(): void
}

/**
 * Bind the ZAP handler in `context` (default: the module's default context). Only one ZAP
 * handler can be bound per context, as in libzmq.
 */
export async function serveZeromqZap<C>(
  zmq: ZeromqModuleLike<C>,
  authenticate: Authenticate,
  options: { context?: C } = {},
): Promise<ZeromqZapServer> {
  const router = new zmq.Router({ context: options.context ?? zmq.context })
  // libzmq releases an inproc name asynchronously after close: retry briefly on EADDRINUSE.
  for (let attempt = 0; ; attempt++) {
    try {
      await router.bind(ZAP_ENDPOINT)
      break
    } catch (err) {
      if ((err as { code?: string }).code !== "EADDRINUSE" || attempt >= 20) {
        router.close()
        throw err
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  // libzmq 4.3.5 reports an IPv4 peer of a dual-stack listener as ::ffff:a.b.c.d; Ironhouse
  // sockets report a.b.c.d (../transport/peer-address.ts): give the hook the same form.
  const unmapped: Authenticate = (request) => authenticate({ ...request, address: unmapIPv4(request.address) })
  let dropped = 0
  const done = (async () => {
    try {
      for await (const request of router) {
        let reply: Uint8Array[]
        try {
          reply = await answerZapRequest(request, unmapped)
        } catch {
          dropped++ // malformed request: nothing to answer (RFC 27 needs a request id)
          continue
        }
        await router.send(reply)
      }
    } catch {
      // the router was closed
    }
  })()
  return {
    done,
    get dropped() {
      return dropped
    },
    close: () => router.close(),
  }
}
