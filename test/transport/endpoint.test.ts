import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { checkEndpointSyntax, formatTcpEndpoint, parseEndpoint, parseSocketEndpoint } from "../../src/transport/endpoint.js"

function rejects(text: unknown, usage: "bind" | "connect", kind: typeof TypeError | typeof RangeError, code: string, pattern: RegExp): void {
  assert.throws(
    () => parseEndpoint(text, usage),
    (err: unknown) => {
      assert.ok(err instanceof kind, `expected ${kind.name}, got ${String(err)}`)
      assert.equal((err as { code?: string }).code, code)
      assert.match((err as Error).message, pattern)
      return true
    },
  )
}

describe("parseEndpoint", () => {
  it("parses tcp endpoints: IPv4, bracketed IPv6, names, wildcard host and ephemeral ports", () => {
    assert.deepEqual(parseEndpoint("tcp://127.0.0.1:5555", "connect"), { transport: "tcp", host: "127.0.0.1", port: 5555 })
    assert.deepEqual(parseEndpoint("tcp://[::1]:5555", "connect"), { transport: "tcp", host: "::1", port: 5555 })
    assert.deepEqual(parseEndpoint("tcp://localhost:80", "connect"), { transport: "tcp", host: "localhost", port: 80 })
    assert.deepEqual(parseEndpoint("tcp://*:5555", "bind"), { transport: "tcp", host: "", port: 5555 })
    assert.deepEqual(parseEndpoint("tcp://127.0.0.1:*", "bind"), { transport: "tcp", host: "127.0.0.1", port: 0 })
    assert.deepEqual(parseEndpoint("tcp://127.0.0.1:0", "bind"), { transport: "tcp", host: "127.0.0.1", port: 0 })
  })

  it("parses tcp://SOURCE;DEST for connect: IP, bracketed IPv6, interface name or *, with an optional port", () => {
    const dest = { transport: "tcp", host: "127.0.0.1", port: 5555 }
    assert.deepEqual(parseEndpoint("tcp://127.0.0.2:0;127.0.0.1:5555", "connect"), { ...dest, source: { host: "127.0.0.2", port: 0 } })
    assert.deepEqual(parseEndpoint("tcp://127.0.0.2:6000;127.0.0.1:5555", "connect"), { ...dest, source: { host: "127.0.0.2", port: 6000 } })
    assert.deepEqual(parseEndpoint("tcp://127.0.0.2:*;127.0.0.1:5555", "connect"), { ...dest, source: { host: "127.0.0.2", port: 0 } })
    assert.deepEqual(parseEndpoint("tcp://127.0.0.2;127.0.0.1:5555", "connect"), { ...dest, source: { host: "127.0.0.2", port: 0 } })
    assert.deepEqual(parseEndpoint("tcp://lo:0;127.0.0.1:5555", "connect"), { ...dest, source: { host: "lo", port: 0 } })
    assert.deepEqual(parseEndpoint("tcp://*:7000;127.0.0.1:5555", "connect"), { ...dest, source: { host: "", port: 7000 } })
    assert.deepEqual(parseEndpoint("tcp://[::1]:0;[::1]:5555", "connect"), { transport: "tcp", host: "::1", port: 5555, source: { host: "::1", port: 0 } })
    assert.deepEqual(parseEndpoint("tcp://::1;[::1]:5555", "connect"), { transport: "tcp", host: "::1", port: 5555, source: { host: "::1", port: 0 } })
    assert.deepEqual(parseEndpoint("tcp://127.0.0.2:0;localhost:5555", "connect"), { transport: "tcp", host: "localhost", port: 5555, source: { host: "127.0.0.2", port: 0 } })
  })

  it("refuses a malformed source, a DNS name or unknown interface as source, and a source on bind", () => {
    rejects("tcp://127.0.0.1:0;127.0.0.1:5555", "bind", RangeError, "EINVAL", /applies to connect\(\) only/)
    rejects("tcp://;127.0.0.1:5555", "connect", RangeError, "EINVAL", /source address before ";"/)
    rejects("tcp://a;b;127.0.0.1:5555", "connect", RangeError, "EINVAL", /one ";"/)
    rejects("tcp://127.0.0.2:70000;127.0.0.1:5555", "connect", RangeError, "EINVAL", /source port 0-65535/)
    rejects("tcp://[::1:0;127.0.0.1:5555", "connect", RangeError, "EINVAL", /"\]"/)
    rejects("tcp://no-such-if9:0;127.0.0.1:5555", "connect", RangeError, "EINVAL", /network interface of this host \(.*lo.*\), got "no-such-if9"/)
    rejects("tcp://host.example.com:0;127.0.0.1:5555", "connect", RangeError, "EINVAL", /no DNS names/)
    rejects("tcp://127.0.0.2:0;[::1]:5555", "connect", RangeError, "EINVAL", /one address family, got IPv4 "127.0.0.2" and IPv6 "::1"/)
    // The destination is checked as without a source.
    rejects("tcp://127.0.0.2:0;127.0.0.1:0", "connect", RangeError, "EINVAL", /port 1-65535 to connect/)
  })

  it("parses ipc endpoints: absolute and relative paths, and the bind wildcard", () => {
    assert.deepEqual(parseEndpoint("ipc:///tmp/x.sock", "bind"), { transport: "ipc", path: "/tmp/x.sock" })
    assert.deepEqual(parseEndpoint("ipc://rel.sock", "connect"), { transport: "ipc", path: "rel.sock" })
    assert.deepEqual(parseEndpoint("ipc://*", "bind"), { transport: "ipc", path: "" })
  })

  it("refuses malformed endpoints with a RangeError coded EINVAL that says what is wrong", () => {
    rejects("tcp://127.0.0.1", "connect", RangeError, "EINVAL", /no port/)
    rejects("tcp://127.0.0.1:65536", "bind", RangeError, "EINVAL", /port 0-65535/)
    rejects("tcp://127.0.0.1:abc", "bind", RangeError, "EINVAL", /port 0-65535.*"abc"/)
    rejects("tcp://:5555", "connect", RangeError, "EINVAL", /expected a host/)
    rejects("tcp://[::1:5555", "connect", RangeError, "EINVAL", /"\]"/)
    rejects("tcp://127.0.0.1:0", "connect", RangeError, "EINVAL", /port 1-65535 to connect/)
    rejects("tcp://*:5555", "connect", RangeError, "EINVAL", /host to connect/)
    rejects("127.0.0.1:5555", "connect", RangeError, "EINVAL", /expected an endpoint like/)
    rejects("ipc://", "bind", RangeError, "EINVAL", /path after/)
    rejects("ipc://*", "connect", RangeError, "EINVAL", /path to connect/)
    rejects("ipc://@name", "bind", RangeError, "EINVAL", /abstract ipc endpoints .* not supported/)
    rejects(`ipc:///${"x".repeat(200)}`, "bind", RangeError, "EINVAL", /at most 107 octets, got 201/)
  })

  it("refuses a transport we do not implement with EPROTONOSUPPORT, and a non-string with a TypeError", () => {
    rejects("pgm://eth0;239.192.1.1:5555", "bind", RangeError, "EPROTONOSUPPORT", /tcp:\/\/, ipc:\/\/ and inproc:\/\/ only/)
    // inproc:// is for sockets (parseSocketEndpoint), not for the tcp/ipc transports.
    rejects("inproc://x", "bind", RangeError, "EPROTONOSUPPORT", /inproc:\/\/ is for sockets/)
    rejects("udp://1.2.3.4:5", "connect", RangeError, "EPROTONOSUPPORT", /got "udp"/)
    rejects(5555, "connect", TypeError, "EINVAL", /got number/)
  })

  it("errors carry zeromq's errno and the endpoint as address", () => {
    for (const [text, code, errno] of [["tcp://127.0.0.1", "EINVAL", 22], ["bogus://x", "EPROTONOSUPPORT", 93]] as const) {
      assert.throws(
        () => parseEndpoint(text, "connect"),
        (err: unknown) => {
          assert.deepEqual([(err as { code?: string }).code, (err as { errno?: number }).errno, (err as { address?: string }).address], [code, errno, text])
          return true
        },
      )
    }
  })

  it("checkEndpointSyntax (unbind/disconnect): transport://address with a known transport, nothing more", () => {
    assert.equal(checkEndpointSyntax("tcp://127.0.0.1:abc"), "tcp://127.0.0.1:abc") // looked up, then ENOENT
    assert.equal(checkEndpointSyntax("inproc://name"), "inproc://name")
    for (const text of ["", "tcp://", "tcp:/x", "://x", "ipc://"]) {
      assert.throws(() => checkEndpointSyntax(text), (err: unknown) => err instanceof RangeError && (err as { code?: string }).code === "EINVAL" && (err as { address?: string }).address === text)
    }
    assert.throws(() => checkEndpointSyntax("bogus://x"), (err: unknown) => err instanceof RangeError && (err as { code?: string }).code === "EPROTONOSUPPORT")
    assert.throws(() => checkEndpointSyntax(undefined), (err: unknown) => err instanceof TypeError && (err as { code?: string }).code === "EINVAL")
  })

  it("formats IPv6 hosts in brackets", () => {
    assert.equal(formatTcpEndpoint("::1", 5), "tcp://[::1]:5")
    assert.equal(formatTcpEndpoint("10.0.0.1", 5), "tcp://10.0.0.1:5")
  })
})

