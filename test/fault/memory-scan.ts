/**
 * Search this process's memory for secret bytes (issue 14 item 5), without the search itself
 * holding them.
 *
 * Two views:
 * - {@link scanProcessMemory} reads every writable mapping of /proc/self/mem (Linux): the V8
 *   heap, ArrayBuffer backing stores (Buffers), WebAssembly memory (libsodium-wrappers),
 *   malloc arenas including freed blocks, and native addon memory. This is where key bytes live;
 *   a V8 heap snapshot does not contain ArrayBuffer contents at all (checked: a Buffer's bytes
 *   appear in no encoding in `v8.writeHeapSnapshot()` output), so it cannot see them.
 * - {@link scanHeapSnapshot} writes a heap snapshot and searches its strings for the secret in
 *   hex, base64 and Z85 (a secret turned into a string by a log line, an error or `inspect`).
 *
 * A secret is kept only XOR-masked ({@link MaskedSecret}): a random mask and raw ⊕ mask, never
 * the raw bytes. The scan looks for one "pivot" octet with Buffer.indexOf (a single number) and
 * checks the other octets against masked ⊕ mask one at a time, so no buffer of this module ever
 * holds the secret and whatever it finds is somebody else's copy.
 */
import { closeSync, openSync, readFileSync, readSync, rmSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { writeHeapSnapshot } from "node:v8"
import { z85Encode } from "../../src/wire/z85.js"

export class MaskedSecret {
  readonly mask: Buffer
  readonly masked: Buffer
  /** Index of an octet of the secret that is neither 0x00 nor 0xff (fewer false candidates). */
  readonly pivot: number
  readonly pivotValue: number

  /** Mask `raw` (the caller wipes its own copy afterwards, if it has one). */
  constructor(readonly label: string, raw: Uint8Array) {
    this.mask = randomBytes(raw.length)
    this.masked = Buffer.alloc(raw.length)
    for (let i = 0; i < raw.length; i++) this.masked[i] = (raw[i] as number) ^ (this.mask[i] as number)
    let pivot = 0
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i] as number
      if (v !== 0 && v !== 0xff) {
        pivot = i
        break
      }
    }
    this.pivot = pivot
    this.pivotValue = (raw[pivot] as number) ^ 0 // a number, not a buffer
  }

  /** A secret known only masked (e.g. from another process): `masked` = raw ⊕ `mask`. */
  static fromMasked(label: string, mask: Uint8Array, masked: Uint8Array): MaskedSecret {
    // Built through a throwaway raw copy that is wiped at once (only the pivot needs it).
    const raw = Buffer.alloc(masked.length)
    for (let i = 0; i < raw.length; i++) raw[i] = (masked[i] as number) ^ (mask[i] as number)
    const s = new MaskedSecret(label, raw)
    raw.fill(0)
    return s
  }

  get length(): number {
    return this.masked.length
  }

  /** Whether `buf` at `at` holds the secret (compared octet by octet, unmasked one at a time). */
  matchesAt(buf: Uint8Array, at: number): boolean {
    if (at < 0 || at + this.length > buf.length) return false
    for (let i = 0; i < this.length; i++) {
      if (((buf[at + i] as number) ^ (this.mask[i] as number)) !== this.masked[i]) return false
    }
    return true
  }

  /** The secret as a string in `encoding`, built and returned for a string search only. */
  encoded(encoding: "hex" | "base64" | "z85"): string {
    const raw = Buffer.alloc(this.length)
    for (let i = 0; i < this.length; i++) raw[i] = (this.masked[i] as number) ^ (this.mask[i] as number)
    try {
      return encoding === "z85" ? z85Encode(raw) : raw.toString(encoding)
    } finally {
      raw.fill(0)
    }
  }
}

interface Region {
  start: number
  end: number
  name: string
}

function writableRegions(): Region[] {
  const regions: Region[] = []
  for (const line of readFileSync("/proc/self/maps", "latin1").split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (m === null) continue
    const perms = m[3] as string
    const name = m[4] ?? ""
    if (perms[0] !== "r" || perms[1] !== "w") continue
    if (name === "[vvar]" || name === "[vsyscall]" || name === "[vvar_vclock]") continue
    regions.push({ start: parseInt(m[1] as string, 16), end: parseInt(m[2] as string, 16), name })
  }
  return regions
}

const CHUNK = 1 << 20

export interface ScanResult {
  /** Occurrences per secret label. */
  found: Map<string, number>
  /** Where (mapping names) each was found. */
  where: Map<string, string[]>
  scannedBytes: number
}

/** Count the occurrences of each secret in every writable mapping of this process. */
export function scanProcessMemory(secrets: readonly MaskedSecret[]): ScanResult {
  const found = new Map<string, number>()
  const where = new Map<string, string[]>()
  for (const s of secrets) {
    found.set(s.label, 0)
    where.set(s.label, [])
  }
  const maxLen = Math.max(0, ...secrets.map((s) => s.length))
  const buf = Buffer.allocUnsafeSlow(CHUNK + maxLen)
  const fd = openSync("/proc/self/mem", "r")
  let scanned = 0
  try {
    for (const region of writableRegions()) {
      for (let pos = region.start; pos < region.end; pos += CHUNK) {
        const len = Math.min(CHUNK + maxLen, region.end - pos)
        let n: number
        try {
          n = readSync(fd, buf, 0, len, pos)
        } catch {
          break // a region that cannot be read (guard pages): skip the rest of it
        }
        scanned += Math.min(n, CHUNK)
        const view = buf.subarray(0, n)
        for (const s of secrets) {
          let i = view.indexOf(s.pivotValue, s.pivot)
          while (i !== -1) {
            const at = i - s.pivot
            // Count a match once: the overlap at the end belongs to the next chunk.
            if (at < CHUNK && s.matchesAt(view, at)) {
              found.set(s.label, (found.get(s.label) ?? 0) + 1)
              where.get(s.label)?.push(region.name || "anonymous")
            }
            i = view.indexOf(s.pivotValue, i + 1)
          }
        }
      }
    }
  } finally {
    closeSync(fd)
    buf.fill(0)
  }
  return { found, where, scannedBytes: scanned }
}

/** Write a heap snapshot and count, per secret, its hex / base64 / Z85 forms in it. */
export function scanHeapSnapshot(secrets: readonly MaskedSecret[]): Map<string, number> {
  const file = join(tmpdir(), `ih-secrets-${process.pid}-${Date.now()}.heapsnapshot`)
  const counts = new Map<string, number>()
  try {
    writeHeapSnapshot(file)
    const text = readFileSync(file, "latin1")
    for (const s of secrets) {
      let n = 0
      for (const enc of ["hex", "base64", "z85"] as const) {
        const needle = s.encoded(enc)
        for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) n++
      }
      counts.set(s.label, n)
    }
  } finally {
    rmSync(file, { force: true })
  }
  return counts
}
