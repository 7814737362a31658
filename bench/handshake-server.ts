/**
 * CURVE handshakes per second, serving side: a CURVE REP socket that binds and echoes. Every
 * client connection costs it one handshake (HELLO/WELCOME/INITIATE/READY, RFC 26) and one
 * request/reply. No ZAP handler: both libzmq and Ironhouse then accept any client key.
 */
import { emit, runChild } from "./child.js"
import { isImplName, loadImpl, serverSecurity } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const { options, serverKey } = serverSecurity(impl, args.security)
  const reply = new impl.Reply(options)
  await reply.bind("tcp://127.0.0.1:*")
  emit("ready", { endpoint: reply.lastEndpoint, serverKey })
  for (;;) {
    const request = await reply.receive()
    await reply.send(request[0] ?? new Uint8Array(0))
  }
})
