/**
 * A fault-injecting TCP relay for tests (issue 14 item 2). A client connects to the relay, the
 * relay connects to the real server and forwards both directions, and on request it:
 *
 * - `split`: forwards the next few chunks of one direction in random pieces, each written on
 *   its own with a pause of 0-2 ms, so the reader sees a frame (or a greeting) in parts;
 * - `delay`: holds one direction for 1-50 ms (order is kept);
 * - `stall`: holds one direction for 100-400 ms and stops reading from its sender meanwhile,
 *   so the sender's kernel and socket buffers fill (back-pressure reaches its high-water mark);
 * - cuts the connection (`cut-*`): the receiving side gets exactly the octets before the cut
 *   point and then a FIN, or (half the time) both sides get an RST. Where it cuts:
 *   `cut-greeting` after 1-63 octets of a greeting, `cut-handshake` before or inside a
 *   handshake command (HELLO/WELCOME/INITIATE/READY), `cut-frame` inside a traffic frame
 *   (its header or its body), `cut-multipart` between two frames of one multi-frame message.
 *   A greeting or handshake cut applies to the next connection, so the current one is first
 *   cut at a traffic frame boundary.
 *
 * To know where it is, the relay follows the ZMTP framing of each direction (RFC 23/37: the
 * 64-octet greeting, then frames `flags size body`; command frames name themselves, and the
 * handshake ends at the first message frame or non-handshake command). Frame headers are in
 * clear text under CURVE too, but CURVE hides MORE flags inside its MESSAGE boxes (RFC 26), so
 * for CURVE the test says how many MESSAGE frames each message has (`curveFramesPerMessage`).
 * Every cut is recorded with where it actually happened (`FiredFault.where`).
 *
 * All choices come from a seeded {@link Prng}: the same seed gives the same fault plan (timing
 * on a loaded machine still varies, so the plan is the same, not every byte offset).
 */
import net from "node:net"
import type { Prng } from "./prng.js"

export type Direction = "up" | "down"
export type CutWhere = "greeting" | "handshake" | "frame" | "multipart" | "between"
export type FaultKind = "split" | "delay" | "stall" | "cut-greeting" | "cut-handshake" | "cut-frame" | "cut-multipart"
/** What a fired fault was: the kinds above, and `cut-boundary`, the cut at a frame boundary
 * that comes first in a greeting or handshake fault (so that a new connection comes). */
export type FiredKind = FaultKind | "cut-boundary"
export const FAULT_KINDS: readonly FaultKind[] = [
  "split",
  "delay",
  "stall",
  "cut-greeting",
  "cut-handshake",
  "cut-frame",
  "cut-multipart",
]

export interface FiredFault {
  readonly kind: FiredKind
  readonly direction: Direction
  /** Cuts: where in the stream of `direction` the cut fell. */
  readonly where?: CutWhere
  /** Cuts: FIN after the prefix, or RST. */
  readonly style?: "fin" | "rst"
}

export interface RelayOptions {
  target: { host: string; port: number }
  prng: Prng
  mechanism: "NULL" | "CURVE"
  /** The directions that carry traffic after the handshake (where frame cuts can land). */
  trafficDirections: readonly Direction[]
  /** CURVE: MESSAGE frames per application message in each direction (multipart cuts). */
  curveFramesPerMessage?: Partial<Record<Direction, number>>
}

const GREETING_SIZE = 64
const HANDSHAKE_COMMANDS = new Set(["READY", "HELLO", "WELCOME", "INITIATE", "ERROR"])
const MAX_QUEUED = 256 * 1024

/** Follows one direction's ZMTP framing, octet by octet. */
class StreamTracker {
  offset = 0
  greetingLeft = GREETING_SIZE
  state: "flags" | "size" | "body" = "flags"
  flags = 0
  sizeLeft = 0
  size = 0
  bodyLen = 0
  bodyPos = 0
  name = ""
  nameLen = -1
  handshake = true
  /** Handshake command frames completed. */
  handshakeFrames = 0
  /** NULL: the last message frame had MORE. */
  lastMore = false
  /** CURVE: MESSAGE frames completed (a command frame, or a message frame holding one). */
  messageCommands = 0

  constructor(readonly curveFramesPerMessage: number) {}

  get inGreeting(): boolean {
    return this.greetingLeft > 0
  }

  get atFrameStart(): boolean {
    return !this.inGreeting && this.state === "flags"
  }

  get isCommand(): boolean {
    return (this.flags & 0x04) !== 0
  }

  /** Where a cut before the next octet would fall. */
  where(): CutWhere {
    if (this.inGreeting) return "greeting"
    if (this.handshake) return "handshake"
    if (this.state !== "flags") return "frame"
    const fpm = this.curveFramesPerMessage
    const midMessage = fpm > 1 ? this.messageCommands % fpm !== 0 : this.lastMore
    return midMessage ? "multipart" : "between"
  }

