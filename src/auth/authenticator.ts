/**
 * The authenticator: CZMQ's zauth / pyzmq's Authenticator for Ironhouse, without a socket. Its
 * `authenticate` answers the mechanisms' hook (src/mechanism/mechanism.ts `Authenticate`) and
 * can sit behind a ZAP handler (zap-handler.ts).
 *
 * The five patterns of "Using ZeroMQ Security":
 * - Grasslands: NULL, no rules: everyone passes.
 * - Strawhouse: `allow()` / `deny()` addresses and CIDR ranges (address-filter.ts).
 * - Woodhouse: `configurePlain({ passwords })` or `configurePlain({ passwordFile })`.
 * - Stonehouse: `configureCurve({ allowAny: true })` accepts every client key, still encrypted.
 * - Ironhouse: `configureCurve({ certificates: dir | store })`, or a `check` callback.
 *
 * Decisions follow CZMQ's zauth:
 * 1. The address filter runs first; a refused address is refused for every mechanism.
 * 2. NULL passes once the address passes (RFC 27: NULL "allows a server to filter bogus
 *    clients on the basis of IP address").
 * 3. PLAIN and CURVE must pass their own check even when the address is in the allow list. A
 *    mechanism with no configuration for the domain is refused (400).
 * 4. Unknown mechanisms are refused (400).
 *
 * Domains: every configure call takes `domain` ("*" = every domain, the default). CZMQ ignores
 * domains; pyzmq keys its PLAIN/CURVE settings by domain. Here each setting (address rules,
 * PLAIN, CURVE) is looked up for the request's exact domain first and falls back to "*" when
 * that domain has none of its own. Configuring a domain again replaces that setting.
 *
 * User ids: PLAIN gives the username; CURVE gives the client's public key in Z85 (as CZMQ), or
 * what a `check` callback returns. With a certificate store, the certificate's metadata is
 * returned as ZAP metadata (CZMQ does the same); names that are not valid ZMTP property names
 * (RFC 37 allows `A-Za-z0-9-_.+` only, ZPL also allows `$@&/`) are left out.
 *
 * Every decision is emitted as `'decision'` (AuthDecision): never a password. Files that
 * cannot be used are reported as `'skipped'` ({file, reason}); a password file that was re-read
 * as `'reloaded'` ({file, users}). Failures inside the authenticator (a throwing
 * callback, an unreadable password file) answer 500, never an exception.
 */
import { EventEmitter } from "node:events"
import { CertificateStore } from "../cert/store.js"
import type { AuthReply, AuthRequest } from "../mechanism/mechanism.js"
import { CURVE_KEY_SIZE, Mechanism, PROPERTY_NAME_PATTERN, ZapStatus } from "../wire/constants.js"
import { makeMetadata } from "../wire/metadata.js"
import type { Metadata } from "../wire/types.js"
import { z85Encode } from "../wire/z85.js"
import { AddressFilter } from "./address-filter.js"
import { PasswordFile } from "./password-file.js"
import { PasswordTable, type PasswordVerifier } from "./password-table.js"
import { DEFAULT_STATUS_TEXT, type ZapStatusCode } from "./zap.js"

/** "*": a setting for every domain that has none of its own. */
export const ANY_DOMAIN = "*"

export interface DomainOption {
  /** ZAP domain this setting applies to; "*" (default) = every domain without its own. */
  domain?: string
}

export interface PlainConfiguration extends DomainOption {
  /** User name → password, kept in memory (only digests). */
  passwords?: Readonly<Record<string, string>>
  /** CZMQ-format `name=password` file, re-read when its content changes. */
  passwordFile?: string
}

/** What a CURVE key-check callback may return to accept a client. */
export interface CurveAcceptance {
  /** Default: the client public key in Z85. */
  userId?: string
  /** ZAP metadata for the connection. */
  metadata?: Metadata | Readonly<Record<string, string | Uint8Array>>
}

/** CURVE key-check callback (pyzmq#1164): `false` refuses, `true` or an object accepts. */
export type CurveKeyCheck = (publicKeyZ85: string, request: AuthRequest) => boolean | CurveAcceptance | Promise<boolean | CurveAcceptance>

export type CurveConfiguration =
  | (DomainOption & { allowAny: true })
  | (DomainOption & { certificates: string | CertificateStore })
  | (DomainOption & { check: CurveKeyCheck })

/** One authentication outcome, as emitted with `'decision'`. Never contains a password. */
export interface AuthDecision {
  domain: string
  address: string
  mechanism: string
  /** PLAIN: the username; CURVE: the user id given. */
  userId?: string
  /** CURVE: the client's public key in Z85. */
  publicKey?: string
  allowed: boolean
  status: ZapStatusCode
  /** Why, for logs: "address in deny list", "wrong password", "certificate not found", ... */
  reason: string
}

