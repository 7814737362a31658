/**
 * One TLS session over ZeroMQ messages: Node's TLSSocket (OpenSSL) over a Duplex that
 * carries ZeroMQ payloads in and out, plus the message framing (./framing.ts).
 *
 * It moves bytes only: the owner (./server.ts, ./client.ts) decides where TLS output goes
 * (`output`), and gets plaintext messages (`message`), the handshake result (`secure`) and the
 * one end (`end`, with a reason) through the handlers. Every error of the TLSSocket or the
 * Duplex is caught here and becomes that end: no 'error' event escapes.
 */
import { Duplex } from "node:stream"
import { X509Certificate } from "node:crypto"
import type { PeerCertificate, TLSSocket } from "../crypto/tls.js"
import { FrameDecoder, FramingError, NOOP, encodeMessage, type FrameLimits } from "./framing.js"
import { TlsEndReason } from "./errors.js"
import { settle } from "./quiescence.js"

/** "frames": Ironhouse's framing (multipart kept). "raw": TLSZMQ's (one frame per exchange). */
export type TlsFraming = "frames" | "raw"

/** Who is at the other end of a session, fixed at the end of its handshake. */
export interface TlsPeer {
  /** "TLSv1.3" or "TLSv1.2". */
  readonly protocol: string
  /** OpenSSL's cipher name, e.g. "TLS_AES_256_GCM_SHA384" or "ECDHE-RSA-AES256-GCM-SHA384". */
  readonly cipher: string
  readonly alpnProtocol: string | null
  /** The SNI name the client asked for (server side), or the name checked (client side). */
  readonly servername: string | null
  /** TLS resumption: the handshake reused an earlier session (a ticket). */
  readonly sessionReused: boolean
  /** The peer presented a certificate that verified against the CAs. */
  readonly authorized: boolean
  /** Subject of the peer's certificate (mutual TLS, or the server's on the client). */
  readonly subject: Readonly<Record<string, string>> | null
  /** SHA-256 fingerprint of the peer's certificate, "AA:BB:…", or null without one. */
  readonly fingerprint256: string | null
  /** The peer's certificate in DER, or null. */
  readonly certificateDer: Buffer | null
}

export interface SessionHandlers {
  /** TLS bytes to deliver to the peer. Call `done` when they are accepted (back-pressure). */
  output(chunk: Buffer, done: (error?: Error | null) => void): void
  message(frames: Buffer[]): void
  secure(peer: TlsPeer): void
  end(reason: TlsEndReason, error: Error | undefined): void
}

function subjectOf(cert: PeerCertificate | undefined): Record<string, string> | null {
  if (cert === undefined || cert.subject === undefined) return null
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(cert.subject)) out[k] = Array.isArray(v) ? v.join(", ") : String(v)
  return out
}

/**
 * Did the peer's certificate verify? A client TLSSocket knows (`authorized`). A server-side
 * TLSSocket made with `new TLSSocket(…, { isServer: true })` never sets `authorized`: only
 * tls.Server's connection listener does, by asking the handle for OpenSSL's verify result
 * (Node's _tls_wrap.js onServerSocketSecure). We ask the same handle; without a certificate,
 * or if the handle cannot say, the answer is "not authorized".
 */
export function verifyResult(socket: TLSSocket, isServer: boolean): { authorized: boolean; error: string | null } {
  if (!isServer) {
    return { authorized: socket.authorized, error: socket.authorizationError === undefined ? null : String(socket.authorizationError) }
  }
  const cert = socket.getPeerCertificate(false)
  if (cert === undefined || cert === null || cert.raw === undefined) return { authorized: false, error: "no certificate" }
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle
  if (handle === undefined || typeof handle.verifyError !== "function") return { authorized: false, error: "cannot verify" }
  const error = handle.verifyError()
  return error === null || error === undefined ? { authorized: true, error: null } : { authorized: false, error: error.code ?? error.message }
}

