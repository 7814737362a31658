/**
 * Keeping something read from disk up to date: the certificate store (a directory) and the
 * password file share it. Scans are serialized: calls made while a scan is waiting share it; a
 * call made while a scan runs gets the next one, so its result reflects the disk after the
 * call. Watching combines fs.watch on the directory (a shortcut) with a periodic rescan (the
 * guarantee: fs.watch misses events on some file systems, and a replaced file with the same
 * size and mtime is only caught by reading it). Timers and watchers never keep Node alive.
 */
import { type FSWatcher, watch as watchDirectory } from "node:fs"

export class Rescanner {
  readonly #scan: () => Promise<void>
  #queued: Promise<void> | undefined
  #tail: Promise<void> = Promise.resolve()
  #closed = false
  #watcher: FSWatcher | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(scan: () => Promise<void>) {
    this.#scan = scan
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Scan now (see the file comment for how concurrent calls are shared). */
  run(): Promise<void> {
    if (this.#queued) return this.#queued
    const next = this.#tail.then(() => {
      this.#queued = undefined
      return this.#scan()
    })
    this.#queued = next
    this.#tail = next.catch(() => undefined)
    return next
  }

  /**
   * Rescan when `directory` changes (for names `relevant` accepts; null = unknown name) and
   * every `interval` ms. A directory that cannot be watched (not there yet) relies on the timer.
   */
  watch(directory: string, interval: number, relevant: (name: string | null) => boolean = () => true): void {
    const rescan = (): void => {
      if (!this.#closed) this.run().catch(() => undefined)
    }
    try {
      this.#watcher = watchDirectory(directory, { persistent: false }, (_event, name) => {
        if (relevant(name)) rescan()
      })
      this.#watcher.on("error", () => {
        // The periodic rescan keeps going; fs.watch is only a shortcut.
        this.#watcher?.close()
        this.#watcher = undefined
      })
    } catch {
      this.#watcher = undefined
    }
    this.#timer = setInterval(rescan, interval)
    this.#timer.unref()
  }

  /** Stop watching; later scans started by run() still happen unless the owner checks `closed`. */
  close(): void {
    this.#closed = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
    this.#watcher?.close()
    this.#watcher = undefined
  }
}
