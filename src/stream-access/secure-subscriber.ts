/**
 * SecureSubscriber: the stream-access reader over any socket with the `zeromq` v6 receive
 * shape (Ironhouse's Subscriber / XSubscriber, or the `zeromq` package's). It subscribes to the
 * publisher's control topic besides the caller's topics, feeds every message to the sans-IO
 * StreamReader, returns only verified plaintext from `receive()`, and reports every refusal
 * as a `rejected` event (never an exception). When it lacks keys (at start, after a missed
 * commit) it asks the key service: one CURVE DEALER round trip.
 */
import { EventEmitter } from "node:events"
import { Dealer } from "../socket/dealer.js"
import { toKey } from "../crypto/keys.js"
import { z85Encode } from "../wire/z85.js"
import { keyRequest, parseKeyReply } from "./key-service.js"
import { cryptoReady } from "../crypto/index.js"
import { readyBackend } from "../crypto/active-backend.js"
import { checkReaderOptions, StreamReader, type ReaderEvent, type RejectReason, type StreamReaderOptions } from "./reader.js"

/** The part of a SUB/XSUB socket this needs. A SUB has subscribe(); an XSUB gets subscription messages via send(). */
export interface ReceiveSocket {
  receive(): Promise<Uint8Array[]>
  subscribe?(...topics: Array<Uint8Array | string>): void
  send?(message: Uint8Array[]): Promise<void>
}

/** How to reach the key service: a CURVE endpoint, or a function doing one round trip. */
export type KeyServiceAccess = { endpoint: string; serverKey: string | Uint8Array } | ((request: Uint8Array[]) => Promise<Uint8Array[]>)

export interface SecureSubscriberOptions extends Omit<StreamReaderOptions, "publisherKey"> {
  socket: ReceiveSocket
  /** The publisher's Ed25519 public key (32 octets). */
  publisherKey: Uint8Array
  keyService?: KeyServiceAccess
  /** Longest wait for the key service, ms (default 5000). */
  keyServiceTimeout?: number
}

export interface RejectedInfo {
  reason: RejectReason
  epoch?: number
  seq?: number
}

export interface SecureSubscriber {
  on(event: "rejected", listener: (info: RejectedInfo) => void): this
  on(event: "epoch", listener: (info: { epoch: number; via: "commit" | "welcome" }) => void): this
  on(event: "key-service", listener: (info: { ok: boolean; reason?: string }) => void): this
}

