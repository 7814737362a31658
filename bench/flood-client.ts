/**
 * Handshake under flood, measuring side (issue 8 item 6): hold `count` connections to the
 * server in every pre-authentication state (test/socket/flood-helpers.ts: silent, part of a
 * greeting, a greeting, a CURVE HELLO and no INITIATE; from 127.0.0.2, "another host"), let the
 * server settle, then time `LEGIT_RUNS` legitimate CURVE clients of the same implementation,
 * each a fresh REQ socket: connect + handshake + one request/reply. Reports the median time,
 * the server's resident memory while the flood is held (read from /proc, Linux only) and how
 * many flood connections the server kept open.
 */
import { readFileSync } from "node:fs"
import { holdFlood } from "../test/socket/flood-helpers.js"
import { need, needText, runChild, sleep } from "./child.js"
import { clientSecurity, isImplName, loadImpl } from "./impl.js"
import { median } from "./stats.js"

const LEGIT_RUNS = 5
/** Time for the server to work through the flood's greetings and HELLOs before measuring. */
const SETTLE_MS = 2000

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  if (match === null) throw new Error("no VmRSS in /proc status")
  return Number(match[1]) * 1024
}

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const count = need(args.count, "count")
  const pid = need(args.serverPid, "serverPid")
  const endpoint = needText(args.endpoint, "endpoint")
  const port = Number(endpoint.split(":").pop())
  const rssBefore = rssOf(pid)
  const flood = await holdFlood({
    port,
    mechanism: args.security,
    serverKey: args.serverKey,
    count,
    localAddresses: ["127.0.0.2"],
    batch: 200,
  })
  await sleep(SETTLE_MS)
  const times: number[] = []
  for (let i = 0; i < LEGIT_RUNS; i++) {
    const options = { ...clientSecurity(impl, args.security, args.serverKey), linger: 0 }
    const started = performance.now()
    const request = new impl.Request(options)
    await request.connect(endpoint)
    await request.send(new Uint8Array(64))
    await request.receive()
    times.push(performance.now() - started)
    await request.close()
  }
  const rss = rssOf(pid)
  const heldOpen = flood.open
  flood.close()
  return { count, legitMs: median(times), times, serverRss: rss, serverRssBefore: rssBefore, heldOpen }
})
