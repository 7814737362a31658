/**
 * `npm run demo:curve`: a CURVE handshake over loopback between Ironhouse's engine (pure TypeScript)
 * and a real libzmq 4.3.5 socket (the `zeromq` package), printing each step, the public halves
 * of the keys, and the messages exchanged. Then the same in the other direction.
 */
import net from "node:net"
import * as zmq from "zeromq"
import { StreamConnection } from "../src/transport/stream-connection.js"
import type { ConnectionEvent, ConnectionOptions } from "../src/engine/connection.js"
import { curveKeyPair, z85Decode } from "../src/index.js"

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const log = (who: string, line: string) => console.log(`  ${who.padEnd(10)} ${line}`)

function drive(socket: net.Socket, options: ConnectionOptions, who: string) {
  let resolveHandshake: () => void = () => {}
  let rejectHandshake: (e: Error) => void = () => {}
  const handshake = new Promise<void>((res, rej) => ((resolveHandshake = res), (rejectHandshake = rej)))
  const inbox: Uint8Array[][] = []
  let wake: () => void = () => {}
  const conn = new StreamConnection(
    socket,
    { ...options, trace: (dir, step) => log(who, `${dir === "out" ? "-->" : "<--"} ${step}`) },
    {
      onEvent(event: ConnectionEvent) {
        if (event.type === "handshake") {
          const p = event.peer
          log(who, `handshake complete: peer ${p.socketType}, mechanism ${p.mechanism}, key ${p.publicKey}`)
          resolveHandshake()
        } else if (event.type === "message") {
          inbox.push(event.frames)
          wake()
        } else if (event.type === "error") {
          rejectHandshake(new Error(`${event.error.code}: ${event.error.message}`))
        }
      },
    },
  )
  const receive = async () => {
    while (inbox.length === 0) await new Promise<void>((r) => (wake = r))
    return inbox.shift() as Uint8Array[]
  }
  return { conn, handshake, receive }
}

async function ironhouseClientLibzmqServer(): Promise<void> {
  console.log("\n1) Ironhouse CURVE client  ->  libzmq CURVE server (zeromq.Pair)")
  const server = zmq.curveKeyPair()
  const client = curveKeyPair()
  console.log(`   server public key ${server.publicKey}`)
  console.log(`   client public key ${client.publicKey}   (the private halves are never printed)`)
  const zsock = new zmq.Pair({ curveServer: true, curveSecretKey: server.secretKey })
  await zsock.bind("tcp://127.0.0.1:*")
  const port = Number(/:(\d+)$/.exec(zsock.lastEndpoint ?? "")?.[1])
  const socket = net.connect(port, "127.0.0.1")
  await new Promise((r) => socket.once("connect", r))
  const ours = drive(
    socket,
    {
      socketType: "PAIR",
      peerAddress: "127.0.0.1",
      security: {
        mechanism: "CURVE",
        asServer: false,
        curvePublicKey: z85Decode(client.publicKey),
        curveSecretKey: z85Decode(client.secretKey),
        curveServerKey: z85Decode(server.publicKey),
      },
    },
    "ironhouse",
  )
  await ours.handshake
  ours.conn.send([enc("hello from Ironhouse"), enc("(a second frame)")])
  const got = await zsock.receive()
  log("libzmq", `received ${JSON.stringify(got.map(String))}`)
  await zsock.send(["hello from libzmq"])
  log("ironhouse", `received ${JSON.stringify((await ours.receive()).map(dec))}`)
  ours.conn.close()
  zsock.close()
}

async function libzmqClientIronhouseServer(): Promise<void> {
  console.log("\n2) libzmq CURVE client (zeromq.Pair)  ->  Ironhouse CURVE server")
  const server = curveKeyPair()
  const client = zmq.curveKeyPair()
  console.log(`   server public key ${server.publicKey}`)
  console.log(`   client public key ${client.publicKey}`)
  let ours: ReturnType<typeof drive> | undefined
  const accepted = new Promise<ReturnType<typeof drive>>((resolve) => {
    const listener = net.createServer((socket) => {
      listener.close()
      ours = drive(
        socket,
        {
          socketType: "PAIR",
          peerAddress: socket.remoteAddress ?? "",
          security: {
            mechanism: "CURVE",
            asServer: true,
            curvePublicKey: z85Decode(server.publicKey),
            curveSecretKey: z85Decode(server.secretKey),
          },
          authenticate: (req) => {
            log("ironhouse", `authenticate: ${req.mechanism} client from ${req.address} -> 200 OK`)
            return { status: 200, userId: "demo-client" }
          },
        },
        "ironhouse",
      )
      resolve(ours)
    })
    listener.listen(0, "127.0.0.1", () => {
      const address = listener.address()
      if (address === null || typeof address === "string") throw new Error("no port")
      zsock.connect(`tcp://127.0.0.1:${address.port}`)
    })
  })
  const zsock = new zmq.Pair({
    curveServerKey: server.publicKey,
    curvePublicKey: client.publicKey,
    curveSecretKey: client.secretKey,
  })
  const conn = await accepted
  await conn.handshake
  await zsock.send(["hello from libzmq", "with two frames"])
  log("ironhouse", `received ${JSON.stringify((await conn.receive()).map(dec))}`)
  conn.conn.send([enc("hello back from Ironhouse")])
  log("libzmq", `received ${JSON.stringify((await zsock.receive()).map(String))}`)
  conn.conn.close()
  zsock.close()
}

console.log(`Ironhouse demo: CURVE (RFC 25/26) between pure TypeScript and libzmq ${zmq.version}`)
await ironhouseClientLibzmqServer()
await libzmqClientIronhouseServer()
console.log("\nDone: both directions completed the CurveZMQ handshake and exchanged encrypted messages.")
