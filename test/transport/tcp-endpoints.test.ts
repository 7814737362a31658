/**
 * The tcp:// endpoint forms libzmq accepts (zmq_tcp(7)) beyond host:port: `SOURCE;DEST` on
 * connect, interface names on bind, DNS names on connect; peer addresses on a dual-stack
 * listener reported in dotted IPv4; and TCP keep-alive (ZMQ_TCP_KEEPALIVE, _IDLE) observed in
 * the kernel's own table (/proc/net/tcp), not in a mock.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { once } from "node:events"
import { readFileSync } from "node:fs"
import net from "node:net"
import * as zmq from "zeromq"
import { Pull, Push, SocketError } from "../../src/index.js"
import { getProperty } from "../../src/wire/metadata.js"
import { unmapIPv4 } from "../../src/transport/peer-address.js"
import { Dialer, type DialerEvent } from "../../src/transport/dialer.js"

zmq.context.blocky = false

const ipv6Available = await new Promise<boolean>((resolve) => {
  const s = net.createServer()
  s.once("error", () => resolve(false))
  s.listen(0, "::1", () => s.close(() => resolve(true)))
})

/** A plain TCP server on 127.0.0.1 that reports each connection's remote address and port. */
async function recordingServer(): Promise<{ port: number; next(): Promise<net.Socket>; close(): void }> {
  const accepted: net.Socket[] = []
  const waiting: Array<(s: net.Socket) => void> = []
  const server = net.createServer((socket) => {
    const w = waiting.shift()
    if (w !== undefined) w(socket)
    else accepted.push(socket)
  })
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  return {
    port: (server.address() as net.AddressInfo).port,
    next: () => {
      const s = accepted.shift()
      return s !== undefined ? Promise.resolve(s) : new Promise((resolve) => waiting.push(resolve))
    },
    close: () => {
      for (const s of accepted) s.destroy()
      server.close()
    },
  }
}

