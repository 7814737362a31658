/**
 * The server's sessions by peer key (pure: no node:* imports, the clock is passed in).
 *
 * A Map keeps insertion order; `touch` re-inserts, so iteration runs from the least recently
 * active session to the most recent one: the idle sweep stops at the first live entry, and the
 * eviction victim for the cap is the first entry.
 */
export class SessionTable<S> {
  readonly #entries = new Map<string, { session: S; lastActive: number }>()

  get size(): number {
    return this.#entries.size
  }

  get(key: string): S | undefined {
    return this.#entries.get(key)?.session
  }

  /** Insert or replace; returns the session it replaced, if any. */
  set(key: string, session: S, now: number): S | undefined {
    const old = this.#entries.get(key)
    this.#entries.delete(key)
    this.#entries.set(key, { session, lastActive: now })
    return old?.session
  }

  /** Mark activity (moves the entry to the most-recent end). */
  touch(key: string, now: number): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    entry.lastActive = now
    this.#entries.delete(key)
    this.#entries.set(key, entry)
  }

  /** Remove `key` if it still maps to `session` (a replaced session must not remove its successor). */
  delete(key: string, session: S): boolean {
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.session !== session) return false
    this.#entries.delete(key)
    return true
  }

  /** Sessions idle for at least `idleMs` at `now`, least recent first. */
  idle(now: number, idleMs: number): Array<[string, S]> {
    const out: Array<[string, S]> = []
    for (const [key, entry] of this.#entries) {
      if (now - entry.lastActive < idleMs) break
      out.push([key, entry.session])
    }
    return out
  }

  /** The least recently active session (the one to evict when the table is full). */
  oldest(): [string, S] | undefined {
    for (const [key, entry] of this.#entries) return [key, entry.session]
    return undefined
  }

  *[Symbol.iterator](): IterableIterator<[string, S]> {
    for (const [key, entry] of this.#entries) yield [key, entry.session]
  }
}
