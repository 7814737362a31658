/**
 * The publisher's side, sans-IO: topic + body in, frames out (data messages, signed digest
 * batches, commits), and the welcome a key service hands to a member. No socket, no clock:
 * the caller passes `now` (milliseconds) and calls `tick(now)` by `deadline()`.
 *
 * Publisher authenticity, amortised: every data message's BLAKE2b-256 digest (over its topic
 * and body) joins a batch; the batch leaves, signed with Ed25519 under the publisher's
 * long-term key, after `batchSize` messages (128) or `batchDelay` ms (1), whichever comes first,
 * and at most once per `batchDelay` unless full (the first message after a quiet spell goes at
 * once). The deadline is checked by tick() and on every seal (`batchDue`), so it holds even when
 * the caller never lets a timer run. A reader delivers a message only once a valid batch lists
 * its digest, so the added delivery wait is bounded by `batchDelay` (plus transit). A reader that holds the data key can encrypt,
 * but cannot sign, so its forgeries are never delivered.
 */
import { aeadEncryptInto } from "../crypto/aead.js"
import { genericHash } from "../crypto/hash.js"
import { sealedBox } from "../crypto/seal.js"
import { signDetached, SIGN_SECRET_KEY_BYTES, type SigningKeyPair } from "../crypto/sign.js"
import { cryptoBackend, randomBytes, type CryptoBackend } from "../crypto/index.js"
import { toKey } from "../crypto/keys.js"
import {
  BATCH_CONTEXT,
  COMMIT_CONTEXT,
  concat,
  CONTROL_PREFIX,
  controlTopic,
  dataNonce,
  DIGEST_BYTES,
  encodeCommitUnsigned,
  encodeWelcomeUnsigned,
  EPOCH_KEY_NODE,
  HEADER_BYTES,
  Kind,
  MAX_BATCH,
  PACKED_ENTRY_OVERHEAD,
  packedCount,
  SALT_BYTES,
  SIGNATURE_BYTES,
  startsWith,
  TAG_BYTES,
  WELCOME_CONTEXT,
  wrapAd,
  VERSION,
  wrapNonce,
  writeHeader,
  writePacked,
  writeU64,
  Slab,
  type EncodedJoin,
  type EncodedWrap,
} from "./codec.js"
import { KeyTree } from "./key-tree.js"
import { z85Encode as z85 } from "../wire/z85.js"

/** Two frames: topic, body. */
export type StreamFrames = [Uint8Array, Uint8Array]

export interface StreamWriterOptions {
  /** The publisher's long-term Ed25519 key pair (see `signKeyPair`). */
  signingKey: SigningKeyPair
  /** Readers at the start: CURVE public keys (Z85). */
  members?: Iterable<string>
  /** Digests per signed batch (default 128, at most 4096). */
  batchSize?: number
  /**
   * Longest a digest waits for its batch signature, ms (default 1; 0 = at the end of the current
   * event-loop turn, lowest latency, one signature per turn at low rates). Batches leave at
   * most once per batchDelay (or when full): the first message after a quiet spell of at least
   * batchDelay is signed at once, later ones wait for the next slot.
   */
  batchDelay?: number
  /** Joiners whose leaf key travels sealed in the commit itself (default 16); others use the key service. */
  maxInlineJoins?: number
  /** Injected randomness (tests); default the crypto backend's CSPRNG. */
  random?: (n: number) => Uint8Array
}

export const DEFAULT_BATCH_SIZE = 128
export const DEFAULT_BATCH_DELAY = 1
export const DEFAULT_MAX_INLINE_JOINS = 16

/** Where the BATCH body starts in the block a batch is built in (after BATCH_CONTEXT), and its fixed head. */
const BATCH_AT = BATCH_CONTEXT.length
const BATCH_HEAD = 20
const batchBlockBytes = (digests: number): number => BATCH_AT + BATCH_HEAD + digests * DIGEST_BYTES + SIGNATURE_BYTES

/** Key id of a publisher: the first 8 octets of BLAKE2b-128 of its Ed25519 public key. */
export function publisherKeyId(signingPublicKey: Uint8Array): Uint8Array {
  return genericHash(16, signingPublicKey).subarray(0, 8)
}

