/**
 * Post-handshake exhaustion (issue 14 item 3): a peer that completed a real handshake (NULL,
 * or CURVE with keys the server accepts) floods frames, large messages, PINGs or ROUTER
 * identities, or reads nothing while we write. Each costs a bounded amount of the server's
 * heap (measured after GC, with the bound from docs/sockets.md "Memory per connection"), and
 * the server pauses reading or drops/waits at the bound. (Subscription and CANCEL floods are in
 * test/socket/pubsub-limits.test.ts, a PING flood at the transport in
 * test/transport/pong-flood.test.ts.)
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as ih from "../../src/index.js"
import { curveKeyPair } from "../../src/crypto/keys.js"
import { encodePing } from "../../src/wire/commands.js"
import { INBOUND_FRAME_BUDGET, INBOUND_OCTET_BUDGET } from "../../src/socket/pipe.js"
import { HostileClient, type HostileSecurity } from "./hostile-client.js"
import { until } from "../socket/helpers.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** Heap (JS objects and array buffers) after two full collections. */
function heap(): number {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

const MB = 1024 * 1024
const portOf = (s: { lastEndpoint: string | null }): number => Number((s.lastEndpoint ?? "").split(":").pop())

interface Mech {
  name: "NULL" | "CURVE"
  server: Record<string, unknown>
  client(): HostileSecurity
  good(): Record<string, unknown>
}

function mechanisms(): Mech[] {
  const s = curveKeyPair()
  return [
    { name: "NULL", server: {}, client: () => ({ mechanism: "NULL" }), good: () => ({}) },
    {
      name: "CURVE",
      server: { curveServer: true, curveSecretKey: s.secretKey },
      client: () => {
        const c = curveKeyPair()
        return { mechanism: "CURVE", serverKey: s.publicKey, publicKey: c.publicKey, secretKey: c.secretKey }
      },
      good: () => {
        const c = curveKeyPair()
        return { curveServerKey: s.publicKey, curvePublicKey: c.publicKey, curveSecretKey: c.secretKey }
      },
    },
  ]
}

/**
 * Send `frames` as one message over and over until the server stops reading (a write does not
 * drain within `stuckMs`), or `max` messages; returns how many were written.
 */
async function floodUntilStuck(c: HostileClient, frames: Uint8Array[], max: number, stuckMs = 2000): Promise<number> {
  let sent = 0
  while (sent < max) {
    c.engine.send(frames)
    const flushed = c.flush()
    for (;;) {
      const pending = c.socket.writableLength
      const r = await Promise.race([flushed, new Promise<"stuck">((r) => setTimeout(() => r("stuck"), stuckMs))])
      if (r === true) break
      if (r === false) throw new Error("the server closed the connection")
      // No drain within stuckMs: stuck only if the server read nothing meanwhile. On a loaded
      // machine (the whole suite in parallel) a server decoding 65,536 CURVE frames per message
      // can take longer than that while still reading.
      if (c.socket.writableLength >= pending) return sent + 1
    }
    sent++
  }
  return sent
}

describe("post-handshake exhaustion: what one authenticated or NULL peer can make us hold", () => {
  for (const mech of mechanisms()) {
    it(`${mech.name}: messages of 65,536 one-octet frames into an unread PULL: reading pauses at the frame budget, heap stays bounded`, async () => {
      const pull = new ih.Pull({ linger: 0, ...mech.server })
      const good = new ih.Push({ linger: 0, ...mech.good() })
      let c: HostileClient | undefined
      try {
        await pull.bind("tcp://127.0.0.1:*")
        c = await HostileClient.connect(portOf(pull), "PUSH", mech.client())
        const before = heap()
        const one = new Uint8Array(1)
        const message = Array.from({ length: INBOUND_FRAME_BUDGET }, () => one)
        const sent = await floodUntilStuck(c, message, 60)
        const grown = heap() - before
        console.log(`${mech.name}: ${sent} messages of ${INBOUND_FRAME_BUDGET} frames written, heap +${(grown / MB).toFixed(1)} MB`)
        // One such message costs ≥ 6.8 MB of heap (≈ 104 octets per frame). Without the budget
        // the server would go on reading and holding (up to 1000, the receive high-water mark)
        // and the peer would write all 60 (408 MB); it got stuck: the server paused reading.
        // (How many it wrote first is what the kernel's socket buffers hold: about 29 for NULL,
        // 3 to 4 for CURVE, whose frames are twelve times larger on the wire.)
        assert.ok(sent < 60, `the server never paused reading: the peer wrote all ${sent} messages`)
        // Bound: the queued message that crossed the budget, one being assembled by the engine,
        // and what one read chunk decodes.
        assert.ok(grown < 24 * MB, `heap grew by ${(grown / MB).toFixed(1)} MB for ${sent} messages of ${INBOUND_FRAME_BUDGET} frames written`)
        // The application reads: everything that was held arrives whole, and reading resumes.
        pull.receiveTimeout = 5000
        const first = await pull.receive()
        assert.equal(first.length, INBOUND_FRAME_BUDGET)
        // A good peer is still served meanwhile.
        good.connect(pull.lastEndpoint as string)
        await good.send("good")
        for (;;) {
          const m = await pull.receive()
          if (m.length === 1 && m[0]?.toString() === "good") break
        }
      } finally {
        c?.destroy()
        good.close()
        pull.close()
      }
    })

    it(`${mech.name}: 1 MiB messages into an unread PULL: reading pauses at the octet budget (${INBOUND_OCTET_BUDGET / MB} MiB), not at 1000 messages`, async () => {
      const pull = new ih.Pull({ linger: 0, ...mech.server })
      let c: HostileClient | undefined
      try {
        await pull.bind("tcp://127.0.0.1:*")
        c = await HostileClient.connect(portOf(pull), "PUSH", mech.client())
        const before = heap()
        const sent = await floodUntilStuck(c, [new Uint8Array(MB).fill(7)], 200)
        const grown = heap() - before
        console.log(`${mech.name}: ${sent} messages of 1 MiB written, heap +${(grown / MB).toFixed(1)} MB`)
        assert.ok(sent > INBOUND_OCTET_BUDGET / MB + 4, `the peer wrote ${sent} MiB before it was stuck`)
        assert.ok(grown < INBOUND_OCTET_BUDGET + 8 * MB, `heap grew by ${(grown / MB).toFixed(1)} MB for ${sent} MiB written`)
        // Nothing was lost to the pause: every message written arrives, in order, once read.
        pull.receiveTimeout = 5000
        for (let i = 0; i < sent; i++) assert.equal((await pull.receive())[0]?.length, MB)
      } finally {
        c?.destroy()
        pull.close()
      }
    })

    it(`${mech.name}: a ROUTER with 150 peers, each announcing its own identity: bounded per peer, every identity freed on disconnect`, async () => {
      const router = new ih.Router({ linger: 0, ...mech.server })
      const clients: HostileClient[] = []
      try {
        await router.bind("tcp://127.0.0.1:*")
        const before = heap()
        for (let i = 0; i < 150; i++) {
          const c = await HostileClient.connect(portOf(router), "DEALER", mech.client(), `peer-${i}-${"x".repeat(200)}`)
          c.engine.send([Buffer.from(String(i))])
          await c.flush()
          clients.push(c)
        }
        for (let i = 0; i < 150; i++) await router.receive()
        const perPeer = (heap() - before) / 150
        // A connection's state (engine, pipe, queues, identity, peer info) is a few KiB.
        assert.ok(perPeer < 64 * 1024, `${(perPeer / 1024).toFixed(1)} KiB per peer`)
        // A second peer announcing an identity in use is ignored (its messages dropped).
        const twin = await HostileClient.connect(portOf(router), "DEALER", mech.client(), `peer-0-${"x".repeat(200)}`)
        twin.engine.send([Buffer.from("twin")])
        await twin.flush()
        twin.destroy()
        for (const c of clients) c.destroy()
        clients.length = 0
        // Every identity is released: a peer coming back with one is routable again.
        const back = await HostileClient.connect(portOf(router), "DEALER", mech.client(), `peer-7-${"x".repeat(200)}`)
        clients.push(back)
        back.engine.send([Buffer.from("back")])
        await back.flush()
        router.receiveTimeout = 5000
        const [id, body] = await router.receive()
        assert.equal(body?.toString(), "back", "the twin's message was dropped, the returning peer's delivered")
        await router.send([id as Buffer, "welcome back"])
        await until(() => back.messages.length > 0, "the reply to the returning identity")
        assert.deepEqual(back.messages.map((m) => Buffer.from(m[0] as Uint8Array).toString()), ["welcome back"])
        await until(() => heap() - before < 4 * MB, "the 150 peers' state to be freed", 10_000)
      } finally {
        for (const c of clients) c.destroy()
        router.close()
      }
    })

    it(`${mech.name}: a SUB that reads nothing while we publish 1 KiB messages: the PUB never waits, drops at the mark, holds a bounded amount`, async () => {
      const pub = new ih.Publisher({ linger: 0, ...mech.server })
      const good = new ih.Subscriber({ linger: 0, receiveTimeout: 5000, ...mech.good() })
      let c: HostileClient | undefined
      try {
        await pub.bind("tcp://127.0.0.1:*")
        c = await HostileClient.connect(portOf(pub), "SUB", mech.client())
        c.engine.sendSubscription(true, new Uint8Array(0))
        await c.flush()
        good.subscribe("")
        good.connect(pub.lastEndpoint as string)
        for (;;) {
          await pub.send("probe")
          try {
            good.receiveTimeout = 20
            await good.receive()
            break
          } catch {
            // not subscribed yet
          }
        }
        good.receiveTimeout = 5000
        c.stopReading()
        const before = heap()
        const payload = Buffer.alloc(1024, 1)
        // The good SUB reads as we publish; the hostile one does not.
        let goodGot = 0
        const reader = (async () => {
          try {
            for (;;) {
              await good.receive()
              goodGot++
            }
          } catch {
            // closed
          }
        })()
        for (let i = 0; i < 20_000; i++) {
          await pub.send(payload) // never waits: a full subscriber misses messages
        }
        const grown = heap() - before
        // Bound: sendHighWaterMark (1000) messages of 1 KiB for the unread peer, plus one flush
        // batch (64 KiB) in its socket buffer; the rest is dropped.
        assert.ok(grown < 8 * MB, `heap grew by ${(grown / MB).toFixed(1)} MB for 20 MB published`)
        await until(() => goodGot > 500, "the good subscriber to be served", 20_000)
        good.close()
        await reader
      } finally {
        c?.destroy()
        good.close()
        pub.close()
      }
    })

    for (const type of ["PUSH", "DEALER"] as const) {
      it(`${mech.name}: a ${type === "PUSH" ? "PULL" : "DEALER"} that reads nothing: our ${type}'s send() waits at the mark (EAGAIN after sendTimeout), memory bounded`, async () => {
        const sender = type === "PUSH" ? new ih.Push({ linger: 0, sendTimeout: 500, ...mech.server }) : new ih.Dealer({ linger: 0, sendTimeout: 500, ...mech.server })
        let c: HostileClient | undefined
        try {
          await sender.bind("tcp://127.0.0.1:*")
          c = await HostileClient.connect(portOf(sender), type === "PUSH" ? "PULL" : "DEALER", mech.client())
          c.stopReading()
          await until(() => sender.writable, "the peer to be routable")
          const before = heap()
          let sent = 0
          let timedOut = false
          while (!timedOut && sent < 100_000) {
            try {
              await sender.send(Buffer.alloc(16 * 1024, sent & 0xff)) // a fresh buffer each: queued, not shared
              sent++
            } catch (err) {
              assert.equal((err as { code?: string }).code, "EAGAIN")
              timedOut = true
            }
          }
          const grown = heap() - before
          assert.ok(timedOut, `send() waited and timed out after ${sent} messages`)
          // sendHighWaterMark (1000) × 16 KiB queued, one flush batch, the kernel's buffers.
          assert.ok(sent < 1000 + 2000, `${sent} messages accepted before the wait`)
          assert.ok(grown < 1000 * 16 * 1024 + 8 * MB, `heap grew by ${(grown / MB).toFixed(1)} MB`)
        } finally {
          c?.destroy()
          sender.close()
        }
      })
    }
  }

  it("NULL: a PULL's peer that sends only PINGs: one PONG owed per read, heap flat, the connection stays", async () => {
    const pull = new ih.Pull({ linger: 0 })
    let c: HostileClient | undefined
    try {
      await pull.bind("tcp://127.0.0.1:*")
      c = await HostileClient.connect(portOf(pull), "PUSH", { mechanism: "NULL" })
      c.stopReading()
      const before = heap()
      const ping = encodePing(0, new Uint8Array(16).fill(9))
      for (let i = 0; i < 100_000; i++) {
        if (!c.rawCommand("PING", ping)) await new Promise((r) => c?.socket.once("drain", r))
      }
      const grown = heap() - before
      assert.ok(grown < 4 * MB, `heap grew by ${(grown / MB).toFixed(1)} MB for 100,000 PINGs (2.8 MB)`)
      assert.equal(c.closed, false, "PINGs are not a protocol error")
    } finally {
      c?.destroy()
      pull.close()
    }
  })

  it("NULL: a DEALER's peer that reads nothing and floods PINGs once our output is backed up: reading pauses, heap flat", async () => {
    const dealer = new ih.Dealer({ linger: 0, sendTimeout: 0 })
    let c: HostileClient | undefined
    try {
      await dealer.bind("tcp://127.0.0.1:*")
      c = await HostileClient.connect(portOf(dealer), "DEALER", { mechanism: "NULL" })
      c.stopReading()
      await until(() => dealer.writable, "the peer to be routable")
      // Fill our output towards the peer until send() would wait.
      const payload = Buffer.alloc(64 * 1024, 3)
      for (;;) {
        try {
          await dealer.send(payload)
        } catch (err) {
          assert.equal((err as { code?: string }).code, "EAGAIN")
          break
        }
      }
      const before = heap()
      const ping = encodePing(0, new Uint8Array(16).fill(9))
      let writes = 0
      let stuck = false
      while (!stuck && writes < 2_000_000) {
        writes++
        if (!c.rawCommand("PING", ping)) {
          stuck = await Promise.race([
            new Promise<boolean>((r) => c?.socket.once("drain", () => r(false))),
            new Promise<boolean>((r) => setTimeout(() => r(true), 2000)),
          ])
        }
      }
      const grown = heap() - before
      assert.ok(stuck, `we stopped reading the peer (after ${writes} PINGs written)`)
      assert.ok(grown < 4 * MB, `heap grew by ${(grown / MB).toFixed(1)} MB`)
      assert.equal(c.closed, false, "a PING flood pauses the peer, it is not a protocol error")
    } finally {
      c?.destroy()
      dealer.close()
    }
  })
})
