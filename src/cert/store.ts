/**
 * A directory of public certificates, looked up by public key: what CZMQ's `zcertstore` and
 * pyzmq's `load_certificates` give an Ironhouse server.
 *
 * - Every file counts, whatever its name (CZMQ's rule), except names ending in `_secret` and
 *   hidden files (names starting with `.`: editors' and our own atomic-write temporaries).
 *   pyzmq only reads `*.key`; CZMQ reads all files; we read all so a CZMQ-named `client` works.
 * - A file that cannot be read or parsed is skipped with a `'skipped'` event ({file, reason});
 *   the other certificates keep working. The same broken content is reported once.
 * - With `watch: true`, `fs.watch` triggers a rescan and a periodic rescan (`interval`, default
 *   1 s, timer unref'd) catches what `fs.watch` misses. A rescan compares the SHA-256 of each
 *   file's content, not its size or mtime, so a replacement with the same size and mtime is
 *   seen (czmq#2113).
 * - If the directory itself becomes unreadable during watching, the store empties (fails
 *   closed) and reports `'skipped'` for the directory.
 */
import { createHash } from "node:crypto"
import { EventEmitter } from "node:events"
import { promises as fs } from "node:fs"
import { join, resolve } from "node:path"
import { toKey } from "../crypto/keys.js"
import { z85Encode } from "../wire/z85.js"
import { Certificate } from "./certificate.js"
import { MAX_CERTIFICATE_FILE_SIZE, parseCertificateText, SECRET_FILE_SUFFIX } from "./certificate-format.js"
import { isErrnoException, readBoundedFile } from "./file-io.js"
import { Rescanner } from "./rescanner.js"

export interface CertificateStoreOptions {
  /** Pick up added, removed and replaced files without a restart (default false). */
  watch?: boolean
  /** Period of the rescan in watch mode, milliseconds (default 1000). */
  interval?: number
}

/** A file whose certificate came, went or changed. */
export interface CertificateChange {
  file: string
  publicKey: string
  /** For `'replaced'`: the key the file held before. */
  previousPublicKey?: string
}

/** A file (or the directory) that could not be used. Never contains key material. */
export interface SkippedFile {
  file: string
  reason: string
}

export const DEFAULT_RESCAN_INTERVAL = 1000

interface Entry {
  /** SHA-256 of the content, hex. */
  hash: string
  certificate: Certificate | undefined
}

const UTF8 = new TextDecoder("utf-8", { fatal: true })

export interface CertificateStore {
  on(event: "added" | "removed" | "replaced", listener: (change: CertificateChange) => void): this
  on(event: "skipped", listener: (skipped: SkippedFile) => void): this
  on(event: "reloaded", listener: (info: { count: number }) => void): this
  once(event: "added" | "removed" | "replaced", listener: (change: CertificateChange) => void): this
  once(event: "skipped", listener: (skipped: SkippedFile) => void): this
  once(event: "reloaded", listener: (info: { count: number }) => void): this
}

export class CertificateStore extends EventEmitter {
  /** Absolute path of the directory. */
  readonly directory: string
  /** Settles when the first scan is done; rejects if the directory could not be read then. */
  readonly ready: Promise<void>
  #entries = new Map<string, Entry>()
  #byKey = new Map<string, Certificate>()
  readonly #rescanner = new Rescanner(() => this.#scan())
  #scans = 0
  #directoryFailure: string | undefined

