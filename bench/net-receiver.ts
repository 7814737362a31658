/**
 * The raw Node `net` loopback ceiling, receiving side: a plain TCP server that only counts
 * bytes (no parsing, no ZMTP state). Messages = bytes after the first chunk / framed message
 * size; time = first chunk to last chunk. This is the most any Node-side ZMTP stack could move
 * through one loopback connection with this framing.
 */
import { createServer } from "node:net"
import { emit, need, runChild } from "./child.js"
import { framedSize } from "./net-framing.js"

runChild(async (args) => {
  const size = need(args.size, "size")
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no TCP address")
  emit("ready", { endpoint: `tcp://127.0.0.1:${address.port}` })
  const counted = await new Promise<{ bytes: number; seconds: number }>((resolve, reject) => {
    server.once("connection", (socket) => {
      let bytes = 0
      let first = 0
      let last = 0
      socket.on("data", (chunk: Buffer) => {
        last = performance.now()
        if (first === 0) first = last
        else bytes += chunk.length
      })
      socket.on("end", () => resolve({ bytes, seconds: (last - first) / 1000 }))
      socket.on("error", reject)
    })
  })
  server.close()
  const messages = counted.bytes / framedSize(size)
  return { messages, seconds: counted.seconds, msgPerSec: messages / counted.seconds }
})
