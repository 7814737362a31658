/**
 * Shared by the stream-access bench roles (issue 10): the sockets of either implementation,
 * and bench-only identities derived from fixed seeds so that the publisher and subscriber
 * processes agree without passing secrets between them (these keys protect nothing).
 */
import type { ChildArgs } from "./child.js"
import * as ironhouse from "../src/index.js"
import { genericHash } from "../src/crypto/hash.js"
import { publicFromSecret } from "../src/crypto/index.js"
import { z85Encode } from "../src/wire/z85.js"

export interface StreamArgs extends ChildArgs {
  readonly mode?: "plain" | "secure" | "secure-unpacked" | "secure-immediate" | "secure-sparse"
  readonly keyEndpoint?: string
}

const seed = (label: string): Uint8Array => genericHash(32, new TextEncoder().encode(`ironhouse bench ${label}`))

export function benchIdentity(label: string): { publicKey: string; secretKey: string } {
  const secret = seed(label)
  return { publicKey: z85Encode(publicFromSecret(secret)), secretKey: z85Encode(secret) }
}

export function benchSigningKey(): ironhouse.SigningKeyPair {
  return ironhouse.signKeyPair(seed("publisher signing"))
}

interface PubLike {
  bind(endpoint: string): Promise<void>
  connect(endpoint: string): void
  send(message: Uint8Array[]): Promise<void>
  close(): void
  readonly lastEndpoint: string | null
}
interface SubLike {
  bind(endpoint: string): Promise<void>
  connect(endpoint: string): void
  subscribe(...topics: Array<Uint8Array | string>): void
  receive(): Promise<Uint8Array[]>
  close(): void
  readonly lastEndpoint: string | null
}

/** PUB and SUB constructors of `impl` ("ironhouse" or "zeromq"). */
export async function pubSub(impl: string): Promise<{ Publisher: new (options?: { noDrop?: boolean }) => PubLike; Subscriber: new () => SubLike }> {
  if (impl === "zeromq") {
    const zmq = await import("zeromq")
    return { Publisher: zmq.Publisher as unknown as new (options?: { noDrop?: boolean }) => PubLike, Subscriber: zmq.Subscriber as unknown as new () => SubLike }
  }
  if (impl !== "ironhouse") throw new TypeError(`expected impl "ironhouse" or "zeromq", got ${impl}`)
  return { Publisher: ironhouse.Publisher as unknown as new (options?: { noDrop?: boolean }) => PubLike, Subscriber: ironhouse.Subscriber as unknown as new () => SubLike }
}

export const TOPIC = new TextEncoder().encode("bench")
