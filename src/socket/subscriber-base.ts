/**
 * What SUB and XSUB share (RFC 29 "PUB-SUB"): counted prefix subscriptions, told to every
 * publisher (SUBSCRIBE/CANCEL commands to ZMTP 3.1 peers, 0x01/0x00 messages to 3.0 peers —
 * the engine picks) and re-sent on every new connection, and filtering of incoming messages
 * (the publisher filters too, but a subscriber never trusts it to).
 */
import { Distributor } from "./distributor.js"
import type { Pipe } from "./pipe.js"
import { Socket } from "./socket.js"
import { SubscriptionTrie } from "./subscription-trie.js"

export abstract class SubscriberBase extends Socket {
  protected readonly subscriptions = new SubscriptionTrie()
  protected readonly dist = new Distributor()

  protected xattach(pipe: Pipe): boolean {
    this.dist.add(pipe)
    return true
  }

  /** Tell a new publisher every prefix (an iterative walk: prefixes of any length, libzmq re-sends them too). */
  protected override xready(pipe: Pipe): void {
    for (const { prefix } of this.subscriptions.entries()) pipe.writeSubscription(true, prefix)
  }

  protected xdetach(pipe: Pipe): void {
    this.dist.remove(pipe)
  }

  protected override xmessage(pipe: Pipe, frames: Uint8Array[]): void {
    // invertMatching (SUB only): keep what matches none of the prefixes (libzmq xsub.cpp match()).
    if (this.subscriptions.matches(frames[0] as Uint8Array) === this.option("invertMatching")) return
    this.fq.push(pipe, frames)
    this.wakeReceiver()
  }

  protected xrecv(): Uint8Array[] | undefined {
    const frames = this.fq.next()
    this.receivedFrom = this.fq.lastPipe
    return frames
  }

  /** Subscribe to a prefix; every subscribe is forwarded (libzmq xsub.cpp), duplicates counted. */
  protected addSubscription(prefix: Uint8Array): void {
    this.subscriptions.add(prefix)
    for (const pipe of this.dist.pipes) pipe.writeSubscription(true, prefix)
  }

  /** Cancel one subscribe; the publishers hear of it when the count reaches zero. */
  protected removeSubscription(prefix: Uint8Array): void {
    if (!this.subscriptions.remove(prefix)) return
    for (const pipe of this.dist.pipes) pipe.writeSubscription(false, prefix)
  }
}
