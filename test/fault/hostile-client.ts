/**
 * A hostile peer that completes a real handshake (NULL, PLAIN or CURVE, our engine as the
 * client) over a raw TCP socket and then does what the test says: floods messages, frames,
 * subscriptions, CANCELs or PINGs, or stops reading while the server writes (issue 14 item 3).
 * Its own writes wait for 'drain', so what it holds is bounded and the test measures the server.
 */
import net from "node:net"
import { Connection } from "../../src/engine/connection.js"
import type { SecurityOptions } from "../../src/mechanism/index.js"
import { encodeCommand } from "../../src/wire/command.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { z85Decode } from "../../src/wire/z85.js"
import type { SocketTypeName } from "../../src/wire/constants.js"

export type HostileSecurity =
  | { mechanism: "NULL" }
  | { mechanism: "PLAIN"; username: string; password: string }
  | { mechanism: "CURVE"; serverKey: string; publicKey: string; secretKey: string }

export class HostileClient {
  readonly socket: net.Socket
  readonly engine: Connection
  closed = false
  /** Messages received (while reading). */
  readonly messages: Uint8Array[][] = []
  #handshake: Promise<void>
  #reading = true

  private constructor(socket: net.Socket, engine: Connection) {
    this.socket = socket
    this.engine = engine
    socket.on("error", () => {})
    socket.on("close", () => (this.closed = true))
    this.#handshake = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        for (const e of engine.takeEvents()) {
          if (e.type === "handshake") resolve()
          else if (e.type === "error") reject(new Error(`handshake failed: ${e.error.code}`))
          else if (e.type === "message") this.messages.push(e.frames)
        }
      }
      socket.on("data", (chunk: Buffer) => {
        if (!this.#reading) return
        engine.receiveData(chunk)
        this.#flushNow()
        check()
      })
      socket.once("close", () => reject(new Error("closed during the handshake")))
    })
    this.#flushNow()
  }

  static async connect(port: number, socketType: SocketTypeName, security: HostileSecurity, routingId?: string): Promise<HostileClient> {
    const socket = net.connect({ host: "127.0.0.1", port })
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve)
      socket.once("error", reject)
    })
    socket.setNoDelay(true)
    let sec: SecurityOptions
    switch (security.mechanism) {
      case "NULL":
        sec = { mechanism: "NULL", asServer: false }
        break
      case "PLAIN":
        sec = { mechanism: "PLAIN", asServer: false, plainUsername: security.username, plainPassword: security.password }
        break
      case "CURVE":
        sec = {
          mechanism: "CURVE",
          asServer: false,
          curveServerKey: z85Decode(security.serverKey),
          curvePublicKey: z85Decode(security.publicKey),
          curveSecretKey: z85Decode(security.secretKey),
        }
    }
    const engine = new Connection({
      socketType,
      security: sec,
      ...(routingId !== undefined ? { routingId: new TextEncoder().encode(routingId) } : {}),
    })
    const client = new HostileClient(socket, engine)
    await client.#handshake
    return client
  }

  #flushNow(): boolean {
    let ok = true
    for (const chunk of this.engine.takeOutput()) ok = this.socket.write(chunk)
    return ok
  }

  /** Write what the engine holds; wait while the kernel is full (false: the server closed us). */
  async flush(): Promise<boolean> {
    if (this.closed) return false
    if (this.#flushNow()) return true
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        this.socket.off("drain", onDrain)
        this.socket.off("close", onClose)
        resolve(ok)
      }
      const onDrain = (): void => done(true)
      const onClose = (): void => done(false)
      this.socket.once("drain", onDrain)
      this.socket.once("close", onClose)
    })
  }

  /** Stop reading what the server sends (its writes back up into its own buffers). */
  stopReading(): void {
    this.#reading = false
    this.socket.pause()
  }

  /** NULL only: a raw command frame after the handshake (a PING, an unknown command...). */
  rawCommand(name: string, data: Uint8Array): boolean {
    return this.socket.write(encodeFrame({ more: false, command: true, body: encodeCommand(name, data) }))
  }

  /** Whether the server closed us (polled until `timeoutMs`). */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    return this.closed
  }

  destroy(): void {
    this.engine.close()
    this.socket.destroy()
  }
}
