/**
 * Resident memory per idle connection for raw Node `net` (the floor under any Node stack): a
 * TCP server that accepts `count` connections, each delivering one byte, and holds them. Same
 * baseline/settle method as memory-binder.ts.
 */
import { createServer, type Socket } from "node:net"
import { emit, need, runChild, untilKilled } from "./child.js"
import { settledRss } from "./rss.js"

runChild(async (args) => {
  const count = need(args.count, "count")
  const held: Socket[] = []
  let greeted = 0
  let allGreeted: () => void = () => {}
  const done = new Promise<void>((resolve) => (allGreeted = resolve))
  const server = createServer((socket) => {
    held.push(socket)
    socket.once("data", () => {
      if (++greeted === count) allGreeted()
    })
  })
  server.maxConnections = count + 16
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 511 }, resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no TCP address")
  const before = await settledRss(300)
  emit("ready", { endpoint: `tcp://127.0.0.1:${address.port}` })
  const start = performance.now()
  await done
  const connectSeconds = (performance.now() - start) / 1000
  const after = await settledRss(1000)
  emit("result", {
    connections: held.length,
    connectSeconds,
    rssBefore: before.rss,
    rssAfter: after.rss,
    bytesPerConnection: (after.rss - before.rss) / count,
  })
  return untilKilled()
})
