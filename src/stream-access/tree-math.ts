/**
 * Binary tree math over array indices, as RFC 9420 (MLS) Appendix C writes it: leaves sit at
 * even node indices (leaf i is node 2i), parents at odd ones, and the level of a node is the
 * number of trailing one bits of its index. The tree always has a power-of-two number of
 * leaves (RFC 9420 §7.8: it doubles when full and never shrinks here), so growing it never
 * renumbers a node: the old root becomes the left child of the new one.
 *
 * Small total functions over numbers, no state; tested against RFC 9420's figures and by
 * properties in test/stream-access/tree-math.test.ts.
 */

/** Largest supported number of leaves (node indices stay below 2^31). */
export const MAX_LEAVES = 2 ** 30

function checkNode(x: number, where: string): void {
  if (!Number.isInteger(x) || x < 0 || x >= 2 * MAX_LEAVES) throw new RangeError(`${where}: expected a node index from 0 to ${2 * MAX_LEAVES - 1}, got ${x}`)
}

/** True for 1, 2, 4, 8, … up to MAX_LEAVES. */
export function isLeafCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_LEAVES && (n & (n - 1)) === 0
}

function checkLeafCount(n: number, where: string): void {
  if (!isLeafCount(n)) throw new RangeError(`${where}: expected a power-of-two leaf count from 1 to ${MAX_LEAVES}, got ${n}`)
}

/** RFC 9420 C: level(x), the number of trailing one bits. Leaves are level 0. */
export function level(x: number): number {
  checkNode(x, "level")
  let k = 0
  while (((x >>> k) & 1) === 1) k++
  return k
}

/** Node count of a tree with `n` leaves (2n - 1). */
export function nodeWidth(n: number): number {
  checkLeafCount(n, "nodeWidth")
  return 2 * n - 1
}

/** The root of a tree with `n` leaves (n - 1 for a power of two, RFC 9420 C `root`). */
export function root(n: number): number {
  checkLeafCount(n, "root")
  return n - 1
}

/** Node index of leaf `i`. */
export function leafNode(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_LEAVES) throw new RangeError(`leafNode: expected a leaf index from 0 to ${MAX_LEAVES - 1}, got ${i}`)
  return 2 * i
}

/** Leaf index of node `x` (x must be a leaf, i.e. even). */
export function nodeLeaf(x: number): number {
  checkNode(x, "nodeLeaf")
  if (x % 2 !== 0) throw new RangeError(`nodeLeaf: expected a leaf (even) node index, got ${x}`)
  return x / 2
}

/** Left child of a parent node (RFC 9420 C `left`). */
export function left(x: number): number {
  const k = level(x)
  if (k === 0) throw new RangeError(`left: node ${x} is a leaf`)
  return x ^ (1 << (k - 1))
}

/** Right child of a parent node (RFC 9420 C `right`). */
export function right(x: number): number {
  const k = level(x)
  if (k === 0) throw new RangeError(`right: node ${x} is a leaf`)
  return x ^ (3 << (k - 1))
}

/** Parent of `x` in a tree with `n` leaves (RFC 9420 C `parent`). The root has none. */
export function parent(x: number, n: number): number {
  checkLeafCount(n, "parent")
  if (x === root(n)) throw new RangeError(`parent: node ${x} is the root of a tree with ${n} leaves`)
  if (x >= nodeWidth(n)) throw new RangeError(`parent: node ${x} is outside a tree with ${n} leaves`)
  const k = level(x)
  const b = (x >>> (k + 1)) & 1
  return ((x | (1 << k)) ^ (b << (k + 1))) >>> 0
}

/** The other child of `x`'s parent (RFC 9420 C `sibling`). */
export function sibling(x: number, n: number): number {
  const p = parent(x, n)
  return x < p ? right(p) : left(p)
}

/** The nodes from `x`'s parent up to the root, in that order (RFC 9420 C `direct_path`). */
export function directPath(x: number, n: number): number[] {
  checkLeafCount(n, "directPath")
  if (x >= nodeWidth(n)) throw new RangeError(`directPath: node ${x} is outside a tree with ${n} leaves`)
  const r = root(n)
  const path: number[] = []
  while (x !== r) {
    x = parent(x, n)
    path.push(x)
  }
  return path
}

/** The sibling of each node on the way from `x` up to (not including) the root (RFC 9420 C `copath`). */
export function copath(x: number, n: number): number[] {
  const nodes = [x, ...directPath(x, n)]
  nodes.pop()
  return nodes.map((y) => sibling(y, n))
}

/** True when `x` is in the subtree rooted at `ancestor` (x itself included). */
export function inSubtree(x: number, ancestor: number): boolean {
  const k = level(ancestor)
  const span = (1 << k) - 1
  return x >= ancestor - span && x <= ancestor + span
}
