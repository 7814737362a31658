/**
 * A PLAIN password file in CZMQ zauth's format (zauth's "PLAIN" command loads it with
 * `zhashx_load`):
 *
 * ```
 * # comment
 * admin=Password
 * alice=p=ss word       <- everything after the FIRST '=' is the password, spaces included
 * ```
 *
 * Like CZMQ: a line starting with `#` is a comment, the name is everything before the first
 * `=`, the password everything after it, and nothing is trimmed. Unlike CZMQ, which silently
 * skips lines it cannot read, this reader is strict: a non-blank line without `=`, with an empty
 * name, or a name given twice is an error naming the file and line (never the password). A
 * trailing CR (CRLF files) is removed, and lines are not cut at 1023 characters as `fgets` does.
 *
 * The file is re-read when its CONTENT changes (SHA-256 of the bytes, as the certificate store
 * does): `refresh()` on demand, and with `watch: true` on `fs.watch` events plus a periodic
 * rescan. If a new version cannot be read or parsed, the file becomes unavailable (every check
 * answers "unavailable", which the authenticator reports as status 500) until it is fixed:
 * failing closed rather than silently keeping passwords the administrator tried to change.
 */
import { createHash } from "node:crypto"
import { EventEmitter } from "node:events"
import { basename, dirname, resolve } from "node:path"
import { Rescanner } from "../cert/rescanner.js"
import { isErrnoException, readBoundedFile } from "../cert/file-io.js"
import { type PasswordCheck, PasswordTable, type PasswordVerifier } from "./password-table.js"

/** A password file could not be read or parsed. */
export class PasswordFileError extends Error {
  readonly file: string
  /** 1-based line, or `undefined` for whole-file problems. */
  readonly line: number | undefined

  constructor(file: string, line: number | undefined, message: string, options?: { cause?: unknown }) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`, options)
    this.name = "PasswordFileError"
    this.file = file
    this.line = line
  }
}

export interface PasswordFileOptions {
  /** Re-read the file when it changes (default false). */
  watch?: boolean
  /** Period of the rescan in watch mode, milliseconds (default 1000). */
  interval?: number
}

/** Password files larger than this are refused. */
export const MAX_PASSWORD_FILE_SIZE = 1024 * 1024

const UTF8 = new TextDecoder("utf-8", { fatal: true })

/** Parse the text of a password file into user name → password. Throws {@link PasswordFileError}. */
export function parsePasswordFile(text: string, file: string): Map<string, string> {
  const passwords = new Map<string, string>()
  const firstLine = new Map<string, number>()
  const lines = text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1
    let line = lines[index] as string
    if (line.endsWith("\r")) line = line.slice(0, -1)
    if (line.startsWith("#") || line.trim().length === 0) continue
    const equals = line.indexOf("=")
    if (equals === -1) throw new PasswordFileError(file, lineNumber, "expected name=password, got a line without '='")
    if (equals === 0) throw new PasswordFileError(file, lineNumber, "expected a user name before '=', got none")
    const name = line.slice(0, equals)
    const first = firstLine.get(name)
    if (first !== undefined) {
      throw new PasswordFileError(file, lineNumber, `expected each user name once, got ${JSON.stringify(name)} again (first on line ${first})`)
    }
    firstLine.set(name, lineNumber)
    passwords.set(name, line.slice(equals + 1))
  }
  return passwords
}

export interface PasswordFile {
  on(event: "reloaded", listener: (info: { file: string; users: number }) => void): this
  on(event: "invalid", listener: (info: { file: string; reason: string }) => void): this
  once(event: "reloaded", listener: (info: { file: string; users: number }) => void): this
  once(event: "invalid", listener: (info: { file: string; reason: string }) => void): this
}

export class PasswordFile extends EventEmitter implements PasswordVerifier {
  /** Absolute path of the file. */
  readonly path: string
  #table: PasswordTable | undefined
  #hash: string | undefined
  readonly #rescanner = new Rescanner(() => this.#refreshNow())

  private constructor(path: string) {
    super()
    this.path = resolve(path)
  }

  /**
   * Read the file (rejects with {@link PasswordFileError} when it cannot be read or parsed)
   * and, with `watch: true`, keep it up to date.
   */
  static async open(path: string, options: PasswordFileOptions = {}): Promise<PasswordFile> {
    if (typeof path !== "string" || path.length === 0) {
      throw new TypeError(`expected a password file path, got ${typeof path === "string" ? "an empty string" : typeof path}`)
    }
    const interval = options.interval ?? 1000
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new RangeError(`expected interval to be a positive number of milliseconds, got ${interval}`)
    }
    const file = new PasswordFile(path)
    const result = await file.#read()
    if (!result.table) throw result.error
    file.#table = result.table
    file.#hash = result.hash
    if (options.watch === true) {
      // Watch the directory, not the file: an editor or an atomic rename replaces the inode.
      const name = basename(file.path)
      file.#rescanner.watch(dirname(file.path), interval, (changed) => changed === null || changed === name)
    }
    return file
  }

  /** False after a change made the file unreadable or malformed. */
  get available(): boolean {
    return this.#table !== undefined
  }

  /** Number of users (0 while unavailable). */
  get size(): number {
    return this.#table?.size ?? 0
  }

  verify(username: string, password: Uint8Array): PasswordCheck {
    return this.#table === undefined ? "unavailable" : this.#table.verify(username, password)
  }

  /**
   * Re-read the file if its content changed. Emits `'reloaded'` after a successful change and
   * `'invalid'` when the new content cannot be used (checks then answer "unavailable").
   */
  refresh(): Promise<void> {
    return this.#rescanner.run()
  }

  /** Stop watching. Checks keep answering from the last good read. */
  close(): void {
    this.#rescanner.close()
  }

  toJSON(): { path: string; users: number; available: boolean } {
    return { path: this.path, users: this.size, available: this.available }
  }

  async #refreshNow(): Promise<void> {
    if (this.#rescanner.closed) return
    const result = await this.#read()
    if (result.hash === this.#hash) return // same content (or the same failure), nothing new
    this.#hash = result.hash
    if (result.table) {
      this.#table = result.table
      this.emit("reloaded", { file: this.path, users: result.table.size })
    } else {
      this.#table = undefined
      this.emit("invalid", { file: this.path, reason: result.error.message })
    }
  }

  /**
   * Read and parse. `hash` identifies what was seen: the SHA-256 of the content, or the
   * failure when the file could not be read.
   */
  async #read(): Promise<{ hash: string; table: PasswordTable; error?: undefined } | { hash: string; table?: undefined; error: PasswordFileError }> {
    let read
    try {
      read = await readBoundedFile(this.path, MAX_PASSWORD_FILE_SIZE)
    } catch (cause) {
      const error =
        cause instanceof RangeError
          ? new PasswordFileError(this.path, undefined, cause.message.replace(`${this.path}: `, ""))
          : new PasswordFileError(this.path, undefined, `expected a readable file, got ${isErrnoException(cause) ? cause.code : "an error"}`, { cause })
      return { hash: `unreadable:${error.message}`, error }
    }
    if (read === undefined) {
      return { hash: "missing", error: new PasswordFileError(this.path, undefined, "expected a password file, got no such file") }
    }
    const hash = createHash("sha256").update(read.bytes).digest("hex")
    try {
      const text = UTF8.decode(read.bytes)
      return { hash, table: new PasswordTable(parsePasswordFile(text, this.path)) }
    } catch (error) {
      if (error instanceof PasswordFileError) return { hash, error }
      return { hash, error: new PasswordFileError(this.path, undefined, "expected UTF-8 text, got invalid UTF-8") }
    }
  }


}