export class SecureSubscriber extends EventEmitter {
  #reader: StreamReader | undefined
  /** Pending while the crypto backend loads (libsodium-wrappers); undefined once the reader exists. */
  #starting: Promise<void> | undefined
  /** Topics subscribed to before the reader existed. */
  #early: Uint8Array[] = []
  readonly #socket: ReceiveSocket
  /** Verified messages not yet returned by receive(), from #queueHead. */
  readonly #queue: ([Buffer, Buffer] | undefined)[] = []
  #queueHead = 0
  /** Reused for every received message's events. */
  readonly #events: ReaderEvent[] = []
  readonly #keyService: ((request: Uint8Array[]) => Promise<Uint8Array[]>) | undefined
  #dealer: Dealer | undefined
  #fetching: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: SecureSubscriberOptions) {
    super()
    if (typeof options?.socket?.receive !== "function") throw new TypeError("SecureSubscriber: expected socket with a receive() method (a Subscriber or XSubscriber)")
    if (typeof options.socket.subscribe !== "function" && typeof options.socket.send !== "function") {
      throw new TypeError("SecureSubscriber: expected socket with subscribe() (SUB) or send() (XSUB)")
    }
    checkReaderOptions(options)
    this.#socket = options.socket
    // The reader needs the full crypto backend: at once with sodium-native; with
    // libsodium-wrappers (WebAssembly) possibly only after cryptoReady(), until when receive()
    // and fetchKeys() wait, and subscribe() remembers its topics.
    const start = (): void => {
      // Plaintexts carved from Buffers (zeroed slabs): delivered as Buffers with no second view.
      const reader = new StreamReader({ ...options, allocate: (n) => Buffer.alloc(n) })
      this.#reader = reader
      this.#starting = undefined
      if (this.#closed) {
        reader.destroy()
        return
      }
      this.#subscribeRaw(reader.controlTopic)
      for (const topic of this.#early) this.#subscribeRaw(topic)
      this.#early = []
    }
    if (readyBackend() !== undefined) start()
    else {
      this.#starting = cryptoReady().then(start)
      this.#starting.catch(() => undefined) // reported by ready(), receive() and fetchKeys()
    }
    const access = options.keyService
    const timeout = options.keyServiceTimeout ?? 5000
    if (typeof access === "function") this.#keyService = access
    else if (access !== undefined) {
      const dealer = new Dealer({
        curveServerKey: z85Encode(toKey(access.serverKey, "keyService.serverKey")),
        curvePublicKey: z85Encode(toKey(options.publicKey, "publicKey")),
        curveSecretKey: z85Encode(toKey(options.secretKey, "secretKey")),
        linger: 0,
        receiveTimeout: timeout,
      })
      dealer.connect(access.endpoint)
      this.#dealer = dealer
      this.#keyService = async (request) => {
        await dealer.send(request)
        return dealer.receive()
      }
    }
  }

  /**
   * The sans-IO reader. Throws while the crypto backend is still loading (libsodium-wrappers:
   * `await subscriber.ready()` first); with sodium-native it is there at once.
   */
  get reader(): StreamReader {
    if (this.#reader === undefined) throw new Error("SecureSubscriber: the crypto backend is still loading (libsodium-wrappers): await subscriber.ready() first")
    return this.#reader
  }

  /** Resolves once the subscriber can open messages (the crypto backend is ready); rejects if it failed to load. */
  async ready(): Promise<void> {
    await this.#starting
  }

  /** Subscribe to topic prefixes (all topics when none is given). */
  subscribe(...topics: Array<Uint8Array | string>): void {
    if (topics.length === 0) topics = [new Uint8Array(0)]
    for (const t of topics) {
      const topic = typeof t === "string" ? new TextEncoder().encode(t) : t
      if (this.#reader === undefined) this.#early.push(topic)
      else this.#subscribeRaw(topic)
    }
  }

  /** Ask the key service for this reader's keys now (one round trip); resolves when answered. */
  fetchKeys(): Promise<void> {
    if (this.#keyService === undefined) return Promise.reject(new Error("SecureSubscriber: no keyService configured"))
    this.#fetching ??= (async () => {
      try {
        await this.#starting
        const reply = parseKeyReply(await (this.#keyService as (r: Uint8Array[]) => Promise<Uint8Array[]>)(keyRequest()))
        if ("denied" in reply) {
          this.emit("key-service", { ok: false, reason: reply.denied })
          return
        }
        this.#handle(this.reader.acceptWelcome(reply.sealed, Date.now()))
        this.emit("key-service", { ok: this.reader.hasKeys })
      } catch (e) {
        this.emit("key-service", { ok: false, reason: e instanceof Error ? e.message : String(e) })
      } finally {
        this.#fetching = undefined
      }
    })()
    return this.#fetching
  }

  /** The next verified message: [topic, body]. */
  receive(): Promise<[Buffer, Buffer]> {
    // Most messages come out of the queue a verified batch filled: no async function for them.
    if (this.#queueHead < this.#queue.length) return Promise.resolve(this.#shift())
    return this.#receiveFromSocket()
  }

  #shift(): [Buffer, Buffer] {
    const next = this.#queue[this.#queueHead] as [Buffer, Buffer]
    this.#queue[this.#queueHead++] = undefined
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0
      this.#queueHead = 0
    }
    return next
  }

  async #receiveFromSocket(): Promise<[Buffer, Buffer]> {
    if (this.#reader === undefined) await this.#starting
    const reader = this.reader
    const events = this.#events
    for (;;) {
      if (this.#queueHead < this.#queue.length) return this.#shift()
      const frames = await this.#socket.receive()
      if (events.length !== 0) events.length = 0 // most messages (held for their batch) leave no event
      this.#handle(reader.receive(frames, Date.now(), events))
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<[Buffer, Buffer]> {
    while (!this.#closed) {
      try {
        yield await this.receive()
      } catch (e) {
        if (this.#closed) return
        throw e
      }
    }
  }

  /** Forget the keys and close the key service connection. The data socket stays open (it is yours). */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#dealer?.close()
    this.#reader?.destroy()
  }

  #handle(events: ReaderEvent[]): void {
    for (const e of events) {
      if (e.type === "message") this.#queue.push([asBuffer(e.topic), asBuffer(e.body)])
      else if (e.type === "rejected") this.emit("rejected", { reason: e.reason, ...(e.epoch === undefined ? {} : { epoch: e.epoch }), ...(e.seq === undefined ? {} : { seq: e.seq }) } satisfies RejectedInfo)
      else if (e.type === "epoch") this.emit("epoch", { epoch: e.epoch, via: e.via })
      else if (e.type === "need-keys" && this.#keyService !== undefined && !this.#closed) void this.fetchKeys()
    }
    this.#arm()
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#closed || this.#reader === undefined) return
    const deadline = this.#reader.deadline()
    if (deadline === undefined) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#handle(this.reader.tick(Date.now()))
    }, Math.max(0, deadline - Date.now()) + 1)
    this.#timer.unref()
  }

  #subscribeRaw(topic: Uint8Array): void {
    if (typeof this.#socket.subscribe === "function") this.#socket.subscribe(topic)
    else {
      const message = new Uint8Array(topic.length + 1)
      message[0] = 1
      message.set(topic, 1)
      void (this.#socket.send as (m: Uint8Array[]) => Promise<void>)([message])
    }
  }
}

/** A Buffer over the same bytes (the socket's frames are Buffers already; no copy either way). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
