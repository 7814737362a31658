/**
 * Fault injection on live connections (issue 14 item 2): one socket pair of a pattern talks
 * through a {@link FaultRelay}; the driver injects faults one after another and, after each,
 * waits until a message sent after the fault has made it end to end (traffic resumes after
 * every fault). The receivers check every message (see traffic.ts). What must hold, per
 * docs/sockets.md "Delivery under connection faults":
 *
 * - nothing delivered corrupted, truncated, twice or out of order, in any pattern;
 * - no loss without a cut: each stream has at most one gap (a run of lost messages) per cut
 *   of the connection (PUB/SUB: one more, before its first subscription arrived);
 * - REQ (relaxed + correlate, receiveTimeout) gets the reply to every request, resending it
 *   after a timeout; a reply is only ever the one to its latest attempt;
 * - PUB never delivers a topic the SUB did not subscribe to.
 *
 * Used by test/fault/faults.test.ts (short) and test/fault/faults-main.ts (`npm run faults`).
 */
import * as ih from "../../src/index.js"
import { curveKeyPair } from "../../src/crypto/keys.js"
import { FaultRelay, FAULT_KINDS, type CutWhere, type Direction, type FaultKind } from "./relay.js"
import { Prng } from "./prng.js"
import { SeqCheck, makeMessage, checkMessage } from "./traffic.js"

export const PATTERNS = ["PUSH/PULL", "REQ/REP", "DEALER/ROUTER", "PUB/SUB"] as const
export type Pattern = (typeof PATTERNS)[number]
export type FaultMechanism = "NULL" | "CURVE"

export interface FaultRunResult {
  pattern: Pattern
  mechanism: FaultMechanism
  seed: number
  /** Faults injected (each cut counts once; a greeting/handshake fault is two cuts). */
  faults: number
  byKind: Record<string, number>
  cutsWhere: Record<CutWhere, number>
  cuts: number
  connections: number
  /** Messages delivered end to end (per stream, summed). */
  delivered: number
  lost: number
  gaps: number
  /** REQ: requests sent again after a receive timeout. */
  resends: number
  violations: string[]
}

/** Messages a sender may be ahead of what came back before it waits. */
const WINDOW = 64
/** Without progress for this long, a sender sends one more anyway (a cut lost the window). */
const PROBE_MS = 20
const RESUME_TIMEOUT_MS = 30_000

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function security(mechanism: FaultMechanism): { server: Record<string, unknown>; client: Record<string, unknown> } {
  if (mechanism === "NULL") return { server: {}, client: {} }
  const s = curveKeyPair()
  const c = curveKeyPair()
  return {
    server: { curveServer: true, curveSecretKey: s.secretKey },
    client: { curveServerKey: s.publicKey, curveSecretKey: c.secretKey, curvePublicKey: c.publicKey },
  }
}

interface Scenario {
  readonly trafficDirections: Direction[]
  readonly framesPerMessage: Partial<Record<Direction, number>>
  /** Bind the server, connect the client to `relay`, start the loops. */
  start(serverEndpoint: (port: number) => Promise<string>): Promise<void>
  /** What the sender has sent so far (a mark). */
  mark(): number
  /** A message sent at or after `mark` has completed its path. */
  beyond(mark: number): boolean
  streams(): SeqCheck[]
  /** Gaps allowed per cut and in all, given the cuts. */
  allowedGaps(cuts: number): number
  resends: number
  readonly violations: string[]
  stop(): Promise<void>
}

type AnySocket = ih.Socket & {
  send(m: unknown): Promise<void>
  receive(): Promise<Buffer[]>
}

const CLIENT = { linger: 0, reconnectInterval: 5, reconnectMaxInterval: 50 }
const SERVER = { linger: 0 }

