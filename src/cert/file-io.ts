/**
 * File helpers for certificates: atomic writes with the final mode from the first byte, and
 * bounded reads that report the file's mode.
 */
import { randomUUID } from "node:crypto"
import { constants, promises as fs } from "node:fs"
import { basename, dirname, join } from "node:path"

/** Mode of secret files: owner read/write only, as CZMQ's `zsys_file_mode_private`. */
export const SECRET_FILE_MODE = 0o600
/** Mode of public files (before the umask). */
export const PUBLIC_FILE_MODE = 0o644

/**
 * Write `data` to `path` atomically: create a temporary file in the same directory with
 * O_CREAT|O_EXCL and `mode` (so it is never, even briefly, more readable than `mode` allows),
 * write and fsync it, then rename it over `path`. Readers see the old file or the new one,
 * never a partial one. The temporary file is removed on failure.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`)
  const handle = await fs.open(temporary, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode)
  let renamed = false
  try {
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(temporary, path)
    renamed = true
  } finally {
    if (!renamed) await fs.unlink(temporary).catch(() => undefined)
  }
}

/** Contents and permission bits of a file read through one open handle (no stat/read race). */
export interface ReadResult {
  bytes: Uint8Array
  /** Permission bits (`st_mode & 0o777`). */
  mode: number
}

/**
 * Read a regular file of at most `maxSize` octets. Resolves `undefined` when it does not exist.
 * Rejects with the fs error otherwise, or a RangeError naming the file when it is too large or
 * not a regular file.
 */
export async function readBoundedFile(path: string, maxSize: number): Promise<ReadResult | undefined> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(path, constants.O_RDONLY)
  } catch (error) {
    if (isErrnoException(error) && error.code === "ENOENT") return undefined
    throw error
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new RangeError(`${path}: expected a regular file, got something else`)
    if (stat.size > maxSize) throw new RangeError(`${path}: expected a file of at most ${maxSize} bytes, got ${stat.size} bytes`)
    // Read at most maxSize + 1 so a file that grows after the stat is still caught.
    // One spare octet detects a file that grew after the stat; grow up to maxSize + 1 if so.
    let buffer = new Uint8Array(stat.size + 1)
    let length = 0
    for (;;) {
      if (length === buffer.length) {
        const larger = new Uint8Array(Math.min(maxSize + 1, buffer.length * 2))
        larger.set(buffer)
        buffer = larger
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > maxSize) throw new RangeError(`${path}: expected a file of at most ${maxSize} bytes, got more`)
    }
    return { bytes: buffer.subarray(0, length), mode: stat.mode & 0o777 }
  } finally {
    await handle.close()
  }
}

export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string"
}
