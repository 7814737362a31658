/**
 * The process's soft limit on open file descriptors (`ulimit -n`, RLIMIT_NOFILE), which Node does
 * not expose. Every accepted connection costs one; when they run out, libuv accepts and at once
 * closes whatever connects (its EMFILE trick, never reported to JavaScript), so a handshake
 * flood could lock legitimate clients out below any limit of ours. The socket layer keeps its
 * connections in the handshake well below this limit.
 *
 * Read once, lazily: /proc/self/limits on Linux, else `ulimit -n` from /bin/sh; when neither
 * works, 1024 (the usual default soft limit).
 */
import { readFileSync } from "node:fs"
import { spawnSync } from "node:child_process"

const FALLBACK = 1024
let cached: number | undefined

export function openFileLimit(): number {
  if (cached === undefined) cached = readLimit()
  return cached
}

function readLimit(): number {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8")
    const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits)
    if (match !== null) return match[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(match[1])
  } catch {
    // not Linux
  }
  try {
    const probe = spawnSync("/bin/sh", ["-c", "ulimit -n"], { encoding: "utf8", timeout: 2000 })
    const text = probe.stdout.trim()
    if (text === "unlimited") return Number.MAX_SAFE_INTEGER
    const n = Number(text)
    if (Number.isSafeInteger(n) && n > 0) return n
  } catch {
    // no shell
  }
  return FALLBACK
}
