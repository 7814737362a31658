/**
 * PLAIN passwords held in memory for checking (Woodhouse, RFC 24 / RFC 27).
 *
 * Only the SHA-256 digest of each password is kept. A candidate password is hashed too and the
 * two 32-octet digests are compared with `constantTimeEqual`, so neither the content nor the
 * length of the stored password leaks through timing. An unknown user is checked against a
 * dummy digest, so a miss costs the same as a wrong password.
 */
import { createHash } from "node:crypto"
import { constantTimeEqual } from "../crypto/index.js"

/** Outcome of a password check; the authenticator turns it into a ZAP status and reason. */
export type PasswordCheck = "ok" | "unknown-user" | "wrong-password" | "unavailable"

/** Anything that can check a PLAIN username/password pair. */
export interface PasswordVerifier {
  verify(username: string, password: Uint8Array): PasswordCheck
}

const textEncoder = new TextEncoder()

function digest(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest())
}

const DUMMY_DIGEST = digest(textEncoder.encode("ironhouse: no such user"))

export class PasswordTable implements PasswordVerifier {
  readonly #digests: Map<string, Uint8Array>

  /** `passwords` maps user names to passwords (UTF-8 encoded for comparison). */
  constructor(passwords: Readonly<Record<string, string>> | ReadonlyMap<string, string> = {}) {
    if (typeof passwords !== "object" || passwords === null) {
      throw new TypeError(`expected passwords as an object of user name to password, got ${passwords === null ? "null" : typeof passwords}`)
    }
    const entries = passwords instanceof Map ? [...passwords.entries()] : Object.entries(passwords)
    this.#digests = new Map()
    for (const [username, password] of entries) {
      if (typeof username !== "string") throw new TypeError(`expected user names to be strings, got ${typeof username}`)
      if (typeof password !== "string") {
        throw new TypeError(`expected the password of user ${JSON.stringify(username)} to be a string, got ${typeof password}`)
      }
      this.#digests.set(username, digest(textEncoder.encode(password)))
    }
  }

  /** Number of users. */
  get size(): number {
    return this.#digests.size
  }

  has(username: string): boolean {
    return this.#digests.has(username)
  }

  verify(username: string, password: Uint8Array): PasswordCheck {
    const stored = this.#digests.get(username)
    const matches = constantTimeEqual(digest(password), stored ?? DUMMY_DIGEST)
    if (stored === undefined) return "unknown-user"
    return matches ? "ok" : "wrong-password"
  }

  /** Never shows digests. */
  toJSON(): { users: number } {
    return { users: this.#digests.size }
  }
}