/** A loop that stops quietly when its socket closes. */
async function loop(running: () => boolean, body: () => Promise<void>, violations: string[], what: string): Promise<void> {
  try {
    while (running()) await body()
  } catch (err) {
    if (!running()) return
    const code = (err as { code?: string }).code
    if (code === "EBADF" || code === "EAGAIN") return
    violations.push(`${what} failed: ${err instanceof Error ? err.message : String(err)}`)
  }
}

class Windowed {
  sent = 0
  #lastProgress = Date.now()
  #seen = -1
  async gate(done: number): Promise<void> {
    if (done !== this.#seen) {
      this.#seen = done
      this.#lastProgress = Date.now()
    }
    while (this.sent - done > WINDOW && Date.now() - this.#lastProgress < PROBE_MS) await sleep(2)
    if (this.sent - done > WINDOW) this.#lastProgress = Date.now() // probe
  }
}

function makeScenario(pattern: Pattern, mechanism: FaultMechanism, relayEndpoint: () => string): Scenario {
  const sec = security(mechanism)
  const violations: string[] = []
  let running = true
  const sockets: AnySocket[] = []
  const loops: Promise<void>[] = []
  const isRunning = (): boolean => running
  const bindServer = async (server: AnySocket, endpoint: (port: number) => Promise<string>): Promise<void> => {
    await server.bind("tcp://127.0.0.1:*")
    const port = Number((server.lastEndpoint ?? "").split(":").pop())
    await endpoint(port)
  }
  const base = {
    violations,
    resends: 0,
    async stop(): Promise<void> {
      running = false
      for (const s of sockets) s.close()
      await Promise.all(loops)
    },
  }

  switch (pattern) {
    case "PUSH/PULL": {
      const up = new SeqCheck("PULL")
      const w = new Windowed()
      return {
        ...base,
        trafficDirections: ["up"],
        framesPerMessage: { up: 3 },
        async start(endpoint) {
          const pull = new ih.Pull({ ...SERVER, ...sec.server }) as unknown as AnySocket
          const push = new ih.Push({ ...CLIENT, ...sec.client }) as unknown as AnySocket
          sockets.push(push, pull)
          await bindServer(pull, endpoint)
          push.connect(relayEndpoint())
          loops.push(loop(isRunning, async () => void up.see(await pull.receive()), violations, "PULL receive"))
          loops.push(
            loop(isRunning, async () => {
              await w.gate(up.last)
              await push.send(makeMessage(1, w.sent))
              w.sent++
            }, violations, "PUSH send"),
          )
        },
        mark: () => w.sent,
        beyond: (m) => up.last >= m,
        streams: () => [up],
        allowedGaps: (cuts) => cuts,
      }
    }
    case "DEALER/ROUTER": {
      const up = new SeqCheck("ROUTER")
      const down = new SeqCheck("DEALER")
      const w = new Windowed()
      return {
        ...base,
        trafficDirections: ["up", "down"],
        framesPerMessage: { up: 3, down: 3 },
        async start(endpoint) {
          const router = new ih.Router({ ...SERVER, ...sec.server, handover: true }) as unknown as AnySocket
          const dealer = new ih.Dealer({ ...CLIENT, ...sec.client, routingId: "fault-dealer" }) as unknown as AnySocket
          sockets.push(dealer, router)
          await bindServer(router, endpoint)
          dealer.connect(relayEndpoint())
          loops.push(
            loop(isRunning, async () => {
              const [id, ...frames] = await router.receive()
              if (id?.toString() !== "fault-dealer") violations.push(`ROUTER: message from routing id ${String(id)}`)
              const d = up.see(frames)
              if (d !== undefined) await router.send([id, ...makeMessage(2, d.seq)])
            }, violations, "ROUTER"),
          )
          loops.push(loop(isRunning, async () => void down.see(await dealer.receive()), violations, "DEALER receive"))
          loops.push(
            loop(isRunning, async () => {
              await w.gate(down.last)
              await dealer.send(makeMessage(1, w.sent))
              w.sent++
            }, violations, "DEALER send"),
          )
        },
        mark: () => w.sent,
        beyond: (m) => down.last >= m,
        streams: () => [up, down],
        allowedGaps: (cuts) => 2 * cuts, // one per cut in each direction
      }
    }
    case "PUB/SUB": {
      const down = new SeqCheck("SUB")
      const w = new Windowed()
      const m = Buffer.from("m")
      const x = Buffer.from("x")
      return {
        ...base,
        trafficDirections: ["down"],
        framesPerMessage: { down: 3 },
        async start(endpoint) {
          const pub = new ih.Publisher({ ...SERVER, ...sec.server }) as unknown as AnySocket
          const sub = new ih.Subscriber({ ...CLIENT, ...sec.client }) as unknown as AnySocket & { subscribe(p: string): void }
          sockets.push(sub, pub)
          await bindServer(pub, endpoint)
          sub.subscribe("m")
          sub.connect(relayEndpoint())
          loops.push(
            loop(isRunning, async () => {
              const frames = await sub.receive()
              if (frames[0]?.[0] !== m[0]) violations.push(`SUB received topic ${JSON.stringify(frames[0]?.subarray(0, 1).toString())} it never subscribed`)
              else down.see(frames, 1)
            }, violations, "SUB receive"),
          )
          loops.push(
            loop(isRunning, async () => {
              await w.gate(down.last)
              if (w.sent % 4 === 0) await pub.send(makeMessage(9, w.sent, 0, 100, x))
              await pub.send(makeMessage(1, w.sent, 0, 1500, m))
              w.sent++
            }, violations, "PUB send"),
          )
        },
        mark: () => w.sent,
        beyond: (mk) => down.last >= mk,
        streams: () => [down],
        allowedGaps: (cuts) => cuts + 1, // and once before the first subscription arrived
      }
    }
    case "REQ/REP": {
      const requests = new SeqCheck("REP")
      const replies = new SeqCheck("REQ")
      let seq = 0
      let completed = -1
      const scenario: Scenario = {
        ...base,
        trafficDirections: ["up", "down"],
        framesPerMessage: { up: 5, down: 5 }, // request id, delimiter, 3 frames
        async start(endpoint) {
          const rep = new ih.Reply({ ...SERVER, ...sec.server }) as unknown as AnySocket
          const req = new ih.Request({ ...CLIENT, ...sec.client, relaxed: true, correlate: true, receiveTimeout: 100 }) as unknown as AnySocket
          sockets.push(req, rep)
          await bindServer(rep, endpoint)
          req.connect(relayEndpoint())
          loops.push(
            loop(isRunning, async () => {
              const d = requests.see(await rep.receive())
              if (d !== undefined) await rep.send(makeMessage(2, d.seq, d.attempt))
            }, violations, "REP"),
          )
          loops.push(
            loop(isRunning, async () => {
              for (let attempt = 0; running; attempt++) {
                await req.send(makeMessage(1, seq, attempt))
                let reply: Buffer[]
                try {
                  reply = await req.receive()
                } catch (err) {
                  if ((err as { code?: string }).code === "EAGAIN" && running) {
                    scenario.resends++
                    continue // relaxed: send the request again
                  }
                  throw err
                }
                const d = checkMessage(reply)
                if (typeof d === "string") violations.push(`REQ: corrupt reply: ${d}`)
                else if (d.seq !== seq || d.attempt !== attempt) {
                  violations.push(`REQ: reply (${d.seq}, ${d.attempt}) to request (${seq}, ${attempt})`)
                }
                replies.see(reply)
                completed = seq
                break
              }
              seq++
            }, violations, "REQ"),
          )
        },
        mark: () => seq,
        beyond: (m) => completed >= m,
        streams: () => [requests, replies],
        allowedGaps: () => 0, // a request is repeated until answered: no seq is ever skipped
      }
      return scenario
    }
  }
}

export interface FaultRunOptions {
  pattern: Pattern
  mechanism: FaultMechanism
  faults: number
  seed: number
  /** Called after each fault (progress). */
  onFault?: (done: number) => void
}

export async function runFaults(options: FaultRunOptions): Promise<FaultRunResult> {
  const prng = new Prng(options.seed)
  const warnings: string[] = []
  const onWarning = (w: Error): void => {
    if ((w as { code?: string }).code === "IRONHOUSE_EVENT_HANDLER_FAILED") warnings.push(w.message)
  }
  process.on("warning", onWarning)
  let relay: FaultRelay | undefined
  const scenario = makeScenario(options.pattern, options.mechanism, () => (relay as FaultRelay).endpoint)
  const byKind: Record<string, number> = {}
  const totalGaps = (): number => scenario.streams().reduce((n, s) => n + s.gaps, 0)
  try {
    await scenario.start(async (port) => {
      relay = await FaultRelay.start({
        target: { host: "127.0.0.1", port },
        prng: prng.fork(),
        mechanism: options.mechanism,
        trafficDirections: scenario.trafficDirections,
        curveFramesPerMessage: scenario.framesPerMessage,
      })
      return relay.endpoint
    })
    const r = relay as FaultRelay
    await waitFor(() => scenario.beyond(0), `first message (${options.pattern} ${options.mechanism}, seed ${options.seed})`)
    let injected = 0
    while (r.fired.length < options.faults && scenario.violations.length === 0) {
      const kind: FaultKind = prng.pick(FAULT_KINDS)
      const gapsBefore = totalGaps()
      const fired = await withTimeout(r.inject(kind), `fault ${injected} (${kind}) to fire`, options)
      for (const f of fired) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1
      injected++
      const mark = scenario.mark()
      await waitFor(() => scenario.beyond(mark), `traffic to resume after fault ${injected} (${kind}; ${options.pattern} ${options.mechanism}, seed ${options.seed})`)
      // A split, delay or stall loses nothing (the gap of an earlier cut was seen before it).
      if (!kind.startsWith("cut-") && totalGaps() !== gapsBefore) {
        scenario.violations.push(`messages lost across a ${kind} (fault ${injected}), without any cut`)
      }
      options.onFault?.(r.fired.length)
    }
    // Quiet end: the last messages all arrive (no loss without a fault).
    const mark = scenario.mark()
    await waitFor(() => scenario.beyond(mark + 2 * WINDOW), "the final messages")
  } finally {
    await scenario.stop()
    await relay?.close()
    process.off("warning", onWarning)
  }
  const r = relay as FaultRelay
  const cutsWhere: Record<CutWhere, number> = { greeting: 0, handshake: 0, frame: 0, multipart: 0, between: 0 }
  let cuts = 0
  for (const f of r.fired) {
    if (f.where !== undefined) {
      cutsWhere[f.where]++
      cuts++
    }
  }
  const streams = scenario.streams()
  const violations = [...scenario.violations, ...warnings, ...streams.flatMap((s) => s.violations)]
  const gaps = streams.reduce((n, s) => n + s.gaps, 0)
  if (gaps > scenario.allowedGaps(cuts)) violations.push(`${gaps} gaps (runs of lost messages) with ${cuts} cuts: loss without a cut`)
  for (const s of streams) if (s.received === 0) violations.push(`${s.name} received nothing`)
  return {
    pattern: options.pattern,
    mechanism: options.mechanism,
    seed: options.seed,
    faults: r.fired.length,
    byKind,
    cutsWhere,
    cuts,
    connections: r.connections,
    delivered: streams.reduce((n, s) => n + s.received, 0),
    lost: streams.reduce((n, s) => n + s.lost, 0),
    gaps,
    resends: scenario.resends,
    violations,
  }
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + RESUME_TIMEOUT_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

async function withTimeout<T>(p: Promise<T>, what: string, o: FaultRunOptions): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (${o.pattern} ${o.mechanism}, seed ${o.seed})`)), RESUME_TIMEOUT_MS)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
