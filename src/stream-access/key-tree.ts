/**
 * The publisher's logical key hierarchy (RFC 2627 §5.4, LKH), as plain data over the array
 * indices of ./tree-math.ts.
 *
 * - Every reader sits at a leaf and holds the keys of its leaf and of every node on its
 *   direct path; the root key is shared by all current readers. A node has a key exactly
 *   when its subtree holds at least one reader (invariant checked by the property tests).
 * - A commit applies joins and removals together: each changed leaf's direct path gets fresh
 *   random keys, bottom-up, and each fresh key is wrapped (AEAD) under the key of each child
 *   that has one. One removal in a tree of n leaves costs at most 2·log2(n) wraps (34 at
 *   100,000 readers): the removed reader knew only the old keys on its path, all replaced,
 *   and never any copath key, so it can unwrap nothing.
 * - Each epoch has a fresh random data key wrapped under the root key; a timer rotation is
 *   a commit with no membership change (one wrap).
 * - A joiner's leaf key is random; it reaches the joiner sealed to its X25519 (CURVE) public
 *   key, inline in the commit (up to a few joiners) or from the key service.
 *
 * Randomness is injected (`random`), so a test can drive the tree deterministically.
 */
import { directPath, leafNode, level, left, right, root, nodeWidth, MAX_LEAVES } from "./tree-math.js"

export const TREE_KEY_BYTES = 32

/** One fresh node key wrapped under one child's key (encrypted by the codec). */
export interface PlannedWrap {
  /** The node whose new key is wrapped. */
  node: number
  /** The child (of `node`) whose key wraps it. */
  under: number
  key: Uint8Array
  kek: Uint8Array
}

/** A reader added by a commit and its leaf key (to seal to its public key). */
export interface PlannedJoin {
  publicKey: string
  leaf: number
  leafKey: Uint8Array
}

/** What a commit changed: enough for the codec to build the commit message. */
export interface CommitPlan {
  epoch: number
  leafCount: number
  wraps: PlannedWrap[]
  joins: PlannedJoin[]
  removed: string[]
  /** The new epoch's data key, to wrap under `rootKey`. */
  epochKey: Uint8Array
  /** Root key after the commit; undefined when no reader is left. */
  rootKey: Uint8Array | undefined
}

/** What a member needs to follow the stream from now on (the key service's answer). */
export interface MemberKeys {
  leaf: number
  leafCount: number
  /** Keys of the leaf and of every keyed node on its direct path. */
  nodes: { node: number; key: Uint8Array }[]
  /** The epoch the member joined in. */
  joinedEpoch: number
}

export class KeyTree {
  #leafCount = 1
  #keys: (Uint8Array | undefined)[] = [undefined]
  #members: (string | undefined)[] = [undefined]
  readonly #byKey = new Map<string, number>()
  /** The epoch in which each member joined (a joiner gets no key of an earlier epoch). */
  readonly #joined = new Map<string, number>()
  /** Free leaves below #nextLeaf, reused lowest-first is not needed: LIFO keeps it O(1). */
  readonly #free: number[] = []
  #nextLeaf = 0
  #epoch = 0
  #epochKey: Uint8Array
  readonly #random: (n: number) => Uint8Array

