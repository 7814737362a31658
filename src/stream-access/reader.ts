/**
 * The reader's side, sans-IO: frames in (data messages, batches, commits from the control
 * topic, the key service's welcome); verified plaintext messages and named events out. No
 * socket and no clock: the caller passes `now` (ms) and calls `tick(now)` by `deadline()`.
 * A PACKED message (several messages of one topic sealed together) gives one `message` event
 * per body, in order, all with its sequence number.
 *
 * Failure policy (Pulsar's DISCARD, made visible): every message that cannot be delivered
 * is dropped with a `rejected` event naming the reason; nothing throws on network input.
 *
 *   unknown-publisher  key id of another publisher (or the control topic of one)
 *   malformed          a body that does not parse
 *   no-key             an epoch this reader holds no key for (also emits `need-keys`
 *                      when the epoch is newer than the reader's)
 *   expired-epoch      an epoch older than the reader's current one, whose overlap window has
 *                      closed (or that it never held)
 *   replay / too-old   a sequence number already delivered, or below the replay window
 *   decrypt-failed     the AEAD tag did not verify (corrupted, or forged without the key)
 *   forged             decrypted, but its digest is not the one the publisher signed
 *   unverified         no signed batch listed it within `holdTimeout`
 *   held-overflow      more than `maxHeld` messages (or `maxHeldBytes`) waiting for their
 *                      batch (the oldest are dropped)
 *   bad-signature      a batch, commit or welcome whose Ed25519 signature does not verify
 *   commit-unreadable  a commit whose new epoch key this reader cannot unwrap: it was
 *                      removed, or missed an earlier commit (also emits `need-keys`)
 */
import { aeadDecryptInto } from "../crypto/aead.js"
import { sealedBoxOpen } from "../crypto/seal.js"
import { verifyDetached } from "../crypto/sign.js"
import { cryptoBackend, publicFromSecret, type CryptoBackend } from "../crypto/index.js"
import { toKey } from "../crypto/keys.js"
import {
  BATCH_CONTEXT,
  COMMIT_CONTEXT,
  concat,
  CONTROL_PREFIX,
  controlTopic,
  dataNonce,
  EPOCH_KEY_NODE,
  equalBytes,
  HEADER_BYTES,
  parseBatch,
  parseCommit,
  isDataBody,
  dataSeq,
  dataEpoch,
  DIGEST_BYTES,
  equalAt,
  hasKeyId,
  Kind,
  parsePacked,
  Slab,
  parseWelcome,
  startsWith,
  TAG_BYTES,
  WELCOME_CONTEXT,
  wrapAd,
  wrapNonce,
  type Commit,
} from "./codec.js"
import { ReplayWindow, DEFAULT_REPLAY_WINDOW } from "./replay-window.js"
import { directPath, isLeafCount, leafNode, root } from "./tree-math.js"
import { publisherKeyId, readerHint } from "./writer.js"

export type RejectReason =
  | "unknown-publisher"
  | "malformed"
  | "no-key"
  | "expired-epoch"
  | "replay"
  | "too-old"
  | "decrypt-failed"
  | "forged"
  | "unverified"
  | "held-overflow"
  | "bad-signature"
  | "commit-unreadable"

export type ReaderEvent =
  | { type: "message"; topic: Uint8Array; body: Uint8Array; epoch: number; seq: number }
  | { type: "epoch"; epoch: number; via: "commit" | "welcome" }
  | { type: "rejected"; reason: RejectReason; epoch?: number; seq?: number }
  | { type: "need-keys"; reason: "no-key" | "commit-unreadable" | "not-joined" }

export interface StreamReaderOptions {
  /** The reader's CURVE key pair (Z85 or 32 octets): its identity, as in its certificate. */
  publicKey: string | Uint8Array
  secretKey: string | Uint8Array
  /** The publisher's Ed25519 public key (32 octets). */
  publisherKey: Uint8Array
  /** How long the previous epoch stays accepted after a new one starts, ms (default 5000). */
  overlap?: number
  /** Replay window in sequence numbers (default 1024). */
  replayWindow?: number
  /** Longest a decrypted message waits for its signed batch, ms (default 1000). */
  holdTimeout?: number
  /** Most messages waiting for their batch (default 8192). */
  maxHeld?: number
  /** Most plaintext octets waiting for their batch (default 16 MiB). */
  maxHeldBytes?: number
  /** Least time between two `need-keys` events, ms (default 1000). */
  resyncInterval?: number
  /**
   * Allocates the buffers plaintexts are carved from (default `new Uint8Array`). A Node
   * adapter passes `Buffer.alloc` so that delivered bodies are Buffers without another view.
   */
  allocate?: (n: number) => Uint8Array
}

