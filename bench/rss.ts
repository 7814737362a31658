/** Resident memory of this process, read after garbage collection has settled. */
import { sleep } from "./child.js"

type GcHolder = { gc?: () => void }

/**
 * RSS in bytes after two collections a moment apart (the children run with --expose-gc; without
 * it the reading is simply taken as is).
 */
export async function settledRss(settleMs: number): Promise<{ rss: number; heapUsed: number }> {
  const gc = (globalThis as GcHolder).gc
  await sleep(settleMs)
  gc?.()
  await sleep(200)
  gc?.()
  const usage = process.memoryUsage()
  return { rss: usage.rss, heapUsed: usage.heapUsed }
}