/** The peer from a TLSSocket that just finished its handshake. */
export function describePeer(socket: TLSSocket, servername: string | null, authorized: boolean): TlsPeer {
  const cert = socket.getPeerCertificate(false)
  const hasCert = cert !== undefined && cert !== null && cert.raw !== undefined
  const raw = hasCert ? cert.raw : null
  const alpn = socket.alpnProtocol
  return Object.freeze({
    protocol: socket.getProtocol() ?? "unknown",
    cipher: socket.getCipher().name,
    alpnProtocol: typeof alpn === "string" ? alpn : null,
    servername,
    sessionReused: socket.isSessionReused(),
    authorized,
    subject: hasCert ? Object.freeze(subjectOf(cert)) : null,
    fingerprint256: raw !== null ? new X509Certificate(raw).fingerprint256 : null,
    certificateDer: raw,
  })
}

export interface SessionOptions {
  readonly framing: TlsFraming
  readonly limits: FrameLimits
  readonly handlers: SessionHandlers
  /** Build the TLSSocket over the Duplex (server: new TLSSocket; client: tls.connect). */
  readonly open: (transport: Duplex) => TLSSocket
  /** The TLSSocket event that means the handshake finished. */
  readonly secureEvent: "secure" | "secureConnect"
  /** Refuse a peer whose certificate did not verify (checked on our side, after the handshake). */
  readonly requireAuthorized: boolean
  readonly servername: (socket: TLSSocket) => string | null
}

export class TlsSession {
  /** Progress counter for ./quiescence.ts. */
  activity = 0
  #peer: TlsPeer | null = null
  /** The end was reported (exactly once). */
  #ended = false
  /** No more output reaches the peer (a replaced session must not write into its successor's stream). */
  #silent = false
  readonly #options: SessionOptions
  readonly #transport: Duplex
  readonly #tls: TLSSocket
  readonly #decoder: FrameDecoder
  #raw: Buffer[] = []
  #rawBytes = 0

