/**
 * End-to-end CurveZMQ in one process: a broker, a worker behind it, an allowed client and a
 * client whose key the worker does not know. `npm run example:e2e`.
 *
 * The broker prints what it forwards (commands and the first ciphertext octets); the worker
 * prints each message with the User-Id its Authenticator gave the client's key.
 */
import { curveKeyPair } from "../../src/index.js"
import { startBroker } from "./broker.js"
import { runClient } from "./client.js"
import { startWorker } from "./worker.js"

const broker = await startBroker(undefined, undefined, console.log)
const alice = curveKeyPair()
const mallory = curveKeyPair()
const worker = await startWorker(broker.backend, [alice.publicKey])
await runClient(broker.frontend, worker.publicKey, [["hello", "end to end"], ["bye"]], alice)
await runClient(broker.frontend, worker.publicKey, [["let me in"]], mallory)
worker.close()
broker.close()
