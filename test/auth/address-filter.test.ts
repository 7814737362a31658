import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { isIPv6 } from "node:net"
import fc from "fast-check"
import { AddressFilter, parseAddress, parseAddressRule, parseIPv6 } from "../../src/auth/address-filter.js"

const hex = (bytes: Uint8Array | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString("hex") : undefined)

describe("address parsing", () => {
  it("maps IPv4 into IPv6 (::ffff:a.b.c.d), so both spellings are one address", () => {
    assert.equal(hex(parseAddress("192.168.1.5")), "00000000000000000000ffffc0a80105")
    assert.equal(hex(parseAddress("::ffff:192.168.1.5")), hex(parseAddress("192.168.1.5")))
    assert.equal(hex(parseAddress("::ffff:c0a8:105")), hex(parseAddress("192.168.1.5")))
  })

  it("reads IPv6 with ::, full form, embedded IPv4 and a zone id", () => {
    assert.equal(hex(parseAddress("::")), "0".repeat(32))
    assert.equal(hex(parseAddress("::1")), `${"0".repeat(31)}1`)
    assert.equal(hex(parseAddress("2001:db8::1")), "20010db8000000000000000000000001")
    assert.equal(hex(parseAddress("2001:0db8:0000:0000:0000:0000:0000:0001")), "20010db8000000000000000000000001")
    assert.equal(hex(parseAddress("fe80::1%eth0")), "fe800000000000000000000000000001")
    assert.equal(hex(parseAddress("1:2:3:4:5:6:7::")), "00010002000300040005000600070000")
    assert.equal(hex(parseAddress("64:ff9b::192.0.2.33")), "0064ff9b0000000000000000c0000221")
  })

  it("refuses what is not an address", () => {
    for (const text of ["", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-1", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "fe80::1%", "::1.2.3", "1.2.3.4::"]) {
      assert.equal(parseAddress(text), undefined, text)
    }
  })

  it("agrees with node:net on which strings are IPv6 addresses (property)", () => {
    const group = fc.stringMatching(/^[0-9a-f]{1,4}$/)
    const candidate = fc.oneof(
      fc.array(group, { minLength: 1, maxLength: 9 }).map((g) => g.join(":")),
      fc.tuple(fc.array(group, { maxLength: 5 }), fc.array(group, { maxLength: 5 })).map(([a, b]) => `${a.join(":")}::${b.join(":")}`),
      fc.stringMatching(/^[0-9a-f:.]{0,20}$/),
    )
    fc.assert(
      fc.property(candidate, (text) => {
        if (text.includes(".")) return // embedded IPv4 covered above
        assert.equal(parseIPv6(text) !== undefined, isIPv6(text), text)
      }),
      { numRuns: 300 },
    )
  })

  it("reads CIDR rules, masking host bits, and refuses bad prefixes", () => {
    const rule = parseAddressRule("10.1.2.3/8")
    assert.equal(rule.prefix, 104)
    assert.equal(hex(rule.bytes), "00000000000000000000ffff0a000000")
    assert.equal(parseAddressRule("2001:db8::/32").prefix, 32)
    assert.throws(() => parseAddressRule("10.0.0.0/33"), { name: "RangeError", message: /prefix length from 0 to 32/ })
    assert.throws(() => parseAddressRule("::/129"), RangeError)
    assert.throws(() => parseAddressRule("10.0.0.0/08"), RangeError)
    assert.throws(() => parseAddressRule("10.0.0.0/"), RangeError)
    assert.throws(() => parseAddressRule("example.com"), { name: "TypeError", message: /expected an IPv4 or IPv6 address or CIDR range/ })
  })
})

describe("AddressFilter", () => {
  // rule, address, matches?
  const matrix: [string, string, boolean][] = [
    ["192.168.1.5", "192.168.1.5", true],
    ["192.168.1.5", "192.168.1.6", false],
    ["192.168.1.0/24", "192.168.1.255", true],
    ["192.168.1.0/24", "192.168.2.0", false],
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["172.16.0.0/12", "172.31.1.1", true],
    ["172.16.0.0/12", "172.32.0.0", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["127.0.0.1/32", "127.0.0.1", true],
    ["192.168.1.0/24", "::ffff:192.168.1.77", true],
    ["::ffff:192.168.1.0/120", "192.168.1.77", true],
    ["::ffff:0:0/96", "1.2.3.4", true],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["2001:db8::/33", "2001:db8:7fff::1", true],
    ["2001:db8::/33", "2001:db8:8000::1", false],
    ["::1", "::1", true],
    ["::1", "::2", false],
    ["::/0", "1.2.3.4", true],
    ["fe80::/10", "fe80::1%eth0", true],
    ["fe80::/10", "fec0::1", false],
    ["10.0.0.0/8", "", false],
    ["10.0.0.0/8", "not-an-ip", false],
  ]

  for (const [rule, address, matches] of matrix) {
    it(`allow ${rule}: ${JSON.stringify(address)} ${matches ? "passes" : "is refused"}; deny ${rule}: the opposite`, () => {
      assert.equal(new AddressFilter().allow(rule).check(address).allowed, matches)
      assert.equal(new AddressFilter().deny(rule).check(address).allowed, !matches)
    })
  }

  it("with no rules lets every address through", () => {
    const filter = new AddressFilter()
    assert.equal(filter.isEmpty, true)
    assert.deepEqual(filter.check("1.2.3.4"), { allowed: true, listed: false, reason: "no address rules" })
  })

  it("a non-empty allow list refuses everything else; a deny rule inside it still wins", () => {
    const filter = new AddressFilter().allow("10.0.0.0/8").deny("10.0.0.5")
    assert.deepEqual(filter.check("10.1.1.1"), { allowed: true, listed: true, reason: "address in allow list" })
    assert.deepEqual(filter.check("10.0.0.5"), { allowed: false, listed: true, reason: "address in deny list" })
    assert.deepEqual(filter.check("192.168.0.1"), { allowed: false, listed: false, reason: "address not in allow list" })
  })

  it("a deny list alone refuses only what it lists", () => {
    const filter = new AddressFilter().deny("192.168.0.0/16", "2001:db8::/32")
    assert.equal(filter.check("192.168.3.3").reason, "address in deny list")
    assert.equal(filter.check("2001:db8::7").allowed, false)
    assert.deepEqual(filter.check("10.0.0.1"), { allowed: true, listed: false, reason: "address not in deny list" })
  })

  it("adds no rule when one of several is invalid", () => {
    const filter = new AddressFilter()
    assert.throws(() => filter.allow("10.0.0.1", "nonsense"), TypeError)
    assert.equal(filter.isEmpty, true)
  })

  it("an IPv4 /n rule equals the IPv4-mapped IPv6 /96+n rule for every address (property)", () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."))
    fc.assert(
      fc.property(v4, v4, fc.integer({ min: 0, max: 32 }), (network, address, bits) => {
        const ipv4Rule = new AddressFilter().allow(`${network}/${bits}`)
        const mappedRule = new AddressFilter().allow(`::ffff:${network}/${96 + bits}`)
        const expected = ipv4Rule.check(address).allowed
        assert.equal(mappedRule.check(address).allowed, expected)
        assert.equal(ipv4Rule.check(`::ffff:${address}`).allowed, expected)
        // Reference: compare the top `bits` bits as integers.
        const toInt = (s: string): number => s.split(".").reduce((acc, part) => acc * 256 + Number(part), 0)
        const mask = bits === 0 ? 0 : Math.pow(2, 32) - Math.pow(2, 32 - bits)
        const reference = bits === 0 || Math.floor(toInt(network) / Math.pow(2, 32 - bits)) === Math.floor(toInt(address) / Math.pow(2, 32 - bits))
        assert.equal(expected, reference, `mask ${mask}`)
      }),
      { numRuns: 300 },
    )
  })
})
