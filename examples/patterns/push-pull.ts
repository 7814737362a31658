/**
 * PUSH-PULL (pipeline): a ventilator pushes tasks, round-robin, to two workers; each
 * worker's results are fair-queued into one sink.
 *
 *   npm run build:test && node build/examples/patterns/push-pull.js
 */
import { Pull, Push } from "../../src/index.js"

const ventilator = new Push()
await ventilator.bind("tcp://127.0.0.1:*")
// Round-robin covers the workers connected when a task is sent: wait for both.
let connected = 0
const bothConnected = new Promise<void>((resolve) => {
  ventilator.events.on("handshake", () => {
    if (++connected === 2) resolve()
  })
})
const sink = new Pull()
await sink.bind("tcp://127.0.0.1:*")

const workers = ["worker-a", "worker-b"].map(async (name) => {
  const tasks = new Pull()
  const results = new Push()
  tasks.connect(ventilator.lastEndpoint as string)
  results.connect(sink.lastEndpoint as string)
  for await (const [task] of tasks) {
    if (String(task) === "stop") break
    await results.send([name, `${String(task)} squared is ${Number(task) ** 2}`])
  }
  tasks.close()
  results.close()
})

await bothConnected
for (let n = 1; n <= 6; n++) await ventilator.send(String(n))
for (let i = 0; i < 6; i++) {
  const [worker, result] = await sink.receive()
  console.log(`${String(worker)}: ${String(result)}`)
}
await ventilator.send("stop")
await ventilator.send("stop")
await Promise.all(workers)
ventilator.close()
sink.close()
