/**
 * Handshake under flood, serving side: a CURVE REP socket that binds and echoes, and reports
 * its pid so the measuring client can read this process's resident memory while the flood is
 * held. No ZAP handler (both libzmq and Ironhouse then accept any client key). Ironhouse runs
 * with its defaults (maxPendingHandshakes 4096, greetingTimeout 5 s), libzmq with its own (no
 * cap). `backlog` is raised for both: Linux answers connects beyond a small listen backlog with
 * a 1 s SYN retry, which would only slow the flood's setup down.
 */
import { emit, runChild } from "./child.js"
import { isImplName, loadImpl, serverSecurity } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const { options, serverKey } = serverSecurity(impl, args.security)
  const reply = new impl.Reply({ ...options, backlog: 4096 })
  await reply.bind("tcp://127.0.0.1:*")
  emit("ready", { endpoint: reply.lastEndpoint, serverKey, pid: process.pid })
  for (;;) {
    const request = await reply.receive()
    await reply.send(request[0] ?? new Uint8Array(0))
  }
})
