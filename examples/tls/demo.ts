/**
 * Server, proxy and client of examples/tls/ in one process on free ports:
 *   npm run build:test && node build/examples/tls/demo.js
 */
import { startProxy } from "./proxy.js"
import { startServer } from "./server.js"
import { runClient } from "./client.js"

const server = await startServer("tcp://127.0.0.1:*")
const proxy = await startProxy("tcp://127.0.0.1:*", server.endpoint)
await runClient(proxy.endpoint)
proxy.stop()
await server.stop()
