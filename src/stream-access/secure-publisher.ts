/**
 * SecurePublisher: the stream-access writer over any socket with the `zeromq` v6 send shape
 * (Ironhouse's Publisher / XPublisher, or the `zeromq` package's). It only moves frames: the
 * sans-IO StreamWriter does the cryptography; a timer flushes the digest batch by its deadline
 * and rotates the epoch on `rotateInterval`.
 *
 * Readers come from a CertificateStore (the same directory as the Ironhouse pattern): every
 * rescan that adds or removes certificates becomes one commit (one new epoch). `serveKeys()`
 * runs the key service on a ROUTER (Ironhouse's, which reports each message's authenticated
 * CURVE key) guarded by CURVE and the Authenticator.
 */
import { EventEmitter } from "node:events"
import type { CertificateStore } from "../cert/store.js"
import type { SigningKeyPair } from "../crypto/sign.js"
import { cryptoReady } from "../crypto/index.js"
import { readyBackend } from "../crypto/active-backend.js"
import { answerKeyRequest } from "./key-service.js"
import { checkSealArguments, checkWriterOptions, normaliseMember, StreamWriter, type StreamFrames, type StreamWriterOptions } from "./writer.js"
import { equalBytes, PACKED_ENTRY_OVERHEAD } from "./codec.js"

/** The part of a PUB/XPUB socket this needs (the `zeromq` v6 shape). */
export interface SendSocket {
  send(message: Uint8Array[]): Promise<void>
}

/** A ROUTER that tells who sent each message (Ironhouse's Router). */
export interface KeyServiceRouter {
  receiveWithPeer(): Promise<{ message: Uint8Array[]; peer: { publicKey: string | undefined } }>
  send(message: Uint8Array[]): Promise<void>
}

export interface SecurePublisherOptions extends Omit<StreamWriterOptions, "members" | "signingKey"> {
  socket: SendSocket
  signingKey: SigningKeyPair
  /** The readers: a CertificateStore (followed on every reload) or a list of CURVE public keys. */
  readers?: CertificateStore | Iterable<string | Uint8Array>
  /** Start a new epoch this often, ms (default 0: only on membership changes and rotate()). */
  rotateInterval?: number
  /**
   * Packing (default 16384 octets; 0 = off): the first message of an event-loop turn leaves at
   * once, and later messages of the same topic sent in the same turn are sealed together, as
   * one PACKED message of up to this many octets (4 more per message), at the end of the turn
   * or when full: one AEAD, one digest and one ZeroMQ message for all of them. Readers deliver
   * them one by one, in order. Order across topics is kept (a message of another topic closes
   * the pack), and a message larger than this always leaves alone. What it changes: a repeater
   * or a SUB at its high-water mark drops a pack whole, and such messages share one sequence
   * number.
   */
  packBytes?: number
}

export const DEFAULT_PACK_BYTES = 16384
/** Largest packBytes accepted (16 MiB); the pack's buffer grows to it only as messages need. */
export const MAX_PACK_BYTES = 16 * 1024 * 1024

export interface CommitInfo {
  epoch: number
  added: number
  removed: number
  /** Size of the commit message body, octets. */
  bytes: number
}

export interface KeyRequestInfo {
  peer: string | undefined
  granted: boolean
  reason?: string
}

export interface SecurePublisher {
  on(event: "commit", listener: (info: CommitInfo) => void): this
  on(event: "key-request", listener: (info: KeyRequestInfo) => void): this
  on(event: "error", listener: (error: Error) => void): this
}

interface Outgoing {
  frames: StreamFrames[]
  resolve(): void
  reject(error: unknown): void
}

const RESOLVED = Promise.resolve()
const EMPTY = new Uint8Array(0)

function isStore(value: unknown): value is CertificateStore {
  return typeof value === "object" && value !== null && typeof (value as CertificateStore).certificates === "function" && typeof (value as CertificateStore).on === "function"
}

