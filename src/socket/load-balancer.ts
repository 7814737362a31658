/**
 * Load-balance (RFC 28 "The DEALER Socket Type", RFC 30 PUSH, RFC 28 REQ): outgoing messages go
 * round-robin to the pipes that have room. When none has room the socket waits (send() blocks
 * under back-pressure); no message is ever dropped here.
 */
import type { Pipe } from "./pipe.js"

export class LoadBalancer {
  readonly #pipes: Pipe[] = []
  #next = 0

  get size(): number {
    return this.#pipes.length
  }

  add(pipe: Pipe): void {
    if (!this.#pipes.includes(pipe)) this.#pipes.push(pipe)
  }

  remove(pipe: Pipe): void {
    const i = this.#pipes.indexOf(pipe)
    if (i < 0) return
    this.#pipes.splice(i, 1)
    if (this.#next > i) this.#next--
    if (this.#next >= this.#pipes.length) this.#next = 0
  }

  /** The next pipe with room, round-robin; undefined when every pipe is full (or there is none). */
  pick(): Pipe | undefined {
    const pipes = this.#pipes
    const n = pipes.length
    for (let i = 0; i < n; i++) {
      let index = this.#next + i
      if (index >= n) index -= n
      const pipe = pipes[index] as Pipe
      if (pipe.hasRoom) {
        this.#next = index + 1 === n ? 0 : index + 1
        return pipe
      }
    }
    return undefined
  }

  /** Whether some pipe has room. */
  get hasRoom(): boolean {
    for (const pipe of this.#pipes) if (pipe.hasRoom) return true
    return false
  }
}