export interface AuthenticatorOptions {
  /** Rescan interval for watched certificate directories and password files, ms (default 1000). */
  interval?: number
}

type PlainPolicy = { verifier: PasswordVerifier; ready: Promise<unknown>; close(): void }
type CurvePolicy =
  | { kind: "any" }
  | { kind: "store"; store: CertificateStore; ready: Promise<unknown>; close(): void }
  | { kind: "check"; check: CurveKeyCheck }

interface DomainPolicy {
  filter?: AddressFilter
  plain?: PlainPolicy
  curve?: CurvePolicy
}

export interface Authenticator {
  on(event: "decision", listener: (decision: AuthDecision) => void): this
  on(event: "skipped", listener: (skipped: { file: string; reason: string }) => void): this
  on(event: "reloaded", listener: (info: { file: string; users: number }) => void): this
  once(event: "decision", listener: (decision: AuthDecision) => void): this
  once(event: "skipped", listener: (skipped: { file: string; reason: string }) => void): this
  once(event: "reloaded", listener: (info: { file: string; users: number }) => void): this
}

const textDecoder = new TextDecoder("utf-8", { fatal: true })

export class Authenticator extends EventEmitter {
  readonly #domains = new Map<string, DomainPolicy>()
  readonly #interval: number
  #closed = false

