/**
 * The proxy row's middle process (h4-proxy, issue 8): a PULL front end (NULL or CURVE, bound)
 * and a PUSH back end (NULL, bound) joined by the implementation's Proxy (`zeromq`'s runs
 * libzmq's zmq_proxy_steerable in a worker thread; Ironhouse's runs on the event loop).
 * Prints the two endpoints, then forwards until killed. High-water marks are the defaults.
 */
import { emit, runChild, untilKilled } from "./child.js"
import { isImplName, loadImpl, loadProxy, serverSecurity } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  const Proxy = await loadProxy(args.impl)
  const { options, serverKey } = serverSecurity(impl, args.security)
  const front = new impl.Pull(options)
  await front.bind("tcp://127.0.0.1:*")
  const back = new impl.Push()
  await back.bind("tcp://127.0.0.1:*")
  const proxy = new Proxy(front, back)
  const running = proxy.run()
  running.catch((err: unknown) => {
    process.stderr.write(`proxy failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
  emit("ready", { endpoint: front.lastEndpoint, serverKey, backEndpoint: back.lastEndpoint })
  return untilKilled()
})
