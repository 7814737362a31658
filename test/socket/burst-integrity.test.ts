/**
 * h18-gateway: the sending path writes into the socket's engine while node:net's buffer is
 * under its high-water mark, builds CURVE MESSAGEs in the frame encoder's buffer and reuses
 * that buffer once the kernel has taken every octet. Whatever the timing, every message must
 * arrive intact and in order: bursts of distinct messages (sizes around the 255/256 header
 * switch and the 64 KiB flush size), NULL and CURVE, over tcp.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Pull, Push, curveKeyPair } from "../../src/index.js"

function message(i: number): Uint8Array {
  const size = [1, 200, 255, 256, 300, 1000, 4000][i % 7] as number
  const out = new Uint8Array(size)
  for (let j = 0; j < size; j++) out[j] = (i * 31 + j) & 0xff
  out[0] = i & 0xff
  return out
}

for (const mechanism of ["NULL", "CURVE"] as const) {
  describe(`burst integrity over tcp (${mechanism})`, () => {
    it("20 000 distinct messages (one and two frames) sent in a tight await-send() loop arrive intact and in order", async () => {
      const server = curveKeyPair()
      const client = curveKeyPair()
      const pull = new Pull(mechanism === "CURVE" ? { curveServer: true, curveSecretKey: server.secretKey, linger: 0 } : { linger: 0 })
      const push = new Push(
        mechanism === "CURVE"
          ? { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey, linger: 0 }
          : { linger: 0 },
      )
      try {
        await pull.bind("tcp://127.0.0.1:*")
        push.connect(pull.lastEndpoint as string)
        const total = 20_000
        const sending = (async () => {
          for (let i = 0; i < total / 2; i++) await push.send(message(i))
          // then two-frame messages (MORE set on the first frame, inside the CURVE box)
          for (let i = total / 2; i < total; i++) await push.send([message(i), message(i + 3)])
        })()
        for (let i = 0; i < total; i++) {
          const frames = await pull.receive()
          const expected = i < total / 2 ? [message(i)] : [message(i), message(i + 3)]
          assert.equal(frames.length, expected.length, `message ${i}: frame count`)
          expected.forEach((e, k) => {
            if (!Buffer.from(e).equals(frames[k] as Buffer)) assert.fail(`message ${i} frame ${k} differs (${frames[k]?.length} octets, expected ${e.length})`)
          })
        }
        await sending
      } finally {
        push.close()
        pull.close()
      }
    })
  })
}
