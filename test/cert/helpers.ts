/** Helpers for certificate, auth and CLI tests: temporary directories, fixture paths, events. */
import { once } from "node:events"
import type { EventEmitter } from "node:events"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root (tests run from build/test/<area>/). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url))
export const FIXTURES = join(REPO_ROOT, "test", "fixtures", "certs")

/** A fresh temporary directory, removed by `cleanup()`. */
export function tempDir(prefix = "ironhouse-test-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * The first `event` from `emitter` whose payload satisfies `match`. No timers: the test
 * runner's own timeout is the only bound, so nothing here depends on how fast the machine is.
 */
export async function nextEvent<T>(emitter: EventEmitter, event: string, match: (payload: T) => boolean = () => true): Promise<T> {
  // Watchers and rescan timers are unref'd (they must not keep an application alive), so hold
  // the event loop open while waiting. This timer only keeps the process alive; it decides nothing.
  const keepAlive = setInterval(() => undefined, 60_000)
  try {
    for (;;) {
      const [payload] = (await once(emitter, event)) as [T]
      if (match(payload)) return payload
    }
  } finally {
    clearInterval(keepAlive)
  }
}

/** Collect `process` warnings with `code` while `body` runs (and one macrotask after). */
export async function collectWarnings(code: string, body: () => Promise<unknown>): Promise<Error[]> {
  const warnings: Error[] = []
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.code === code) warnings.push(warning)
  }
  process.on("warning", listener)
  try {
    await body()
    // process.emitWarning delivers on process.nextTick; one macrotask later all have arrived.
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off("warning", listener)
  }
  return warnings
}