describe("parseSocketEndpoint's cache of parsed endpoints (issue 13)", () => {
  it("gives each endpoint text its own parse, frozen, and the same one again", () => {
    const a = parseSocketEndpoint("tcp://127.0.0.1:6001", "connect")
    const b = parseSocketEndpoint("tcp://127.0.0.1:6002", "connect")
    const c = parseSocketEndpoint("tcp://10.0.0.1;127.0.0.1:6001", "connect")
    assert.deepEqual(a, { transport: "tcp", host: "127.0.0.1", port: 6001 })
    assert.deepEqual(b, { transport: "tcp", host: "127.0.0.1", port: 6002 })
    assert.deepEqual(c, { transport: "tcp", host: "127.0.0.1", port: 6001, source: { host: "10.0.0.1", port: 0 } })
    assert.equal(parseSocketEndpoint("tcp://127.0.0.1:6001", "connect"), a, "parsed once")
    assert.ok(Object.isFrozen(a) && c.transport === "tcp" && Object.isFrozen(c.source), "a shared parse cannot be changed")
  })

  it("keeps bind and connect apart, and never caches a failure", () => {
    const source = "tcp://10.0.0.1;127.0.0.1:6003"
    assert.ok(parseSocketEndpoint(source, "connect"))
    assert.throws(() => parseSocketEndpoint(source, "bind"), /connect\(\) only/)
    assert.throws(() => parseSocketEndpoint("tcp://127.0.0.1:99999", "connect"), RangeError)
    assert.throws(() => parseSocketEndpoint("tcp://127.0.0.1:99999", "connect"), RangeError, "still refused the second time")
  })

  it("stays bounded: after many distinct endpoints every one still parses to itself", () => {
    for (let port = 1; port <= 600; port++) {
      const endpoint = parseSocketEndpoint(`tcp://127.0.0.1:${port}`, "connect")
      assert.equal(endpoint.transport === "tcp" ? endpoint.port : -1, port)
    }
    const again = parseSocketEndpoint("tcp://127.0.0.1:7", "connect")
    assert.equal(again.transport === "tcp" ? again.port : -1, 7)
  })
})