  consume(b: number): void {
    this.offset++
    if (this.greetingLeft > 0) {
      this.greetingLeft--
      return
    }
    switch (this.state) {
      case "flags":
        this.flags = b
        this.sizeLeft = (b & 0x02) !== 0 ? 8 : 1
        this.size = 0
        this.state = "size"
        if (!this.isCommand) this.handshake = false
        return
      case "size":
        this.size = this.size * 256 + b
        if (--this.sizeLeft === 0) {
          this.bodyLen = this.size
          this.bodyPos = 0
          this.name = ""
          this.nameLen = -1
          if (this.bodyLen === 0) this.frameDone()
          else this.state = "body"
        }
        return
      case "body":
        // Command names; under CURVE message frames are named too (they hold MESSAGE boxes).
        if (this.isCommand || this.curveFramesPerMessage > 0) {
          if (this.bodyPos === 0) this.nameLen = b
          else if (this.bodyPos <= this.nameLen) {
            this.name += String.fromCharCode(b)
            if (this.bodyPos === this.nameLen && !HANDSHAKE_COMMANDS.has(this.name)) this.handshake = false
          }
        }
        this.bodyPos++
        if (this.bodyPos === this.bodyLen) this.frameDone()
    }
  }

  frameDone(): void {
    if (this.name === "MESSAGE") this.messageCommands++
    if (this.isCommand) {
      if (this.handshake) this.handshakeFrames++
    } else {
      this.lastMore = (this.flags & 0x01) !== 0
    }
    this.state = "flags"
  }
}

/** A planned cut: `at` says, before each octet, whether to cut there. */
interface PlannedCut {
  readonly kind: FiredKind
  readonly direction: Direction
  readonly style: "fin" | "rst"
  at(t: StreamTracker): boolean
  fired(f: FiredFault): void
}

interface HeldFault {
  resolve(f: FiredFault): void
}

const sleep = (ms: number): Promise<void> =>
  new Promise((r) => (ms <= 0 ? setImmediate(r) : setTimeout(r, ms)))

class Forwarder {
  readonly tracker: StreamTracker
  readonly #queue: Buffer[] = []
  #queued = 0
  #running = false
  #holdUntil = 0
  #stalled = false
  #splits = 0
  #splitDone: HeldFault | undefined
  cut: PlannedCut | undefined

  constructor(
    readonly link: Link,
    readonly src: net.Socket,
    readonly dst: net.Socket,
    readonly direction: Direction,
    fpm: number,
  ) {
    this.tracker = new StreamTracker(fpm)
    src.on("data", (chunk: Buffer) => {
      if (this.link.dead) return
      this.#queue.push(chunk)
      this.#queued += chunk.length
      if (this.#queued > MAX_QUEUED) src.pause()
      void this.#run()
    })
  }

  hold(ms: number, stall: boolean): Promise<void> {
    this.#holdUntil = Math.max(this.#holdUntil, Date.now() + ms)
    if (stall) {
      this.#stalled = true
      this.src.pause()
    }
    return sleep(ms).then(() => {
      if (stall) {
        this.#stalled = false
        if (!this.link.dead && this.#queued <= MAX_QUEUED) this.src.resume()
      }
      void this.#run()
    })
  }

  split(chunks: number, done: HeldFault): void {
    this.#splits = chunks
    this.#splitDone = done
  }

  endSplit(): void {
    this.#splits = 0
    const done = this.#splitDone
    this.#splitDone = undefined
    done?.resolve({ kind: "split", direction: this.direction })
  }

  async #run(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      while (this.#queue.length > 0 && !this.link.dead) {
        const wait = this.#holdUntil - Date.now()
        if (wait > 0) {
          await sleep(wait)
          continue
        }
        const chunk = this.#queue.shift() as Buffer
        this.#queued -= chunk.length
        if (this.#splits > 0) {
          this.#splits--
          const prng = this.link.relay.jitter
          const pieces = prng.int(2, 6)
          let from = 0
          for (let p = 0; p < pieces && from < chunk.length && !this.link.dead; p++) {
            const to = p === pieces - 1 ? chunk.length : Math.min(chunk.length, from + prng.int(1, Math.max(1, Math.ceil(chunk.length / 2))))
            this.#emit(chunk.subarray(from, to))
            from = to
            await sleep(prng.int(0, 2))
          }
          if (from < chunk.length) this.#emit(chunk.subarray(from))
          if (this.#splits === 0) this.endSplit()
        } else {
          this.#emit(chunk)
        }
        if (this.dst.writableNeedDrain && !this.link.dead) await new Promise<void>((r) => this.dst.once("drain", r).once("close", r))
      }
    } finally {
      this.#running = false
    }
    if (!this.#stalled && !this.link.dead && this.#queued <= MAX_QUEUED && this.src.isPaused()) this.src.resume()
  }

  /** Forward `piece`, following the framing; cut where the planned cut says. */
  #emit(piece: Buffer): void {
    if (this.link.dead) return
    const cut = this.cut
    if (cut === undefined) {
      for (let i = 0; i < piece.length; i++) this.tracker.consume(piece[i] as number)
      this.dst.write(piece)
      return
    }
    for (let i = 0; i < piece.length; i++) {
      if (cut.at(this.tracker)) {
        if (i > 0) this.dst.write(piece.subarray(0, i))
        this.link.cutNow(this, cut)
        return
      }
      this.tracker.consume(piece[i] as number)
    }
    this.dst.write(piece)
  }
}