/** A port that is free on `host` right now (bound and released by node:net). */
async function freePort(host: string): Promise<number> {
  const s = net.createServer()
  s.listen(0, host)
  await once(s, "listening")
  const port = (s.address() as net.AddressInfo).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

describe("tcp://SOURCE;DEST (connect from a source address)", () => {
  it("connects from the given source IP and any port", async () => {
    const server = await recordingServer()
    const push = new Push({ linger: 0 })
    try {
      push.connect(`tcp://127.0.0.2:0;127.0.0.1:${server.port}`)
      const conn = await server.next()
      assert.equal(conn.remoteAddress, "127.0.0.2")
      conn.destroy()
    } finally {
      push.close()
      server.close()
    }
  })

  it("connects from the given source IP and port, and from * with a port", async () => {
    const server = await recordingServer()
    const a = new Push({ linger: 0 })
    const b = new Push({ linger: 0 })
    try {
      const portA = await freePort("127.0.0.2")
      a.connect(`tcp://127.0.0.2:${portA};127.0.0.1:${server.port}`)
      const connA = await server.next()
      assert.deepEqual([connA.remoteAddress, connA.remotePort], ["127.0.0.2", portA])
      const portB = await freePort("0.0.0.0")
      b.connect(`tcp://*:${portB};127.0.0.1:${server.port}`)
      const connB = await server.next()
      assert.deepEqual([connB.remoteAddress, connB.remotePort], ["127.0.0.1", portB])
      connA.destroy()
      connB.destroy()
    } finally {
      a.close()
      b.close()
      server.close()
    }
  })

  it("connects from an interface's address (lo) and to a DNS name from a source IP", async () => {
    const server = await recordingServer()
    const a = new Push({ linger: 0 })
    const b = new Push({ linger: 0 })
    try {
      a.connect(`tcp://lo:0;127.0.0.1:${server.port}`)
      assert.equal((await server.next()).remoteAddress, "127.0.0.1")
      // localhost may resolve to ::1 first: an IPv4 source makes the lookup IPv4.
      b.connect(`tcp://127.0.0.2:0;localhost:${server.port}`)
      assert.equal((await server.next()).remoteAddress, "127.0.0.2")
    } finally {
      a.close()
      b.close()
      server.close()
    }
  })

  it("an Ironhouse server reports the source address as the peer's (Peer-Address), with libzmq's client too", async () => {
    const pull = new Pull({ linger: 0 })
    const ours = new Push({ linger: 0 })
    const theirs = new zmq.Push({ linger: 0 })
    try {
      await pull.bind("tcp://127.0.0.1:*")
      const port = (pull.lastEndpoint as string).split(":").pop() as string
      ours.connect(`tcp://127.0.0.2:0;127.0.0.1:${port}`)
      await ours.send("ours")
      const first = await pull.receiveWithPeer()
      assert.deepEqual(first.message.map(String), ["ours"])
      assert.equal(first.peer.address, "127.0.0.2")
      assert.equal(Buffer.from(getProperty(first.peer.properties, "Peer-Address") ?? []).toString(), "127.0.0.2")
      theirs.connect(`tcp://127.0.0.3:0;127.0.0.1:${port}`)
      await theirs.send("theirs")
      const second = await pull.receiveWithPeer()
      assert.deepEqual(second.message.map(String), ["theirs"])
      assert.equal(second.peer.address, "127.0.0.3")
    } finally {
      pull.close()
      ours.close()
      theirs.close()
    }
  })

  it("a source address this host does not have fails each attempt (close) and is retried (connect:retry)", async () => {
    const server = await recordingServer()
    const push = new Push({ linger: 0, reconnectInterval: 20 })
    try {
      const seen: string[] = []
      const watching = (async () => {
        for await (const event of push.events) {
          seen.push(event.type)
          if (seen.filter((t) => t === "connect:retry").length === 2) return
        }
      })()
      // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this host's lo.
      push.connect(`tcp://192.0.2.99:0;127.0.0.1:${server.port}`)
      await watching
      assert.deepEqual(seen.slice(0, 3), ["connect:delay", "close", "connect:retry"])
      assert.equal(seen.includes("connect"), false)
    } finally {
      push.close()
      server.close()
    }
  })

  it("a source interface that is gone when the dialer tries fails that attempt with ENODEV and is retried", async () => {
    const events: DialerEvent[] = []
    let connected = false
    const retried = new Promise<void>((resolve) => {
      const dialer = new Dialer(
        // As parseEndpoint accepted it while the interface existed; it is gone by the dial.
        { transport: "tcp", host: "127.0.0.1", port: 9, source: { host: "gone0", port: 0 } },
        { reconnectInterval: 10_000, reconnectMaxInterval: 0, connectTimeout: 0 },
        {
          onConnected: () => (connected = true),
          onEvent: (event) => {
            events.push(event)
            if (event.type === "connect:retry") {
              dialer.stop()
              resolve()
            }
          },
        },
      )
      dialer.start()
    })
    await retried
    assert.deepEqual(events.map((e) => e.type), ["connect:delay", "close", "connect:retry"])
    const close = events[1] as Extract<DialerEvent, { type: "close" }>
    assert.equal((close.error as { code?: string } | undefined)?.code, "ENODEV")
    assert.match(close.error?.message ?? "", /source interface "gone0" does not exist/)
    assert.equal(connected, false)
  })

  it("an interface-name source takes the destination's family (lo to ::1)", async () => {
    if (!ipv6Available) return assert.equal(ipv6Available, false)
    const server = net.createServer()
    server.listen(0, "::1")
    await once(server, "listening")
    const push = new Push({ linger: 0 })
    try {
      const accepted = once(server, "connection") as Promise<[net.Socket]>
      push.connect(`tcp://lo:0;[::1]:${(server.address() as net.AddressInfo).port}`)
      const [conn] = await accepted
      assert.equal(conn.remoteAddress, "::1")
      conn.destroy()
    } finally {
      push.close()
      server.close()
    }
  })

  it("disconnect() takes the endpoint with its source as given to connect()", async () => {
    const push = new Push({ linger: 0 })
    try {
      const endpoint = "tcp://127.0.0.2:0;127.0.0.1:9"
      push.connect(endpoint)
      push.disconnect(endpoint)
      assert.throws(() => push.disconnect(endpoint), (err: unknown) => err instanceof SocketError && err.code === "ENOENT")
    } finally {
      push.close()
    }
  })
})

describe("tcp://INTERFACE:port (bind to a network interface)", () => {
  it("binds lo's IPv4 address; lastEndpoint shows it; unbind by the name works", async () => {
    const pull = new Pull({ linger: 0 })
    const push = new Push({ linger: 0 })
    try {
      await pull.bind("tcp://lo:*")
      assert.match(pull.lastEndpoint ?? "", /^tcp:\/\/127\.0\.0\.1:\d+$/)
      push.connect(pull.lastEndpoint as string)
      await push.send("via lo")
      assert.deepEqual((await pull.receive()).map(String), ["via lo"])
      await pull.unbind("tcp://lo:*")
      // The port is free again.
      const again = new Pull({ linger: 0 })
      await again.bind(pull.lastEndpoint as string)
      again.close()
    } finally {
      pull.close()
      push.close()
    }
  })

  it("with ipv6, binds lo's IPv6 address (as libzmq), or fails cleanly without IPv6", async () => {
    const pull = new Pull({ linger: 0, ipv6: true })
    try {
      if (!ipv6Available) {
        await assert.rejects(pull.bind("tcp://lo:*"), (err: unknown) => err instanceof SocketError)
        return
      }
      await pull.bind("tcp://lo:*")
      assert.match(pull.lastEndpoint ?? "", /^tcp:\/\/\[::1\]:\d+$/)
    } finally {
      pull.close()
    }
  })

  it("an unknown interface or host name fails with ENODEV, like libzmq", async () => {
    const pull = new Pull({ linger: 0 })
    try {
      for (const address of ["tcp://no-such-if0:*", "tcp://host.invalid:*"]) {
        await assert.rejects(pull.bind(address), (err: unknown) => {
          assert.ok(err instanceof SocketError, String(err))
          assert.equal(err.code, "ENODEV")
          assert.equal(err.errno, 19)
          assert.equal(err.address, address)
          return true
        })
      }
    } finally {
      pull.close()
    }
  })
})

describe("peer addresses on a dual-stack listener", () => {
  it("unmapIPv4 turns ::ffff:a.b.c.d into a.b.c.d and leaves everything else", () => {
    assert.equal(unmapIPv4("::ffff:127.0.0.1"), "127.0.0.1")
    assert.equal(unmapIPv4("::FFFF:10.1.2.3"), "10.1.2.3")
    assert.equal(unmapIPv4("::1"), "::1")
    assert.equal(unmapIPv4("::ffff:7f00:1"), "::ffff:7f00:1")
    assert.equal(unmapIPv4("2001:db8::ffff:1.2.3.4"), "2001:db8::ffff:1.2.3.4")
    assert.equal(unmapIPv4("10.0.0.1"), "10.0.0.1")
    assert.equal(unmapIPv4(""), "")
  })

  for (const bindAddress of ["tcp://*:*", "tcp://[::]:*"]) {
    it(`${bindAddress} with ipv6: an IPv4 peer is 127.0.0.1 in the handshake event and Peer-Address`, async () => {
      const pull = new Pull({ linger: 0, ipv6: true })
      const push = new Push({ linger: 0 })
      try {
        if (!ipv6Available) {
          await assert.rejects(pull.bind(bindAddress), (err: unknown) => err instanceof SocketError)
          return
        }
        await pull.bind(bindAddress)
        assert.match(pull.lastEndpoint ?? "", /^tcp:\/\/\[::\]:\d+$/)
        const port = (pull.lastEndpoint as string).split(":").pop() as string
        const handshake = (async () => {
          for await (const event of pull.events) if (event.type === "handshake") return event.peer.address
          return undefined
        })()
        push.connect(`tcp://127.0.0.1:${port}`)
        await push.send("v4 to dual-stack")
        const { message, peer } = await pull.receiveWithPeer()
        assert.deepEqual(message.map(String), ["v4 to dual-stack"])
        assert.equal(peer.address, "127.0.0.1")
        assert.equal(Buffer.from(getProperty(peer.properties, "Peer-Address") ?? []).toString(), "127.0.0.1")
        assert.equal(await handshake, "127.0.0.1")
      } finally {
        pull.close()
        push.close()
      }
    })
  }
})

// ---- TCP keep-alive -------------------------------------------------------------------------

/**
 * The kernel's timer for the TCP connection local→remote (127.0.0.1 ports), from
 * /proc/net/tcp: `tr` is 0 none, 1 retransmit, 2 keep-alive, 3 TIME_WAIT, 4 zero-window probe;
 * `ticks` the time left in USER_HZ (100 per second) units (proc(5)).
 */
function tcpTimer(localPort: number, remotePort: number): { tr: number; ticks: number } | undefined {
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, "0")
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 6) continue
    if (f[1]?.endsWith(`:${hex(localPort)}`) && f[2]?.endsWith(`:${hex(remotePort)}`) && f[3] === "01") {
      const [tr, when] = (f[5] as string).split(":")
      return { tr: parseInt(tr as string, 16), ticks: parseInt(when as string, 16) }
    }
  }
  return undefined
}