/** The 8-octet hint that tells a reader which sealed join is its own. */
export function readerHint(publicKey: Uint8Array): Uint8Array {
  return genericHash(16, publicKey).subarray(0, 8)
}

/** What sealBody() and sealPacked() accept: bytes, and a topic outside the reserved control prefix. */
export function checkSealArguments(topic: Uint8Array, body: Uint8Array): void {
  if (!(topic instanceof Uint8Array) || !(body instanceof Uint8Array)) throw new TypeError("StreamWriter.seal: expected topic and body as Uint8Array")
  if (startsWith(topic, CONTROL_PREFIX)) throw new RangeError("StreamWriter.seal: topics starting with the reserved control prefix (\\0ih-sa/) are not allowed")
}

function positiveInteger(value: number | undefined, fallback: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`StreamWriter: expected ${what} as an integer from 0 to ${max}, got ${value}`)
  return value
}

/**
 * The argument checks of `new StreamWriter(options)`, which need no crypto backend (so a
 * SecurePublisher created before libsodium-wrappers is ready still throws at once).
 */
export function checkWriterOptions(options: StreamWriterOptions): void {
  const key = options?.signingKey
  if (!(key?.secretKey instanceof Uint8Array) || key.secretKey.length !== SIGN_SECRET_KEY_BYTES || !(key.publicKey instanceof Uint8Array)) {
    throw new TypeError("StreamWriter: expected signingKey as an Ed25519 key pair { publicKey (32), secretKey (64) }")
  }
  positiveInteger(options.batchSize, DEFAULT_BATCH_SIZE, "batchSize", MAX_BATCH)
  positiveInteger(options.batchDelay, DEFAULT_BATCH_DELAY, "batchDelay")
  positiveInteger(options.maxInlineJoins, DEFAULT_MAX_INLINE_JOINS, "maxInlineJoins", 65535)
  if (options.members !== undefined) for (const m of options.members) normaliseMember(m)
}

export class StreamWriter {
  readonly keyId: Uint8Array
  readonly controlTopic: Uint8Array
  readonly tree: KeyTree
  readonly #secretKey: Uint8Array
  readonly #batchSize: number
  readonly #batchDelay: number
  readonly #maxInlineJoins: number
  readonly #random: (n: number) => Uint8Array
  #seq = 0
  #batchFirst = 0
  /** Digests in the pending batch, and the batch being built (see sealBody()). */
  #count = 0
  #due = false
  #batchOpened = 0
  #batch = new Uint8Array(0)
  readonly #digest = new Uint8Array(DIGEST_BYTES)
  #batchDeadline: number | undefined
  /** When the last batch left (-Infinity: none yet), and the latest `now` seen. */
  #lastFlush = -Infinity
  #lastNow = 0
  #previousEpoch: { epoch: number; key: Uint8Array } | undefined
  readonly #nonce = new Uint8Array(24)
  /** Where sealPacked() lays out a PACKED plaintext (grown as needed, wiped after each use). */
  #packed = new Uint8Array(0)
  readonly #slab = new Slab()
  readonly #crypto: CryptoBackend = cryptoBackend()

