/**
 * One test per error code the mechanisms can raise, each asserting the code — plus a check that
 * this table covers every ErrorCode the mechanism sources mention.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readdirSync, readFileSync } from "node:fs"
import { AuthError, ErrorCode } from "../../src/errors.js"
import { CurveClient } from "../../src/mechanism/curve-client.js"
import { CurveServer } from "../../src/mechanism/curve-server.js"
import { NullMechanism } from "../../src/mechanism/null.js"
import { PlainServer } from "../../src/mechanism/plain-server.js"
import type { MechanismOutput } from "../../src/mechanism/mechanism.js"
import { LIBZMQ_CLIENT_KEYS, LIBZMQ_SERVER_KEYS } from "../vectors/z85.js"
import { craftHello, craftedClient } from "./curve-craft.js"
import { bytes, codeOf, mechanismOptions, pump, testEnv, utf8 } from "./pump.js"

const curvePair = () => {
  const client = new CurveClient(
    { publicKey: LIBZMQ_CLIENT_KEYS.publicKey, secretKey: LIBZMQ_CLIENT_KEYS.secretKey, serverKey: LIBZMQ_SERVER_KEYS.publicKey },
    mechanismOptions({ env: testEnv(1) }),
  )
  const server = new CurveServer({ secretKey: LIBZMQ_SERVER_KEYS.secretKey }, mechanismOptions({ env: testEnv(2) }))
  const r = pump(client, server)
  assert.ok(r.client.ready && r.server.ready)
  return { client, server }
}
const curveServer = () => new CurveServer({ secretKey: LIBZMQ_SERVER_KEYS.secretKey }, mechanismOptions({ env: testEnv() }))
const curveClientStarted = () => {
  const c = new CurveClient(
    { publicKey: LIBZMQ_CLIENT_KEYS.publicKey, secretKey: LIBZMQ_CLIENT_KEYS.secretKey, serverKey: LIBZMQ_SERVER_KEYS.publicKey },
    mechanismOptions({ env: testEnv() }),
  )
  c.start()
  return c
}
const nullStarted = () => {
  const m = new NullMechanism(false, mechanismOptions({ env: testEnv(), authenticate: false }))
  m.start()
  return m
}

/** The error a mechanism reports for some input: thrown, or carried by a `failed` output. */
function errorOf(fn: () => MechanismOutput[] | unknown): unknown {
  try {
    const result = fn()
    const failed = Array.isArray(result) ? (result as MechanismOutput[]).find((o) => o.type === "failed") : undefined
    return failed?.type === "failed" ? failed.error : undefined
  } catch (err) {
    return err
  }
}

