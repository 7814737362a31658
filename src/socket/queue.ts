/**
 * A FIFO queue with O(1) push and shift and no per-item allocation: an array used as a ring
 * that grows by doubling. Used for every message queue of the socket layer (pipes, events).
 */
export class Queue<T> {
  #items: (T | undefined)[]
  #head = 0
  #length = 0

  constructor(initialCapacity = 16) {
    // Power of two, so that wrapping is a mask.
    let capacity = 4
    while (capacity < initialCapacity) capacity *= 2
    this.#items = new Array<T | undefined>(capacity)
  }

  get length(): number {
    return this.#length
  }

  push(item: T): void {
    if (this.#length === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = item
    this.#length++
  }

  /** The oldest item, removed; undefined when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined
    const items = this.#items
    const item = items[this.#head]
    items[this.#head] = undefined
    this.#head = (this.#head + 1) & (items.length - 1)
    this.#length--
    return item
  }

  /** The oldest item, kept; undefined when empty. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head]
  }

  /** Put an item back at the front (the next shift() returns it). */
  unshift(item: T): void {
    if (this.#length === this.#items.length) this.#grow()
    this.#head = (this.#head - 1) & (this.#items.length - 1)
    this.#items[this.#head] = item
    this.#length++
  }

  /** Remove everything, returning the removed items in order. */
  drain(): T[] {
    const out: T[] = []
    while (this.#length > 0) out.push(this.shift() as T)
    return out
  }

  clear(): void {
    this.#items.fill(undefined)
    this.#head = 0
    this.#length = 0
  }

  #grow(): void {
    const old = this.#items
    const next = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & (old.length - 1)]
    this.#items = next
    this.#head = 0
  }
}
