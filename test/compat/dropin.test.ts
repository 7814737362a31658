/**
 * Ironhouse's side of the drop-in items of issue 15 that are deliberate or Ironhouse-only
 * (the shared cases are in behaviour.ts, run against both packages).
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { constants as osConstants } from "node:os"
import * as ih from "../../src/index.js"

const packageJson = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }

describe("drop-in: version and capability (Ironhouse)", () => {
  it("ironhouseVersion is package.json's version; version is the libzmq level, not ours", () => {
    assert.equal(ih.ironhouseVersion, packageJson.version)
    assert.equal(ih.version, "4.3.5")
  })

  it("capability is true only for what works: ipc and curve; no draft sockets, pgm, tipc, norm, gssapi, ws", () => {
    assert.deepEqual(
      { ...ih.capability },
      { ipc: true, pgm: false, tipc: false, norm: false, curve: true, gssapi: false, draft: false, ws: false },
    )
    assert.throws(() => {
      ;(ih.capability as { ipc: boolean }).ipc = false
    }, TypeError)
    // tipc is false because it does not work here: binding a tipc endpoint is refused.
    const s = new ih.Pull({ linger: 0 })
    try {
      assert.throws(() => s.connect("tipc://{5560,0,0}"), (err: unknown) => (err as { code?: string }).code === "EPROTONOSUPPORT")
    } finally {
      s.close()
    }
  })
})

describe("drop-in: context options (Ironhouse)", () => {
  it("maxSockets is honoured: one socket more than allowed throws EMFILE; a closed one frees its place", () => {
    // Not in the shared suite: zeromq 6.8 leaks the half-built native socket when its
    // constructor throws EMFILE, and the process then crashes at exit (SIGSEGV).
    const ctx = new ih.Context({ maxSockets: 2 })
    const a = new ih.Pull({ context: ctx, linger: 0 })
    const b = new ih.Push({ context: ctx, linger: 0 })
    try {
      assert.throws(
        () => new ih.Dealer({ context: ctx }),
        (err: unknown) => {
          const e = err as { code?: unknown; errno?: unknown; message?: unknown }
          assert.ok(err instanceof ih.SocketError)
          assert.deepEqual([e.code, e.errno, e.message], ["EMFILE", osConstants.errno.EMFILE, "Too many open file descriptors"])
          return true
        },
      )
      // A constructor that throws for a bad option takes no place either.
      assert.throws(() => new ih.Dealer({ context: ctx, sendHighWaterMark: -5 }), RangeError)
      b.close()
      const c = new ih.Dealer({ context: ctx, linger: 0 })
      c.close()
      // Other contexts are counted separately.
      new ih.Pair({ linger: 0 }).close()
    } finally {
      a.close()
      b.close()
    }
  })

  it("constructor options are checked as zeromq checks them: read-only maxSocketsLimit, EINVAL, TypeError, unknown names", () => {
    // (zeromq gives the same errors, probed with zeromq 6.8, but crashes at exit after a
    // throwing Context constructor, so these are not in the shared suite.)
    const einval = (err: unknown) => {
      const e = err as { code?: unknown; errno?: unknown }
      assert.ok(err instanceof RangeError)
      assert.deepEqual([e.code, e.errno], ["EINVAL", osConstants.errno.EINVAL])
      return true
    }
    assert.throws(() => new ih.Context({ maxSocketsLimit: 1 } as never), /maxSocketsLimit is read-only/)
    assert.throws(() => new ih.Context({ maxSocketsLimit: 1 } as never), TypeError)
    assert.throws(() => new ih.Context({ ioThreads: -1 }), einval)
    assert.throws(() => new ih.Context({ maxSockets: 0 }), einval)
    assert.throws(() => new ih.Context({ ipv6: "yes" } as never), TypeError)
    assert.throws(() => new ih.Context({ ioThread: 2 } as never), /unknown context option "ioThread"/)
    assert.throws(() => new ih.Context(null as never), TypeError)
    assert.throws(() => new ih.Context(5 as never), TypeError)
  })

  it("options with no effect here are kept and read back: threadPriority, threadSchedulingPolicy (zeromq cannot read them)", () => {
    const ctx = new ih.Context({ threadPriority: 10, threadSchedulingPolicy: 1 })
    assert.deepEqual([ctx.threadPriority, ctx.threadSchedulingPolicy], [10, 1])
    assert.deepEqual([new ih.Context().threadPriority, new ih.Context().threadSchedulingPolicy], [-1, -1])
    // NaN is refused (zeromq silently turns it into 0).
    assert.throws(() => {
      ctx.ioThreads = Number.NaN
    }, RangeError)
  })
})

describe("drop-in: sealed sockets (Ironhouse)", () => {
  it("a subclass's own fields exist and the built-in classes seal only as the most-derived class", () => {
    class Worker extends ih.Dealer {
      jobs = 0
      constructor() {
        super({ linger: 0 })
        this.jobs = 1
      }
    }
    const w = new Worker()
    try {
      assert.equal(w.jobs, 1)
      // Documented difference: zeromq's native sockets refuse fields in a subclass too.
      assert.equal(Object.isExtensible(w), true)
      const d = new ih.Dealer({ linger: 0 })
      assert.equal(Object.isSealed(d), true)
      d.close()
    } finally {
      w.close()
    }
  })
})

describe("drop-in: buffers on send (Ironhouse)", () => {
  it("frames up to COPY_MAX (1 KiB) are copied when queued; larger queued frames are zero-copy, as documented", async () => {
    const pull = new ih.Pull({ linger: 0 })
    const push = new ih.Push({ linger: 0 })
    try {
      await pull.bind("tcp://127.0.0.1:*")
      push.connect(pull.lastEndpoint as string)
      const small = Buffer.alloc(1024, 1) // COPY_MAX: copied
      const large = Buffer.alloc(64 * 1024, 2) // queued by reference
      await push.send([small, large]) // queued: the connection is not up yet
      small.fill(9)
      large.fill(8)
      const [a, b] = await pull.receive()
      assert.equal(a?.length, 1024)
      assert.ok(a?.every((x) => x === 1), "the 1 KiB frame was copied at send()")
      assert.equal(b?.length, 64 * 1024)
      assert.ok(b?.every((x) => x === 8), "the 64 KiB frame was not copied (zero-copy)")
    } finally {
      push.close()
      pull.close()
    }
  })

  it("a send() that waits (no peer yet) keeps a copy of its small frames", async () => {
    const pull = new ih.Pull({ linger: 0 })
    const pair = new ih.Pair({ linger: 0 }) // PAIR waits for its peer before queueing
    const peer = new ih.Pair({ linger: 0 })
    try {
      const frame = Buffer.from("original")
      const sending = pair.send(frame)
      frame.write("modified")
      await peer.bind("tcp://127.0.0.1:*")
      pair.connect(peer.lastEndpoint as string)
      await sending
      assert.deepEqual((await peer.receive()).map(String), ["original"])
    } finally {
      pull.close()
      pair.close()
      peer.close()
    }
  })
})

describe("drop-in: close while busy (Ironhouse)", () => {
  it("a bind that completes after close() has released its endpoint by the time it resolves", async () => {
    const probe = new ih.Pull({ linger: 0 })
    await probe.bind("tcp://127.0.0.1:*")
    const endpoint = probe.lastEndpoint as string
    await probe.unbind(endpoint)
    probe.close()
    const s = new ih.Pull({ linger: 0 })
    const binding = s.bind(endpoint)
    s.close()
    await binding
    const again = new ih.Pull({ linger: 0 })
    try {
      await again.bind(endpoint) // free: no EADDRINUSE
      assert.equal(again.lastEndpoint, endpoint)
    } finally {
      again.close()
    }
  })
})