const triggers: Partial<Record<ErrorCode, () => unknown>> = {
  [ErrorCode.UNEXPECTED_COMMAND]: () => errorOf(() => new PlainServer(mechanismOptions({ env: testEnv() })).receive({ name: "WELCOME", data: bytes() })),
  [ErrorCode.INVALID_SEQUENCE]: () => {
    const { client, server } = curvePair()
    const m = client.encode({ more: false, command: false, body: bytes(1) })
    const replay = m.body.slice()
    server.decode(m)
    return errorOf(() => server.decode({ more: false, command: false, body: replay }))
  },
  [ErrorCode.KEY_EXCHANGE]: () => {
    const hello = craftHello(craftedClient(), LIBZMQ_SERVER_KEYS.publicKey)
    hello.data.fill(0, 74, 106)
    return errorOf(() => curveServer().receive(hello))
  },
  [ErrorCode.MALFORMED_COMMAND_UNSPECIFIED]: () => {
    const { server } = curvePair()
    return errorOf(() => server.decode({ more: false, command: false, body: bytes(0) }))
  },
  [ErrorCode.MALFORMED_COMMAND_MESSAGE]: () => {
    const { server } = curvePair()
    const short = Uint8Array.from([7, ...utf8("MESSAGE"), ...new Uint8Array(24)])
    return errorOf(() => server.decode({ more: false, command: false, body: short }))
  },
  [ErrorCode.MALFORMED_COMMAND_HELLO]: () => errorOf(() => curveServer().receive({ name: "HELLO", data: new Uint8Array(193) })),
  [ErrorCode.MALFORMED_COMMAND_INITIATE]: () => {
    const server = curveServer()
    server.receive(craftHello(craftedClient(), LIBZMQ_SERVER_KEYS.publicKey))
    return errorOf(() => server.receive({ name: "INITIATE", data: new Uint8Array(247) }))
  },
  [ErrorCode.MALFORMED_COMMAND_ERROR]: () => errorOf(() => nullStarted().receive({ name: "ERROR", data: bytes(2, 0x34) })),
  [ErrorCode.MALFORMED_COMMAND_READY]: () => {
    const client = (() => {
      const c = new CurveClient(
        { publicKey: LIBZMQ_CLIENT_KEYS.publicKey, secretKey: LIBZMQ_CLIENT_KEYS.secretKey, serverKey: LIBZMQ_SERVER_KEYS.publicKey },
        mechanismOptions({ env: testEnv(3) }),
      )
      const s = new CurveServer({ secretKey: LIBZMQ_SERVER_KEYS.secretKey }, mechanismOptions({ env: testEnv(4) }))
      const hello = c.start()[0]
      assert.ok(hello?.type === "command")
      const welcome = s.receive(hello.command)[0]
      assert.ok(welcome?.type === "command")
      c.receive(welcome.command)
      return c
    })()
    return errorOf(() => client.receive({ name: "READY", data: new Uint8Array(23) }))
  },
  [ErrorCode.MALFORMED_COMMAND_WELCOME]: () => errorOf(() => curveClientStarted().receive({ name: "WELCOME", data: new Uint8Array(100) })),
  [ErrorCode.INVALID_METADATA]: () => errorOf(() => nullStarted().receive({ name: "READY", data: bytes(0) })),
  [ErrorCode.CRYPTOGRAPHIC]: () => errorOf(() => curveClientStarted().receive({ name: "WELCOME", data: new Uint8Array(160) })),
  [ErrorCode.ZAP_INVALID_STATUS_CODE]: () => {
    const server = new PlainServer(mechanismOptions({ env: testEnv() }))
    server.receive({ name: "HELLO", data: bytes(0, 0) })
    return errorOf(() => server.authReply({ status: 401 }))
  },
  [ErrorCode.ZAP_MALFORMED_REPLY]: () => {
    const server = new PlainServer(mechanismOptions({ env: testEnv() }))
    server.receive({ name: "HELLO", data: bytes(0, 0) })
    return errorOf(() => server.authReply({ status: 200, userId: 42 as unknown as string }))
  },
  [ErrorCode.UNSPECIFIED]: () => errorOf(() => nullStarted().receive({ name: "ERROR", data: bytes(4, ...utf8("nope")) })),
  [ErrorCode.AUTH_FAILED]: () => {
    const server = new PlainServer(mechanismOptions({ env: testEnv() }))
    server.receive({ name: "HELLO", data: bytes(0, 0) })
    const err = errorOf(() => server.authReply({ status: 400 }))
    assert.ok(err instanceof AuthError && err.status === 400)
    return err
  },
}

describe("every error code the mechanisms raise", () => {
  for (const [code, trigger] of Object.entries(triggers)) {
    it(`raises ${code}`, () => {
      assert.equal(codeOf((trigger as () => unknown)()), code)
    })
  }

  it("the table above covers every ErrorCode mentioned in src/mechanism", () => {
    const dir = new URL("../../src/mechanism/", import.meta.url)
    const mentioned = new Set<string>()
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
      for (const m of readFileSync(new URL(file, dir), "utf8").matchAll(/ErrorCode\.([A-Z_]+)/g)) {
        mentioned.add(ErrorCode[m[1] as keyof typeof ErrorCode])
      }
    }
    assert.ok(mentioned.size > 5)
    for (const code of mentioned) assert.ok(code in triggers, `no test for ${code}`)
  })
})