export const DEFAULT_OVERLAP = 5000
export const DEFAULT_HOLD_TIMEOUT = 1000
export const DEFAULT_MAX_HELD = 8192
export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024
export const DEFAULT_RESYNC_INTERVAL = 1000
const RECENT_BATCHES = 8
const BUFFERED_COMMITS = 8

interface Held {
  topic: Uint8Array
  body: Uint8Array
  /** The bodies of a PACKED message (views of `body`); undefined for DATA. */
  parts: Uint8Array[] | undefined
  digest: Uint8Array
  epoch: number
  seq: number
  at: number
}

interface MessageViews {
  topicLength: number
  bodyLength: number
  /** u32 topic length || topic || body: the digest input. */
  input: Uint8Array
  /** topic || header: the associated data. */
  ad: Uint8Array
  /** ciphertext || tag. */
  ciphertext: Uint8Array
}

interface EpochKey {
  key: Uint8Array
  /** When this (no longer current) epoch stops being accepted. */
  expires: number | undefined
}

function nonNegative(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`StreamReader: expected ${what} as a non-negative number, got ${value}`)
  return value
}

/**
 * The argument checks of `new StreamReader(options)`, which need no crypto backend (the key
 * pair check uses the key functions, which work while libsodium-wrappers loads).
 */
export function checkReaderOptions(options: StreamReaderOptions): void {
  if (!(options?.publisherKey instanceof Uint8Array) || options.publisherKey.length !== 32) {
    throw new TypeError("StreamReader: expected publisherKey as the publisher's 32-octet Ed25519 public key")
  }
  const secretKey = toKey(options.secretKey, "StreamReader secretKey")
  const publicKey = toKey(options.publicKey, "StreamReader publicKey")
  const derived = publicFromSecret(secretKey)
  secretKey.fill(0)
  if (!equalBytes(derived, publicKey)) throw new RangeError("StreamReader: publicKey does not belong to secretKey")
  nonNegative(options.overlap, DEFAULT_OVERLAP, "overlap")
  nonNegative(options.holdTimeout, DEFAULT_HOLD_TIMEOUT, "holdTimeout")
  nonNegative(options.maxHeld, DEFAULT_MAX_HELD, "maxHeld")
  nonNegative(options.maxHeldBytes, DEFAULT_MAX_HELD_BYTES, "maxHeldBytes")
  nonNegative(options.resyncInterval, DEFAULT_RESYNC_INTERVAL, "resyncInterval")
  const size = options.replayWindow ?? DEFAULT_REPLAY_WINDOW
  if (!Number.isInteger(size) || size < 1 || size > 1 << 20) throw new RangeError(`StreamReader: expected replayWindow from 1 to ${1 << 20}, got ${size}`)
}

export class StreamReader {
  readonly keyId: Uint8Array
  readonly controlTopic: Uint8Array
  readonly #publisherKey: Uint8Array
  readonly #publicKey: Uint8Array
  readonly #secretKey: Uint8Array
  readonly #hint: Uint8Array
  readonly #overlap: number
  readonly #holdTimeout: number
  readonly #maxHeld: number
  readonly #maxHeldBytes: number
  #heldBytes = 0
  readonly #resyncInterval: number
  readonly #window: ReplayWindow
  #leaf: number | undefined
  #leafCount = 1
  /** Keys of the leaf and of the nodes on its direct path. */
  #nodes = new Map<number, Uint8Array>()
  readonly #epochs = new Map<number, EpochKey>()
  #epoch = 0
  /**
   * Messages waiting for their batch, in arrival order from #heldHead (oldest first: what
   * holdTimeout and the held-overflow policy drop). A batch settles what it covers in one pass
   * that also compacts the rest, so no per-message map entry is made.
   */
  #held: (Held | undefined)[] = []
  #heldHead = 0
  #heldCount = 0
  /** Recent batches' digests (copied), for messages that arrive after their batch. */
  readonly #recent: { firstSeq: number; count: number; digests: Uint8Array }[] = []
  readonly #commits: Commit[] = []
  #lastNeedKeys = -Infinity
  readonly #nonce = new Uint8Array(24)
  #scratch = new Uint8Array(512)
  #lastViews: MessageViews | undefined
  readonly #slab: Slab
  readonly #crypto: CryptoBackend = cryptoBackend()
  /** Highest sequence number a recent batch covers (no lookup for messages above it). */
  #recentTop = -1