  /** Starts the first scan at once (see `ready`), and watching when `options.watch`. */
  constructor(directory: string, options: CertificateStoreOptions = {}) {
    super()
    if (typeof directory !== "string" || directory.length === 0) {
      throw new TypeError(`expected a directory path, got ${typeof directory === "string" ? "an empty string" : typeof directory}`)
    }
    const interval = options.interval ?? DEFAULT_RESCAN_INTERVAL
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new RangeError(`expected interval to be a positive number of milliseconds, got ${interval}`)
    }
    this.directory = resolve(directory)
    this.ready = this.reload()
    this.ready.catch(() => undefined) // reported to whoever awaits `ready`
    if (options.watch === true) this.#rescanner.watch(this.directory, interval)
  }

  /** Create a store and wait for its first scan. */
  static async open(directory: string, options: CertificateStoreOptions = {}): Promise<CertificateStore> {
    const store = new CertificateStore(directory, options)
    try {
      await store.ready
    } catch (error) {
      store.close()
      throw error
    }
    return store
  }

  /** Number of distinct public keys. */
  get size(): number {
    return this.#byKey.size
  }

  /** True when a certificate with this public key (32 octets or 40 Z85 characters) is stored. */
  has(publicKey: string | Uint8Array): boolean {
    return this.lookup(publicKey) !== undefined
  }

  /** The certificate with this public key; when several files hold it, the first by file name. */
  lookup(publicKey: string | Uint8Array): Certificate | undefined {
    return this.#byKey.get(z85Encode(toKey(publicKey, "publicKey")))
  }

  /** All certificates, one per public key. */
  certificates(): Certificate[] {
    return [...this.#byKey.values()]
  }

  /**
   * Rescan the directory now. Calls made while a scan is waiting share it; a call made while
   * a scan is running gets the next one, so its result reflects the disk after the call.
   */
  reload(): Promise<void> {
    return this.#rescanner.run()
  }

  /** Stop watching. Lookups keep answering from the last scan. */
  close(): void {
    this.#rescanner.close()
  }



  async #scan(): Promise<void> {
    if (this.#rescanner.closed && this.#scans > 0) return
    const first = this.#scans === 0
    this.#scans++
    let names: string[]
    try {
      names = (await fs.readdir(this.directory)).sort()
    } catch (error) {
      if (first) throw error
      const reason = `expected a readable directory, got ${isErrnoException(error) ? error.code : "an error"}`
      if (this.#directoryFailure !== reason) this.#skip(this.directory, reason) // once, not every rescan
      this.#directoryFailure = reason
      this.#apply(new Map())
      return
    }
    this.#directoryFailure = undefined
    const next = new Map<string, Entry>()
    for (const name of names) {
      if (name.startsWith(".") || name.endsWith(SECRET_FILE_SUFFIX)) continue
      const file = join(this.directory, name)
      const entry = await this.#readEntry(file)
      if (entry) next.set(file, entry)
    }
    this.#apply(next)
  }

  /** Read one file; `undefined` when it is gone or is not a file. */
  async #readEntry(file: string): Promise<Entry | undefined> {
    let read
    try {
      const stat = await fs.stat(file)
      if (!stat.isFile()) return undefined
      read = await readBoundedFile(file, MAX_CERTIFICATE_FILE_SIZE)
    } catch (error) {
      if (isErrnoException(error) && error.code === "ENOENT") return undefined
      const reason = error instanceof RangeError ? error.message : `expected a readable file, got ${isErrnoException(error) ? error.code : "an error"}`
      const key = `unreadable:${reason}`
      if (this.#entries.get(file)?.hash !== key) this.#skip(file, reason)
      return { hash: key, certificate: undefined }
    }
    if (read === undefined) return undefined
    const hash = createHash("sha256").update(read.bytes).digest("hex")
    const previous = this.#entries.get(file)
    if (previous && previous.hash === hash) return previous
    let text: string
    try {
      text = UTF8.decode(read.bytes)
    } catch {
      this.#skip(file, `${file}: expected UTF-8 text, got invalid UTF-8`)
      return { hash, certificate: undefined }
    }
    try {
      const fields = parseCertificateText(text, file)
      // Only the public half is kept, whatever the file holds.
      return { hash, certificate: new Certificate({ publicKey: fields.publicKey, metadata: fields.metadata }) }
    } catch (error) {
      this.#skip(file, describeError(error))
      return { hash, certificate: undefined }
    }
  }

  #apply(next: Map<string, Entry>): void {
    const previous = this.#entries
    this.#entries = next
    const byKey = new Map<string, Certificate>()
    for (const entry of next.values()) {
      if (entry.certificate && !byKey.has(entry.certificate.publicKey)) byKey.set(entry.certificate.publicKey, entry.certificate)
    }
    this.#byKey = byKey
    for (const [file, old] of previous) {
      const now = next.get(file)
      if (old.certificate && !now?.certificate) this.emit("removed", { file, publicKey: old.certificate.publicKey } satisfies CertificateChange)
    }
    for (const [file, now] of next) {
      if (!now.certificate) continue
      const old = previous.get(file)?.certificate
      if (!old) this.emit("added", { file, publicKey: now.certificate.publicKey } satisfies CertificateChange)
      else if (old !== now.certificate) {
        this.emit("replaced", { file, publicKey: now.certificate.publicKey, previousPublicKey: old.publicKey } satisfies CertificateChange)
      }
    }
    this.emit("reloaded", { count: byKey.size })
  }

  #skip(file: string, reason: string): void {
    this.emit("skipped", { file, reason } satisfies SkippedFile)
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : "unknown error"
}
