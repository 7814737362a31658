/**
 * No leak under attack or churn (issue 14 item 4), run in a child process started with
 * --expose-gc (soak-main.ts):
 *
 * - `hostileRounds`: one REP server per mechanism (NULL, PLAIN, CURVE) gets the catalogue of
 *   hostile connections of the existing tests (test/socket/hostile.test.ts, flood.test.ts,
 *   test/engine/hostile-peer.test.ts, test/transport/pong-flood.test.ts) once per round —
 *   silent, partial and dribbled greetings, a greeting then silence, garbage, ZMTP 1.0/2.0,
 *   the wrong mechanism, a hostile frame header, wrong keys or credentials, a socket-type
 *   mismatch, a message over maxMessageSize, 65,537 frames, a second READY or a forged
 *   MESSAGE, a PING burst, a request abandoned before its reply, 50 half-open connections —
 *   and after each round a good client still gets its reply; RSS and heap are taken after GC.
 * - `curveCycles`: connect / CURVE handshake / one exchange / close, over and over against one
 *   ROUTER, with RSS, heap and open file descriptors (/proc/self/fd) sampled along the way.
 */
import net from "node:net"
import { readdirSync } from "node:fs"
import * as ih from "../../src/index.js"
import { curveKeyPair } from "../../src/crypto/keys.js"
import { encodeGreeting } from "../../src/wire/greeting.js"
import { encodeCommand } from "../../src/wire/command.js"
import { encodePing, encodeReady } from "../../src/wire/commands.js"
import { encodeFrame } from "../../src/wire/frame-encoder.js"
import { HostileClient, type HostileSecurity } from "./hostile-client.js"

export type SoakMechanism = "NULL" | "PLAIN" | "CURVE"

export interface Sample {
  rss: number
  heap: number
  fds: number
}

export function sample(gc: () => void): Sample {
  gc()
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers, fds: readdirSync("/proc/self/fd").length }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function raw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s))
    s.on("error", () => {})
    s.once("error", reject)
  })
}

/** Wait until `s` is closed by the server, or destroy it after `ms`. */
function closedOrAfter(s: net.Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve()
    const t = setTimeout(() => {
      s.destroy()
      resolve()
    }, ms)
    s.once("close", () => {
      clearTimeout(t)
      resolve()
    })
    s.resume()
  })
}

interface Server {
  rep: ih.Reply
  port: number
  endpoint: string
  good: () => Record<string, unknown>
  hostile: (valid: boolean) => HostileSecurity
  close(): void
}

async function server(mechanism: SoakMechanism): Promise<Server> {
  // Short deadlines so that hostile connections are closed by the server's own timeouts, but
  // not so short that a good client's CURVE handshake misses them on a loaded machine.
  const common = { linger: 0, greetingTimeout: 150, handshakeInterval: 1500, maxMessageSize: 65_536 }
  let rep: ih.Reply
  let good: () => Record<string, unknown>
  let hostile: (valid: boolean) => HostileSecurity
  if (mechanism === "NULL") {
    rep = new ih.Reply(common)
    good = () => ({})
    hostile = () => ({ mechanism: "NULL" })
  } else if (mechanism === "PLAIN") {
    rep = new ih.Reply({
      ...common,
      plainServer: true,
      authenticate: ({ credentials: [u, p] }) =>
        Buffer.from(u as Uint8Array).toString() === "good" && Buffer.from(p as Uint8Array).toString() === "secret"
          ? { status: 200, userId: "good" }
          : { status: 400 },
    })
    good = () => ({ plainUsername: "good", plainPassword: "secret" })
    hostile = (valid) => ({ mechanism: "PLAIN", username: "good", password: valid ? "secret" : "wrong" })
  } else {
    const s = curveKeyPair()
    rep = new ih.Reply({ ...common, curveServer: true, curveSecretKey: s.secretKey })
    good = () => {
      const c = curveKeyPair()
      return { curveServerKey: s.publicKey, curvePublicKey: c.publicKey, curveSecretKey: c.secretKey }
    }
    hostile = (valid) => {
      const c = curveKeyPair()
      return { mechanism: "CURVE", serverKey: valid ? s.publicKey : curveKeyPair().publicKey, publicKey: c.publicKey, secretKey: c.secretKey }
    }
  }
  await rep.bind("tcp://127.0.0.1:*")
  const endpoint = rep.lastEndpoint as string
  void (async () => {
    try {
      for await (const msg of rep) await rep.send(msg)
    } catch {
      // closed
    }
  })()
  return { rep, port: Number(endpoint.split(":").pop()), endpoint, good, hostile, close: () => rep.close() }
}

