/**
 * The gateway's config model, schema and route planning (pure: text in, config or problems
 * out): TOML and JSON, one problem per line with the TOML line, the cross-field rules, the
 * socket shapes per pattern/side/flow, and the line locator.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { REPO_ROOT } from "../cert/helpers.js"
import { formatProblem, parseConfig, tomlLocator } from "../../src/gateway/config.js"
import { parseListen, planGateway, sameShape } from "../../src/gateway/plan.js"

const KEY = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"

function plan(text: string, file = "g.toml") {
  const parsed = parseConfig(text, file)
  if (!parsed.ok) return { problems: parsed.problems.map(formatProblem) }
  const planned = planGateway(parsed.config, file, parsed.locate)
  return planned.ok ? { plan: planned.plan } : { problems: planned.problems.map(formatProblem) }
}

const server = (extra = "", pattern = "req-rep") => `
[[route]]
name = "r"
pattern = "${pattern}"
side = "server"
outside = "tcp://0.0.0.0:5555"
inside = "ipc:///tmp/app.sock"
${extra}
[route.curve]
certificate = "server.key_secret"
allowAny = true
`

describe("gateway config: parsing and schema", () => {
  it("a minimal server route: defaults filled in (audit stdout, linger 5000, bind outside, connect inside)", () => {
    const r = plan(server())
    assert.ok(r.plan, JSON.stringify(r.problems))
    assert.equal(r.plan.audit, "stdout")
    assert.equal(r.plan.linger, 5000)
    const route = r.plan.routes[0]
    assert.deepEqual(route?.outside, { socketType: "ROUTER", action: "bind", address: "tcp://0.0.0.0:5555" })
    assert.deepEqual(route?.inside, { socketType: "DEALER", action: "connect", address: "ipc:///tmp/app.sock" })
    assert.equal(route?.identity, "off")
    assert.deepEqual(route?.security, { kind: "curve-server", certificate: "server.key_secret", clients: undefined, allowAny: true, keyCheck: undefined })
  })

  it("JSON works the same way", () => {
    const json = JSON.stringify({
      route: [{ name: "r", pattern: "push-pull", side: "client", outside: "tcp://gw:5555", inside: { connect: "tcp://127.0.0.1:7000" }, curve: { certificate: "c.key_secret", serverKey: KEY } }],
    })
    const parsed = parseConfig(json, "g.json")
    assert.ok(parsed.ok)
    const planned = planGateway(parsed.config, "g.json")
    assert.ok(planned.ok)
    const route = planned.plan.routes[0]
    assert.equal(route?.flow, "out")
    assert.deepEqual(route?.inside, { socketType: "PULL", action: "connect", address: "tcp://127.0.0.1:7000" })
    assert.deepEqual(route?.outside, { socketType: "PUSH", action: "connect", address: "tcp://gw:5555" })
  })

  it("TOML syntax errors give the line; JSON syntax errors too", () => {
    assert.deepEqual(plan('linger = 1\nroute = \nname = "x"\n').problems, ["g.toml:2: expected valid TOML: invalid value"])
    const parsed = parseConfig('{\n  "route": [,]\n}', "g.json")
    assert.equal(parsed.ok, false)
    if (!parsed.ok) assert.match(formatProblem(parsed.problems[0] as never), /^g\.json(:2)?: expected valid JSON/)
  })

  it("no routes, wrong types, unknown keys: one problem each", () => {
    assert.deepEqual(plan("").problems, ["g.toml: route: expected array, got nothing"])
    assert.deepEqual(plan("route = []").problems, ["g.toml:1: route: expected at least one [[route]]"])
    const r = plan(`audt = "stdout"\n${server('highWaterMark = -1\nflow = "sideways"')}`)
    assert.deepEqual(r.problems, [
      'g.toml:10: route[0].flow: expected one of "in", "out", got "sideways"',
      "g.toml:9: route[0].highWaterMark: expected at least 0, got -1",
      "g.toml:1: audt: unknown field (a typo, or a field of another section?)",
    ])
  })

  it("secrets cannot be inline: a secretKey field is unknown", () => {
    const inline = "Q".repeat(40) // stands for a key someone pasted into the file
    const r = plan(server().replace("allowAny = true", `allowAny = true\nsecretKey = "${inline}"`))
    assert.equal(r.problems?.length, 1)
    assert.match(r.problems?.[0] ?? "", /route\[0\]\.curve\.secretKey: unknown field/)
    assert.ok(!(r.problems?.[0] ?? "").includes(inline), "the value is never echoed")
  })
})

describe("gateway config: cross-field rules (plan)", () => {
  it("security fields must fit the side", () => {
    const r = plan(server().replace("allowAny = true", `allowAny = true\nserverKey = "${KEY}"`))
    assert.deepEqual(r.problems, ["g.toml:12: route[0].curve.serverKey: expected this field only on a client side (a server side holds the server's own key)"])
    const both = plan(server().replace("allowAny = true", 'allowAny = true\nclients = "c"'))
    assert.deepEqual(both.problems, ["g.toml:9: route[0].curve: expected one of clients, keyCheck or allowAny, got 2"])
    const none = plan(server().replace(/\[route\.curve\][^]*$/, ""))
    assert.deepEqual(none.problems, ["g.toml:2: route[0]: expected a [route.curve] or a [route.plain] table (the outside is always secured), got neither"])
  })

  it("a client side needs a server key of 40 Z85 characters", () => {
    const text = `[[route]]\nname = "c"\npattern = "req-rep"\nside = "client"\noutside = "tcp://gw:1"\ninside = "tcp://127.0.0.1:*"\n[route.curve]\ncertificate = "c.key_secret"\nserverKey = "short"\n`
    assert.deepEqual(plan(text).problems, ["g.toml:9: route[0].curve.serverKey: expected a public key of 40 Z85 characters, got 5 characters"])
  })

  it("keyCheck wants exactly one of command or url, and an http(s) URL", () => {
    const keyCheck = (table: string) => plan(server().replace("allowAny = true", `keyCheck = ${table}`))
    assert.match(keyCheck("{ timeout = 5 }").problems?.[0] ?? "", /route\[0\]\.curve\.keyCheck: expected command = \[ARGV\.\.\.\] or url/)
    assert.match(keyCheck('{ command = ["x"], url = "http://h/" }').problems?.[0] ?? "", /expected one of command or url, got both/)
    assert.match(keyCheck('{ url = "ftp://h/" }').problems?.[0] ?? "", /keyCheck\.url: expected an http:\/\/ or https:\/\/ URL/)
    assert.deepEqual(keyCheck('{ url = "https://auth.example/check" }').plan?.routes[0]?.security, {
      kind: "curve-server",
      certificate: "server.key_secret",
      clients: undefined,
      allowAny: false,
      keyCheck: { url: "https://auth.example/check", timeout: 2000 },
    })
  })

  it("identity only where it means something; flow not for req-rep", () => {
    assert.match(plan(server('identity = "user-id"', "pub-sub")).problems?.[0] ?? "", /identity: expected identity only for req-rep and push-pull/)
    assert.match(plan(server('identity = "user-id"\nflow = "out"', "push-pull")).problems?.[0] ?? "", /identity on push-pull only with flow = "in"/)
    assert.match(plan(server('flow = "in"')).problems?.[0] ?? "", /route\[0\]\.flow: expected no flow for req-rep/)
    assert.ok(plan(server('identity = "json"')).plan)
  })

  it("names and bound endpoints are unique; endpoints and address rules are checked", () => {
    const r = plan(server() + server().replace("ipc:///tmp/app.sock", "tcp://127.0.0.1:9"))
    assert.deepEqual(r.problems, [
      'g.toml:14: route[1].name: expected a unique route name, got "r" again (also route[0])',
      'g.toml:17: route[1].outside: expected an endpoint no other route binds, got "tcp://0.0.0.0:5555" (also route[0].outside)',
    ])
    const bad = plan(server('\n[route.addresses]\ndeny = ["300.1.1.1"]').replace('inside = "ipc:///tmp/app.sock"', 'inside = "udp://x:1"'))
    assert.equal(bad.problems?.length, 2, JSON.stringify(bad.problems))
    assert.match(bad.problems?.[0] ?? "", /^g\.toml:7: route\[0\]\.inside: expected transport "tcp" or "ipc", got "udp"/)
    assert.match(bad.problems?.[1] ?? "", /route\[0\]\.addresses\.deny\[0\]/)
  })

  it("socket shapes per pattern, side and flow; defaults make a client and a server side fit", () => {
    const shapes: string[] = []
    for (const pattern of ["req-rep", "pub-sub", "push-pull"]) {
      for (const side of ["server", "client"]) {
        const security = side === "server" ? 'allowAny = true' : `serverKey = "${KEY}"`
        const r = plan(`[[route]]\nname = "x"\npattern = "${pattern}"\nside = "${side}"\noutside = "tcp://127.0.0.1:1"\ninside = "tcp://127.0.0.1:2"\n[route.curve]\ncertificate = "k"\n${security}\n`)
        const route = r.plan?.routes[0]
        shapes.push(`${pattern} ${side} ${route?.flow}: ${route?.outside.socketType}/${route?.inside.socketType} front ${route?.front}`)
      }
    }
    assert.deepEqual(shapes, [
      "req-rep server in: ROUTER/DEALER front outside",
      "req-rep client out: DEALER/ROUTER front inside",
      "pub-sub server out: XPUB/XSUB front outside",
      "pub-sub client in: XSUB/XPUB front outside",
      "push-pull server in: PULL/PUSH front outside",
      "push-pull client out: PUSH/PULL front outside",
    ])
  })

  it("metrics listen address; sameShape decides between update and rebuild on reload", () => {
    assert.deepEqual(parseListen("0.0.0.0:9464"), { host: "0.0.0.0", port: 9464 })
    assert.deepEqual(parseListen(9464), { host: "127.0.0.1", port: 9464 })
    assert.deepEqual(parseListen("[::1]:9"), { host: "::1", port: 9 })
    assert.equal(parseListen("host:99999"), null)
    assert.deepEqual(plan(`metrics = "nope:"\n${server()}`).problems, ['g.toml:1: metrics: expected "HOST:PORT" or a port number (0-65535)'])
    const a = plan(server()).plan?.routes[0]
    const b = plan(server().replace("allowAny = true", 'clients = "dir"')).plan?.routes[0]
    const c = plan(server().replace("0.0.0.0:5555", "0.0.0.0:5556")).plan?.routes[0]
    assert.ok(a && b && c)
    assert.equal(sameShape(a, b), true, "a new client directory is an update")
    assert.equal(sameShape(a, c), false, "a new endpoint is a rebuild")
  })

  it("the TOML locator: array-of-tables, sub-tables, dotted keys, inline tables, fallback to the table", () => {
    const locate = tomlLocator('a = 1\n[[route]]\nname = "x"\n[route.curve]\nclients = "d"\n[[route]]\ninside = { bind = "tcp://*:1" }\nb.c = 2\n')
    assert.equal(locate(["a"]), 1)
    assert.equal(locate(["route", 0, "name"]), 3)
    assert.equal(locate(["route", 0, "curve", "clients"]), 5)
    assert.equal(locate(["route", 0, "curve", "missing"]), 4)
    assert.equal(locate(["route", 1, "inside", "bind"]), 7)
    assert.equal(locate(["route", 1, "b", "c"]), 8)
    assert.equal(locate(["route", 1, "pattern"]), 6)
    assert.equal(locate(["nothing"]), undefined)
  })
})

describe("gateway config: the README's examples", () => {
  it("every TOML block of the README's gateway section parses and plans", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8")
    const start = readme.indexOf("## Secure gateway")
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1))
    const blocks = [...section.matchAll(/```toml\n([^]*?)```/g)].map((m) => m[1] as string)
    assert.ok(blocks.length >= 4, `found ${blocks.length} TOML blocks`)
    for (const block of blocks) {
      const r = plan(block, "README.md")
      assert.ok(r.plan, `${block}\n${JSON.stringify(r.problems)}`)
    }
  })
})