class Link {
  dead = false
  /** A FIN cut is under way: let the receiving side get its prefix before it closes. */
  finCut = false
  readonly up: Forwarder
  readonly down: Forwarder
  #closed = 0

  constructor(
    readonly relay: FaultRelay,
    readonly client: net.Socket,
    readonly server: net.Socket,
  ) {
    const fpm = relay.options.curveFramesPerMessage ?? {}
    const curve = relay.options.mechanism === "CURVE"
    this.up = new Forwarder(this, client, server, "up", curve ? (fpm.up ?? 0) : 0)
    this.down = new Forwarder(this, server, client, "down", curve ? (fpm.down ?? 0) : 0)
    for (const s of [client, server]) {
      s.setNoDelay(true)
      s.on("error", () => {})
      s.on("close", () => {
        this.dead = true
        if (++this.#closed === 1) {
          // One side went away: the other goes too (a relay has nothing to say on its own).
          if (!this.finCut) {
            client.destroy()
            server.destroy()
          }
          this.#orphans()
        } else relay.linkClosed(this)
      })
    }
  }

  /** The link died before its planned faults fired: cuts move to the next link, splits end. */
  #orphans(): void {
    for (const f of [this.up, this.down]) {
      const cut = f.cut
      f.cut = undefined
      if (cut !== undefined) this.relay.planForNextLink(cut)
      f.endSplit()
    }
  }

  forwarder(direction: Direction): Forwarder {
    return direction === "up" ? this.up : this.down
  }

  /** In traffic in every direction that carries it. */
  get inTraffic(): boolean {
    return this.relay.options.trafficDirections.every((d) => !this.forwarder(d).tracker.handshake)
  }

  cutNow(from: Forwarder, cut: PlannedCut): void {
    const where = from.tracker.where()
    this.dead = true
    this.up.cut = undefined
    this.down.cut = undefined
    if (cut.style === "rst") {
      this.client.resetAndDestroy()
      this.server.resetAndDestroy()
    } else {
      this.finCut = true
      from.dst.end()
      from.src.destroy()
      setTimeout(() => from.dst.destroy(), 2000).unref()
    }
    cut.fired({ kind: cut.kind, direction: cut.direction, where, style: cut.style })
  }
}

export class FaultRelay {
  /** Plans the faults (drawn in the order faults are injected: reproducible from the seed). */
  readonly prng: Prng
  /** Split points and pauses (drawn as data flows; its own stream so the plan stays reproducible). */
  readonly jitter: Prng
  readonly options: RelayOptions
  readonly fired: FiredFault[] = []
  readonly #server: net.Server
  #links = new Set<Link>()
  #current: Link | undefined
  /** Cuts planned for the next connection. */
  #nextLinkCuts: PlannedCut[] = []
  #waitingForLink: Array<(l: Link) => void> = []
  connections = 0

