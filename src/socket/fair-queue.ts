/**
 * Fair-queue (RFC 28 DEALER/REP, RFC 30 PULL, RFC 29 SUB): incoming messages are taken
 * round-robin from the pipes that have some, so one busy peer cannot starve the others.
 * Only pipes whose handshake completed ever hold messages (the engine delivers nothing
 * before READY), so a connection stuck in its handshake never holds anything back
 * (CVE-2020-15166).
 */
import type { Pipe } from "./pipe.js"

export class FairQueue {
  /** Pipes with at least one inbound message. */
  readonly #active: Pipe[] = []
  #next = 0
  /** The pipe the last message from next() came from. */
  lastPipe: Pipe | undefined

  /** Whether any message is waiting. */
  get hasMessages(): boolean {
    return this.#active.length > 0
  }

  /** Queue a message from `pipe`. */
  push(pipe: Pipe, frames: Uint8Array[]): void {
    pipe.pushInbound(frames)
    if (!pipe.fqActive) {
      pipe.fqActive = true
      this.#active.push(pipe)
    }
  }

  /** The next message, round-robin over pipes; undefined when there is none. Sets lastPipe. */
  next(): Uint8Array[] | undefined {
    const active = this.#active
    while (active.length > 0) {
      if (this.#next >= active.length) this.#next = 0
      const index = this.#next
      const pipe = active[index] as Pipe
      const frames = pipe.shiftInbound()
      if (pipe.inbound.length === 0) {
        active.splice(index, 1)
        pipe.fqActive = false
      } else {
        this.#next = index + 1
      }
      if (frames !== undefined) {
        this.lastPipe = pipe
        return frames
      }
    }
    return undefined
  }

  /** Forget `pipe` and the messages it holds. */
  remove(pipe: Pipe): void {
    if (!pipe.fqActive) return
    const i = this.#active.indexOf(pipe)
    if (i >= 0) {
      this.#active.splice(i, 1)
      if (this.#next > i) this.#next--
    }
    pipe.fqActive = false
    pipe.clearInbound()
  }
}
