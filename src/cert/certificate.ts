/**
 * A CURVE certificate: a public key, optionally its secret key, and metadata, stored in the
 * files CZMQ and pyzmq use (`x.key` and `x.key_secret`; see certificate-format.ts and
 * /work/shared/CERT-FORMAT.md).
 *
 * The secret key is kept in a private field: `util.inspect`, `JSON.stringify` and error
 * messages never show it. Read it explicitly through `secretKey` / `secretKeyBytes`.
 */
import { inspect } from "node:util"
import { curveKeyPair, curvePublicKey, toKey } from "../crypto/keys.js"
import { constantTimeEqual, wipe } from "../crypto/index.js"
import { z85Decode, z85Encode } from "../wire/z85.js"
import { CertificateError } from "./certificate-error.js"
import {
  type CertificateFields,
  formatCertificateText,
  MAX_CERTIFICATE_FILE_SIZE,
  parseCertificateText,
  SECRET_FILE_SUFFIX,
} from "./certificate-format.js"
import { isErrnoException, PUBLIC_FILE_MODE, readBoundedFile, SECRET_FILE_MODE, writeFileAtomic } from "./file-io.js"
import { formatZplValue, isZplName } from "./zpl.js"

/** `process.emitWarning` code for a secret file that group or others can read. */
export const INSECURE_SECRET_FILE_WARNING = "IRONHOUSE_INSECURE_SECRET_FILE"

export interface CertificateInit {
  /** 32 octets or 40 Z85 characters. */
  publicKey: string | Uint8Array
  /** 32 octets or 40 Z85 characters; must belong to `publicKey`. */
  secretKey?: string | Uint8Array | undefined
  /** Names are ZPL names (letters, digits, `$-_@.&+/`); values any text without control characters. */
  metadata?: Readonly<Record<string, string>> | undefined
}

export interface CertificateSaveOptions {
  /** Timestamp written in the banner (default: now). */
  date?: Date
}

export class Certificate {
  /** The public key, 40 Z85 characters. */
  readonly publicKey: string
  /** Metadata (frozen). Goes into both files, as CZMQ writes it. */
  readonly metadata: Readonly<Record<string, string>>
  readonly #secretKey: string | undefined

  constructor(init: CertificateInit) {
    if (typeof init !== "object" || init === null) {
      throw new TypeError(`expected an object with publicKey, got ${init === null ? "null" : typeof init}`)
    }
    const publicBytes = toKey(init.publicKey, "publicKey")
    this.publicKey = z85Encode(publicBytes)
    if (init.secretKey !== undefined) {
      const secretBytes = toKey(init.secretKey, "secretKey")
      try {
        const derived = z85Decode(curvePublicKey(secretBytes))
        if (!constantTimeEqual(derived, publicBytes)) {
          throw new RangeError("expected secretKey to belong to publicKey, got a secret key of another key pair")
        }
        this.#secretKey = z85Encode(secretBytes)
      } finally {
        wipe(secretBytes)
      }
    }
    this.metadata = Object.freeze(validateMetadata(init.metadata ?? {}))
  }

  /** A new certificate with a fresh key pair. */
  static generate(metadata?: Readonly<Record<string, string>>): Certificate {
    const pair = curveKeyPair()
    return new Certificate({ publicKey: pair.publicKey, secretKey: pair.secretKey, metadata })
  }

  /**
   * Parse one certificate file's text (public or secret). `file` labels errors.
   * Throws {@link CertificateError}.
   */
  static fromText(text: string, file = "<certificate>"): Certificate {
    return fromFields(parseCertificateText(text, file), file)
  }

  /**
   * Load `path` and, if it exists, `path + "_secret"` (CZMQ's `zcert_load` reads the same
   * pair). Either may be missing, not both. When both exist their public keys must agree; the
   * metadata of both is merged (pyzmq puts metadata only in the secret file). A file holding a
   * secret key that group or others can read triggers a warning with code
   * {@link INSECURE_SECRET_FILE_WARNING}. Rejects with {@link CertificateError}.
   */
  static async load(path: string): Promise<Certificate> {
    if (typeof path !== "string" || path.length === 0) {
      throw new TypeError(`expected a file path, got ${typeof path === "string" ? "an empty string" : typeof path}`)
    }
    const main = await readCertificateFile(path)
    const secretPath = path + SECRET_FILE_SUFFIX
    const secret = path.endsWith(SECRET_FILE_SUFFIX) ? undefined : await readCertificateFile(secretPath)
    const first = main ?? secret
    if (first === undefined) {
      throw new CertificateError(path, undefined, `expected a certificate file here or at ${secretPath}, got neither`)
    }
    if (secret !== undefined && first.fields.publicKey !== secret.fields.publicKey) {
      throw new CertificateError(secretPath, undefined, `expected the same public-key as ${path}, got a different one`)
    }
    const fields: CertificateFields = {
      publicKey: first.fields.publicKey,
      secretKey: secret?.fields.secretKey ?? main?.fields.secretKey,
      metadata: Object.fromEntries([...Object.entries(main?.fields.metadata ?? {}), ...Object.entries(secret?.fields.metadata ?? {})]),
    }
    const secretSource = secret?.fields.secretKey !== undefined ? secretPath : path
    return fromFields(fields, secretSource)
  }