export class SecurePublisher extends EventEmitter {
  #writer: StreamWriter | undefined
  /** Pending while the crypto backend loads (libsodium-wrappers); undefined once the writer exists. */
  #starting: Promise<void> | undefined
  readonly #socket: SendSocket
  /** Frames waiting for the socket, oldest first from #queueHead (see #enqueue). */
  readonly #queue: (Outgoing | undefined)[] = []
  #queueHead = 0
  #pumping = false
  #timer: { cancel(): void } | undefined
  #rotation: NodeJS.Timeout | undefined
  #closed = false
  readonly #packLimit: number
  /**
   * The open pack: the messages waiting for the end of the turn, copied in as they are sent
   * (u32 length || body each, the PACKED plaintext), their topic (a copy), size and count.
   */
  #packBuffer = EMPTY
  #packTopic: Uint8Array = EMPTY
  #packSize = 0
  #packCount = 0
  /** A message left in this event-loop turn (so the next is packed); reset by #turnEnd. */
  #busyTurn = false
  #turnTimer: NodeJS.Immediate | undefined
  readonly #store: CertificateStore | undefined
  readonly #onReload = (): void => this.#syncStore()

  constructor(options: SecurePublisherOptions) {
    super()
    if (typeof options?.socket?.send !== "function") throw new TypeError("SecurePublisher: expected socket with a send(frames) method (a Publisher or XPublisher)")
    const readers = options.readers
    this.#store = isStore(readers) ? readers : undefined
    const members = this.#store ? this.#store.certificates().map((c) => c.publicKey) : [...((readers as Iterable<string | Uint8Array> | undefined) ?? [])].map(normaliseMember)
    const writerOptions: StreamWriterOptions = { ...options, members }
    checkWriterOptions(writerOptions)
    // The writer hashes and signs, so it needs the full backend: at once with sodium-native;
    // with libsodium-wrappers (WebAssembly) possibly only after cryptoReady() resolves, until
    // when send()/flush()/update()/serveKeys() wait for it.
    if (readyBackend() !== undefined) this.#writer = new StreamWriter(writerOptions)
    else {
      this.#starting = cryptoReady().then(() => {
        this.#writer = new StreamWriter(writerOptions)
        this.#starting = undefined
        this.#syncStore() // a reload while the backend loaded
      })
      this.#starting.catch(() => undefined) // reported by ready() and by every method that waits
    }
    this.#socket = options.socket
    this.#store?.on("reloaded", this.#onReload)
    const pack = options.packBytes ?? DEFAULT_PACK_BYTES
    if (!Number.isInteger(pack) || pack < 0 || pack > MAX_PACK_BYTES) throw new RangeError(`SecurePublisher: expected packBytes as an integer from 0 to ${MAX_PACK_BYTES}, got ${pack}`)
    this.#packLimit = pack
    const every = options.rotateInterval ?? 0
    if (!Number.isFinite(every) || every < 0) throw new RangeError(`SecurePublisher: expected rotateInterval as a non-negative number of ms, got ${every}`)
    if (every > 0) {
      this.#rotation = setInterval(() => void this.rotate().catch((e: unknown) => this.#error(e)), every)
      this.#rotation.unref()
    }
  }

  /**
   * The sans-IO writer. Throws while the crypto backend is still loading (libsodium-wrappers:
   * `await publisher.ready()` first); with sodium-native it is there at once.
   */
  get writer(): StreamWriter {
    if (this.#writer === undefined) throw new Error("SecurePublisher: the crypto backend is still loading (libsodium-wrappers): await publisher.ready() first")
    return this.#writer
  }

  /** Resolves once the publisher can seal (the crypto backend is ready); rejects if it failed to load. */
  async ready(): Promise<void> {
    await this.#starting
  }

  /** The publisher's current epoch (0 while the crypto backend is still loading). */
  get epoch(): number {
    return this.#writer?.epoch ?? 0
  }

  /** Encrypt and publish one message: `[topic, body]` (strings are UTF-8). */
  send(message: [Uint8Array | string, Uint8Array | string] | [Uint8Array | string]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("SecurePublisher: closed"))
    if (!Array.isArray(message) || message.length < 1 || message.length > 2) {
      return Promise.reject(new RangeError(`SecurePublisher.send: expected [topic, body], got ${Array.isArray(message) ? `${message.length} frames` : typeof message}`))
    }
    const writer = this.#writer
    if (writer === undefined) return (this.#starting as Promise<void>).then(() => this.send(message))
    let topic: Uint8Array
    let body: Uint8Array
    try {
      topic = bytes(message[0])
      body = bytes(message[1] ?? EMPTY)
      checkSealArguments(topic, body)
    } catch (error) {
      return Promise.reject(error) // bad arguments reject, as zeromq's send() does
    }
    if (this.#busyTurn && this.#packLimit > 0 && PACKED_ENTRY_OVERHEAD + body.length <= this.#packLimit) {
      // Packed: accepted now, sealed with the others at the end of the turn or when full.
      let closed: Promise<void> | undefined
      if (this.#packCount > 0 && (!equalBytes(this.#packTopic, topic) || this.#packSize + PACKED_ENTRY_OVERHEAD + body.length > this.#packLimit)) closed = this.#sealPack()
      if (this.#packCount === 0) this.#packTopic = topic.slice()
      const at = this.#packSize
      const n = body.length
      if (at + PACKED_ENTRY_OVERHEAD + n > this.#packBuffer.length) this.#growPack(at + PACKED_ENTRY_OVERHEAD + n)
      const pack = this.#packBuffer
      pack[at] = n >>> 24
      pack[at + 1] = (n >>> 16) & 0xff
      pack[at + 2] = (n >>> 8) & 0xff
      pack[at + 3] = n & 0xff
      pack.set(body, at + PACKED_ENTRY_OVERHEAD)
      this.#packSize = at + PACKED_ENTRY_OVERHEAD + n
      this.#packCount++
      // The send that fills a pack waits for it (back-pressure at the socket's pace).
      return closed ?? RESOLVED
    }
    // Alone: what is packed goes first (order), then this message, at once.
    const before = this.#packCount > 0 ? this.#sealPack() : undefined
    this.#markTurn()
    try {
      body = writer.sealBody(topic, body, Date.now())
    } catch (error) {
      return Promise.reject(error)
    }
    const sent = this.#sendSealed(writer, [topic, body])
    return before === undefined ? sent : Promise.all([before, sent]).then(() => undefined)
  }

  /** Room for `need` octets in the pack's buffer (doubling, at most packBytes; the old one wiped). */
  #growPack(need: number): void {
    const grown = new Uint8Array(Math.min(this.#packLimit, Math.max(need, 4096, 2 * this.#packBuffer.length)))
    grown.set(this.#packBuffer.subarray(0, this.#packSize))
    this.#packBuffer.fill(0)
    this.#packBuffer = grown
  }

  /** A message left in this turn: later ones are packed until the turn ends. */
  #markTurn(): void {
    if (this.#packLimit === 0 || this.#busyTurn) return
    this.#busyTurn = true
    // Not unref'd: messages in the pack must leave even if nothing else keeps the process up.
    this.#turnTimer = setImmediate(this.#turnEnd)
  }

  readonly #turnEnd = (): void => {
    this.#turnTimer = undefined
    this.#busyTurn = false
    if (this.#packCount > 0) this.#sealPack().catch((e: unknown) => this.#error(e))
  }

  /** Seal the open pack and hand it on; resolves when the socket has it. */
  #sealPack(): Promise<void> {
    const writer = this.writer
    const topic = this.#packTopic
    const size = this.#packSize
    this.#packTopic = EMPTY
    this.#packSize = 0
    this.#packCount = 0
    let body: Uint8Array
    try {
      body = writer.sealPackedPlaintext(topic, this.#packBuffer.subarray(0, size), Date.now())
    } catch (error) {
      return Promise.reject(error)
    } finally {
      this.#packBuffer.fill(0, 0, size) // it held plaintext
    }
    return this.#sendSealed(writer, [topic, body])
  }

  /** Send one sealed message (and the batch when it is due) in order behind what is queued. */
  #sendSealed(writer: StreamWriter, frames: StreamFrames): Promise<void> {
    this.#arm()
    // Nothing queued and no send in flight (the usual case for an application that awaits each
    // send): hand the message to the socket directly and return its promise, without the
    // queue's promise and entry. #pumping keeps later frames (a timer's batch) behind it.
    if (!this.#pumping && !writer.batchDue) {
      this.#pumping = true
      let sent: Promise<void>
      try {
        sent = this.#socket.send(frames)
      } catch (error) {
        // Ironhouse's and zeromq's sockets throw EBADF / EBUSY instead of rejecting.
        this.#afterDirect()
        return Promise.reject(error)
      }
      sent.then(this.#afterDirect, this.#afterDirect)
      return sent
    }
    return this.#enqueue(writer.batchDue ? [frames, ...writer.flush()] : [frames])
  }

  /** After a direct send (see send()): the queue may have grown meanwhile. */
  readonly #afterDirect = (): void => {
    this.#pumping = false
    if (this.#queueHead < this.#queue.length) void this.#pump()
  }

  /**
   * Publish the pending digest batch now. Resolves once it, and everything queued before it
   * (a batch the flush timer emitted, sends not awaited), is handed to the socket.
   */
  flush(): Promise<void> {
    if (this.#writer === undefined) return (this.#starting as Promise<void>).then(() => this.flush())
    if (this.#packCount > 0) this.#sealPack().catch((e: unknown) => this.#error(e))
    return this.#enqueueAfterAll(this.#writer.flush())
  }

  /** Add and remove readers now (one commit, one new epoch). */
  update(changes: { add?: Iterable<string | Uint8Array>; remove?: Iterable<string | Uint8Array> }): Promise<void> {
    if (this.#writer === undefined) return (this.#starting as Promise<void>).then(() => this.update(changes))
    const add = [...(changes.add ?? [])]
    const remove = [...(changes.remove ?? [])]
    // Messages sent before the change leave (under the old epoch) before the commit.
    if (this.#packCount > 0) this.#sealPack().catch((e: unknown) => this.#error(e))
    const frames = this.writer.commit({ add, remove })
    const commit = frames[frames.length - 1] as StreamFrames
    this.emit("commit", { epoch: this.writer.epoch, added: add.length, removed: remove.length, bytes: commit[1].length } satisfies CommitInfo)
    return this.#enqueue(frames)
  }

  /** Start a new epoch with the same readers. */
  rotate(): Promise<void> {
    return this.update({})
  }

  /**
   * Serve keys on `router` until it closes: each request from an authenticated CURVE peer
   * that is a current reader gets its welcome; others a refusal. Resolves when the router
   * stops receiving.
   */
  async serveKeys(router: KeyServiceRouter): Promise<void> {
    await this.#starting
    for (;;) {
      let received
      try {
        received = await router.receiveWithPeer()
      } catch {
        return // closed
      }
      const [routingId, ...rest] = received.message
      if (routingId === undefined) continue
      // A REQ client puts an empty delimiter first; a DEALER does not.
      const delimited = rest[0]?.length === 0
      const request = delimited ? rest.slice(1) : rest
      const outcome = answerKeyRequest(this.writer, received.peer.publicKey, request)
      this.emit("key-request", { peer: received.peer.publicKey, granted: outcome.granted, ...(outcome.granted ? {} : { reason: outcome.reason }) } satisfies KeyRequestInfo)
      try {
        await router.send([routingId, ...(delimited ? [new Uint8Array(0)] : []), ...outcome.reply])
      } catch {
        return
      }
    }
  }

  /** Stop the timers, flush the last batch, and forget the keys. The socket stays open (it is yours). */
  async close(): Promise<void> {
    if (this.#closed) return
    await this.#starting?.catch(() => undefined)
    if (this.#closed) return
    const writer = this.#writer
    if (writer !== undefined && this.#packCount > 0) this.#sealPack().catch(() => undefined)
    const last = writer === undefined ? Promise.resolve() : this.#enqueueAfterAll(writer.flush())
    this.#closed = true
    this.#timer?.cancel()
    if (this.#turnTimer !== undefined) clearImmediate(this.#turnTimer)
    this.#busyTurn = false
    clearInterval(this.#rotation)
    this.#store?.off("reloaded", this.#onReload)
    await last.catch(() => undefined)
    writer?.destroy()
  }

  #syncStore(): void {
    if (this.#closed || !this.#store || this.#writer === undefined) return
    const now = new Set(this.#store.certificates().map((c) => c.publicKey))
    const before = new Set(this.writer.tree.members())
    const add = [...now].filter((k) => !before.has(k))
    const remove = [...before].filter((k) => !now.has(k))
    if (add.length === 0 && remove.length === 0) return
    this.update({ add, remove }).catch((e: unknown) => this.#error(e))
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#writer === undefined) return
    const deadline = this.#writer.deadline()
    if (deadline === undefined) return
    const fire = (): void => {
      this.#timer = undefined
      if (this.#closed) return
      const frames = this.writer.tick(Date.now())
      this.#arm()
      this.#enqueue(frames).catch((e: unknown) => this.#error(e))
    }
    const wait = deadline - Date.now()
    // batchDelay 0: at the end of this event-loop turn (a timer would wait >= 1 ms).
    if (wait <= 0) {
      const immediate = setImmediate(fire)
      immediate.unref()
      this.#timer = { cancel: () => clearImmediate(immediate) }
    } else {
      const timeout = setTimeout(fire, wait)
      timeout.unref()
      this.#timer = { cancel: () => clearTimeout(timeout) }
    }
  }

  /**
   * Send frames in order, one pending send at a time (zeromq v6 allows no more): one FIFO
   * queue drained by one loop (#pump), so a batch the flush timer emits is sent right after the
   * data queued before it. (A "wait until nobody is sending" loop per caller starves the timer:
   * an application that awaits each send() always wins the race, and the batch that its readers
   * wait for is sent late, or never.) The promise resolves once these frames are handed to the
   * socket, and rejects with that socket's error.
   */
  #enqueue(frames: StreamFrames[]): Promise<void> {
    if (frames.length === 0) return RESOLVED
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ frames, resolve, reject })
      if (!this.#pumping) void this.#pump()
    })
  }

  /** As #enqueue, but with no frames it still waits for what is queued or in flight. */
  #enqueueAfterAll(frames: StreamFrames[]): Promise<void> {
    if (frames.length > 0 || (!this.#pumping && this.#queueHead >= this.#queue.length)) return this.#enqueue(frames)
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ frames, resolve, reject }) // a marker: resolved when the pump reaches it
      if (!this.#pumping) void this.#pump()
    })
  }

  async #pump(): Promise<void> {
    this.#pumping = true
    try {
      while (this.#queueHead < this.#queue.length) {
        const entry = this.#queue[this.#queueHead] as Outgoing
        this.#queue[this.#queueHead++] = undefined
        // Every frame is tried even after one fails: a data message whose send fails must not
        // take the batch after it (which lists up to batchSize earlier messages) down with it.
        let failed = false
        let failure: unknown
        for (let i = 0; i < entry.frames.length; i++) {
          try {
            await this.#socket.send(entry.frames[i] as StreamFrames)
          } catch (error) {
            if (!failed) failure = error
            failed = true
          }
        }
        if (failed) entry.reject(failure)
        else entry.resolve()
        if (this.#queueHead >= 1024 && this.#queueHead * 2 >= this.#queue.length) {
          this.#queue.splice(0, this.#queueHead)
          this.#queueHead = 0
        }
      }
      this.#queue.length = 0
      this.#queueHead = 0
    } finally {
      this.#pumping = false
    }
  }

  #error(e: unknown): void {
    if (this.listenerCount("error") > 0) this.emit("error", e instanceof Error ? e : new Error(String(e)))
  }
}

const encoder = new TextEncoder()
function bytes(value: Uint8Array | string): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === "string") return encoder.encode(value)
  throw new TypeError(`SecurePublisher.send: expected a frame as Uint8Array or string, got ${typeof value}`)
}
