/** Order statistics for the bench (nearest-rank, the same rule as bench/c/zmq-bench.c). */

/** The p-th percentile (0 < p <= 100) of values sorted ascending, by nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError("percentile: expected at least one value, got 0")
  // (p * n) / 100, less a hair: 99.9 / 100 * 1000 is 999.0000000000001 in floating point, and
  // the C program's integer rank ((999 n + 999) / 1000) is 999.
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100 - 1e-9))
  const value = sorted[rank - 1]
  if (value === undefined) throw new RangeError(`percentile: rank ${rank} out of range`)
  return value
}

/** The median of the values (nearest rank: the lower middle for an even count). */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50)
}
