/**
 * The server side of the PLAIN case of test/fault/secrets.test.ts, in its own process (run
 * with glibc's MALLOC_PERTURB_, so that freed malloc blocks are overwritten: Node frees the
 * 64 KiB buffer a socket read arrived in without zeroing it, which no library can change, and
 * what matters here is whether anything still *holds* the password). It starts a PLAIN ROUTER,
 * runs the client (./plain-child.js) in another process, which reports its random password only
 * masked, completes the handshake and one exchange, then scans its own memory and prints one
 * JSON line: { memory, strings, scannedBytes }.
 */
import { spawn } from "node:child_process"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as ih from "../../src/index.js"
import { cryptoReady } from "../../src/crypto/index.js"
import { MaskedSecret, scanHeapSnapshot, scanProcessMemory } from "./memory-scan.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void
await cryptoReady()

let secret: MaskedSecret | undefined
const router = new ih.Router({
  linger: 0,
  plainServer: true,
  authenticate: ({ credentials }) => {
    // Compare without ever holding the raw password (masked, octet by octet).
    const pw = credentials[1] as Uint8Array
    const ok = secret !== undefined && pw.length === secret.length && secret.matchesAt(pw, 0)
    return ok ? { status: 200, userId: "alice" } : { status: 400 }
  },
})
await router.bind("tcp://127.0.0.1:*")
const child = spawn(process.execPath, [new URL("./plain-child.js", import.meta.url).pathname, router.lastEndpoint as string], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, MALLOC_PERTURB_: "" },
})
let out = ""
child.stdout.setEncoding("latin1")
const done = new Promise<void>((resolve) => {
  child.stdout.on("data", (d: string) => {
    out += d
    if (secret === undefined && out.includes("\n")) {
      const [maskHex, maskedHex] = (out.split("\n")[0] as string).split(" ")
      secret = MaskedSecret.fromMasked("PLAIN password", Buffer.from(maskHex as string, "hex"), Buffer.from(maskedHex as string, "hex"))
    }
    if (out.includes("done")) resolve()
  })
})
const [id, body] = await router.receive()
if (body?.toString() !== "logged in") throw new Error("unexpected message")
await router.send([id as Buffer, "bye"])
await done
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 20))
  gc()
}
const s = secret as MaskedSecret
const scan = scanProcessMemory([s])
const strings = scanHeapSnapshot([s])
process.stdout.write(
  `${JSON.stringify({ memory: scan.found.get(s.label), where: scan.where.get(s.label), strings: strings.get(s.label), scannedBytes: scan.scannedBytes })}\n`,
)
router.close()
process.exit(0)
