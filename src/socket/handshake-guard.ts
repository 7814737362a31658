/**
 * Which connection to shed when too many accepted connections are still in their greeting or
 * security handshake (service under a handshake flood; CVE-2020-15166 is about such
 * connections holding back authenticated peers, issue 8 item 6 about them locking newcomers
 * out).
 *
 * libzmq never caps pending handshakes, so a flood costs it memory without bound. Refusing
 * newcomers once a cap is reached (what Ironhouse did before) bounds memory but lets a flood
 * lock legitimate clients out until the handshake timeout frees places. This guard does
 * neither: the cap holds, and a newcomer always gets in by pushing out
 *
 *   1. the oldest pending connection of the source with the most pending connections, when
 *      some source has more than one (a flood from one host or one IPv6 /64 pays for itself);
 *   2. else the oldest pending connection of all.
 *
 * A legitimate client finishes its handshake in a round trip or two, so it is never the
 * oldest for long; an attacker who holds connections open loses them to every newcomer.
 *
 * Pure bookkeeping, O(1) per operation (insertion-ordered maps for age, count buckets for
 * "most represented", as an LFU cache keeps them). No I/O, no clock.
 */
export class HandshakeGuard<T> {
  /** Every pending item, oldest first, with its source. */
  readonly #all = new Map<T, string>()
  /** Pending items per source, oldest first. */
  readonly #bySource = new Map<string, Set<T>>()
  /** Sources by their number of pending items. */
  readonly #byCount = new Map<number, Set<string>>()
  #maxCount = 0

  /** Pending items. */
  get size(): number {
    return this.#all.size
  }

  /** Pending items from `source`. */
  countOf(source: string): number {
    return this.#bySource.get(source)?.size ?? 0
  }

  has(item: T): boolean {
    return this.#all.has(item)
  }

  /** Record a pending item (a no-op when already recorded). */
  add(item: T, source: string): void {
    if (this.#all.has(item)) return
    this.#all.set(item, source)
    let items = this.#bySource.get(source)
    if (items === undefined) {
      items = new Set()
      this.#bySource.set(source, items)
    }
    const before = items.size
    items.add(item)
    this.#moveSource(source, before, before + 1)
  }

  /** Forget an item (its handshake completed or its connection closed). */
  delete(item: T): void {
    const source = this.#all.get(item)
    if (source === undefined) return
    this.#all.delete(item)
    const items = this.#bySource.get(source) as Set<T>
    const before = items.size
    items.delete(item)
    if (items.size === 0) this.#bySource.delete(source)
    this.#moveSource(source, before, before - 1)
  }

  /** The item to shed to make room for one more (see the policy above); undefined when empty. */
  victim(): T | undefined {
    if (this.#maxCount > 1) {
      const crowded = this.#byCount.get(this.#maxCount)
      for (const source of crowded ?? []) {
        for (const item of this.#bySource.get(source) ?? []) return item
      }
    }
    for (const item of this.#all.keys()) return item
    return undefined
  }

  /** The oldest pending item (for deadline sweeps). */
  oldest(): T | undefined {
    for (const item of this.#all.keys()) return item
    return undefined
  }

  #moveSource(source: string, from: number, to: number): void {
    if (from > 0) {
      const bucket = this.#byCount.get(from) as Set<string>
      bucket.delete(source)
      if (bucket.size === 0) this.#byCount.delete(from)
    }
    if (to > 0) {
      let bucket = this.#byCount.get(to)
      if (bucket === undefined) {
        bucket = new Set()
        this.#byCount.set(to, bucket)
      }
      bucket.add(source)
    }
    if (to > this.#maxCount) this.#maxCount = to
    while (this.#maxCount > 0 && !this.#byCount.has(this.#maxCount)) this.#maxCount--
  }
}

/**
 * The source a connection is charged to: an IPv4 address as is (IPv4-mapped IPv6 addresses in
 * their dotted form), an IPv6 address by its /64 (one host or site usually holds a whole /64,
 * so addresses inside it are one source), "" for ipc.
 */
export function sourceOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1] as string
  if (!address.includes(":")) return address
  const zone = address.indexOf("%")
  const bare = (zone >= 0 ? address.slice(0, zone) : address).toLowerCase()
  const halves = bare.split("::")
  if (halves.length > 2) return bare // not a valid address: charge it as given
  const head = halves[0] === "" || halves[0] === undefined ? [] : halves[0].split(":")
  const tail = halves.length === 2 && halves[1] !== "" && halves[1] !== undefined ? halves[1].split(":") : []
  const groups =
    halves.length === 2 ? [...head, ...new Array<string>(Math.max(0, 8 - head.length - tail.length)).fill("0"), ...tail] : head
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`
}