  /** The secret key in Z85, or `undefined` for a public certificate. */
  get secretKey(): string | undefined {
    return this.#secretKey
  }

  get hasSecretKey(): boolean {
    return this.#secretKey !== undefined
  }

  get publicKeyBytes(): Uint8Array {
    return z85Decode(this.publicKey)
  }

  get secretKeyBytes(): Uint8Array | undefined {
    return this.#secretKey === undefined ? undefined : z85Decode(this.#secretKey)
  }

  /** The same certificate without the secret key. */
  toPublic(): Certificate {
    return new Certificate({ publicKey: this.publicKey, metadata: this.metadata })
  }

  /** Text of the public file. */
  publicText(options: CertificateSaveOptions = {}): string {
    return formatCertificateText(this.#fields(), "public", options)
  }

  /** Text of the secret file. TypeError when there is no secret key. */
  secretText(options: CertificateSaveOptions = {}): string {
    this.#requireSecret()
    return formatCertificateText(this.#fields(), "secret", options)
  }

  /**
   * Write `path` (public, mode 0644 before umask) and `path + "_secret"` (mode 0600), like
   * CZMQ's `zcert_save`. Use `<name>.key` so that pyzmq's `load_certificates` finds it too.
   */
  async save(path: string, options: CertificateSaveOptions = {}): Promise<void> {
    this.#requireSecret()
    const date = options.date ?? new Date()
    await this.saveSecret(path + SECRET_FILE_SUFFIX, { date })
    await this.savePublic(path, { date })
  }

  /** Write the public file at exactly `path`. */
  async savePublic(path: string, options: CertificateSaveOptions = {}): Promise<void> {
    await writeFileAtomic(path, this.publicText(options), PUBLIC_FILE_MODE)
  }

  /**
   * Write the secret file at exactly `path`, created with mode 0600 from the start (temporary
   * file opened O_CREAT|O_EXCL with that mode, then renamed into place).
   */
  async saveSecret(path: string, options: CertificateSaveOptions = {}): Promise<void> {
    const text = this.secretText(options)
    await writeFileAtomic(path, text, SECRET_FILE_MODE)
  }

  /** Public key and metadata only. */
  toJSON(): { publicKey: string; metadata: Record<string, string>; hasSecretKey: boolean } {
    return { publicKey: this.publicKey, metadata: { ...this.metadata }, hasSecretKey: this.hasSecretKey }
  }

  [inspect.custom](): string {
    return `Certificate ${inspect(this.toJSON())}`
  }

  #fields(): CertificateFields {
    return { publicKey: this.publicKey, secretKey: this.#secretKey, metadata: this.metadata }
  }

  #requireSecret(): void {
    if (this.#secretKey === undefined) {
      throw new TypeError("expected a certificate with a secret key, got a public certificate")
    }
  }
}

function validateMetadata(metadata: Readonly<Record<string, string>>): Record<string, string> {
  if (typeof metadata !== "object" || metadata === null) {
    throw new TypeError(`expected metadata as an object of strings, got ${metadata === null ? "null" : typeof metadata}`)
  }
  const entries = Object.entries(metadata)
  for (const [name, value] of entries) {
    if (!isZplName(name)) {
      throw new TypeError(`expected metadata names of letters, digits or $-_@.&+/ (not starting or ending with '/'), got ${JSON.stringify(name)}`)
    }
    if (typeof value !== "string") throw new TypeError(`expected metadata "${name}" to be a string, got ${typeof value}`)
    formatZplValue(value) // RangeError when the value cannot be written to a ZPL file and read back
  }
  return Object.fromEntries(entries)
}

function fromFields(fields: CertificateFields, file: string): Certificate {
  try {
    return new Certificate(fields)
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new CertificateError(file, undefined, error.message)
    }
    throw error
  }
}

interface LoadedFile {
  fields: CertificateFields
}

const UTF8 = new TextDecoder("utf-8", { fatal: true })

/** Read and parse one file; `undefined` when it does not exist. Warns on a readable secret file. */
async function readCertificateFile(path: string): Promise<LoadedFile | undefined> {
  let read
  try {
    read = await readBoundedFile(path, MAX_CERTIFICATE_FILE_SIZE)
  } catch (error) {
    if (error instanceof RangeError) throw new CertificateError(path, undefined, error.message.replace(`${path}: `, ""))
    const reason = isErrnoException(error) ? error.code : "read failed"
    throw new CertificateError(path, undefined, `expected a readable file, got ${reason}`, { cause: error })
  }
  if (read === undefined) return undefined
  let text: string
  try {
    text = UTF8.decode(read.bytes)
  } catch {
    throw new CertificateError(path, undefined, "expected UTF-8 text, got invalid UTF-8")
  }
  const fields = parseCertificateText(text, path)
  if (fields.secretKey !== undefined && (read.mode & 0o077) !== 0 && process.platform !== "win32") {
    process.emitWarning(
      `secret certificate file ${path} is readable or writable by group or others (mode ${read.mode.toString(8).padStart(4, "0")}); restrict it with chmod 600`,
      { code: INSECURE_SECRET_FILE_WARNING },
    )
  }
  return { fields }
}