  /**
   * A tree holding `members` (public keys, Z85) at epoch 1, all keys fresh. No commit message
   * is produced: initial members fetch their keys from the key service.
   */
  constructor(members: Iterable<string>, random: (n: number) => Uint8Array) {
    this.#random = random
    const list = [...new Set(members)]
    let n = 1
    while (n < list.length) n *= 2
    if (n > MAX_LEAVES) throw new RangeError(`KeyTree: expected at most ${MAX_LEAVES} members, got ${list.length}`)
    this.#resize(n)
    for (const member of list) {
      const leaf = this.#nextLeaf++
      this.#members[leaf] = member
      this.#byKey.set(member, leaf)
      this.#joined.set(member, 1)
      this.#keys[leafNode(leaf)] = this.#fresh()
    }
    // Parents bottom-up: level by level, a parent keyed iff a child is.
    for (let k = 1; (1 << k) <= 2 * n - 1; k++) {
      for (let x = (1 << k) - 1; x < 2 * n - 1; x += 1 << (k + 1)) {
        if (this.#keys[left(x)] !== undefined || this.#keys[right(x)] !== undefined) this.#keys[x] = this.#fresh()
      }
    }
    this.#epoch = 1
    this.#epochKey = this.#fresh()
  }

  get epoch(): number {
    return this.#epoch
  }
  get leafCount(): number {
    return this.#leafCount
  }
  get size(): number {
    return this.#byKey.size
  }
  get epochKey(): Uint8Array {
    return this.#epochKey
  }
  get rootKey(): Uint8Array | undefined {
    return this.#keys[root(this.#leafCount)]
  }
  has(member: string): boolean {
    return this.#byKey.has(member)
  }
  members(): string[] {
    return [...this.#byKey.keys()]
  }
  /** The key of node `x` (tests and the key service). */
  nodeKey(x: number): Uint8Array | undefined {
    return this.#keys[x]
  }

  /** The keys a member holds, or undefined for a non-member. */
  memberKeys(member: string): MemberKeys | undefined {
    const leaf = this.#byKey.get(member)
    if (leaf === undefined) return undefined
    const nodes: { node: number; key: Uint8Array }[] = []
    for (const x of [leafNode(leaf), ...directPath(leafNode(leaf), this.#leafCount)]) {
      const key = this.#keys[x]
      if (key !== undefined) nodes.push({ node: x, key })
    }
    return { leaf, leafCount: this.#leafCount, nodes, joinedEpoch: this.#joined.get(member) ?? this.#epoch }
  }

  /**
   * Apply joins and removals (unknown removals and known joins are ignored) and start a new
   * epoch. With no change this is a rotation: a new epoch key under the same root key.
   */
  commit(changes: { add?: Iterable<string>; remove?: Iterable<string> } = {}): CommitPlan {
    const dirty = new Set<number>()
    const removed: string[] = []
    for (const member of changes.remove ?? []) {
      const leaf = this.#byKey.get(member)
      if (leaf === undefined) continue
      this.#byKey.delete(member)
      this.#joined.delete(member)
      this.#members[leaf] = undefined
      this.#keys[leafNode(leaf)]?.fill(0)
      this.#keys[leafNode(leaf)] = undefined
      this.#free.push(leaf)
      removed.push(member)
      dirty.add(leafNode(leaf))
    }
    const joins: PlannedJoin[] = []
    for (const member of changes.add ?? []) {
      if (this.#byKey.has(member)) continue
      const leaf = this.#takeLeaf()
      const leafKey = this.#fresh()
      this.#members[leaf] = member
      this.#byKey.set(member, leaf)
      this.#joined.set(member, this.#epoch + 1)
      this.#keys[leafNode(leaf)] = leafKey
      joins.push({ publicKey: member, leaf, leafKey })
      dirty.add(leafNode(leaf))
    }
    // Union of the changed leaves' direct paths, refreshed bottom-up.
    const refresh = new Set<number>()
    for (const x of dirty) for (const p of directPath(x, this.#leafCount)) refresh.add(p)
    const order = [...refresh].sort((a, b) => level(a) - level(b) || a - b)
    const wraps: PlannedWrap[] = []
    for (const p of order) {
      const l = left(p)
      const r = right(p)
      const lk = this.#keys[l]
      const rk = this.#keys[r]
      this.#keys[p]?.fill(0)
      if (lk === undefined && rk === undefined) {
        this.#keys[p] = undefined
        continue
      }
      const key = this.#fresh()
      this.#keys[p] = key
      if (lk !== undefined) wraps.push({ node: p, under: l, key, kek: lk })
      if (rk !== undefined) wraps.push({ node: p, under: r, key, kek: rk })
    }
    this.#epoch++
    this.#epochKey = this.#fresh()
    return { epoch: this.#epoch, leafCount: this.#leafCount, wraps, joins, removed, epochKey: this.#epochKey, rootKey: this.rootKey }
  }

  #takeLeaf(): number {
    const reused = this.#free.pop()
    if (reused !== undefined) return reused
    if (this.#nextLeaf === this.#leafCount) {
      if (this.#leafCount * 2 > MAX_LEAVES) throw new RangeError(`KeyTree: the tree is full (${MAX_LEAVES} readers)`)
      this.#resize(this.#leafCount * 2)
    }
    return this.#nextLeaf++
  }

  #resize(n: number): void {
    // Doubling keeps every index: the old tree is the left half (RFC 9420 §7.8).
    this.#leafCount = n
    this.#keys.length = nodeWidth(n)
    this.#members.length = n
  }

  #fresh(): Uint8Array {
    const key = this.#random(TREE_KEY_BYTES)
    if (!(key instanceof Uint8Array) || key.length !== TREE_KEY_BYTES) throw new RangeError(`KeyTree: expected random(${TREE_KEY_BYTES}) to return ${TREE_KEY_BYTES} octets`)
    return key
  }
}