  constructor(options: AuthenticatorOptions = {}) {
    super()
    this.#interval = options.interval ?? 1000
    if (!Number.isFinite(this.#interval) || this.#interval <= 0) {
      throw new RangeError(`expected interval to be a positive number of milliseconds, got ${this.#interval}`)
    }
  }

  /** Allow only these addresses / CIDR ranges (for "*", or `{ domain }` given first). */
  allow(...rules: string[]): this
  allow(options: DomainOption, ...rules: string[]): this
  allow(...args: (string | DomainOption)[]): this {
    const { domain, rules } = splitRuleArguments(args, "allow")
    new AddressFilter().allow(...rules) // validate all rules before changing anything
    const policy = this.#policy(domain)
    policy.filter ??= new AddressFilter()
    policy.filter.allow(...rules)
    return this
  }

  /** Refuse these addresses / CIDR ranges (for "*", or `{ domain }` given first). */
  deny(...rules: string[]): this
  deny(options: DomainOption, ...rules: string[]): this
  deny(...args: (string | DomainOption)[]): this {
    const { domain, rules } = splitRuleArguments(args, "deny")
    new AddressFilter().deny(...rules) // validate all rules before changing anything
    const policy = this.#policy(domain)
    policy.filter ??= new AddressFilter()
    policy.filter.deny(...rules)
    return this
  }

  /**
   * Woodhouse: PLAIN users from `passwords` or from `passwordFile` (not both). Resolves when a
   * password file has been read; rejects if it cannot be (then PLAIN for this domain answers
   * 500 until reconfigured).
   */
  configurePlain(configuration: PlainConfiguration): Promise<void> {
    this.#checkOpen()
    const domain = domainOf(configuration)
    const { passwords, passwordFile } = configuration
    if ((passwords === undefined) === (passwordFile === undefined)) {
      throw new TypeError("configurePlain: expected exactly one of passwords or passwordFile")
    }
    let plain: PlainPolicy
    if (passwords !== undefined) {
      plain = { verifier: new PasswordTable(passwords), ready: Promise.resolve(), close: () => undefined }
    } else {
      if (typeof passwordFile !== "string") throw new TypeError(`configurePlain: expected passwordFile to be a path, got ${typeof passwordFile}`)
      let file: PasswordFile | undefined
      let closed = false
      const ready = PasswordFile.open(passwordFile, { watch: true, interval: this.#interval }).then((opened) => {
        if (closed) opened.close()
        file = opened
        opened.on("invalid", (info) => this.emit("skipped", info))
        opened.on("reloaded", (info) => this.emit("reloaded", info))
      })
      plain = {
        verifier: { verify: (username, password) => (file ? file.verify(username, password) : "unavailable") },
        ready,
        close: () => {
          closed = true
          file?.close()
        },
      }
    }
    const policy = this.#policy(domain)
    policy.plain?.close()
    policy.plain = plain
    plain.ready.catch(() => undefined)
    return plain.ready.then(() => undefined)
  }

  /**
   * Stonehouse (`allowAny: true`), Ironhouse (`certificates`: a directory, watched, or a
   * CertificateStore you own), or a key-check callback (`check`). Resolves when a certificate
   * directory has been read.
   */
  configureCurve(configuration: CurveConfiguration): Promise<void> {
    this.#checkOpen()
    const domain = domainOf(configuration)
    let curve: CurvePolicy
    if ("allowAny" in configuration) {
      if (configuration.allowAny !== true) throw new TypeError(`configureCurve: expected allowAny: true, got ${String(configuration.allowAny)}`)
      curve = { kind: "any" }
    } else if ("certificates" in configuration) {
      const source = configuration.certificates
      if (source instanceof CertificateStore) {
        curve = { kind: "store", store: source, ready: source.ready, close: () => undefined }
      } else if (typeof source === "string") {
        const store = new CertificateStore(source, { watch: true, interval: this.#interval })
        store.on("skipped", (info) => this.emit("skipped", info))
        curve = { kind: "store", store, ready: store.ready, close: () => store.close() }
      } else {
        throw new TypeError(`configureCurve: expected certificates to be a directory path or a CertificateStore, got ${typeof source}`)
      }
    } else if ("check" in configuration && typeof configuration.check === "function") {
      curve = { kind: "check", check: configuration.check }
    } else {
      throw new TypeError("configureCurve: expected one of allowAny: true, certificates, or a check function")
    }
    const policy = this.#policy(domain)
    if (policy.curve?.kind === "store") policy.curve.close()
    policy.curve = curve
    if (curve.kind !== "store") return Promise.resolve()
    curve.ready.catch(() => undefined)
    return curve.ready.then(() => undefined)
  }

  /**
   * Decide one request. Never rejects: failures answer 500. Bound, so it can be passed as the
   * mechanisms' `authenticate` hook as is.
   */
  readonly authenticate = async (request: AuthRequest): Promise<AuthReply> => {
    let decision: AuthDecision
    let extra: { userId?: string; metadata?: Metadata } = {}
    try {
      ;({ decision, extra } = await this.#decide(request))
    } catch {
      decision = { ...baseDecision(request), allowed: false, status: ZapStatus.INTERNAL_ERROR, reason: "authenticator failure" }
    }
    this.emit("decision", decision)
    if (!decision.allowed) return { status: decision.status, statusText: DEFAULT_STATUS_TEXT[decision.status] }
    const reply: AuthReply = { status: ZapStatus.SUCCESS, statusText: DEFAULT_STATUS_TEXT[ZapStatus.SUCCESS], userId: extra.userId ?? "" }
    if (extra.metadata && extra.metadata.size > 0) reply.metadata = extra.metadata
    return reply
  }

  /** Stop watching certificate directories and password files this authenticator opened. */
  close(): void {
    this.#closed = true
    for (const policy of this.#domains.values()) {
      policy.plain?.close()
      if (policy.curve?.kind === "store") policy.curve.close()
    }
  }

  async #decide(request: AuthRequest): Promise<{ decision: AuthDecision; extra: { userId?: string; metadata?: Metadata } }> {
    const base = baseDecision(request)
    const refuse = (reason: string, status: ZapStatusCode = ZapStatus.AUTHENTICATION_FAILURE, more: Partial<AuthDecision> = {}) => ({
      decision: { ...base, ...more, allowed: false, status, reason },
      extra: {},
    })
    if (this.#closed) return refuse("authenticator closed", ZapStatus.INTERNAL_ERROR)

    const filter = this.#setting(request.domain, "filter")
    const address = filter ? filter.check(request.address) : { allowed: true, listed: false, reason: "no address rules" }
    if (!address.allowed) return refuse(address.reason)

    switch (request.mechanism) {
      case Mechanism.NULL:
        return { decision: { ...base, allowed: true, status: ZapStatus.SUCCESS, reason: address.reason }, extra: {} }

      case Mechanism.PLAIN: {
        const [usernameBytes, password] = request.credentials
        if (request.credentials.length !== 2 || !usernameBytes || !password) return refuse("malformed PLAIN credentials")
        let username: string
        try {
          username = textDecoder.decode(usernameBytes)
        } catch {
          return refuse("PLAIN username is not UTF-8")
        }
        const plain = this.#setting(request.domain, "plain")
        if (!plain) return refuse("PLAIN not configured for this domain", undefined, { userId: username })
        try {
          await plain.ready
        } catch {
          return refuse("password file unavailable", ZapStatus.INTERNAL_ERROR, { userId: username })
        }
        const result = plain.verifier.verify(username, password)
        switch (result) {
          case "ok":
            return { decision: { ...base, userId: username, allowed: true, status: ZapStatus.SUCCESS, reason: "password accepted" }, extra: { userId: username } }
          case "unknown-user":
            return refuse("unknown user", undefined, { userId: username })
          case "wrong-password":
            return refuse("wrong password", undefined, { userId: username })
          case "unavailable":
            return refuse("password file unavailable", ZapStatus.INTERNAL_ERROR, { userId: username })
        }
        return refuse("password check failed", ZapStatus.INTERNAL_ERROR)
      }

      case Mechanism.CURVE: {
        const key = request.credentials[0]
        if (request.credentials.length !== 1 || !key || key.length !== CURVE_KEY_SIZE) return refuse("malformed CURVE credentials")
        const publicKey = z85Encode(key)
        const curve = this.#setting(request.domain, "curve")
        if (!curve) return refuse("CURVE not configured for this domain", undefined, { publicKey })
        const accept = (reason: string, userId: string, metadata?: Metadata) => ({
          decision: { ...base, publicKey, userId, allowed: true, status: ZapStatus.SUCCESS, reason },
          extra: metadata ? { userId, metadata } : { userId },
        })
        if (curve.kind === "any") return accept("any client key allowed", publicKey)
        if (curve.kind === "store") {
          try {
            await curve.ready
          } catch {
            return refuse("certificate directory unavailable", ZapStatus.INTERNAL_ERROR, { publicKey })
          }
          const certificate = curve.store.lookup(key)
          if (!certificate) return refuse("certificate not found", undefined, { publicKey })
          return accept("certificate found", publicKey, certificateMetadata(certificate.metadata))
        }
        let verdict: boolean | CurveAcceptance
        try {
          verdict = await curve.check(publicKey, request)
        } catch {
          return refuse("key check callback failed", ZapStatus.INTERNAL_ERROR, { publicKey })
        }
        if (verdict === false) return refuse("refused by key check", undefined, { publicKey })
        if (verdict === true) return accept("accepted by key check", publicKey)
        if (typeof verdict !== "object" || verdict === null) return refuse("key check returned neither a boolean nor an object", ZapStatus.INTERNAL_ERROR, { publicKey })
        const userId = verdict.userId ?? publicKey
        if (typeof userId !== "string") return refuse("key check returned a userId that is not a string", ZapStatus.INTERNAL_ERROR, { publicKey })
        let metadata: Metadata | undefined
        try {
          metadata = verdict.metadata === undefined ? undefined : verdict.metadata instanceof Map ? verdict.metadata : makeMetadata({ ...verdict.metadata })
        } catch {
          return refuse("key check returned invalid metadata", ZapStatus.INTERNAL_ERROR, { publicKey })
        }
        return accept("accepted by key check", userId, metadata)
      }

      default:
        return refuse(`mechanism ${String(request.mechanism)} not supported`)
    }
  }

  /** The setting for `domain`, falling back to "*". */
  #setting<K extends keyof DomainPolicy>(domain: string, key: K): DomainPolicy[K] {
    return this.#domains.get(domain)?.[key] ?? this.#domains.get(ANY_DOMAIN)?.[key]
  }

  #policy(domain: string): DomainPolicy {
    let policy = this.#domains.get(domain)
    if (!policy) {
      policy = {}
      this.#domains.set(domain, policy)
    }
    return policy
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError("expected an open Authenticator, got a closed one")
  }
}

function baseDecision(request: AuthRequest): Pick<AuthDecision, "domain" | "address" | "mechanism"> {
  return { domain: request.domain, address: request.address, mechanism: request.mechanism }
}

function domainOf(option: DomainOption): string {
  if (typeof option !== "object" || option === null) throw new TypeError(`expected a configuration object, got ${option === null ? "null" : typeof option}`)
  const domain = option.domain ?? ANY_DOMAIN
  if (typeof domain !== "string") throw new TypeError(`expected domain to be a string, got ${typeof domain}`)
  return domain
}

function splitRuleArguments(args: (string | DomainOption)[], what: string): { domain: string; rules: string[] } {
  const [first, ...rest] = args
  const hasOptions = typeof first === "object" && first !== null
  const domain = hasOptions ? domainOf(first) : ANY_DOMAIN
  const rules = hasOptions ? rest : args
  for (const rule of rules) {
    if (typeof rule !== "string") throw new TypeError(`${what}: expected addresses as strings, got ${rule === null ? "null" : typeof rule}`)
  }
  return { domain, rules: rules as string[] }
}

/** Certificate metadata as ZAP metadata, keeping only names valid on the wire (RFC 37). */
function certificateMetadata(metadata: Readonly<Record<string, string>>): Metadata | undefined {
  const valid = Object.entries(metadata).filter(([name]) => PROPERTY_NAME_PATTERN.test(name))
  if (valid.length === 0) return undefined
  try {
    return makeMetadata(Object.fromEntries(valid))
  } catch {
    return undefined // e.g. two names differing only in case
  }
}
