/**
 * Distribute (RFC 29 PUB/XPUB, XSUB upstream): one message to many pipes. A pipe at its
 * high-water mark misses the message (PUB drops for a slow subscriber rather than block the
 * others); with noDrop, the caller first checks allMatchingHaveRoom() and waits instead.
 * The frames array is shared by every pipe it goes to (never copied per subscriber).
 */
import type { Pipe } from "./pipe.js"

export class Distributor {
  readonly pipes: Pipe[] = []

  add(pipe: Pipe): void {
    if (!this.pipes.includes(pipe)) this.pipes.push(pipe)
  }

  remove(pipe: Pipe): void {
    const i = this.pipes.indexOf(pipe)
    if (i >= 0) this.pipes.splice(i, 1)
  }

  /** Send to every pipe with room; returns how many got it. */
  sendToAll(frames: Uint8Array[]): number {
    let sent = 0
    for (const pipe of this.pipes) {
      if (pipe.hasRoom) {
        pipe.write(frames)
        sent++
      }
    }
    return sent
  }

  /** Send to every pipe whose subscriptions match the first frame (`invert`: do not match) and that has room. */
  sendToMatching(frames: Uint8Array[], invert = false): number {
    const topic = frames[0] as Uint8Array
    let sent = 0
    for (const pipe of this.pipes) {
      const subs = pipe.subscriptions
      if (subs === undefined || subs.matches(topic) === invert) continue
      if (pipe.hasRoom) {
        pipe.write(frames)
        sent++
      }
    }
    return sent
  }

  /** Whether every pipe that would get this message has room (noDrop). */
  allMatchingHaveRoom(frames: Uint8Array[], invert = false): boolean {
    const topic = frames[0] as Uint8Array
    for (const pipe of this.pipes) {
      const subs = pipe.subscriptions
      if (subs !== undefined && subs.matches(topic) !== invert && !pipe.hasRoom) return false
    }
    return true
  }
}