const frame = (name: string, data: Uint8Array): Uint8Array => encodeFrame({ more: false, command: true, body: encodeCommand(name, data) })

/** One pass of the catalogue against `srv`; resolves when every hostile connection is gone. */
async function catalogue(srv: Server, mechanism: SoakMechanism): Promise<number> {
  const { port } = srv
  const greeting = encodeGreeting(mechanism, false)
  const kinds: Array<() => Promise<void>> = [
    // pre-handshake
    async () => closedOrAfter(await raw(port), 400), // silent
    async () => {
      const s = await raw(port)
      s.write(greeting.subarray(0, 11))
      await closedOrAfter(s, 400)
    },
    async () => {
      const s = await raw(port)
      let i = 0
      const t = setInterval(() => (i < greeting.length && !s.destroyed ? s.write(greeting.subarray(i, ++i)) : clearInterval(t)), 2)
      await closedOrAfter(s, 400)
      clearInterval(t)
    },
    async () => {
      const s = await raw(port)
      s.write(greeting)
      await closedOrAfter(s, 3000) // then silence: closed by the handshake timeout
    },
    async () => {
      const s = await raw(port)
      s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      await closedOrAfter(s, 400)
    },
    async () => {
      const s = await raw(port)
      s.write(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1, 0])) // ZMTP 2.0
      await closedOrAfter(s, 400)
    },
    async () => {
      const s = await raw(port)
      s.write(Buffer.from([0x05, 0x00, 0x41, 0x42, 0x43])) // ZMTP 1.0
      await closedOrAfter(s, 400)
    },
    async () => {
      const s = await raw(port)
      s.write(encodeGreeting(mechanism === "NULL" ? "CURVE" : "NULL", false)) // wrong mechanism
      await closedOrAfter(s, 400)
    },
    async () => {
      const s = await raw(port)
      s.write(Buffer.concat([greeting, Buffer.from([0x06, 0x40, 0, 0, 0, 0, 0, 0, 0])])) // 2^62-octet command
      await closedOrAfter(s, 400)
    },
    async () => {
      const s = await raw(port)
      s.write(Buffer.concat([greeting, Buffer.from("\x04\x05HELLOgarbage-garbage")]))
      await closedOrAfter(s, 400)
    },
    async () => {
      // wrong key / credentials / socket type
      try {
        const c = await HostileClient.connect(port, mechanism === "NULL" ? "PUB" : "REQ", srv.hostile(false))
        c.destroy()
      } catch {
        // refused: expected
      }
    },
    // post-handshake
    async () => {
      const c = await HostileClient.connect(port, "REQ", srv.hostile(true))
      c.engine.send([new Uint8Array(0), new Uint8Array(70_000)]) // over maxMessageSize
      await c.flush()
      await c.waitClosed(400)
      c.destroy()
    },
    async () => {
      const c = await HostileClient.connect(port, "REQ", srv.hostile(true))
      const empty = new Uint8Array(0)
      c.engine.send(Array.from({ length: 65_537 }, () => empty)) // too many frames
      await c.flush()
      await c.waitClosed(400)
      c.destroy()
    },
    async () => {
      const c = await HostileClient.connect(port, "REQ", srv.hostile(true))
      if (mechanism === "CURVE") c.socket.write(frame("MESSAGE", new Uint8Array(40).fill(7))) // forged MESSAGE
      else c.socket.write(frame("READY", encodeReady(new Map([["Socket-Type", Buffer.from("REQ")]])))) // second READY
      await c.waitClosed(400)
      c.destroy()
    },
    async () => {
      const c = await HostileClient.connect(port, "REQ", srv.hostile(true))
      if (mechanism !== "CURVE") {
        const ping = frame("PING", encodePing(0, new Uint8Array(8)))
        for (let i = 0; i < 1000; i++) c.socket.write(ping)
      }
      c.engine.send([new Uint8Array(0), Buffer.from("abandoned")]) // a request, then gone before the reply
      await c.flush()
      c.destroy()
    },
    async () => {
      const many = await Promise.all(Array.from({ length: 50 }, () => raw(port)))
      await sleep(20)
      for (const s of many) s.destroy()
    },
  ]
  await Promise.all(kinds.map((k) => k().catch(() => {})))
  return kinds.length
}

