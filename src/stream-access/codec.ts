/**
 * Wire formats of the stream-access layer (version 1). Every message is two ZeroMQ frames:
 * a topic frame in clear (so XPUB/XSUB repeaters filter on it unchanged) and a body frame.
 * Integers are big-endian. Parsers check every length before slicing and return undefined
 * for anything malformed (the caller reports a `malformed` event); they never throw on input.
 *
 * DATA   body = header (22) || ciphertext || tag (16)
 *        header = version 0x01 | kind 0x01 | keyId (8) | epoch (u32) | seq (u64)
 *        AEAD XChaCha20-Poly1305-IETF, key = the epoch's data key,
 *        nonce = header[2..22] || 0x00000000 (unique: one publisher per data key, seq never repeats),
 *        associated data = topic || header.
 * PACKED as DATA with kind 0x05 (same header, nonce, associated data and sequence numbers):
 *        several messages of one topic sent together, one AEAD and one digest for all of them;
 *        plaintext = k >= 2 × [u32 length || body], parsed with every length checked.
 * BATCH  (control topic) version | kind 0x02 | keyId (8) | firstSeq (u64) | count (u16) |
 *        count × BLAKE2b-256(u32 topic length || topic || DATA body) | Ed25519 signature (64)
 * COMMIT (control topic) version | kind 0x03 | keyId (8) | epoch (u32) | leafCount (u32) |
 *        salt (16) | wraps (u16) × [node u32 | under u32 | AEAD(node key) 48] |
 *        joins (u16) × [leaf u32 | hint (8) | sealed box(leaf key) 80] |
 *        hasRoot (u8) [ AEAD(epoch key) under the root key 48 ] | signature (64)
 *        wrap i uses nonce salt || u64(i); the epoch key uses i = wraps count.
 * WELCOME (key service reply, sealed to the reader) version | kind 0x04 | keyId (8) |
 *        epoch (u32) | leafCount (u32) | leaf (u32) | nodes (u16) × [node u32 | key 32] |
 *        epochs (u8) × [epoch u32 | key 32] | signature (64)
 * Signatures cover a context string || the message before the signature.
 */

export const VERSION = 1
export const Kind = { DATA: 1, BATCH: 2, COMMIT: 3, WELCOME: 4, PACKED: 5 } as const

export const KEY_ID_BYTES = 8
export const HEADER_BYTES = 22
export const TAG_BYTES = 16
export const DIGEST_BYTES = 32
export const SIGNATURE_BYTES = 64
export const WRAP_BYTES = 4 + 4 + 48
export const JOIN_BYTES = 4 + 8 + 80
export const SALT_BYTES = 16
/** Reserved topic prefix for BATCH and COMMIT messages; data topics may not start with it. */
export const CONTROL_PREFIX = new TextEncoder().encode("\u0000ih-sa/")
export const MAX_BATCH = 4096

export const BATCH_CONTEXT = new TextEncoder().encode("ironhouse stream-access v1 batch\u0000")
export const COMMIT_CONTEXT = new TextEncoder().encode("ironhouse stream-access v1 commit\u0000")
export const WELCOME_CONTEXT = new TextEncoder().encode("ironhouse stream-access v1 welcome\u0000")
export const WRAP_CONTEXT = new TextEncoder().encode("ih-sa1 wrap")

export interface DataHeader {
  keyId: Uint8Array
  epoch: number
  seq: number
}

export function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / 2 ** 32))
  view.setUint32(at + 4, value >>> 0)
}

