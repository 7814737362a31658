/**
 * Counted prefix subscriptions (RFC 29 "PUB-SUB": a subscription is a prefix; an empty prefix
 * matches everything). A byte trie: matching walks at most min(message length, deepest
 * subscription) nodes and allocates nothing.
 *
 * Counts: SUB/XSUB count how often the application subscribed to a prefix (unsubscribe
 * cancels one); the publisher side counts, per prefix, how many peers subscribed to it, so it
 * can report only the first subscription and the last cancellation (XPUB, like libzmq).
 */
interface TrieNode {
  count: number
  children: Map<number, TrieNode> | undefined
}

function newNode(): TrieNode {
  return { count: 0, children: undefined }
}

export class SubscriptionTrie {
  #root: TrieNode = newNode()
  #size = 0

  /** Number of distinct prefixes with a count above zero. */
  get size(): number {
    return this.#size
  }

  /** Add one to `prefix`'s count. True when the prefix is new (count went from 0 to 1). */
  add(prefix: Uint8Array): boolean {
    let node = this.#root
    for (let i = 0; i < prefix.length; i++) {
      const byte = prefix[i] as number
      let children = node.children
      if (children === undefined) node.children = children = new Map()
      let next = children.get(byte)
      if (next === undefined) children.set(byte, (next = newNode()))
      node = next
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
    const path: TrieNode[] = []
    let node = this.#root
    for (let i = 0; i < prefix.length; i++) {
      const next = node.children?.get(prefix[i] as number)
      if (next === undefined) return false
      path.push(node)
      node = next
    }
    if (node.count === 0) return false
    node.count--
    if (node.count > 0) return false
    this.#size--
    // Prune empty branches so the trie does not grow with churn.
    for (let i = prefix.length - 1; i >= 0; i--) {
      const parent = path[i] as TrieNode
      const byte = prefix[i] as number
      const child = parent.children?.get(byte)
      if (child === undefined || child.count > 0 || child.children !== undefined) break
      parent.children?.delete(byte)
      if (parent.children?.size === 0) parent.children = undefined
    }
    return true
  }

  /** Drop `prefix` entirely (whatever its count). True when it was there. */
  delete(prefix: Uint8Array): boolean {
    let removed = false
    while (this.remove(prefix)) removed = true
    return removed
  }

  /** Whether `prefix` itself is subscribed (count above zero). */
  has(prefix: Uint8Array): boolean {
    let node: TrieNode | undefined = this.#root
    for (let i = 0; i < prefix.length && node !== undefined; i++) node = node.children?.get(prefix[i] as number)
    return node !== undefined && node.count > 0
  }

  /** Whether some subscribed prefix is a prefix of `data`. */
  matches(data: Uint8Array): boolean {
    let node: TrieNode | undefined = this.#root
    if (node.count > 0) return true
    for (let i = 0; i < data.length; i++) {
      const children: Map<number, TrieNode> | undefined = node.children
      if (children === undefined) return false
      node = children.get(data[i] as number)
      if (node === undefined) return false
      if (node.count > 0) return true
    }
    return false
  }

  /** Every subscribed prefix (with its count), depth-first. */
  entries(): Array<{ prefix: Uint8Array; count: number }> {
    const out: Array<{ prefix: Uint8Array; count: number }> = []
    const walk = (node: TrieNode, path: number[]): void => {
      if (node.count > 0) out.push({ prefix: Uint8Array.from(path), count: node.count })
      if (node.children === undefined) return
      for (const [byte, child] of node.children) {
        path.push(byte)
        walk(child, path)
        path.pop()
      }
    }
    walk(this.#root, [])
    return out
  }

  clear(): void {
    this.#root = newNode()
    this.#size = 0
  }
}
