/**
 * REQ/REP round trip through one gateway (issue 12): a REP application (Ironhouse, NULL)
 * binds and echoes, an `ironhouse gateway` process puts CURVE in front of it, and the usual
 * latency-client measures through the gateway.
 */
import { emit, runChild, untilKilled } from "./child.js"
import { startGateway } from "./gateway-process.js"
import { isImplName, loadImpl } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const reply = new impl.Reply({})
  await reply.bind("tcp://127.0.0.1:*")
  const gateway = await startGateway("req-rep", reply.lastEndpoint as string)
  emit("ready", { endpoint: gateway.endpoint, serverKey: gateway.serverKey })
  // The orchestrator kills this process (SIGKILL); the gateway's watchdog sees its stdin close.
  void (async () => {
    for (;;) {
      const request = await reply.receive()
      await reply.send(request[0] ?? new Uint8Array(0))
    }
  })()
  return untilKilled()
})
