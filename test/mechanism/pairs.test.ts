/**
 * Property: every client/server pair of every mechanism reaches READY — random keys, random
 * metadata, random credentials, every command carried through the real frame codec cut into
 * random chunks — and then exchanges traffic both ways.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { publicFromSecret } from "../../src/crypto/index.js"
import { createMechanism, type SecurityOptions } from "../../src/mechanism/index.js"
import { getProperty } from "../../src/wire/metadata.js"
import type { Metadata } from "../../src/wire/types.js"
import { seededRandom } from "../helpers/chunking.js"
import { hex, mechanismOptions, pump, testEnv } from "./pump.js"

const metadataArb: fc.Arbitrary<Metadata> = fc
  .uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[A-Za-z0-9\-_.+]{1,24}$/),
      value: fc.uint8Array({ maxLength: 64 }),
    }),
    { selector: (p) => p.name.toLowerCase(), maxLength: 6 },
  )
  .map((props) => new Map(props.map((p) => [p.name, p.value])))

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 })

/** Cut each serialized frame at random points, from a seed. */
function chunker(seed: number): (bytes: Uint8Array) => Uint8Array[] {
  const random = seededRandom(seed)
  return (bytes) => {
    const out: Uint8Array[] = []
    let at = 0
    while (at < bytes.length) {
      const n = 1 + Math.floor(random() * Math.min(64, bytes.length - at))
      out.push(bytes.slice(at, at + n))
      at += n
    }
    return out
  }
}

const securityArb: fc.Arbitrary<{ client: SecurityOptions; server: SecurityOptions; expectKey?: Uint8Array }> = fc.oneof(
  fc.constant({ client: { mechanism: "NULL" as const, asServer: false }, server: { mechanism: "NULL" as const, asServer: true } }),
  fc
    .record({ user: fc.string({ maxLength: 60 }), pass: fc.string({ maxLength: 60 }) })
    .map(({ user, pass }) => ({
      client: { mechanism: "PLAIN" as const, asServer: false, plainUsername: user, plainPassword: pass },
      server: { mechanism: "PLAIN" as const, asServer: true },
    })),
  fc.record({ clientSecret: keyArb, serverSecret: keyArb }).map(({ clientSecret, serverSecret }) => {
    const clientPublic = publicFromSecret(clientSecret)
    return {
      client: {
        mechanism: "CURVE" as const,
        asServer: false,
        curvePublicKey: clientPublic,
        curveSecretKey: clientSecret,
        curveServerKey: publicFromSecret(serverSecret),
      },
      server: { mechanism: "CURVE" as const, asServer: true, curveSecretKey: serverSecret },
      expectKey: clientPublic,
    }
  }),
)

const sameMetadata = (got: Metadata, sent: Metadata): void => {
  assert.equal(got.size, sent.size)
  for (const [name, value] of sent) assert.equal(hex(getProperty(got, name) ?? new Uint8Array([1])), hex(value), name)
}

describe("mechanism pairs", () => {
  it("property: every pair reaches ready through the frame codec in any chunking, then talks both ways", () => {
    fc.assert(
      fc.property(
        securityArb,
        metadataArb,
        metadataArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(fc.record({ more: fc.boolean(), command: fc.boolean(), body: fc.uint8Array({ maxLength: 100 }) }), { maxLength: 4 }),
        (security, clientMd, serverMd, authenticate, seed, frames) => {
          const client = createMechanism(security.client, mechanismOptions({ env: testEnv(seed), metadata: clientMd, authenticate: false }))
          const server = createMechanism(security.server, mechanismOptions({ env: testEnv(seed + 1), metadata: serverMd, authenticate }))
          const r = pump(client, server, { chunk: chunker(seed), authenticate: () => ({ status: 200, userId: "u" }) })
          assert.ok(r.client.ready, `client not ready: ${String(r.client.thrown ?? r.client.failed)}`)
          assert.ok(r.server.ready, `server not ready: ${String(r.server.thrown ?? r.server.failed)}`)
          sameMetadata(r.server.ready.peerMetadata, clientMd)
          sameMetadata(r.client.ready.peerMetadata, serverMd)
          if (security.expectKey) assert.equal(hex(r.server.ready.peerPublicKey ?? new Uint8Array()), hex(security.expectKey))
          const asked = security.client.mechanism === "PLAIN" || authenticate
          assert.equal(r.authRequests.length, asked ? 1 : 0)
          for (const f of frames) {
            for (const [from, to] of [
              [client, server],
              [server, client],
            ] as const) {
              const out = to.decode(from.encode({ ...f, body: f.body.slice() }))
              assert.equal(out.more, f.more)
              assert.equal(out.command, f.command)
              assert.equal(hex(out.body), hex(f.body))
            }
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})
