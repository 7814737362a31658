/**
 * PAIR: two sockets, exclusively connected, talking both ways (here over ipc://, a Unix
 * socket in a fresh temporary directory).
 *
 *   npm run build:test && node build/examples/patterns/pair.js
 */
import { Pair } from "../../src/index.js"

const left = new Pair()
await left.bind("ipc://*")
const right = new Pair()
right.connect(left.lastEndpoint as string)

await left.send("ping")
console.log(`right got ${String((await right.receive())[0])}`)
await right.send(["pong", "with", "three frames"])
console.log(`left got ${(await left.receive()).map(String).join(" | ")}`)

left.close()
right.close()
