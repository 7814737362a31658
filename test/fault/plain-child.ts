/**
 * The PLAIN client of test/fault/secrets.test.ts, in its own process: a libzmq DEALER (the
 * `zeromq` package) with a random password, which it reports to the parent only masked
 * (`<mask hex> <masked hex>`), logs in, says "logged in", waits for "bye", prints "done".
 */
import { randomBytes } from "node:crypto"
import * as zmq from "zeromq"

const endpoint = process.argv[2] as string
const password = randomBytes(16).toString("hex")
const mask = randomBytes(password.length)
const masked = Buffer.from(password, "latin1").map((b, i) => b ^ (mask[i] as number))
process.stdout.write(`${mask.toString("hex")} ${Buffer.from(masked).toString("hex")}\n`)
zmq.context.blocky = false
const dealer = new zmq.Dealer({ linger: 0, plainUsername: "alice", plainPassword: password })
dealer.connect(endpoint)
await dealer.send("logged in")
const [reply] = await dealer.receive()
process.stdout.write(reply?.toString() === "bye" ? "done\n" : "unexpected reply\n")
dealer.close()
process.exit(0)
