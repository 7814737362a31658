/**
 * What PUB and XPUB share (RFC 29 "PUB-SUB"): fan-out with publisher-side filtering. Each
 * subscriber pipe holds the prefixes its peer subscribed to (SUBSCRIBE/CANCEL commands from a
 * ZMTP 3.1 peer, 0x01/0x00 subscription messages from a 3.0 peer); a message goes to every
 * pipe with a prefix matching its first frame, and is dropped for a pipe at its high-water
 * mark (or, with `noDrop`, send() waits until every matching pipe has room).
 *
 * A count per prefix over all pipes tells when a prefix is subscribed for the first time or
 * cancelled for the last time; XPUB reports those to the application (libzmq xpub.cpp).
 */
import { Connection } from "../engine/connection.js"
import { Distributor } from "./distributor.js"
import type { Pipe } from "./pipe.js"
import { Socket } from "./socket.js"
import { SubscriptionTrie } from "./subscription-trie.js"

export abstract class PublisherBase extends Socket {
  protected readonly dist = new Distributor()
  /** How many pipes subscribed to each prefix. */
  readonly #all = new SubscriptionTrie()

  /** A (un)subscription to report (XPUB). `unique`: first subscriber / last cancellation. */
  protected notify(_pipe: Pipe, _subscribe: boolean, _topic: Uint8Array, _unique: boolean): void {}
  /** A message from a subscriber that is not a subscription (XPUB delivers it). */
  protected upstreamMessage(_pipe: Pipe, _frames: Uint8Array[]): void {}

  protected xattach(pipe: Pipe): boolean {
    pipe.subscriptions = new SubscriptionTrie()
    this.dist.add(pipe)
    return true
  }

  protected xdetach(pipe: Pipe): void {
    this.dist.remove(pipe)
    const subs = pipe.subscriptions
    pipe.subscriptions = undefined
    if (subs === undefined) return
    for (const { prefix } of subs.entries()) {
      const last = this.#all.remove(prefix)
      this.notify(pipe, false, prefix, last)
    }
  }

  protected override xsubscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    const subs = pipe.subscriptions
    if (subs === undefined) return
    if (subscribe) {
      let first = false
      if (!subs.has(topic)) {
        subs.add(topic)
        first = this.#all.add(topic)
      }
      this.notify(pipe, true, topic, first)
      return
    }
    if (!subs.has(topic)) {
      // libzmq reports a cancellation of something never subscribed as unique, too.
      this.notify(pipe, false, topic, true)
      return
    }
    subs.remove(topic)
    this.notify(pipe, false, topic, this.#all.remove(topic))
  }

  protected override xmessage(pipe: Pipe, frames: Uint8Array[]): void {
    // ZMTP 3.0 peers send subscriptions as messages; libzmq reads any message starting
    // with 0x01 / 0x00 as one, whatever the peer's version.
    const sub = Connection.parseSubscription(frames)
    if (sub !== undefined) this.xsubscription(pipe, sub.subscribe, sub.topic)
    else this.upstreamMessage(pipe, frames)
  }

  protected xsend(frames: Uint8Array[]): boolean {
    if (this.option("noDrop") && !this.dist.allMatchingHaveRoom(frames)) return false
    this.dist.sendToMatching(frames)
    return true
  }

  protected override xhasOut(): boolean {
    return true
  }
}