  /**
   * Needs the crypto backend ready (with libsodium-wrappers, after `await cryptoReady()`);
   * SecurePublisher waits for it on its own.
   */
  constructor(options: StreamWriterOptions) {
    checkWriterOptions(options)
    this.#secretKey = new Uint8Array(options.signingKey.secretKey)
    const key = options.signingKey
    this.keyId = publisherKeyId(key.publicKey)
    this.controlTopic = controlTopic(this.keyId)
    this.#batchSize = Math.max(1, positiveInteger(options.batchSize, DEFAULT_BATCH_SIZE, "batchSize", MAX_BATCH))
    this.#batchDelay = positiveInteger(options.batchDelay, DEFAULT_BATCH_DELAY, "batchDelay")
    this.#maxInlineJoins = positiveInteger(options.maxInlineJoins, DEFAULT_MAX_INLINE_JOINS, "maxInlineJoins", 65535)
    this.#random = options.random ?? randomBytes
    const members = [...(options.members ?? [])].map(normaliseMember)
    this.tree = new KeyTree(members, this.#random)
  }

  get epoch(): number {
    return this.tree.epoch
  }

  /** Next sequence number to be used. */
  get sequence(): number {
    return this.#seq
  }

  /** Encrypt one message; returns it, followed by the signed batch when that is now full. */
  seal(topic: Uint8Array, body: Uint8Array, now: number): StreamFrames[] {
    const frames: StreamFrames[] = [[topic, this.sealBody(topic, body, now)]]
    if (this.batchDue) frames.push(...this.flush())
    return frames
  }

  /**
   * As seal(), without the per-message arrays: returns the DATA body frame (the topic frame is
   * `topic` itself). When `batchDue` is then true, the caller must flush() and send that batch
   * after this message, as seal() does.
   */
  sealBody(topic: Uint8Array, body: Uint8Array, now: number): Uint8Array {
    checkSealArguments(topic, body)
    return this.#seal(topic, Kind.DATA, body, now)
  }

  /**
   * Several messages of one topic as one PACKED message (codec.ts): one AEAD and one digest for
   * all of them, delivered by readers in order. Returns the body frame, as sealBody() does (and
   * the caller flushes the batch when `batchDue`). One body is sealed as plain DATA.
   */
  sealPacked(topic: Uint8Array, bodies: readonly Uint8Array[], now: number): Uint8Array {
    if (!Array.isArray(bodies) || bodies.length === 0) throw new TypeError("StreamWriter.sealPacked: expected a non-empty array of bodies")
    let size = 0
    for (const b of bodies) {
      checkSealArguments(topic, b)
      size += PACKED_ENTRY_OVERHEAD + b.length
    }
    if (bodies.length === 1) return this.#seal(topic, Kind.DATA, bodies[0] as Uint8Array, now)
    if (this.#packed.length < size) this.#packed = new Uint8Array(Math.max(size, 2 * this.#packed.length))
    const plain = this.#packed.subarray(0, writePacked(this.#packed, bodies))
    const out = this.#seal(topic, Kind.PACKED, plain, now)
    plain.fill(0) // the scratch held plaintext
    return out
  }

  /**
   * As sealPacked(), for bodies already laid out as a PACKED plaintext (`u32 length || body`
   * each, as writePacked() does); SecurePublisher copies each message into such a buffer when
   * it is sent, so a caller may reuse its buffers at once. One body is sealed as plain DATA.
   */
  sealPackedPlaintext(topic: Uint8Array, plaintext: Uint8Array, now: number): Uint8Array {
    checkSealArguments(topic, plaintext)
    const count = packedCount(plaintext)
    if (count < 1) throw new RangeError("StreamWriter.sealPackedPlaintext: expected u32 length || body for each message, with every length inside the buffer")
    if (count === 1) return this.#seal(topic, Kind.DATA, plaintext.subarray(PACKED_ENTRY_OVERHEAD), now)
    return this.#seal(topic, Kind.PACKED, plaintext, now)
  }

  #seal(topic: Uint8Array, kind: number, body: Uint8Array, now: number): Uint8Array {
    const seq = this.#seq++
    this.#lastNow = now
    // One piece per message, laid out as the digest input: u32 topic length || topic || DATA
    // body (header || ciphertext || tag). The associated data (topic || header) is a view of
    // it, the cipher writes into it, the hash reads it whole, and the body frame sent is a view
    // of it: encrypting and hashing take no other copy.
    const tl = topic.length
    const piece = this.#slab.take(4 + tl + HEADER_BYTES + body.length + TAG_BYTES)
    piece[0] = tl >>> 24
    piece[1] = (tl >>> 16) & 0xff
    piece[2] = (tl >>> 8) & 0xff
    piece[3] = tl & 0xff
    piece.set(topic, 4)
    const out = piece.subarray(4 + tl)
    writeHeader(out, this.keyId, this.tree.epoch, seq, kind)
    // Hot path: the backend directly (arguments are ours and of the right sizes), as the CURVE
    // message codec does; aeadEncryptInto() would check them again.
    this.#crypto.aeadEncryptInto(out.subarray(HEADER_BYTES), body, piece.subarray(4, 4 + tl + HEADER_BYTES), dataNonce(out, this.#nonce), this.tree.epochKey)
    if (this.#count === 0) {
      this.#batchFirst = seq
      this.#batchOpened = now
      // At most one batch per batchDelay, but no wait after a quiet spell: a lone message on
      // an idle stream is signed at once (the end of the caller's turn), and under load a
      // digest waits at most batchDelay, so signatures stay at <= 1000 / batchDelay per second.
      this.#batchDeadline = Math.max(now, this.#lastFlush + this.#batchDelay)
      // The batch is built in place, BATCH_CONTEXT || BATCH body || room for the signature, so
      // each digest goes straight to its slot and signing needs no copy (see flush()); room for
      // up to 128 digests at first (a lone message on a sparse stream), grown when needed.
      this.#batch = new Uint8Array(batchBlockBytes(Math.min(this.#batchSize, DEFAULT_BATCH_SIZE)))
    }
    const at = BATCH_AT + BATCH_HEAD + this.#count * DIGEST_BYTES
    if (at + DIGEST_BYTES + SIGNATURE_BYTES > this.#batch.length) {
      const grown = new Uint8Array(batchBlockBytes(Math.min(this.#batchSize, 2 * this.#count)))
      grown.set(this.#batch.subarray(0, at))
      this.#batch = grown
    }
    // The digest through a fixed 32-octet scratch: no allocation per message.
    this.#crypto.genericHashInto(this.#digest, piece)
    this.#batch.set(this.#digest, at)
    this.#count++
    // Due when full, or when its deadline passed while the caller kept sending: an application
    // that awaits each send() of a socket that resolves at once never lets the flush timer run
    // (a socket yields to the event loop only every few hundred sends), so the bound on the
    // wait (batchDelay) must not depend on that timer. A batch opened in this millisecond (the
    // first message after a quiet spell) is left to the timer, which runs at the end of this
    // turn, so a burst after a pause still shares one signature.
    const deadline = this.#batchDeadline as number
    this.#due = this.#count >= this.#batchSize || (now >= deadline && now > this.#batchOpened)
    return out
  }

  /**
   * True after sealBody() when the pending batch must leave now (full, or past its deadline):
   * flush() and send it after that message (seal() does it).
   */
  get batchDue(): boolean {
    return this.#due
  }

  /** When tick() must run for the pending batch to leave in time; undefined when none is pending. */
  deadline(): number | undefined {
    return this.#batchDeadline
  }

  /** Emit the pending batch when its deadline has passed. */
  tick(now: number): StreamFrames[] {
    if (now > this.#lastNow) this.#lastNow = now
    return this.#batchDeadline !== undefined && now >= this.#batchDeadline ? this.flush() : []
  }

  /** Emit the pending batch now (if any). */
  flush(): StreamFrames[] {
    const count = this.#count
    if (count === 0) return []
    const block = this.#batch
    this.#count = 0
    this.#due = false
    this.#batchDeadline = undefined
    this.#lastFlush = this.#lastNow
    // BATCH (codec.ts): version | kind | keyId | firstSeq (u64) | count (u16) | digests | signature
    block.set(BATCH_CONTEXT, 0)
    block[BATCH_AT] = VERSION
    block[BATCH_AT + 1] = Kind.BATCH
    block.set(this.keyId, BATCH_AT + 2)
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength)
    writeU64(view, BATCH_AT + 10, this.#batchFirst)
    view.setUint16(BATCH_AT + 18, count)
    const end = BATCH_AT + BATCH_HEAD + count * DIGEST_BYTES
    block.set(signDetached(block.subarray(0, end), this.#secretKey), end)
    return [[this.controlTopic, block.subarray(BATCH_AT, end + SIGNATURE_BYTES)]]
  }

  /**
   * Change the readers (CURVE public keys, Z85 or 32 octets) and start a new epoch. Returns the
   * pending batch (if any) and the signed commit to publish on the control topic.
   */
  commit(changes: { add?: Iterable<string | Uint8Array>; remove?: Iterable<string | Uint8Array> } = {}): StreamFrames[] {
    const frames = this.flush()
    const previous = { epoch: this.tree.epoch, key: this.tree.epochKey }
    const plan = this.tree.commit({ add: [...(changes.add ?? [])].map(normaliseMember), remove: [...(changes.remove ?? [])].map(normaliseMember) })
    if (this.#previousEpoch) this.#previousEpoch.key.fill(0)
    this.#previousEpoch = previous
    const salt = this.#random(SALT_BYTES)
    const wraps: EncodedWrap[] = plan.wraps.map((w, i) => ({
      node: w.node,
      under: w.under,
      box: aeadEncryptNew(w.key, wrapAd(this.keyId, plan.epoch, w.node, w.under), wrapNonce(salt, i), w.kek),
    }))
    const joins: EncodedJoin[] = []
    if (plan.joins.length <= this.#maxInlineJoins) {
      for (const j of plan.joins) {
        const publicKey = toKey(j.publicKey, "member")
        joins.push({ leaf: j.leaf, hint: readerHint(publicKey), box: sealedBox(j.leafKey, publicKey) })
      }
    }
    const epochBox = plan.rootKey === undefined ? undefined : aeadEncryptNew(plan.epochKey, wrapAd(this.keyId, plan.epoch, EPOCH_KEY_NODE, EPOCH_KEY_NODE), wrapNonce(salt, wraps.length), plan.rootKey)
    const unsigned = encodeCommitUnsigned({ keyId: this.keyId, epoch: plan.epoch, leafCount: plan.leafCount, salt, wraps, joins, epochBox })
    const signature = signDetached(concat(COMMIT_CONTEXT, unsigned), this.#secretKey)
    frames.push([this.controlTopic, concat(unsigned, signature)])
    return frames
  }

  /** A new epoch with the same readers (timer rotation). */
  rotate(): StreamFrames[] {
    return this.commit()
  }

  /** The signed welcome for a member (to seal to it), or undefined when it is not one. */
  welcome(member: string | Uint8Array): Uint8Array | undefined {
    const keys = this.tree.memberKeys(normaliseMember(member))
    if (keys === undefined) return undefined
    const epochs = [{ epoch: this.tree.epoch, key: this.tree.epochKey }]
    // The previous epoch (still in its overlap window) only for a reader that was already a
    // reader then: a joiner gets no key to traffic published before it joined.
    if (this.#previousEpoch && keys.joinedEpoch <= this.#previousEpoch.epoch) epochs.push(this.#previousEpoch)
    const unsigned = encodeWelcomeUnsigned({ keyId: this.keyId, epoch: this.tree.epoch, leafCount: keys.leafCount, leaf: keys.leaf, nodes: keys.nodes, epochs })
    return concat(unsigned, signDetached(concat(WELCOME_CONTEXT, unsigned), this.#secretKey))
  }

  /** Forget the signing key and epoch keys. */
  destroy(): void {
    this.#secretKey.fill(0)
    this.#previousEpoch?.key.fill(0)
  }
}

/**
 * BLAKE2b-256(u32 topic length || topic || body): what a batch lists for one message. The
 * input is laid out in one buffer (`scratch`, grown as needed) so the hash is one library call.
 */
export function messageDigest(topic: Uint8Array, body: Uint8Array, scratch?: DigestScratch, backend?: CryptoBackend): Uint8Array {
  const need = 4 + topic.length + body.length
  const space = scratch ?? { buffer: new Uint8Array(need) }
  if (space.buffer.length < need) space.buffer = new Uint8Array(Math.max(need, 2 * space.buffer.length))
  const input = space.buffer.subarray(0, need)
  input[0] = topic.length >>> 24
  input[1] = (topic.length >>> 16) & 0xff
  input[2] = (topic.length >>> 8) & 0xff
  input[3] = topic.length & 0xff
  input.set(topic, 4)
  input.set(body, 4 + topic.length)
  return backend === undefined ? genericHash(DIGEST_BYTES, input) : backend.genericHash(DIGEST_BYTES, [input])
}

/** A reusable buffer for messageDigest. */
export interface DigestScratch {
  buffer: Uint8Array
}

function aeadEncryptNew(message: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length + TAG_BYTES)
  aeadEncryptInto(out, message, ad, nonce, key)
  return out
}

/** Members are kept as Z85 strings (what CertificateStore and PeerInfo.publicKey give). */
export function normaliseMember(member: string | Uint8Array): string {
  return z85(toKey(member, "member public key"))
}
