/**
 * Stream access, live: one publisher encrypts a ticker once per message, a keyless repeater
 * forwards it, two approved readers decrypt it, and then one reader is revoked by deleting its
 * certificate file: it stays subscribed and keeps receiving every byte, but opens nothing of
 * the new epoch, while the other reader loses nothing.
 *
 *   npm run build:test && node build/examples/stream-access/live.js
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  Authenticator,
  Certificate,
  CertificateStore,
  Publisher,
  Router,
  SecurePublisher,
  SecureSubscriber,
  signKeyPair,
  Subscriber,
} from "../../src/index.js"
import { startRepeater } from "./repeater.js"

const dir = await mkdtemp(join(tmpdir(), "stream-readers-"))
const alice = Certificate.generate({ name: "alice" })
const bob = Certificate.generate({ name: "bob" })
await alice.savePublic(join(dir, "alice.key")) // the reader list is this directory
await bob.savePublic(join(dir, "bob.key"))

// --- publisher: its long-term Ed25519 key, the reader directory, a key service ------------------
const signing = signKeyPair() // readers are configured with signing.publicKey
const serviceCert = Certificate.generate({ name: "key service" })
const store = await CertificateStore.open(dir, { watch: true, interval: 100 })
const auth = new Authenticator()
await auth.configureCurve({ certificates: dir }) // the Ironhouse pattern guards the key service

const repeater = await startRepeater()
const pub = new Publisher()
pub.connect(repeater.upstream)
let tick = 0
const publisher = new SecurePublisher({ socket: pub, signingKey: signing, readers: store })
let commitTick = Infinity
publisher.on("commit", (c) => {
  commitTick = tick
  console.log(`publisher: epoch ${c.epoch} (+${c.added} -${c.removed} readers), commit ${c.bytes} B, from tick ${tick} on`)
})
const keyService = new Router({ curveServer: true, curveSecretKey: serviceCert.secretKey as string, authenticate: auth.authenticate })
await keyService.bind("tcp://127.0.0.1:*")
void publisher.serveKeys(keyService)

// --- two readers behind the repeater ------------------------------------------------------------
function reader(name: string, cert: Certificate): { secure: SecureSubscriber; socket: Subscriber } {
  const socket = new Subscriber()
  socket.connect(repeater.downstream)
  const secure = new SecureSubscriber({
    socket,
    publicKey: cert.publicKey,
    secretKey: cert.secretKey as string,
    publisherKey: signing.publicKey,
    keyService: { endpoint: keyService.lastEndpoint as string, serverKey: serviceCert.publicKey },
    keyServiceTimeout: 1000,
  })
  let refused = 0
  secure.on("rejected", (r) => {
    if (refused++ % 10 === 0) console.log(`  ${name}: refused a message (${r.reason}, epoch ${r.epoch ?? "-"})`)
  })
  secure.subscribe("ticker.")
  return { secure, socket }
}
const readers = { alice: reader("alice", alice), bob: reader("bob", bob) }
await Promise.all([readers.alice.secure.fetchKeys(), readers.bob.secure.fetchKeys()]) // one round trip each

const seen = { alice: [] as string[], bob: [] as string[] }
for (const name of ["alice", "bob"] as const) {
  void (async () => {
    for await (const [, body] of readers[name].secure) seen[name].push(body.toString())
  })().catch(() => undefined)
}

const ticker = setInterval(() => void publisher.send(["ticker.eurusd", `tick ${tick++}`]), 10)
await new Promise((r) => setTimeout(r, 500))
console.log(`before revocation: alice read ${seen.alice.length}, bob read ${seen.bob.length} ticks (epoch ${publisher.epoch})`)

console.log("revoking bob: deleting his certificate file")
const revokedAt = { bob: seen.bob.length, alice: seen.alice.length }
await rm(join(dir, "bob.key"))
await new Promise((r) => setTimeout(r, 800)) // the watcher picks it up; one commit, a new epoch
clearInterval(ticker)
await publisher.flush()
await new Promise((r) => setTimeout(r, 100))

const number = (t: string | undefined): number => Number(t?.split(" ")[1] ?? -1)
console.log(`after revocation: alice read ${seen.alice.length - revokedAt.alice} more; bob ${seen.bob.length - revokedAt.bob} more, the last one tick ${number(seen.bob.at(-1))}, sent before the commit (tick ${commitTick})`)
console.log(`alice missed none: ${seen.alice.every((t, i) => i === 0 || number(t) === number(seen.alice[i - 1]) + 1)}`)
const plaintext = Buffer.concat(repeater.captured).includes("tick ")
console.log(`the repeater forwarded ${repeater.captured.length} frames; plaintext among them: ${plaintext}`)

await publisher.close()
for (const r of Object.values(readers)) {
  r.secure.close()
  r.socket.close()
}
pub.close()
keyService.close()
await repeater.close()
store.close()
auth.close()
await rm(dir, { recursive: true })
