/**
 * The one error type for certificate files (and the ZPL they are written in). It says which
 * file, which line (1-based; `undefined` when the problem is not on one line, e.g. a missing
 * section) and what was expected. It never contains key material: messages describe lengths
 * and positions, not the text that was found.
 */
export class CertificateError extends Error {
  /** Path (or label) of the file the problem is in. */
  readonly file: string
  /** 1-based line number, or `undefined` for whole-file problems. */
  readonly line: number | undefined

  constructor(file: string, line: number | undefined, message: string, options?: { cause?: unknown }) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`, options)
    this.name = "CertificateError"
    this.file = file
    this.line = line
  }
}
