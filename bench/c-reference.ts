/**
 * The native reference: bench/c/zmq-bench.c built against Debian's libzmq3-dev at bench time
 * into .tmp/bench/ (git-ignored). Absent headers or compiler mean the C rows are skipped with
 * the reason printed, never a failed run.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** Repository root, from build/bench/c-reference.js. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const SOURCE = `${ROOT}bench/c/zmq-bench.c`
const OUT_DIR = `${ROOT}.tmp/bench`
const BINARY = `${OUT_DIR}/zmq-bench`
const HEADER = "/usr/include/zmq.h"

export type CReference =
  | { readonly available: true; readonly binary: string; readonly version: string; readonly curve: boolean }
  | { readonly available: false; readonly reason: string }

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? ""
}

export function buildCReference(): CReference {
  if (!existsSync(HEADER)) {
    return { available: false, reason: `${HEADER} not found (apt-get install libzmq3-dev)` }
  }
  mkdirSync(OUT_DIR, { recursive: true })
  const compile = spawnSync("cc", ["-O2", "-o", BINARY, SOURCE, "-lzmq"], { encoding: "utf8" })
  if (compile.error !== undefined) return { available: false, reason: `cc: ${compile.error.message}` }
  if (compile.status !== 0) return { available: false, reason: `cc failed: ${firstLine(compile.stderr)}` }
  const probe = spawnSync(BINARY, ["version"], { encoding: "utf8" })
  const line: unknown = JSON.parse(probe.stdout.trim() || "null")
  if (typeof line !== "object" || line === null || !("result" in line)) {
    return { available: false, reason: `zmq-bench version: ${firstLine(probe.stdout + probe.stderr)}` }
  }
  const result = line.result as { version?: unknown; curve?: unknown }
  return {
    available: true,
    binary: BINARY,
    version: String(result.version),
    curve: result.curve === true,
  }
}
