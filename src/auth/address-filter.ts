/**
 * Address allow/deny lists for ZAP requests (Strawhouse; CZMQ zauth ALLOW/DENY, pyzmq
 * `allow()` / `deny()`), with CIDR ranges and IPv6.
 *
 * - Rules are addresses (`192.168.1.5`, `2001:db8::1`) or CIDR ranges (`10.0.0.0/8`,
 *   `2001:db8::/32`). Host names are not accepted: ZAP carries the peer's numeric address
 *   (RFC 27: "an IPv4 dotted string, or an IPv6 canonical string representation").
 * - Everything is compared as 16 octets: an IPv4 address is its IPv4-mapped IPv6 form
 *   (`::ffff:a.b.c.d`, RFC 4291 section 2.5.5.2), so a peer reported as `::ffff:1.2.3.4` (a
 *   dual-stack listener) matches the IPv4 rule `1.2.3.0/24`, and vice versa.
 * - Decision, as CZMQ and pyzmq: when the allow list is not empty, only addresses in it pass.
 *   Otherwise addresses in the deny list are refused and all others pass. One difference: when
 *   both lists are used, CZMQ and pyzmq ignore the deny list; here a deny rule still wins (so
 *   "allow 10.0.0.0/8, deny 10.0.0.5" means what it says).
 * - An address that is not an IP address (e.g. "" for ipc) matches no rule.
 */

export interface AddressRule {
  /** The rule as given. */
  readonly text: string
  /** 16 octets, IPv4 as IPv4-mapped IPv6. */
  readonly bytes: Uint8Array
  /** Prefix length in bits over the 16 octets (an IPv4 /n is 96 + n). */
  readonly prefix: number
}

export interface AddressDecision {
  allowed: boolean
  /** True when the address matched the allow list (CZMQ "passed (allowed list)"). */
  listed: boolean
  reason: string
}

const IPV4_MAPPED_PREFIX = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff)
const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/

/** Four octets of a dotted-quad IPv4 address, or undefined. Leading zeros are refused (octal?). */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".")
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string
    if (!IPV4_PART.test(part)) return undefined
    const value = Number(part)
    if (value > 255) return undefined
    out[i] = value
  }
  return out
}

/** Sixteen octets of an IPv6 address (with `::`, an embedded IPv4 tail, and a `%zone` ignored). */
export function parseIPv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf("%")
  const address = zone === -1 ? text : text.slice(0, zone)
  if (zone !== -1 && zone === text.length - 1) return undefined
  const halves = address.split("::")
  if (halves.length > 2) return undefined
  const parseGroups = (part: string, allowIPv4Tail: boolean): number[] | undefined => {
    if (part === "") return []
    const groups = part.split(":")
    const words: number[] = []
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] as string
      if (allowIPv4Tail && i === groups.length - 1 && group.includes(".")) {
        const v4 = parseIPv4(group)
        if (!v4) return undefined
        words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else {
        if (!IPV6_GROUP.test(group)) return undefined
        words.push(Number.parseInt(group, 16))
      }
    }
    return words
  }
  let words: number[]
  if (halves.length === 2) {
    const head = parseGroups(halves[0] as string, false)
    const tail = parseGroups(halves[1] as string, true)
    if (!head || !tail || head.length + tail.length > 7) return undefined
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
  } else {
    const all = parseGroups(address, true)
    if (!all || all.length !== 8) return undefined
    words = all
  }
  const out = new Uint8Array(16)
  words.forEach((word, i) => {
    out[i * 2] = word >> 8
    out[i * 2 + 1] = word & 0xff
  })
  return out
}

/** An address as 16 octets (IPv4 mapped into IPv6), or undefined when it is not an IP address. */
export function parseAddress(text: string): Uint8Array | undefined {
  if (typeof text !== "string") return undefined
  const v4 = parseIPv4(text)
  if (v4) return mapIPv4(v4)
  return text.includes(":") ? parseIPv6(text) : undefined
}

function mapIPv4(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16)
  out.set(IPV4_MAPPED_PREFIX)
  out.set(v4, 12)
  return out
}

/** Parse an address or CIDR rule. TypeError naming the rule when it is neither. */
export function parseAddressRule(text: string): AddressRule {
  if (typeof text !== "string") {
    throw new TypeError(`expected an IP address or CIDR range as a string, got ${text === null ? "null" : typeof text}`)
  }
  const slash = text.indexOf("/")
  const addressText = slash === -1 ? text : text.slice(0, slash)
  const v4 = parseIPv4(addressText)
  const bytes = v4 ? mapIPv4(v4) : addressText.includes(":") ? parseIPv6(addressText) : undefined
  if (!bytes) {
    throw new TypeError(`expected an IPv4 or IPv6 address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32), got ${JSON.stringify(text)}`)
  }
  const maxBits = v4 ? 32 : 128
  let bits = maxBits
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1)
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > maxBits) {
      throw new RangeError(`expected a prefix length from 0 to ${maxBits} in ${JSON.stringify(text)}, got ${JSON.stringify(prefixText)}`)
    }
    bits = Number(prefixText)
  }
  const prefix = v4 ? 96 + bits : bits
  // Keep only the network part, so 10.1.2.3/8 means 10.0.0.0/8.
  const network = new Uint8Array(bytes)
  for (let bit = prefix; bit < 128; bit++) network[bit >> 3] = (network[bit >> 3] as number) & ~(0x80 >> (bit & 7))
  return { text, bytes: network, prefix }
}

/** True when the 16-octet `address` lies in `rule`. */
export function ruleMatches(rule: AddressRule, address: Uint8Array): boolean {
  const whole = rule.prefix >> 3
  for (let i = 0; i < whole; i++) if (address[i] !== rule.bytes[i]) return false
  const rest = rule.prefix & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((address[whole] as number) & mask) === (rule.bytes[whole] as number)
}

export class AddressFilter {
  readonly #allow: AddressRule[] = []
  readonly #deny: AddressRule[] = []

  /** Add addresses or CIDR ranges to the allow list. Throws for an invalid rule (none is added). */
  allow(...rules: string[]): this {
    this.#allow.push(...rules.map(parseAddressRule))
    return this
  }

  /** Add addresses or CIDR ranges to the deny list. Throws for an invalid rule (none is added). */
  deny(...rules: string[]): this {
    this.#deny.push(...rules.map(parseAddressRule))
    return this
  }

  /** True when there are no rules at all. */
  get isEmpty(): boolean {
    return this.#allow.length === 0 && this.#deny.length === 0
  }

  get allowRules(): readonly AddressRule[] {
    return this.#allow
  }

  get denyRules(): readonly AddressRule[] {
    return this.#deny
  }

  check(address: string): AddressDecision {
    const bytes = parseAddress(address)
    const denied = bytes !== undefined && this.#deny.some((rule) => ruleMatches(rule, bytes))
    if (this.#allow.length > 0) {
      const listed = bytes !== undefined && this.#allow.some((rule) => ruleMatches(rule, bytes))
      if (!listed) return { allowed: false, listed: false, reason: "address not in allow list" }
      if (denied) return { allowed: false, listed: true, reason: "address in deny list" }
      return { allowed: true, listed: true, reason: "address in allow list" }
    }
    if (denied) return { allowed: false, listed: false, reason: "address in deny list" }
    return { allowed: true, listed: false, reason: this.#deny.length > 0 ? "address not in deny list" : "no address rules" }
  }
}
