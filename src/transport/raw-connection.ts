/**
 * A raw byte-stream connection for the STREAM socket (zmq_socket(3) ZMQ_STREAM): no ZMTP, no
 * greeting, no security — what the peer sends arrives as it comes off the socket, one message
 * per chunk read, and what the socket sends is written as it is.
 *
 * It has the shape a socket Pipe expects of its connection (../socket/pipe.ts PipeConnection):
 * `engine.send(frames)` writes the frames' bytes (an all-empty message ends the connection
 * after what was written before it, as libzmq's STREAM does), `socket` is the node:net socket
 * itself (writableNeedDrain / pause / resume are TCP's own back-pressure). The "handshake"
 * event comes at once (from a microtask), with the peer's address; mechanism "NULL".
 */
import type { Socket } from "node:net"
import type { ConnectionEvent } from "../engine/connection.js"
import type { PeerInfo } from "../engine/peer-info.js"
import type { ProtocolError } from "../errors.js"
import { Property } from "../wire/constants.js"
import type { Metadata } from "../wire/types.js"

export interface RawConnectionHandlers {
  onEvent(event: ConnectionEvent, conn: RawConnection): void
  onClose?(conn: RawConnection, hadError: boolean): void
  onDrain?(conn: RawConnection): void
}

const EMPTY = new Uint8Array(0)
/** How long a closing connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 1000

export class RawConnection {
  readonly socket: Socket
  readonly peer: PeerInfo
  readonly #handlers: RawConnectionHandlers
  #closed = false
  #ending = false

  readonly engine = {
    send: (frames: readonly Uint8Array[]): void => this.#write(frames),
    sendSubscription: (): void => {},
  }

  constructor(socket: Socket, peerAddress: string, handlers: RawConnectionHandlers) {
    this.socket = socket
    this.#handlers = handlers
    const properties: Metadata = new Map()
    properties.set(Property.USER_ID, EMPTY)
    properties.set(Property.PEER_ADDRESS, Buffer.from(peerAddress))
    this.peer = Object.freeze({
      mechanism: "NULL",
      // A raw peer announces nothing; STREAM talks to any TCP peer.
      socketType: "STREAM" as PeerInfo["socketType"],
      routingId: EMPTY,
      userId: "",
      address: peerAddress,
      publicKey: undefined,
      properties,
      zmtpMinor: 0,
    })
    socket.setNoDelay(true)
    socket.on("data", (chunk: Buffer) => {
      if (!this.#closed) this.#handlers.onEvent({ type: "message", frames: [chunk] }, this)
    })
    socket.on("drain", () => this.#handlers.onDrain?.(this))
    socket.on("error", () => {
      /* reported through close(hadError) */
    })
    socket.on("close", (hadError) => {
      if (this.#closed) return
      this.#closed = true
      this.#handlers.onClose?.(this, hadError)
    })
    queueMicrotask(() => {
      if (!this.#closed && !socket.destroyed) this.#handlers.onEvent({ type: "handshake", peer: this.peer }, this)
    })
  }

  #write(frames: readonly Uint8Array[]): void {
    if (this.#ending || this.socket.destroyed) return
    let total = 0
    for (const f of frames) total += f.length
    if (total === 0) {
      this.close() // an empty message ends the connection (after what was written before it)
      return
    }
    if (frames.length === 1) {
      this.socket.write(frames[0] as Uint8Array)
      return
    }
    this.socket.cork()
    for (const f of frames) if (f.length > 0) this.socket.write(f)
    this.socket.uncork()
  }

  /** Nothing buffered here: writes go straight to the socket. */
  flush(): void {}

  /** Flush what was written, then end the connection. */
  close(): void {
    if (this.#ending) return
    this.#ending = true
    this.socket.end()
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref()
  }

  destroy(): void {
    this.#ending = true
    this.socket.destroy()
  }

  /** Octets the node:net socket still holds. */
  get pendingOutput(): number {
    return this.socket.destroyed ? 0 : this.socket.writableLength
  }

  /** End once every octet written is handed to the OS (or the socket closed), then `done`. */
  linger(done: () => void): void {
    if (this.socket.destroyed) {
      done()
      return
    }
    let called = false
    const finish = (): void => {
      if (called) return
      called = true
      done()
    }
    this.socket.once("close", finish)
    this.#ending = true
    this.socket.end(() => {
      finish()
      setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref()
    })
  }

  /** Drop at once for a reason of ours: an `error` event, then the socket is destroyed. */
  abort(error: ProtocolError): void {
    if (this.#closed) return
    this.destroy()
    this.#handlers.onEvent({ type: "error", error, handshake: false }, this)
  }
}
