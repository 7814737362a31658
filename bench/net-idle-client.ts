/** Opens `count` raw TCP connections to net-idle-server, sends one byte on each, holds them. */
import { once } from "node:events"
import { connect, type Socket } from "node:net"
import { emit, need, needText, runChild, untilKilled } from "./child.js"

/** Connections opened at once; as memory-connector.ts. */
const BATCH = 50

runChild(async (args) => {
  const count = need(args.count, "count")
  const url = new URL(needText(args.endpoint, "endpoint"))
  const held: Socket[] = []
  for (let opened = 0; opened < count; opened += BATCH) {
    const batch: Promise<unknown>[] = []
    for (let i = opened; i < Math.min(count, opened + BATCH); i++) {
      const socket = connect(Number(url.port), url.hostname)
      held.push(socket)
      socket.write("a")
      batch.push(once(socket, "connect"))
    }
    await Promise.all(batch)
  }
  emit("result", { opened: held.length })
  return untilKilled()
})