async function goodRequest(srv: Server): Promise<void> {
  const req = new ih.Request({ linger: 0, receiveTimeout: 60_000, ...srv.good() })
  try {
    req.connect(srv.endpoint)
    await req.send("ping")
    const [reply] = await req.receive()
    if (reply?.toString() !== "ping") throw new Error("the good client got a wrong reply")
  } finally {
    req.close()
  }
}

export interface RoundsResult {
  mechanism: SoakMechanism
  kinds: number
  samples: Sample[]
}

/**
 * Warm-up passes before round 1 is measured: the first passes grow V8's young generation and
 * the malloc arenas to their working size (measured: CURVE RSS 89 MiB after passes 1-2, then
 * 100-102 MiB flat through pass 30), a one-time cost that is not a leak.
 */
export const WARM_UP_ROUNDS = Number(process.env.IRONHOUSE_SOAK_WARM_UP ?? 3)

export async function hostileRounds(mechanism: SoakMechanism, rounds: number, gc: () => void, onRound?: (i: number, s: Sample) => void): Promise<RoundsResult> {
  const srv = await server(mechanism)
  const samples: Sample[] = []
  let kinds = 0
  try {
    for (let r = -WARM_UP_ROUNDS; r < rounds; r++) {
      kinds = await catalogue(srv, mechanism)
      await goodRequest(srv) // the oracle: a good client still gets through
      await sleep(50) // closing handshakes and the server's 1 s destroy timers of dropped peers
      const s = sample(gc)
      if (r >= 0) samples.push(s)
      onRound?.(r + 1, s) // warm-up passes are numbered -2, -1, 0
    }
  } finally {
    srv.close()
  }
  return { mechanism, kinds, samples }
}

export async function curveCycles(
  cycles: number,
  every: number,
  gc: () => void,
  onSample?: (done: number, s: Sample) => void,
  parallel = 8,
): Promise<Array<{ done: number } & Sample>> {
  const s = curveKeyPair()
  const router = new ih.Router({ linger: 0, curveServer: true, curveSecretKey: s.secretKey })
  await router.bind("tcp://127.0.0.1:*")
  const endpoint = router.lastEndpoint as string
  void (async () => {
    try {
      for await (const [id, msg] of router) await router.send([id as Buffer, msg as Buffer])
    } catch {
      // closed
    }
  })()
  const curve: Array<{ done: number } & Sample> = []
  let done = 0
  let nextSample = 0
  const one = async (): Promise<void> => {
    const c = curveKeyPair()
    const dealer = new ih.Dealer({ linger: 0, receiveTimeout: 60_000, curveServerKey: s.publicKey, curvePublicKey: c.publicKey, curveSecretKey: c.secretKey })
    try {
      dealer.connect(endpoint)
      await dealer.send("cycle")
      const [reply] = await dealer.receive()
      if (reply?.toString() !== "cycle") throw new Error("wrong reply")
    } finally {
      dealer.close()
      await dealer.whenClosed
    }
  }
  try {
    const take = curve.push.bind(curve)
    take({ done: 0, ...sample(gc) })
    onSample?.(0, curve[0] as { done: number } & Sample)
    nextSample = every
    while (done < cycles) {
      const batch = Math.min(parallel, cycles - done)
      await Promise.all(Array.from({ length: batch }, one))
      done += batch
      if (done >= nextSample) {
        await sleep(20)
        const point = { done, ...sample(gc) }
        curve.push(point)
        onSample?.(done, point)
        nextSample += every
      }
    }
  } finally {
    router.close()
  }
  return curve
}
