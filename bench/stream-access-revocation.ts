/**
 * Stream-access revocation cost, one process: a publisher with `count` readers (random CURVE
 * public keys) revokes one reader at a time; reports the commit message size (octets, the
 * body published on the control topic; its topic frame adds 23) and the median time to
 * compute it (key tree update, AEAD wraps, Ed25519 signature, encoding), over `repeats`
 * revocations of different readers.
 */
import { emit, need, runChild } from "./child.js"
import { benchSigningKey } from "./stream-access-common.js"
import { StreamWriter } from "../src/stream-access/writer.js"
import { randomBytes } from "../src/crypto/index.js"
import { z85Encode } from "../src/wire/z85.js"

runChild(async (args) => {
  const count = need(args.count, "count")
  emit("ready", {})
  const members = Array.from({ length: count }, () => z85Encode(randomBytes(32)))
  const writer = new StreamWriter({ signingKey: benchSigningKey(), members })
  const times: number[] = []
  const sizes: number[] = []
  for (let i = 0; i < 21; i++) {
    const victim = members[(i * 7919) % count] as string
    const t0 = performance.now()
    const frames = writer.commit({ remove: [victim] })
    times.push(performance.now() - t0)
    sizes.push((frames[frames.length - 1] as [Uint8Array, Uint8Array])[1].length)
  }
  times.sort((a, b) => a - b)
  sizes.sort((a, b) => a - b)
  return { ms: times[10] as number, bytes: sizes[sizes.length - 1] as number, leafCount: writer.tree.leafCount }
})
