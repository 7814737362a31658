/**
 * A hand-rolled CURVE client for tests, written straight from RFC 26's grammar with the crypto
 * module's box functions (independently of src/mechanism/curve-client.ts), so tests can build
 * commands a correct client would never send: a vouch naming other keys, a weak client key,
 * any short nonce. Commands are returned as CommandFrame {name, data}.
 */
import { boxOpen, boxSeal, generateKeyPair } from "../../src/crypto/index.js"
import { encodeMetadata } from "../../src/wire/metadata.js"
import type { CommandFrame, Metadata } from "../../src/wire/types.js"

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** 8-octet big-endian short nonce. */
export function shortNonce(value: bigint): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, value)
  return out
}

function nonce(prefix: string, tail: Uint8Array): Uint8Array {
  return concat(ascii(prefix), tail)
}

export interface CraftedClient {
  transientPublic: Uint8Array
  transientSecret: Uint8Array
  /** S' and the cookie, once welcome() was called. */
  serverTransient?: Uint8Array
  cookie?: Uint8Array
}

export function craftedClient(): CraftedClient {
  const kp = generateKeyPair()
  return { transientPublic: kp.publicKey, transientSecret: kp.secretKey }
}

/** hello = %d5 "HELLO" %x1 %x0 72%x00 C' short-nonce Box[64 zeros](C'->S) */
export function craftHello(
  client: CraftedClient,
  serverKey: Uint8Array,
  opts: { nonce?: bigint; version?: [number, number] } = {},
): CommandFrame {
  const n = shortNonce(opts.nonce ?? 1n)
  const box = boxSeal(new Uint8Array(64), nonce("CurveZMQHELLO---", n), serverKey, client.transientSecret)
  const version = Uint8Array.from(opts.version ?? [1, 0])
  return { name: "HELLO", data: concat(version, new Uint8Array(72), client.transientPublic, n, box) }
}

/** Open WELCOME data; records S' and the cookie in `client`. Throws when the box does not open. */
export function openWelcome(client: CraftedClient, serverKey: Uint8Array, data: Uint8Array): void {
  const plain = boxOpen(data.subarray(16), nonce("WELCOME-", data.subarray(0, 16)), serverKey, client.transientSecret)
  if (plain === undefined) throw new Error("crafted client: WELCOME did not open")
  client.serverTransient = plain.slice(0, 32)
  client.cookie = plain.slice(32)
}

export interface InitiateOverrides {
  nonce?: bigint
  /** C placed in the initiate box (default: publicKey). */
  claimedPublicKey?: Uint8Array
  /** C' placed in the vouch (default: the real transient public key). */
  vouchTransient?: Uint8Array
  /** S placed in the vouch (default: serverKey). */
  vouchServerKey?: Uint8Array
  metadata?: Metadata
  /** Raw metadata octets, instead of `metadata`. */
  rawMetadata?: Uint8Array
  cookie?: Uint8Array
}

/** initiate = %d8 "INITIATE" cookie short-nonce Box[C + vouch + metadata](C'->S') */
export function craftInitiate(
  client: CraftedClient,
  keys: { publicKey: Uint8Array; secretKey: Uint8Array; serverKey: Uint8Array },
  o: InitiateOverrides = {},
): CommandFrame {
  const serverTransient = client.serverTransient
  const cookie = o.cookie ?? client.cookie
  if (serverTransient === undefined || cookie === undefined) throw new Error("crafted client: no WELCOME yet")
  const vouchTail = new Uint8Array(16).fill(7)
  const vouchBox = boxSeal(
    concat(o.vouchTransient ?? client.transientPublic, o.vouchServerKey ?? keys.serverKey),
    nonce("VOUCH---", vouchTail),
    serverTransient,
    keys.secretKey,
  )
  const md = o.rawMetadata ?? encodeMetadata(o.metadata ?? new Map([["Socket-Type", ascii("DEALER")]]))
  const n = shortNonce(o.nonce ?? 2n)
  const box = boxSeal(
    concat(o.claimedPublicKey ?? keys.publicKey, vouchTail, vouchBox, md),
    nonce("CurveZMQINITIATE", n),
    serverTransient,
    client.transientSecret,
  )
  return { name: "INITIATE", data: concat(cookie, n, box) }
}

/** Open READY data from the server; the metadata octets, or undefined. */
export function openReady(client: CraftedClient, data: Uint8Array): Uint8Array | undefined {
  if (client.serverTransient === undefined) throw new Error("crafted client: no WELCOME yet")
  return boxOpen(data.subarray(8), nonce("CurveZMQREADY---", data.subarray(0, 8)), client.serverTransient, client.transientSecret)
}

/** A hand-rolled CURVE server's state between WELCOME and READY. */
export interface CraftedServer {
  clientTransient: Uint8Array
  transientPublic: Uint8Array
  transientSecret: Uint8Array
}

/**
 * Answer HELLO data with WELCOME data: Box[S' + cookie](S->C'). The cookie is opaque filler (this
 * server keeps its state in memory). `serverTransient` overrides S' inside the box.
 */
export function craftWelcome(
  serverSecret: Uint8Array,
  helloData: Uint8Array,
  o: { serverTransient?: Uint8Array } = {},
): { data: Uint8Array; server: CraftedServer } {
  const clientTransient = helloData.slice(74, 106)
  const kp = generateKeyPair()
  const tail = new Uint8Array(16).fill(3)
  const box = boxSeal(concat(o.serverTransient ?? kp.publicKey, new Uint8Array(96).fill(0x5a)), nonce("WELCOME-", tail), clientTransient, serverSecret)
  return {
    data: concat(tail, box),
    server: { clientTransient, transientPublic: kp.publicKey, transientSecret: kp.secretKey },
  }
}

/** READY data: short nonce + Box[metadata octets](S'->C'). */
export function craftReady(server: CraftedServer, rawMetadata: Uint8Array, n = 1n): Uint8Array {
  const sn = shortNonce(n)
  return concat(sn, boxSeal(rawMetadata, nonce("CurveZMQREADY---", sn), server.clientTransient, server.transientSecret))
}
