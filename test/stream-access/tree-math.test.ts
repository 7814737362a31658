/**
 * Tree math against RFC 9420's figures (Appendix C, the 8-leaf tree of §4.1/§7.1) and by
 * properties for every power-of-two size up to 2^16 leaves.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { copath, directPath, inSubtree, isLeafCount, leafNode, left, level, nodeWidth, parent, right, root, sibling } from "../../src/stream-access/tree-math.js"

describe("tree math (RFC 9420 Appendix C)", () => {
  it("matches the 8-leaf tree of RFC 9420", () => {
    // Nodes 0..14; root 7 (level 3), its children 3 and 11, leaves at even indices.
    assert.equal(nodeWidth(8), 15)
    assert.equal(root(8), 7)
    assert.deepEqual([0, 1, 3, 7, 5, 14].map(level), [0, 1, 2, 3, 1, 0])
    assert.deepEqual([left(7), right(7), left(3), right(3), left(11), right(11), left(1), right(1)], [3, 11, 1, 5, 9, 13, 0, 2])
    assert.deepEqual([0, 2, 1, 5, 3, 11, 13, 14].map((x) => parent(x, 8)), [1, 1, 3, 3, 7, 7, 11, 13])
    assert.deepEqual([sibling(0, 8), sibling(3, 8), sibling(13, 8)], [2, 11, 9])
    assert.deepEqual(directPath(0, 8), [1, 3, 7])
    assert.deepEqual(directPath(leafNode(5), 8), [9, 11, 7])
    assert.deepEqual(copath(0, 8), [2, 5, 11])
    assert.deepEqual(directPath(0, 1), [])
  })

  it("refuses what is not a tree or not in it", () => {
    assert.throws(() => root(6), { name: "RangeError", message: /power-of-two leaf count/ })
    assert.throws(() => parent(7, 8), { name: "RangeError", message: /root/ })
    assert.throws(() => parent(15, 8), { name: "RangeError", message: /outside/ })
    assert.throws(() => left(4), { name: "RangeError", message: /leaf/ })
    assert.throws(() => level(-1), { name: "RangeError" })
    assert.equal(isLeafCount(0), false)
  })

  it("parent and children agree; direct paths climb one level at a time to the root; doubling keeps every path as a prefix", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.nat(), (k, seed) => {
        const n = 2 ** k
        const leaf = seed % n
        const x = leafNode(leaf)
        const path = directPath(x, n)
        assert.equal(path.length, k)
        let child = x
        path.forEach((p, i) => {
          assert.equal(level(p), i + 1)
          assert.ok(left(p) === child || right(p) === child)
          assert.ok(inSubtree(x, p))
          assert.equal(sibling(child, n), left(p) === child ? right(p) : left(p))
          assert.ok(!inSubtree(sibling(child, n), child))
          child = p
        })
        if (k > 0) assert.equal(path[path.length - 1], root(n))
        // RFC 9420 §7.8: the doubled tree renumbers nothing; the old root gets a parent.
        const doubled = directPath(x, 2 * n)
        assert.deepEqual(doubled.slice(0, k), path)
        assert.equal(doubled[k], root(2 * n))
      }),
      { numRuns: 300 },
    )
  })
})
