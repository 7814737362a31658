/**
 * Small-buffer allocation from a shared slab: one view object per allocation instead of an
 * ArrayBuffer plus a view, for the per-message buffers of the hot path (CURVE MESSAGE bodies).
 * Like Node's Buffer pool, but pure. The memory is NOT zeroed: callers overwrite every octet.
 * A slab is retired once full and collected when its last view is gone.
 */
const SLAB_SIZE = 64 * 1024
/** Larger requests get their own allocation. */
const SLAB_MAX_ALLOCATION = 4 * 1024

let slab = new Uint8Array(SLAB_SIZE)
let offset = 0

/** A Uint8Array of `size` octets whose contents are unspecified (the caller fills it). */
export function allocateUnfilled(size: number): Uint8Array {
  if (size > SLAB_MAX_ALLOCATION) return new Uint8Array(size)
  if (offset + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE)
    offset = 0
  }
  const view = slab.subarray(offset, offset + size)
  // Keep views 8-aligned so later typed-array reads of a copy stay cheap.
  offset = (offset + size + 7) & ~7
  return view
}