  private constructor(options: RelayOptions, server: net.Server) {
    this.options = options
    this.prng = options.prng
    this.jitter = options.prng.fork()
    this.#server = server
    server.on("connection", (client) => this.#accept(client))
  }

  static async start(options: RelayOptions): Promise<FaultRelay> {
    const server = net.createServer({ pauseOnConnect: false })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(0, "127.0.0.1", () => resolve())
    })
    return new FaultRelay(options, server)
  }

  get endpoint(): string {
    const address = this.#server.address() as net.AddressInfo
    return `tcp://127.0.0.1:${address.port}`
  }

  #accept(client: net.Socket): void {
    const server = net.connect(this.options.target)
    const link = new Link(this, client, server)
    this.connections++
    this.#links.add(link)
    this.#current = link
    for (const cut of this.#nextLinkCuts) link.forwarder(cut.direction).cut = cut
    this.#nextLinkCuts = []
    const waiting = this.#waitingForLink
    this.#waitingForLink = []
    for (const w of waiting) w(link)
  }

  planForNextLink(cut: PlannedCut): void {
    const link = this.#current
    if (link !== undefined && !link.dead) link.forwarder(cut.direction).cut = cut
    else this.#nextLinkCuts.push(cut)
  }

  linkClosed(link: Link): void {
    this.#links.delete(link)
    if (this.#current === link) this.#current = undefined
  }

  /** The live connection, waiting for one if there is none (or it is dying). */
  #live(): Promise<Link> {
    const link = this.#current
    if (link !== undefined && !link.dead) return Promise.resolve(link)
    return new Promise((resolve) => this.#waitingForLink.push(resolve))
  }

  /** A live connection in traffic (its handshake over in every traffic direction). */
  async #liveInTraffic(): Promise<Link> {
    for (;;) {
      const link = await this.#live()
      if (link.inTraffic) return link
      await sleep(2)
    }
  }

  /** Inject one fault; resolves with what fired (all of it, for a two-step cut) once it is over. */
  async inject(kind: FaultKind): Promise<FiredFault[]> {
    const prng = this.prng
    const record = (f: FiredFault): FiredFault => {
      this.fired.push(f)
      return f
    }
    switch (kind) {
      case "split": {
        const link = await this.#liveInTraffic()
        const direction = prng.pick(this.options.trafficDirections)
        const f = await new Promise<FiredFault>((resolve) => link.forwarder(direction).split(prng.int(1, 5), { resolve }))
        return [record(f)]
      }
      case "delay":
      case "stall": {
        const link = await this.#liveInTraffic()
        const direction = prng.pick(this.options.trafficDirections)
        const ms = kind === "delay" ? prng.int(1, 50) : prng.int(100, 400)
        await link.forwarder(direction).hold(ms, kind === "stall")
        return [record({ kind, direction })]
      }
      case "cut-frame":
      case "cut-multipart": {
        const link = await this.#liveInTraffic()
        return [record(await this.#cutInTraffic(link, kind))]
      }
      case "cut-greeting":
      case "cut-handshake": {
        const direction: Direction = prng.chance(0.5) ? "up" : "down"
        const style = prng.chance(0.5) ? "fin" : "rst"
        let at: (t: StreamTracker) => boolean
        if (kind === "cut-greeting") {
          const k = prng.int(1, GREETING_SIZE - 1)
          at = (t) => t.offset === k
        } else {
          const n = this.options.mechanism === "CURVE" ? prng.int(0, 1) : 0
          const inside = prng.chance(0.6)
          const frac = prng.next()
          at = (t) => {
            if (t.inGreeting) return false
            if (!t.handshake) return true // the handshake ended before frame n: cut here
            if (t.handshakeFrames !== n) return false
            if (!inside) return t.atFrameStart
            return t.state === "body" && t.bodyPos === Math.max(1, Math.floor(frac * t.bodyLen)) && t.bodyPos < t.bodyLen
          }
        }
        const second = new Promise<FiredFault>((resolve) => {
          this.#nextLinkCuts.push({ kind, direction, style, at, fired: resolve })
        })
        const firstLink = this.#current
        // The current connection is cut first (at a traffic frame boundary) so that a new one
        // comes; if there is none, the next one gets the planned cut.
        const first = firstLink !== undefined && !firstLink.dead ? [record(await this.#cutInTraffic(firstLink, "cut-boundary"))] : []
        return [...first, record(await second)]
      }
    }
  }

  #cutInTraffic(link: Link, kind: "cut-frame" | "cut-multipart" | "cut-boundary"): Promise<FiredFault> {
    const prng = this.prng
    const direction = prng.pick(this.options.trafficDirections)
    const style = prng.chance(0.5) ? "fin" : "rst"
    const inHeader = prng.chance(0.2)
    const frac = prng.next()
    const at =
      kind === "cut-frame"
        ? (t: StreamTracker): boolean =>
            !t.handshake &&
            (inHeader
              ? t.state === "size"
              : t.state === "body" && t.bodyLen >= 2 && t.bodyPos === Math.max(1, Math.floor(frac * t.bodyLen)) && t.bodyPos < t.bodyLen)
        : kind === "cut-boundary"
          ? (t: StreamTracker): boolean => !t.handshake && t.atFrameStart
          : (t: StreamTracker): boolean => !t.handshake && t.atFrameStart && t.where() === "multipart"
    return new Promise<FiredFault>((resolve) => {
      link.forwarder(direction).cut = { kind, direction, style, at, fired: resolve }
    })
  }

  async close(): Promise<void> {
    for (const link of this.#links) {
      link.dead = true
      link.client.destroy()
      link.server.destroy()
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
