/**
 * `npm start`: the five ZeroMQ security patterns on loopback, in a temporary directory. For
 * each: a client that gets in and one that is refused, with the outcome, the reason and the
 * authenticated User-Id. Everything is Ironhouse on both sides; nothing else is needed.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  Authenticator,
  Certificate,
  Reply,
  Request,
  curveKeyPair,
  type AuthDecision,
  type ReplyOptions,
  type RequestOptions,
} from "../src/index.js"

const dir = await mkdtemp(join(tmpdir(), "ironhouse-demo-"))
const auth = new Authenticator()
let lastDecision: AuthDecision | undefined
auth.on("decision", (d) => (lastDecision = d))

/** One client attempt against a fresh server; prints what happened. */
async function attempt(label: string, server: ReplyOptions, client: RequestOptions, connectTo?: (port: string) => string) {
  lastDecision = undefined
  const rep = new Reply({ authenticate: auth.authenticate, ...server })
  await rep.bind(server.ipv6 ? "tcp://*:0" : "tcp://127.0.0.1:0")
  const port = /:(\d+)$/.exec(rep.lastEndpoint as string)?.[1] as string
  let serverSaw = ""
  rep.events.on("handshake:error:protocol", (e) => (serverSaw = `${e.error.code}`))
  rep.events.on("handshake:error:auth", (e) => (serverSaw = `status ${e.error.status}`))
  const req = new Request({ linger: 0, ...client })
  let clientSaw = "connection closed without a reason (no ERROR for this failure)"
  req.events.on("handshake:error:auth", (e) => (clientSaw = `AuthError, status ${e.error.status}`))
  req.events.on("handshake:error:protocol", (e) => (clientSaw = e.error.code))
  req.connect(connectTo ? connectTo(port) : `tcp://127.0.0.1:${port}`)
  void req.send("hello").catch(() => {})
  rep.receiveTimeout = 1000
  try {
    const { peer } = await rep.receiveWithPeer()
    const who = peer.userId === "" ? "(none: no authentication)" : JSON.stringify(peer.userId)
    console.log(`  \u2714 ${label}: admitted over ${peer.mechanism} from ${peer.address}, User-Id ${who}`)
  } catch {
    const decision = lastDecision as AuthDecision | undefined // set by the "decision" listener
    const why = decision ? `authenticator: ${decision.reason}` : `server: ${serverSaw || "no handshake"}`
    console.log(`  \u2718 ${label}: refused. ${why}; server event: ${serverSaw || "-"}; client saw: ${clientSaw}`)
  } finally {
    req.close()
    rep.close()
  }
}

console.log("1. Grasslands: NULL, no authentication")
await attempt("any client", {}, {})
console.log("   (nothing to refuse: anyone who reaches the port gets in)")

console.log("2. Strawhouse: NULL with an IP allow list (127.0.0.1 only)")
auth.allow({ domain: "strawhouse" }, "127.0.0.1")
const v6 = { ipv6: true, zapDomain: "strawhouse" }
await attempt("client from 127.0.0.1", v6, { ipv6: true })
await attempt("client from ::1", v6, { ipv6: true }, (port) => `tcp://[::1]:${port}`)

console.log("3. Woodhouse: PLAIN user name and passphrase")
await auth.configurePlain({ domain: "woodhouse", passwords: { admin: "s3cret" } })
const plain = { plainServer: true, zapDomain: "woodhouse" }
await attempt("admin / right password", plain, { plainUsername: "admin", plainPassword: "s3cret" })
await attempt("admin / wrong password", plain, { plainUsername: "admin", plainPassword: "guess" })

console.log("4. Stonehouse: CURVE, any client key; the client must know the server's key")
await auth.configureCurve({ domain: "stonehouse", allowAny: true })
const server = curveKeyPair()
const someone = curveKeyPair()
const stone = { curveServer: true, curveSecretKey: server.secretKey, zapDomain: "stonehouse" }
const keysOf = (k: { publicKey: string; secretKey: string }) => ({ curvePublicKey: k.publicKey, curveSecretKey: k.secretKey })
await attempt("client with the server key", stone, { curveServerKey: server.publicKey, ...keysOf(someone) })
await attempt("client with a wrong server key", stone, { curveServerKey: curveKeyPair().publicKey, ...keysOf(someone) })

console.log(`5. Ironhouse: CURVE, only client certificates found in ${dir}`)
const known = Certificate.generate({ name: "known-client" })
await known.savePublic(join(dir, "known-client.key"))
await auth.configureCurve({ domain: "ironhouse", certificates: dir })
const iron = { curveServer: true, curveSecretKey: server.secretKey, zapDomain: "ironhouse" }
const knownKeys = { curvePublicKey: known.publicKey, curveSecretKey: known.secretKey as string }
await attempt("known client", iron, { curveServerKey: server.publicKey, ...knownKeys })
await attempt("unknown client key", iron, { curveServerKey: server.publicKey, ...keysOf(curveKeyPair()) })

auth.close()
await rm(dir, { recursive: true, force: true })
console.log("\nSee examples/security/*.ts for each pattern in under 40 lines.")
