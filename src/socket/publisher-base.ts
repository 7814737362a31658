/**
 * What PUB and XPUB share (RFC 29 "PUB-SUB"): fan-out with publisher-side filtering. Each
 * subscriber pipe holds the prefixes its peer subscribed to (SUBSCRIBE/CANCEL commands from a
 * ZMTP 3.1 peer, 0x01/0x00 subscription messages from a 3.0 peer); a message goes to every
 * pipe with a prefix matching its first frame (with `invertMatching`: to every pipe with no
 * matching prefix), and is dropped for a pipe at its high-water mark (or, with `noDrop`,
 * send() waits until every such pipe has room).
 *
 * A count per prefix over all pipes tells when a prefix is subscribed for the first time or
 * cancelled for the last time; XPUB reports those to the application (libzmq xpub.cpp).
 *
 * Safe by default (libzmq has no such limits): a peer may hold at most `maxSubscriptions`
 * distinct prefixes of at most `maxSubscriptionSize` octets each, so what one peer costs is
 * bounded (a subscribed octet costs about one octet in each of two tries). Policy when a peer
 * goes over: its connection is dropped, and the `disconnect` event carries a typed error
 * (ERR_IRONHOUSE_SUBSCRIPTION_TOO_LARGE / ERR_IRONHOUSE_TOO_MANY_SUBSCRIPTIONS). Dropping,
 * rather than ignoring the one subscription, follows the rule for any input over a limit (as
 * for maxMessageSize): the peer learns something is wrong instead of silently missing messages.
 */
import { Connection } from "../engine/connection.js"
import { ErrorCode, protocolError } from "../errors.js"
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

  /**
   * Whether a subscription of `topic` from `pipe`'s peer is within maxSubscriptionSize; when
   * not, the connection is dropped with the reason.
   */
  protected subscriptionFits(pipe: Pipe, topic: Uint8Array): boolean {
    const max = this.option("maxSubscriptionSize")
    if (max < 0 || topic.length <= max) return true
    this.dropConnection(
      pipe,
      protocolError(
        ErrorCode.SUBSCRIPTION_TOO_LARGE,
        `the peer subscribed to a ${topic.length}-octet prefix; maxSubscriptionSize is ${max}`,
      ),
    )
    return false
  }

  protected override xsubscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): void {
    const subs = pipe.subscriptions
    if (subs === undefined) return
    if (subscribe) {
      if (!this.subscriptionFits(pipe, topic)) return
      let first = false
      if (!subs.has(topic)) {
        const max = this.option("maxSubscriptions")
        if (max >= 0 && subs.size >= max) {
          this.dropConnection(
            pipe,
            protocolError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `the peer subscribed to more than ${max} prefixes (maxSubscriptions)`),
          )
          return
        }
        subs.add(topic)
        first = this.#all.add(topic)
      }
      this.notify(pipe, true, topic, first)
      return
    }
    // A CANCEL of a prefix this peer never subscribed changes nothing, so it is not reported
    // (libzmq's xpub.cpp reports it as a last cancellation, a known TODO there; a peer could
    // then stream such CANCELs into the application).
    if (!subs.has(topic)) return
    subs.remove(topic)
    this.notify(pipe, false, topic, this.#all.remove(topic))
  }

  /**
   * Apply a subscription to `pipe` on the application's behalf (XPUB manual mode), without
   * reporting it. False when the pipe is gone.
   */
  protected applySubscription(pipe: Pipe, subscribe: boolean, topic: Uint8Array): boolean {
    const subs = pipe.subscriptions
    if (subs === undefined) return false
    if (subscribe) {
      if (!subs.has(topic)) {
        subs.add(topic)
        this.#all.add(topic)
      }
    } else if (subs.has(topic)) {
      subs.remove(topic)
      this.#all.remove(topic)
    }
    return true
  }

  protected override xmessage(pipe: Pipe, frames: Uint8Array[]): void {
    // ZMTP 3.0 peers send subscriptions as messages; libzmq reads any message starting
    // with 0x01 / 0x00 as one, whatever the peer's version.
    const sub = Connection.parseSubscription(frames)
    if (sub !== undefined) this.xsubscription(pipe, sub.subscribe, sub.topic)
    else this.upstreamMessage(pipe, frames)
  }

  protected xsend(frames: Uint8Array[]): boolean {
    const invert = this.option("invertMatching")
    if (this.option("noDrop") && !this.dist.allMatchingHaveRoom(frames, invert)) return false
    this.dist.sendToMatching(frames, invert)
    return true
  }

  protected override xhasOut(): boolean {
    return true
  }
}
