/**
 * Counted prefix subscriptions (RFC 29 "PUB-SUB": a subscription is a prefix; an empty prefix
 * matches everything). A radix (compressed) trie: each edge carries a run of octets, so a
 * subscribed octet costs about one octet of heap (edges are Latin-1 strings, one octet per
 * character) instead of a node per octet, and matching walks at most min(message length,
 * deepest subscription) octets and allocates nothing.
 *
 * Every walk is a loop, never a recursion, so a prefix of any length (a peer may send one as
 * large as maxMessageSize) cannot overflow the stack. The socket layer bounds how long and how
 * many prefixes a peer may add (the maxSubscriptionSize / maxSubscriptions options).
 *
 * Counts: SUB/XSUB count how often the application subscribed to a prefix (unsubscribe
 * cancels one); the publisher side counts, per prefix, how many peers subscribed to it, so it
 * can report only the first subscription and the last cancellation (XPUB, like libzmq).
 *
 * Invariant (kept by add and remove): every node but the root either is subscribed
 * (count > 0) or branches (two children or more), so the trie holds at most two nodes per
 * subscribed prefix whatever the churn.
 */
interface TrieNode {
  /** The octets of the edge from the parent, as a Latin-1 string (empty only at the root). */
  label: string
  count: number
  /** Children keyed by the first octet of their label. */
  children: Map<number, TrieNode> | undefined
}

/** V8 keeps a slice of 13 characters or more as a view of its parent; copy so no parent is kept alive. */
function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "latin1").toString("latin1")
}

function keyOf(prefix: Uint8Array): string {
  return Buffer.from(prefix.buffer, prefix.byteOffset, prefix.length).toString("latin1")
}

export class SubscriptionTrie {
  #root: TrieNode = { label: "", count: 0, children: undefined }
  #size = 0

  /** Number of distinct prefixes with a count above zero. */
  get size(): number {
    return this.#size
  }

  /** Add one to `prefix`'s count. True when the prefix is new (count went from 0 to 1). */
  add(prefix: Uint8Array): boolean {
    const key = keyOf(prefix)
    let node = this.#root
    let i = 0
    while (i < key.length) {
      const first = key.charCodeAt(i)
      let children = node.children
      if (children === undefined) node.children = children = new Map()
      const child = children.get(first)
      if (child === undefined) {
        const leaf: TrieNode = { label: i === 0 ? key : own(key.slice(i)), count: 0, children: undefined }
        children.set(first, leaf)
        node = leaf
        break
      }
      const label = child.label
      const max = Math.min(label.length, key.length - i)
      let j = 1
      while (j < max && label.charCodeAt(j) === key.charCodeAt(i + j)) j++
      if (j < label.length) {
        // The key leaves (or ends inside) this edge: split it at j.
        const mid: TrieNode = { label: own(label.slice(0, j)), count: 0, children: new Map([[label.charCodeAt(j), child]]) }
        child.label = own(label.slice(j))
        children.set(first, mid)
        node = mid
      } else {
        node = child
      }
      i += j
    }
    node.count++
    if (node.count === 1) {
      this.#size++
      return true
    }
    return false
  }

  /**
   * Take one from `prefix`'s count. True when this removed it (count went from 1 to 0); false
   * when it was not subscribed, or is still subscribed.
   */
  remove(prefix: Uint8Array): boolean {
    return this.#remove(prefix, false)
  }

  /** Drop `prefix` entirely (whatever its count). True when it was there. */
  delete(prefix: Uint8Array): boolean {
    return this.#remove(prefix, true)
  }

  #remove(prefix: Uint8Array, all: boolean): boolean {
    const path = this.#path(keyOf(prefix))
    if (path === undefined) return false
    const node = path[path.length - 1] as TrieNode
    if (node.count === 0) return false
    node.count = all ? 0 : node.count - 1
    if (node.count > 0) return false
    this.#size--
    // Restore the invariant: drop a childless node, then merge a node left with one child.
    let k = path.length - 1
    let n = node
    if (k > 0 && n.children === undefined) {
      const parent = path[k - 1] as TrieNode
      const siblings = parent.children as Map<number, TrieNode>
      siblings.delete(n.label.charCodeAt(0))
      if (siblings.size === 0) parent.children = undefined
      n = parent
      k--
    }
    if (k > 0 && n.count === 0 && n.children !== undefined && n.children.size === 1) {
      const only = n.children.values().next().value as TrieNode
      n.label = own(n.label + only.label)
      n.count = only.count
      n.children = only.children
    }
    return true
  }

  /** The nodes from the root to the node that ends exactly at `key`; undefined when there is none. */
  #path(key: string): TrieNode[] | undefined {
    const path: TrieNode[] = [this.#root]
    let node = this.#root
    let i = 0
    while (i < key.length) {
      const child = node.children?.get(key.charCodeAt(i))
      if (child === undefined) return undefined
      const label = child.label
      if (label.length > key.length - i || !key.startsWith(label, i)) return undefined
      i += label.length
      node = child
      path.push(node)
    }
    return path
  }

  /** Whether `prefix` itself is subscribed (count above zero). */
  has(prefix: Uint8Array): boolean {
    const path = this.#path(keyOf(prefix))
    return path !== undefined && (path[path.length - 1] as TrieNode).count > 0
  }

  /** Whether some subscribed prefix is a prefix of `data`. */
  matches(data: Uint8Array): boolean {
    let node = this.#root
    if (node.count > 0) return true
    let i = 0
    while (i < data.length) {
      const children = node.children
      if (children === undefined) return false
      const child = children.get(data[i] as number)
      if (child === undefined) return false
      const label = child.label
      const n = label.length
      if (n > data.length - i) return false
      for (let j = 1; j < n; j++) if (label.charCodeAt(j) !== data[i + j]) return false
      i += n
      node = child
      if (node.count > 0) return true
    }
    return false
  }

  /** Every subscribed prefix (with its count) in octet order, depth-first with an explicit stack. */
  entries(): Array<{ prefix: Uint8Array; count: number }> {
    const out: Array<{ prefix: Uint8Array; count: number }> = []
    const stack: Array<{ node: TrieNode; key: string }> = [{ node: this.#root, key: "" }]
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const { node, key } = top
      if (node.count > 0) out.push({ prefix: Buffer.from(key, "latin1"), count: node.count })
      if (node.children === undefined) continue
      // Pushed highest first, so the lowest octet is walked next (a prefix before its extensions).
      const children = [...node.children.values()].sort((a, b) => b.label.charCodeAt(0) - a.label.charCodeAt(0))
      for (const child of children) stack.push({ node: child, key: key + child.label })
    }
    return out
  }

  /** Number of trie nodes (for tests of the no-growth-with-churn invariant). */
  get nodeCount(): number {
    let n = 0
    const stack: TrieNode[] = [this.#root]
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      n++
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child)
    }
    return n
  }

  clear(): void {
    this.#root = { label: "", count: 0, children: undefined }
    this.#size = 0
  }
}