export function readU64(view: DataView, at: number): number {
  return view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4)
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Write a DATA (or PACKED) header into `out[0..22]` (byte by byte: this runs once per message). */
export function writeHeader(out: Uint8Array, keyId: Uint8Array, epoch: number, seq: number, kind: number = Kind.DATA): void {
  out[0] = VERSION
  out[1] = kind
  out.set(keyId, 2)
  out[10] = epoch >>> 24
  out[11] = (epoch >>> 16) & 0xff
  out[12] = (epoch >>> 8) & 0xff
  out[13] = epoch & 0xff
  const high = Math.floor(seq / 2 ** 32)
  const low = seq >>> 0
  out[14] = high >>> 24
  out[15] = (high >>> 16) & 0xff
  out[16] = (high >>> 8) & 0xff
  out[17] = high & 0xff
  out[18] = low >>> 24
  out[19] = (low >>> 16) & 0xff
  out[20] = (low >>> 8) & 0xff
  out[21] = low & 0xff
}

function u32At(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0
}

/** True when body[2..10] is `keyId` (no allocation). */
export function hasKeyId(body: Uint8Array, keyId: Uint8Array): boolean {
  for (let i = 0; i < KEY_ID_BYTES; i++) if (body[2 + i] !== keyId[i]) return false
  return true
}

/** Epoch of a DATA body (call after isDataBody). */
export function dataEpoch(body: Uint8Array): number {
  return u32At(body, 10)
}

/** Sequence number of a DATA body (call after isDataBody); -1 when above 2^53. */
export function dataSeq(body: Uint8Array): number {
  const seq = u32At(body, 14) * 2 ** 32 + u32At(body, 18)
  return Number.isSafeInteger(seq) ? seq : -1
}

/** True when `body` is long enough and marked as a DATA (or PACKED) message of this version. */
export function isDataBody(body: Uint8Array): boolean {
  return body.length >= HEADER_BYTES + TAG_BYTES && body[0] === VERSION && (body[1] === Kind.DATA || body[1] === Kind.PACKED)
}

/** Octets one body takes in a PACKED plaintext. */
export const PACKED_ENTRY_OVERHEAD = 4

/**
 * Lay `bodies` out as a PACKED plaintext (k × [u32 length || body]) in `out`, which must have
 * packedSize(bodies) octets; returns the octets written.
 */
export function writePacked(out: Uint8Array, bodies: readonly Uint8Array[]): number {
  let at = 0
  for (const b of bodies) {
    const n = b.length
    out[at] = n >>> 24
    out[at + 1] = (n >>> 16) & 0xff
    out[at + 2] = (n >>> 8) & 0xff
    out[at + 3] = n & 0xff
    out.set(b, at + 4)
    at += 4 + n
  }
  return at
}

/** How many bodies a packed plaintext holds, or -1 when a length runs past its end. */
export function packedCount(plain: Uint8Array): number {
  let count = 0
  let at = 0
  while (at < plain.length) {
    if (at + PACKED_ENTRY_OVERHEAD > plain.length) return -1
    const n = u32At(plain, at)
    at += PACKED_ENTRY_OVERHEAD
    if (n > plain.length - at) return -1
    at += n
    count++
  }
  return count
}

/**
 * The bodies of a PACKED plaintext, as views of it; undefined when a length runs past the end
 * or there are fewer than two (a lone message is sent as DATA). Every length is checked before
 * the view is taken, and the parts are at most plain.length / 4.
 */
export function parsePacked(plain: Uint8Array): Uint8Array[] | undefined {
  const parts: Uint8Array[] = []
  let at = 0
  while (at < plain.length) {
    if (at + PACKED_ENTRY_OVERHEAD > plain.length) return undefined
    const n = u32At(plain, at)
    at += PACKED_ENTRY_OVERHEAD
    if (n > plain.length - at) return undefined
    parts.push(plain.subarray(at, at + n))
    at += n
  }
  return parts.length >= 2 ? parts : undefined
}

/** The header of a DATA body, or undefined when it is not one. */
export function parseHeader(body: Uint8Array): DataHeader | undefined {
  if (!isDataBody(body)) return undefined
  const seq = dataSeq(body)
  if (seq < 0) return undefined
  return { keyId: body.subarray(2, 10), epoch: dataEpoch(body), seq }
}