  /**
   * Needs the crypto backend ready (with libsodium-wrappers, after `await cryptoReady()`);
   * SecureSubscriber waits for it on its own.
   */
  constructor(options: StreamReaderOptions) {
    checkReaderOptions(options)
    this.#publisherKey = new Uint8Array(options.publisherKey)
    this.#secretKey = toKey(options.secretKey, "StreamReader secretKey")
    this.#publicKey = toKey(options.publicKey, "StreamReader publicKey")
    this.#hint = readerHint(this.#publicKey)
    this.keyId = publisherKeyId(this.#publisherKey)
    this.controlTopic = controlTopic(this.keyId)
    this.#overlap = nonNegative(options.overlap, DEFAULT_OVERLAP, "overlap")
    this.#holdTimeout = nonNegative(options.holdTimeout, DEFAULT_HOLD_TIMEOUT, "holdTimeout")
    this.#maxHeld = Math.max(1, Math.floor(nonNegative(options.maxHeld, DEFAULT_MAX_HELD, "maxHeld")))
    this.#maxHeldBytes = nonNegative(options.maxHeldBytes, DEFAULT_MAX_HELD_BYTES, "maxHeldBytes")
    this.#resyncInterval = nonNegative(options.resyncInterval, DEFAULT_RESYNC_INTERVAL, "resyncInterval")
    this.#window = new ReplayWindow(options.replayWindow ?? DEFAULT_REPLAY_WINDOW)
    this.#slab = options.allocate === undefined ? new Slab() : new Slab(undefined, undefined, options.allocate)
  }

  /** The newest epoch this reader holds a key for (0: none). */
  get epoch(): number {
    return this.#epoch
  }

  /** True once the reader holds a current epoch key. */
  get hasKeys(): boolean {
    return this.#epochs.has(this.#epoch)
  }

  /** Messages waiting for their signed batch. */
  get heldCount(): number {
    return this.#heldCount
  }

  /** One received message: [topic, body]. Events go to `events` (a new array unless given) and it is returned. */
  receive(frames: readonly Uint8Array[], now: number, events: ReaderEvent[] = []): ReaderEvent[] {
    const topic = frames[0]
    const body = frames[1]
    if (frames.length !== 2 || !(topic instanceof Uint8Array) || !(body instanceof Uint8Array)) {
      events.push({ type: "rejected", reason: "malformed" })
      return events
    }
    if (startsWith(topic, CONTROL_PREFIX)) {
      if (!equalBytes(topic, this.controlTopic)) events.push({ type: "rejected", reason: "unknown-publisher" })
      else if (body[1] === 2) this.#batch(body, events)
      else if (body[1] === 3) this.#commit(body, now, events)
      else events.push({ type: "rejected", reason: "malformed" })
      return events
    }
    this.#data(topic, body, now, events)
    return events
  }

  /** The key service's reply (sealed to this reader). */
  acceptWelcome(sealed: Uint8Array, now: number): ReaderEvent[] {
    const events: ReaderEvent[] = []
    const opened = sealed instanceof Uint8Array ? sealedBoxOpen(sealed, this.#publicKey, this.#secretKey) : undefined
    const welcome = opened === undefined ? undefined : parseWelcome(opened)
    if (welcome === undefined || !isLeafCount(welcome.leafCount) || welcome.leaf >= welcome.leafCount) {
      events.push({ type: "rejected", reason: "malformed" })
      return events
    }
    if (!equalBytes(welcome.keyId, this.keyId)) {
      events.push({ type: "rejected", reason: "unknown-publisher" })
      return events
    }
    if (!verifyDetached(welcome.signature, concat(WELCOME_CONTEXT, welcome.signed), this.#publisherKey)) {
      events.push({ type: "rejected", reason: "bad-signature" })
      return events
    }
    if (welcome.epoch < this.#epoch) return events // older than what the commits already gave
    this.#leaf = welcome.leaf
    this.#leafCount = welcome.leafCount
    this.#wipeNodes()
    const path = new Set([leafNode(welcome.leaf), ...directPath(leafNode(welcome.leaf), welcome.leafCount)])
    for (const { node, key } of welcome.nodes) if (path.has(node)) this.#nodes.set(node, new Uint8Array(key))
    for (const { epoch, key } of welcome.epochs) {
      if (!this.#epochs.has(epoch)) this.#epochs.set(epoch, { key: new Uint8Array(key), expires: epoch === welcome.epoch ? undefined : now + this.#overlap })
    }
    this.#setEpoch(welcome.epoch, now)
    events.push({ type: "epoch", epoch: welcome.epoch, via: "welcome" })
    for (const commit of this.#commits.filter((c) => c.epoch > welcome.epoch).sort((a, b) => a.epoch - b.epoch)) this.#apply(commit, now, events)
    return events
  }

  /** When tick() must run next (held messages timing out, an old epoch expiring). */
  deadline(): number | undefined {
    let next: number | undefined
    const first = this.#held[this.#heldHead]
    if (first !== undefined) next = first.at + this.#holdTimeout
    for (const e of this.#epochs.values()) if (e.expires !== undefined && (next === undefined || e.expires < next)) next = e.expires
    return next
  }

  /** Drop held messages past `holdTimeout` and epochs past their overlap window. */
  tick(now: number): ReaderEvent[] {
    const events: ReaderEvent[] = []
    for (;;) {
      const h = this.#held[this.#heldHead]
      if (h === undefined || h.at + this.#holdTimeout > now) break
      this.#dropOldest()
      events.push({ type: "rejected", reason: "unverified", epoch: h.epoch, seq: h.seq })
    }
    for (const [epoch, e] of this.#epochs) {
      if (e.expires !== undefined && e.expires <= now) {
        e.key.fill(0)
        this.#epochs.delete(epoch)
      }
    }
    return events
  }

  /** Forget every key. */
  destroy(): void {
    this.#wipeNodes()
    for (const e of this.#epochs.values()) e.key.fill(0)
    this.#epochs.clear()
    this.#secretKey.fill(0)
  }

  #data(topic: Uint8Array, body: Uint8Array, now: number, events: ReaderEvent[]): void {
    const seq = isDataBody(body) ? dataSeq(body) : -1
    if (seq < 0) {
      events.push({ type: "rejected", reason: "malformed" })
      return
    }
    const epoch = dataEpoch(body)
    if (!hasKeyId(body, this.keyId)) {
      events.push({ type: "rejected", reason: "unknown-publisher", epoch, seq })
      return
    }
    const entry = this.#epochs.get(epoch)
    if (entry === undefined || (entry.expires !== undefined && entry.expires <= now)) {
      const old = epoch < this.#epoch
      events.push({ type: "rejected", reason: old ? "expired-epoch" : "no-key", epoch, seq })
      if (!old) this.#needKeys(now, this.#leaf === undefined ? "not-joined" : "no-key", events)
      return
    }
    const verdict = this.#window.check(seq)
    if (verdict !== "ok") {
      events.push({ type: "rejected", reason: verdict, epoch, seq })
      return
    }
    // One copy of the message into scratch: u32 topic length || topic || body. It is the digest
    // input, and its parts are the associated data (topic || header) and the ciphertext, so
    // no other copy is made; the views are reused while the message size repeats.
    const views = this.#views(topic.length, body.length)
    const input = views.input
    const tl = topic.length
    input[0] = tl >>> 24
    input[1] = (tl >>> 16) & 0xff
    input[2] = (tl >>> 8) & 0xff
    input[3] = tl & 0xff
    input.set(topic, 4)
    input.set(body, 4 + tl)
    const plain = this.#slab.take(body.length - HEADER_BYTES - TAG_BYTES)
    // Hot path: the backend directly; sizes are checked above (body >= header + tag).
    if (!this.#crypto.aeadDecryptInto(plain, views.ciphertext, views.ad, dataNonce(body, this.#nonce), entry.key)) {
      events.push({ type: "rejected", reason: "decrypt-failed", epoch, seq })
      return
    }
    let parts: Uint8Array[] | undefined
    if (body[1] === Kind.PACKED) {
      // Only a holder of the data key gets here; a bad layout is refused before it is held.
      parts = parsePacked(plain)
      if (parts === undefined) {
        events.push({ type: "rejected", reason: "malformed", epoch, seq })
        return
      }
    }
    const digest = new Uint8Array(DIGEST_BYTES)
    this.#crypto.genericHashInto(digest, input)
    const held: Held = { topic, body: plain, parts, epoch, seq, digest, at: now }
    // Its batch may already have arrived (a message delayed on another path).
    if (seq <= this.#recentTop) for (const batch of this.#recent) {
      const i = seq - batch.firstSeq
      if (i >= 0 && i < batch.count) {
        this.#settle(held, batch.digests, i * DIGEST_BYTES, events)
        return
      }
    }
    // Bounded by count and by octets: the oldest waiting messages make room.
    while (this.#heldCount > 0 && (this.#heldCount >= this.#maxHeld || this.#heldBytes + plain.length > this.#maxHeldBytes)) {
      const dropped = this.#dropOldest()
      events.push({ type: "rejected", reason: "held-overflow", epoch: dropped.epoch, seq: dropped.seq })
    }
    this.#held.push(held)
    this.#heldCount++
    this.#heldBytes += plain.length
  }

  /** Views into the scratch buffer for a message of these sizes (see #data). */
  #views(topicLength: number, bodyLength: number): MessageViews {
    const v = this.#lastViews
    if (v !== undefined && v.topicLength === topicLength && v.bodyLength === bodyLength) return v
    const need = 4 + topicLength + bodyLength
    if (this.#scratch.length < need) this.#scratch = new Uint8Array(Math.max(need, 2 * this.#scratch.length))
    const s = this.#scratch
    const made: MessageViews = {
      topicLength,
      bodyLength,
      input: s.subarray(0, need),
      ad: s.subarray(4, 4 + topicLength + HEADER_BYTES),
      ciphertext: s.subarray(4 + topicLength + HEADER_BYTES, need),
    }
    this.#lastViews = made
    return made
  }

  /** Remove and return the oldest held message (call only when one is held). */
  #dropOldest(): Held {
    const h = this.#held[this.#heldHead] as Held
    this.#held[this.#heldHead++] = undefined
    this.#heldCount--
    this.#heldBytes -= h.body.length
    if (this.#heldCount === 0) {
      this.#held.length = 0
      this.#heldHead = 0
    } else if (this.#heldHead >= 1024 && this.#heldHead * 2 >= this.#held.length) {
      this.#held = this.#held.slice(this.#heldHead)
      this.#heldHead = 0
    }
    return h
  }

  /** Deliver `held` when its digest is the signed one at `block[at..at+32]`. */
  #settle(held: Held, block: Uint8Array, at: number, events: ReaderEvent[]): void {
    if (!equalAt(held.digest, block, at)) {
      events.push({ type: "rejected", reason: "forged", epoch: held.epoch, seq: held.seq })
      return
    }
    const verdict = this.#window.check(held.seq)
    if (verdict !== "ok") {
      events.push({ type: "rejected", reason: verdict, epoch: held.epoch, seq: held.seq })
      return
    }
    this.#window.mark(held.seq)
    if (held.parts === undefined) events.push({ type: "message", topic: held.topic, body: held.body, epoch: held.epoch, seq: held.seq })
    else for (const part of held.parts) events.push({ type: "message", topic: held.topic, body: part, epoch: held.epoch, seq: held.seq })
  }

  #batch(body: Uint8Array, events: ReaderEvent[]): void {
    const batch = parseBatch(body)
    if (batch === undefined) {
      events.push({ type: "rejected", reason: "malformed" })
      return
    }
    if (!equalBytes(batch.keyId, this.keyId)) {
      events.push({ type: "rejected", reason: "unknown-publisher" })
      return
    }
    if (!verifyDetached(batch.signature, concat(BATCH_CONTEXT, batch.signed), this.#publisherKey)) {
      events.push({ type: "rejected", reason: "bad-signature" })
      return
    }
    // One pass over the held messages in arrival order: settle those this batch covers,
    // keep (compacted, order kept) the others. O(held) per batch, held <= maxHeld.
    const held = this.#held
    const first = batch.firstSeq
    let keep = this.#heldHead
    for (let i = this.#heldHead; i < held.length; i++) {
      const h = held[i] as Held
      const index = h.seq - first
      if (index >= 0 && index < batch.count) {
        this.#heldCount--
        this.#heldBytes -= h.body.length
        this.#settle(h, batch.digestBlock, index * DIGEST_BYTES, events)
      } else held[keep++] = h
    }
    held.length = keep
    if (this.#heldCount === 0) {
      held.length = 0
      this.#heldHead = 0
    }
    this.#recent.push({ firstSeq: first, count: batch.count, digests: new Uint8Array(batch.digestBlock) })
    this.#recentTop = Math.max(this.#recentTop, first + batch.count - 1)
    if (this.#recent.length > RECENT_BATCHES) this.#recent.shift()
  }

  #commit(body: Uint8Array, now: number, events: ReaderEvent[]): void {
    const commit = parseCommit(body)
    if (commit === undefined || !isLeafCount(commit.leafCount)) {
      events.push({ type: "rejected", reason: "malformed" })
      return
    }
    if (!equalBytes(commit.keyId, this.keyId)) {
      events.push({ type: "rejected", reason: "unknown-publisher" })
      return
    }
    if (!verifyDetached(commit.signature, concat(COMMIT_CONTEXT, commit.signed), this.#publisherKey)) {
      events.push({ type: "rejected", reason: "bad-signature" })
      return
    }
    const copy = parseCommit(new Uint8Array(body)) as Commit // keep it past the caller's buffer
    this.#commits.push(copy)
    if (this.#commits.length > BUFFERED_COMMITS) this.#commits.shift()
    if (commit.epoch <= this.#epoch) return // already known (from a welcome)
    this.#apply(copy, now, events)
  }

  #apply(commit: Commit, now: number, events: ReaderEvent[]): void {
    for (const join of commit.joins) {
      if (!equalBytes(join.hint, this.#hint) || join.leaf >= commit.leafCount) continue
      const leafKey = sealedBoxOpen(join.box, this.#publicKey, this.#secretKey)
      if (leafKey === undefined || leafKey.length !== 32) continue
      this.#wipeNodes()
      this.#leaf = join.leaf
      this.#nodes.set(leafNode(join.leaf), leafKey)
    }
    if (this.#leaf === undefined) {
      this.#needKeys(now, "not-joined", events)
      return
    }
    this.#leafCount = commit.leafCount
    const path = new Set([leafNode(this.#leaf), ...directPath(leafNode(this.#leaf), commit.leafCount)])
    commit.wraps.forEach((wrap, i) => {
      if (!path.has(wrap.node)) return
      const kek = this.#nodes.get(wrap.under)
      if (kek === undefined) return
      const key = new Uint8Array(32)
      if (aeadDecryptInto(key, wrap.box, wrapAd(commit.keyId, commit.epoch, wrap.node, wrap.under), wrapNonce(commit.salt, i), kek)) {
        this.#nodes.get(wrap.node)?.fill(0)
        this.#nodes.set(wrap.node, key)
      }
    })
    const rootKey = this.#nodes.get(root(commit.leafCount))
    const epochKey = new Uint8Array(32)
    if (
      commit.epochBox === undefined ||
      rootKey === undefined ||
      !aeadDecryptInto(epochKey, commit.epochBox, wrapAd(commit.keyId, commit.epoch, EPOCH_KEY_NODE, EPOCH_KEY_NODE), wrapNonce(commit.salt, commit.wraps.length), rootKey)
    ) {
      events.push({ type: "rejected", reason: "commit-unreadable", epoch: commit.epoch })
      this.#needKeys(now, "commit-unreadable", events)
      return
    }
    this.#epochs.set(commit.epoch, { key: epochKey, expires: undefined })
    this.#setEpoch(commit.epoch, now)
    events.push({ type: "epoch", epoch: commit.epoch, via: "commit" })
  }

  #setEpoch(epoch: number, now: number): void {
    if (epoch < this.#epoch) return
    this.#epoch = epoch
    for (const [e, entry] of this.#epochs) if (e !== epoch && entry.expires === undefined) entry.expires = now + this.#overlap
  }

  #needKeys(now: number, reason: "no-key" | "commit-unreadable" | "not-joined", events: ReaderEvent[]): void {
    if (now - this.#lastNeedKeys < this.#resyncInterval) return
    this.#lastNeedKeys = now
    events.push({ type: "need-keys", reason })
  }

  #wipeNodes(): void {
    for (const key of this.#nodes.values()) key.fill(0)
    this.#nodes = new Map()
  }
}
