/**
 * The raw Node `net` loopback ceiling, sending side: writes the same pre-framed batch
 * (256 KiB of ZMTP frames of `size` bytes) for `durationMs`, waiting for 'drain' whenever the
 * socket asks, then ends the connection.
 */
import { once } from "node:events"
import { connect } from "node:net"
import { need, needText, runChild } from "./child.js"
import { framedBatch } from "./net-framing.js"

const BATCH_OCTETS = 256 * 1024

runChild(async (args) => {
  const size = need(args.size, "size")
  const durationMs = need(args.durationMs, "durationMs")
  const url = new URL(needText(args.endpoint, "endpoint"))
  const socket = connect(Number(url.port), url.hostname)
  await once(socket, "connect")
  const { batch, messages } = framedBatch(size, BATCH_OCTETS)
  const deadline = performance.now() + durationMs
  let sent = 0
  while (performance.now() < deadline) {
    sent += messages
    if (!socket.write(batch)) await once(socket, "drain")
  }
  socket.end()
  await once(socket, "close")
  return { sent }
})
