/**
 * The server's cookie keys (RFC 26 "The WELCOME Command": "the server SHALL ... discard the
 * cookie key after a short interval, for example 60 seconds"). With these, the end-to-end server
 * keeps no state between HELLO and INITIATE: the cookie carries C' and s', sealed under a key
 * that rotates every `lifetimeMs / 2`; a cookie opens under the current or the previous key,
 * so it lives between lifetimeMs/2 and lifetimeMs.
 *
 * Replay: a recorded INITIATE replayed while its cookie key is alive would restart the server's
 * short nonces under the same traffic key. So every C' that began a session is claimed under
 * the key that opened its cookie, and a second claim fails. The claimed sets die with their key;
 * when a set reaches `maxClaims`, the keys rotate early (a pending handshake then times out and
 * the client starts over), so the memory is bounded by 2 * maxClaims entries. Pure: time and
 * randomness are injected.
 */
import { wipe } from "../crypto/index.js"
import type { CurveCookieKeys } from "../mechanism/curve-options.js"
import type { MechanismEnvironment } from "../mechanism/mechanism.js"

interface Epoch {
  key: Uint8Array
  bornAt: number
  claimed: Set<string>
}

/** 16 of C''s 32 random octets as 8 UTF-16 units: a collision needs 2^64 handshakes per key epoch. */
function claimKey(bytes: Uint8Array): string {
  let s = ""
  for (let i = 0; i < 16; i += 2) s += String.fromCharCode(((bytes[i] as number) << 8) | (bytes[i + 1] as number))
  return s
}

export class CookieKeyring implements CurveCookieKeys {
  readonly #env: MechanismEnvironment
  readonly #rotateMs: number
  readonly #maxClaims: number
  #current: Epoch
  #previous: Epoch | undefined

  constructor(env: MechanismEnvironment, lifetimeMs = 60_000, maxClaims = 65_536) {
    this.#env = env
    this.#rotateMs = lifetimeMs / 2
    this.#maxClaims = maxClaims
    this.#current = this.#fresh()
  }

  #fresh(): Epoch {
    return { key: this.#env.randomBytes(32), bornAt: this.#env.now(), claimed: new Set() }
  }

  /** Rotate when the current key is older than half the lifetime (called on every use). */
  #age(): void {
    const now = this.#env.now()
    if (now - this.#current.bornAt < this.#rotateMs) return
    if (now - this.#current.bornAt >= 2 * this.#rotateMs) {
      // Both keys are past their lifetime: start over.
      this.#retire(this.#previous)
      this.#retire(this.#current)
      this.#previous = undefined
      this.#current = this.#fresh()
      return
    }
    this.rotate()
  }

  /** Retire the previous key, demote the current one, make a new one. */
  rotate(): void {
    this.#retire(this.#previous)
    this.#previous = this.#current
    this.#current = this.#fresh()
  }

  #retire(epoch: Epoch | undefined): void {
    if (epoch === undefined) return
    wipe(epoch.key)
    epoch.claimed.clear()
  }

  current(): Uint8Array {
    this.#age()
    return this.#current.key
  }

  candidates(): readonly Uint8Array[] {
    this.#age()
    return this.#previous === undefined ? [this.#current.key] : [this.#current.key, this.#previous.key]
  }

  claim(clientTransient: Uint8Array, cookieKey: Uint8Array): boolean {
    const epoch = cookieKey === this.#current.key ? this.#current : cookieKey === this.#previous?.key ? this.#previous : undefined
    if (epoch === undefined) return false
    const k = claimKey(clientTransient)
    if (epoch.claimed.has(k)) return false
    epoch.claimed.add(k)
    if (epoch === this.#current && epoch.claimed.size >= this.#maxClaims) this.rotate()
    else if (epoch === this.#previous && epoch.claimed.size >= this.#maxClaims) {
      this.#retire(this.#previous)
      this.#previous = undefined
    }
    return true
  }

  /** Entries held (for tests and the memory bench). */
  get claimCount(): number {
    return this.#current.claimed.size + (this.#previous?.claimed.size ?? 0)
  }

  destroy(): void {
    this.#retire(this.#previous)
    this.#retire(this.#current)
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "CookieKeyring {}"
  }
}