  constructor(options: SessionOptions) {
    this.#options = options
    this.#decoder = new FrameDecoder(options.limits)
    const session = this
    this.#transport = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        if (session.#silent) return callback()
        session.activity++
        options.handlers.output(chunk, callback)
      },
      final(callback) {
        callback()
      },
    })
    this.#transport.on("error", () => undefined)
    this.#tls = options.open(this.#transport)
    const tls = this.#tls
    const onError = (error: Error): void => {
      const code = (error as { code?: unknown }).code
      const unauthorized = typeof code === "string" && /CERT|UNABLE_TO|SELF_SIGNED|HOSTNAME|IP_MISMATCH/.test(code)
      this.#finish(unauthorized ? TlsEndReason.UNAUTHORIZED : TlsEndReason.TLS_ERROR, error)
    }
    tls.on("error", onError)
    // A server TLSSocket made outside tls.Server never "releases control" (_tls_wrap.js: only
    // tls.Server's secure handler calls _releaseControl), so an OpenSSL error after its
    // handshake (a bad record MAC, garbage) is not emitted as 'error', only as the internal
    // '_tlsError' event. Listen to both: the session must end either way (test/tls/hostile).
    tls.on("_tlsError", onError)
    tls.on(options.secureEvent, () => {
      this.activity++
      const verified = verifyResult(tls, options.secureEvent === "secure")
      if (options.requireAuthorized && !verified.authorized) {
        const why = verified.error ?? "no certificate"
        const error = Object.assign(new Error(`peer certificate refused: ${why}`), {
          code: "ERR_IRONHOUSE_TLS_UNAUTHORIZED",
        })
          // close_notify, so that a lockstep peer gets an answer, then the end.
        this.#report(TlsEndReason.UNAUTHORIZED, error)
        tls.end()
        this.#destroyWhenQuiet()
        return
      }
      this.#peer = describePeer(tls, options.servername(tls), verified.authorized)
      options.handlers.secure(this.#peer)
    })
    tls.on("data", (data: Buffer) => this.#plaintext(data))
    tls.on("end", () => {
      this.activity++
      this.#finish(TlsEndReason.CLOSED, undefined)
    })
    tls.on("close", () => {
      this.activity++
      this.#finish(TlsEndReason.TLS_ERROR, new Error("TLS socket closed"))
    })
  }

  get peer(): TlsPeer | null {
    return this.#peer
  }

  get secure(): boolean {
    return this.#peer !== null
  }

  get ended(): boolean {
    return this.#ended
  }

  /** TLS bytes from the peer. */
  feed(payload: Buffer): void {
    if (this.#ended) return
    this.activity++
    this.#transport.push(payload)
  }

  /**
   * Send one application message (frames framing) or bytes (raw framing). false: TLS has
   * buffered past its high-water mark; await `drained()` before sending more.
   */
  send(frames: readonly Uint8Array[]): boolean {
    if (this.#ended) return true
    this.activity++
    if (this.#options.framing === "frames") return this.#tls.write(encodeMessage(frames))
    let room = true
    for (const f of frames) if (f.byteLength > 0) room = this.#tls.write(f)
    return room
  }

  /** Resolves when TLS wants more (or the session ended). */
  drained(): Promise<void> {
    if (this.#ended || !this.#tls.writableNeedDrain) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        this.#tls.off("drain", done)
        this.#tls.off("close", done)
        resolve()
      }
      this.#tls.on("drain", done)
      this.#tls.on("close", done)
    })
  }

  /** Frames framing: write a no-op unit (an application data record that carries no message). */
  sendNoop(): boolean {
    if (this.#ended || this.#peer === null || this.#options.framing !== "frames") return false
    this.activity++
    this.#tls.write(NOOP)
    return true
  }

  /** Raw framing: the plaintext gathered since the last call, as one message (or null). */
  takeRaw(): Buffer | null {
    if (this.#rawBytes === 0) return null
    const out = this.#raw.length === 1 ? this.#raw[0]! : Buffer.concat(this.#raw)
    this.#raw = []
    this.#rawBytes = 0
    return out
  }

  /** Send close_notify and end (the reason reported is `reason`). */
  close(reason: TlsEndReason = TlsEndReason.LOCAL_CLOSE): void {
    if (this.#ended) return
    this.#report(reason, undefined)
    this.#tls.end()
    this.#destroyWhenQuiet()
  }

  /** Drop the session at once, without a word to the peer (replaced, expired, evicted). */
  destroy(reason: TlsEndReason, error?: Error): void {
    this.#silent = true
    this.#finish(reason, error)
  }

  #plaintext(data: Buffer): void {
    this.activity++
    if (this.#ended) return
    if (this.#options.framing === "raw") {
      const max = this.#options.limits.maxMessageSize
      if (max >= 0 && this.#rawBytes + data.byteLength > max) {
        this.#finish(TlsEndReason.FRAMING, new FramingError(`message exceeds maxMessageSize (${max})`))
        return
      }
      this.#raw.push(data)
      this.#rawBytes += data.byteLength
      return
    }
    let messages: Uint8Array[][]
    try {
      messages = this.#decoder.push(data)
    } catch (error) {
      this.#finish(TlsEndReason.FRAMING, error instanceof Error ? error : new Error(String(error)))
      return
    }
    for (const frames of messages) {
      if (this.#ended) return
      this.#options.handlers.message(frames.map(toBuffer))
    }
  }

  #finish(reason: TlsEndReason, error: Error | undefined): void {
    if (this.#ended) return
    this.#report(reason, error)
    // Let an alert or close_notify OpenSSL wrote on its way out reach the transport first.
    this.#destroyWhenQuiet()
  }

  #report(reason: TlsEndReason, error: Error | undefined): void {
    this.#ended = true
    this.activity++
    this.#options.handlers.end(reason, error)
  }

  /** Let close_notify or an alert OpenSSL writes on its way out reach the transport, then destroy. */
  #destroyWhenQuiet(): void {
    const session = this
    void settle({
      get activity() {
        return session.activity
      },
      pending: () => undefined,
    }).then(() => this.#destroy())
  }

  #destroy(): void {
    this.#silent = true
    this.#tls.destroy()
    this.#transport.destroy()
  }
}

function toBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
}