/** net.ipv4.tcp_keepalive_time: the OS default idle in seconds. */
function readOsIdle(): number {
  return Number(readFileSync("/proc/sys/net/ipv4/tcp_keepalive_time", "utf8").trim())
}

/** The first timer reading that is not a pending retransmit (ACKs of the handshake settle). */
async function settledTimer(localPort: number, remotePort: number): Promise<{ tr: number; ticks: number }> {
  for (;;) {
    const t = tcpTimer(localPort, remotePort)
    if (t !== undefined && t.tr !== 1) return t
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Connect `push` to a plain recording server; returns both ends' ports once connected. */
async function pushConnection(push: Push): Promise<{ clientPort: number; serverPort: number; done(): void }> {
  const server = await recordingServer()
  // The socket's connect event comes after the transport has tuned the connection.
  const connected = (async () => {
    for await (const event of push.events) if (event.type === "connect") return
  })()
  push.connect(`tcp://127.0.0.1:${server.port}`)
  const conn = await server.next()
  await connected
  return { clientPort: conn.remotePort as number, serverPort: server.port, done: () => (conn.destroy(), server.close()) }
}

describe("tcpKeepalive / tcpKeepaliveIdle (SO_KEEPALIVE, TCP_KEEPIDLE)", () => {
  it("a connecting socket with tcpKeepalive 1 and tcpKeepaliveIdle 37 arms the kernel's keep-alive timer at 37 s", async () => {
    const push = new Push({ linger: 0, tcpKeepalive: 1, tcpKeepaliveIdle: 37 })
    const c = await pushConnection(push)
    try {
      const t = await settledTimer(c.clientPort, c.serverPort)
      assert.equal(t.tr, 2, "keep-alive timer armed")
      // At most 37 s left (the OS default idle is 7200 s); the lower bound only rules out nonsense.
      assert.ok(t.ticks <= 3700 && t.ticks > 100, `ticks ${t.ticks}`)
    } finally {
      push.close()
      c.done()
    }
  })

  it("the default (-1) and 0 leave keep-alive off on Linux; tcpKeepalive 1 without idle uses the OS idle", async () => {
    for (const [options, expected] of [
      [{}, 0],
      [{ tcpKeepalive: 0 }, 0],
      [{ tcpKeepalive: 1 }, 2],
      [{ tcpKeepalive: -1, tcpKeepaliveIdle: 37 }, 0], // idle applies only with tcpKeepalive 1, as libzmq
    ] as const) {
      const push = new Push({ linger: 0, ...options })
      const c = await pushConnection(push)
      try {
        const t = await settledTimer(c.clientPort, c.serverPort)
        assert.equal(t.tr, expected, JSON.stringify(options))
        if (expected === 2) assert.ok(t.ticks > 100 * readOsIdle() - 1000, `OS default idle (${readOsIdle()} s), ticks ${t.ticks}`)
      } finally {
        push.close()
        c.done()
      }
    }
  })

  it("a bound socket applies them to accepted connections, set as properties before bind()", async () => {
    const pull = new Pull({ linger: 0 })
    pull.tcpKeepalive = 1
    pull.tcpKeepaliveIdle = 41
    const client = new net.Socket()
    try {
      await pull.bind("tcp://127.0.0.1:*")
      const port = Number((pull.lastEndpoint as string).split(":").pop())
      client.connect(port, "127.0.0.1")
      await once(client, "connect")
      const t = await settledTimer(port, client.localPort as number)
      assert.equal(t.tr, 2)
      assert.ok(t.ticks <= 4100 && t.ticks > 100, `ticks ${t.ticks}`)
      assert.equal(pull.tcpKeepalive, 1)
      assert.equal(pull.tcpKeepaliveIdle, 41)
    } finally {
      client.destroy()
      pull.close()
    }
  })
})

describe("transport options Node cannot honour", () => {
  function rangeError(fn: () => unknown, pattern: RegExp): void {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof RangeError, String(err))
      assert.match(err.message, pattern)
      return true
    })
  }

  it("tcpKeepaliveCount / tcpKeepaliveInterval / typeOfService / interface accept only the OS default, and say why otherwise", () => {
    const push = new Push({ tcpKeepaliveCount: -1, tcpKeepaliveInterval: -1, typeOfService: 0, interface: null })
    try {
      assert.deepEqual([push.tcpKeepaliveCount, push.tcpKeepaliveInterval, push.typeOfService, push.interface], [-1, -1, 0, null])
      rangeError(() => new Push({ tcpKeepaliveCount: 5 }), /tcpKeepaliveCount: only -1 is supported, got 5: Node's net module has no API for TCP_KEEPCNT/)
      rangeError(() => (push.tcpKeepaliveInterval = 10), /tcpKeepaliveInterval: only -1 is supported, got 10: .*TCP_KEEPINTVL/)
      rangeError(() => (push.typeOfService = 0x10), /typeOfService: only 0 is supported, got 16: .*IP_TOS/)
      rangeError(() => (push.interface = "eth0"), /interface: only null is supported, got "eth0": .*SO_BINDTODEVICE.*tcp:\/\/eth0:0;host:port/)
      assert.throws(() => (push.typeOfService = "8" as never), TypeError)
      assert.throws(() => (push.interface = 5 as never), TypeError)
      // Unchanged after the refused assignments.
      assert.deepEqual([push.tcpKeepaliveCount, push.tcpKeepaliveInterval, push.typeOfService, push.interface], [-1, -1, 0, null])
    } finally {
      push.close()
    }
  })

  it("tcpKeepalive takes -1, 0 or 1 and tcpKeepaliveIdle -1 to 32767 (Linux's TCP_KEEPIDLE maximum)", () => {
    const push = new Push()
    try {
      assert.deepEqual([push.tcpKeepalive, push.tcpKeepaliveIdle], [-1, -1])
      rangeError(() => (push.tcpKeepalive = 2), /tcpKeepalive: expected an integer from -1 to 1, got 2/)
      rangeError(() => (push.tcpKeepaliveIdle = 40_000), /tcpKeepaliveIdle: expected an integer from -1 to 32767/)
      push.tcpKeepaliveIdle = 600
      assert.equal(push.tcpKeepaliveIdle, 600)
    } finally {
      push.close()
    }
  })
})