/** The 24-octet nonce of a DATA message: header[2..22] || four zero octets. */
export function dataNonce(body: Uint8Array, nonce: Uint8Array): Uint8Array {
  // Byte by byte: a subarray of a Buffer costs more than these 20 copies (once per message).
  for (let i = 0; i < HEADER_BYTES - 2; i++) nonce[i] = body[2 + i] as number
  nonce[20] = 0
  nonce[21] = 0
  nonce[22] = 0
  nonce[23] = 0
  return nonce
}

/** The control topic of the publisher with this key id: CONTROL_PREFIX || hex(keyId). */
export function controlTopic(keyId: Uint8Array): Uint8Array {
  const hex = new TextEncoder().encode(toHex(keyId))
  const topic = new Uint8Array(CONTROL_PREFIX.length + hex.length)
  topic.set(CONTROL_PREFIX)
  topic.set(hex, CONTROL_PREFIX.length)
  return topic
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

export function toHex(bytes: Uint8Array): string {
  let s = ""
  for (const b of bytes) s += b.toString(16).padStart(2, "0")
  return s
}

/** True when `a` equals the `a.length` octets of `block` from `at` (no allocation). */
export function equalAt(a: Uint8Array, block: Uint8Array, at: number): boolean {
  if (at < 0 || at + a.length > block.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== block[at + i]) return false
  return true
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

// ---- BATCH ---------------------------------------------------------------------------------

export interface Batch {
  keyId: Uint8Array
  firstSeq: number
  /** Digests listed (1..MAX_BATCH). */
  count: number
  /** The count × 32 digest octets, digest i at i × 32 (a view into the body: copy to keep). */
  digestBlock: Uint8Array
  /** The signed part (without the context) and the signature. */
  signed: Uint8Array
  signature: Uint8Array
}

export function encodeBatchUnsigned(keyId: Uint8Array, firstSeq: number, digests: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(2 + 8 + 8 + 2 + digests.length * DIGEST_BYTES)
  out[0] = VERSION
  out[1] = Kind.BATCH
  out.set(keyId, 2)
  const view = viewOf(out)
  writeU64(view, 10, firstSeq)
  view.setUint16(18, digests.length)
  let at = 20
  for (const d of digests) {
    out.set(d, at)
    at += DIGEST_BYTES
  }
  return out
}

export function parseBatch(body: Uint8Array): Batch | undefined {
  if (body.length < 20 + SIGNATURE_BYTES || body[0] !== VERSION || body[1] !== Kind.BATCH) return undefined
  const view = viewOf(body)
  const firstSeq = readU64(view, 10)
  const count = view.getUint16(18)
  if (count === 0 || count > MAX_BATCH || !Number.isSafeInteger(firstSeq + count)) return undefined
  if (body.length !== 20 + count * DIGEST_BYTES + SIGNATURE_BYTES) return undefined
  const end = body.length - SIGNATURE_BYTES
  return { keyId: body.subarray(2, 10), firstSeq, count, digestBlock: body.subarray(20, end), signed: body.subarray(0, end), signature: body.subarray(end) }
}

// ---- COMMIT --------------------------------------------------------------------------------

export interface EncodedWrap {
  node: number
  under: number
  box: Uint8Array
}

export interface EncodedJoin {
  leaf: number
  hint: Uint8Array
  box: Uint8Array
}

export interface Commit {
  keyId: Uint8Array
  epoch: number
  leafCount: number
  salt: Uint8Array
  wraps: EncodedWrap[]
  joins: EncodedJoin[]
  epochBox: Uint8Array | undefined
  signed: Uint8Array
  signature: Uint8Array
}

export function encodeCommitUnsigned(c: Omit<Commit, "signed" | "signature">): Uint8Array {
  const size = 2 + 8 + 4 + 4 + SALT_BYTES + 2 + c.wraps.length * WRAP_BYTES + 2 + c.joins.length * JOIN_BYTES + 1 + (c.epochBox ? 48 : 0)
  const out = new Uint8Array(size)
  const view = viewOf(out)
  out[0] = VERSION
  out[1] = Kind.COMMIT
  out.set(c.keyId, 2)
  view.setUint32(10, c.epoch)
  view.setUint32(14, c.leafCount)
  out.set(c.salt, 18)
  let at = 18 + SALT_BYTES
  view.setUint16(at, c.wraps.length)
  at += 2
  for (const w of c.wraps) {
    view.setUint32(at, w.node)
    view.setUint32(at + 4, w.under)
    out.set(w.box, at + 8)
    at += WRAP_BYTES
  }
  view.setUint16(at, c.joins.length)
  at += 2
  for (const j of c.joins) {
    view.setUint32(at, j.leaf)
    out.set(j.hint, at + 4)
    out.set(j.box, at + 12)
    at += JOIN_BYTES
  }
  out[at++] = c.epochBox ? 1 : 0
  if (c.epochBox) out.set(c.epochBox, at)
  return out
}

export function parseCommit(body: Uint8Array): Commit | undefined {
  const fixed = 2 + 8 + 4 + 4 + SALT_BYTES + 2
  if (body.length < fixed + 2 + 1 + SIGNATURE_BYTES || body[0] !== VERSION || body[1] !== Kind.COMMIT) return undefined
  const view = viewOf(body)
  const end = body.length - SIGNATURE_BYTES
  let at = 18 + SALT_BYTES
  const nWraps = view.getUint16(at)
  at += 2
  if (at + nWraps * WRAP_BYTES + 2 > end) return undefined
  const wraps: EncodedWrap[] = []
  for (let i = 0; i < nWraps; i++, at += WRAP_BYTES) {
    wraps.push({ node: view.getUint32(at), under: view.getUint32(at + 4), box: body.subarray(at + 8, at + WRAP_BYTES) })
  }
  const nJoins = view.getUint16(at)
  at += 2
  if (at + nJoins * JOIN_BYTES + 1 > end) return undefined
  const joins: EncodedJoin[] = []
  for (let i = 0; i < nJoins; i++, at += JOIN_BYTES) {
    joins.push({ leaf: view.getUint32(at), hint: body.subarray(at + 4, at + 12), box: body.subarray(at + 12, at + JOIN_BYTES) })
  }
  const hasRoot = body[at++]
  if (hasRoot !== 0 && hasRoot !== 1) return undefined
  if (at + (hasRoot === 1 ? 48 : 0) !== end) return undefined
  return {
    keyId: body.subarray(2, 10),
    epoch: view.getUint32(10),
    leafCount: view.getUint32(14),
    salt: body.subarray(18, 18 + SALT_BYTES),
    wraps,
    joins,
    epochBox: hasRoot === 1 ? body.subarray(at, end) : undefined,
    signed: body.subarray(0, end),
    signature: body.subarray(end),
  }
}

/** Nonce of wrap `index` in a commit: salt (16) || u64(index). */
export function wrapNonce(salt: Uint8Array, index: number): Uint8Array {
  const nonce = new Uint8Array(24)
  nonce.set(salt)
  writeU64(viewOf(nonce), 16, index)
  return nonce
}

/** Associated data of a wrap: context || keyId || epoch || node || under. */
export function wrapAd(keyId: Uint8Array, epoch: number, node: number, under: number): Uint8Array {
  const ad = new Uint8Array(WRAP_CONTEXT.length + 8 + 12)
  ad.set(WRAP_CONTEXT)
  ad.set(keyId, WRAP_CONTEXT.length)
  const view = viewOf(ad)
  view.setUint32(WRAP_CONTEXT.length + 8, epoch)
  view.setUint32(WRAP_CONTEXT.length + 12, node)
  view.setUint32(WRAP_CONTEXT.length + 16, under)
  return ad
}

/** The node id used in wrapAd for the epoch key wrapped under the root. */
export const EPOCH_KEY_NODE = 0xffffffff

// ---- WELCOME -------------------------------------------------------------------------------

export interface Welcome {
  keyId: Uint8Array
  epoch: number
  leafCount: number
  leaf: number
  nodes: { node: number; key: Uint8Array }[]
  epochs: { epoch: number; key: Uint8Array }[]
  signed: Uint8Array
  signature: Uint8Array
}

export function encodeWelcomeUnsigned(w: Omit<Welcome, "signed" | "signature">): Uint8Array {
  const out = new Uint8Array(2 + 8 + 12 + 2 + w.nodes.length * 36 + 1 + w.epochs.length * 36)
  const view = viewOf(out)
  out[0] = VERSION
  out[1] = Kind.WELCOME
  out.set(w.keyId, 2)
  view.setUint32(10, w.epoch)
  view.setUint32(14, w.leafCount)
  view.setUint32(18, w.leaf)
  let at = 22
  view.setUint16(at, w.nodes.length)
  at += 2
  for (const n of w.nodes) {
    view.setUint32(at, n.node)
    out.set(n.key, at + 4)
    at += 36
  }
  out[at++] = w.epochs.length
  for (const e of w.epochs) {
    view.setUint32(at, e.epoch)
    out.set(e.key, at + 4)
    at += 36
  }
  return out
}

export function parseWelcome(body: Uint8Array): Welcome | undefined {
  if (body.length < 25 + SIGNATURE_BYTES || body[0] !== VERSION || body[1] !== Kind.WELCOME) return undefined
  const view = viewOf(body)
  const end = body.length - SIGNATURE_BYTES
  let at = 22
  const nNodes = view.getUint16(at)
  at += 2
  if (at + nNodes * 36 + 1 > end) return undefined
  const nodes: { node: number; key: Uint8Array }[] = []
  for (let i = 0; i < nNodes; i++, at += 36) nodes.push({ node: view.getUint32(at), key: body.subarray(at + 4, at + 36) })
  const nEpochs = body[at++] ?? 0
  if (at + nEpochs * 36 !== end) return undefined
  const epochs: { epoch: number; key: Uint8Array }[] = []
  for (let i = 0; i < nEpochs; i++, at += 36) epochs.push({ epoch: view.getUint32(at), key: body.subarray(at + 4, at + 36) })
  return {
    keyId: body.subarray(2, 10),
    epoch: view.getUint32(10),
    leafCount: view.getUint32(14),
    leaf: view.getUint32(18),
    nodes,
    epochs,
    signed: body.subarray(0, end),
    signature: body.subarray(end),
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * Carves message buffers out of 64 KiB slabs: a typed array above 64 octets costs a separate
 * off-heap allocation in V8 (microseconds, and GC finalisation), which at 256 B messages was
 * most of the per-message cost. Buffers above `maxPiece` get their own allocation. A slab is
 * shared only by messages of the same stream (the same writer or reader).
 */
export class Slab {
  #slab: Uint8Array = new Uint8Array(0)
  #offset = 0
  /**
   * `allocate` makes the slabs and the pieces above `maxPiece` (default `new Uint8Array`); a
   * Node adapter passes Buffer.allocUnsafeSlow, so the pieces are Buffers (a Buffer's subarray
   * is a Buffer) and need no second view to be handed out as one.
   */
  constructor(
    readonly size = 64 * 1024,
    readonly maxPiece = 16 * 1024,
    readonly allocate: (n: number) => Uint8Array = (n) => new Uint8Array(n),
  ) {}

  take(n: number): Uint8Array {
    if (n > this.maxPiece) return this.allocate(n)
    if (this.#offset + n > this.#slab.length) {
      this.#slab = this.allocate(this.size)
      this.#offset = 0
    }
    const piece = this.#slab.subarray(this.#offset, this.#offset + n)
    this.#offset += (n + 7) & ~7
    return piece
  }
}
