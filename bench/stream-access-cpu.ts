/**
 * Stream-access CPU per message, one process, no sockets (what bounds the pub-sub rows): CPU
 * time (process.cpuUsage, so time the process spends descheduled on a loaded machine does not
 * count) per `size`-byte message on topic "bench", the best of 5 rounds of 20,000 messages:
 *   crypto, publisher  XChaCha20-Poly1305 encrypt + BLAKE2b-256 digest, plus one Ed25519
 *                      signature per 128 digests: the libsodium calls alone
 *   crypto, reader     decrypt + digest, plus one verification per 128
 *   seal               StreamWriter.seal (the crypto above + header, layout, batch)
 *   receive            StreamReader.receive (the crypto above + replay window, holding, batch)
 *   sealPacked, receivePacked   the same per message, for messages sealed in packs of up to
 *                      16 KiB (SecurePublisher's default packBytes) with StreamWriter.sealPacked
 * A plain Ironhouse PUB or SUB spends about 1-2 µs per 256 B message (docs: bench/README.md);
 * these rows are what stream access adds on each side.
 */
import { emit, need, runChild } from "./child.js"
import { benchIdentity, benchSigningKey, TOPIC } from "./stream-access-common.js"
import { cryptoBackend, cryptoReady } from "../src/crypto/index.js"
import { StreamWriter } from "../src/stream-access/writer.js"
import { StreamReader, type ReaderEvent } from "../src/stream-access/reader.js"
import { answerKeyRequest, keyRequest, parseKeyReply } from "../src/stream-access/key-service.js"
import type { StreamFrames } from "../src/stream-access/writer.js"

const N = 20_000
const ROUNDS = 5
const BATCH = 128

function cpuMicros(): number {
  const u = process.cpuUsage()
  return u.user + u.system
}

/** Best (lowest) CPU µs per message of `round` over ROUNDS rounds. */
function best(round: () => void): number {
  let min = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = cpuMicros()
    round()
    min = Math.min(min, (cpuMicros() - t0) / N)
  }
  return min
}

runChild(async (args) => {
  const size = need(args.size, "size")
  emit("ready", {})
  await cryptoReady()
  const crypto = cryptoBackend()
  const signing = benchSigningKey()
  const body = new Uint8Array(size).fill(0x61)
  // The bare calls, on buffers laid out as StreamWriter lays them out.
  const ad = new Uint8Array(TOPIC.length + 22)
  const nonce = new Uint8Array(24)
  const key = crypto.randomBytes(32)
  const sealed = new Uint8Array(size + 16)
  const input = new Uint8Array(4 + TOPIC.length + 22 + size + 16)
  const plain = new Uint8Array(size)
  const digest = new Uint8Array(32)
  const batch = new Uint8Array(33 + 20 + BATCH * 32)
  let signature = crypto.signDetached(batch, signing.secretKey)
  const publisherCrypto = best(() => {
    for (let i = 0; i < N; i++) {
      crypto.aeadEncryptInto(sealed, body, ad, nonce, key)
      crypto.genericHashInto(digest, input)
      if (i % BATCH === BATCH - 1) signature = crypto.signDetached(batch, signing.secretKey)
    }
  })
  crypto.aeadEncryptInto(sealed, body, ad, nonce, key)
  let verified = 0
  const readerCrypto = best(() => {
    for (let i = 0; i < N; i++) {
      if (!crypto.aeadDecryptInto(plain, sealed, ad, nonce, key)) throw new Error("bench: decrypt failed")
      crypto.genericHashInto(digest, input)
      if (i % BATCH === BATCH - 1 && crypto.verifyDetached(signature, batch, signing.publicKey)) verified++
    }
  })
  if (verified === 0) throw new Error("bench: verification failed")
  // The sans-IO cores. `now` is fixed, so batches leave when full (128), as on a busy stream.
  const reader = benchIdentity("reader")
  const writer = new StreamWriter({ signingKey: signing, members: [reader.publicKey] })
  const frames: StreamFrames[] = []
  const seal = best(() => {
    frames.length = 0
    for (let i = 0; i < N; i++) for (const f of writer.seal(TOPIC, body, 0)) frames.push(f)
    for (const f of writer.flush()) frames.push(f) // the round's last, partial batch
  })
  const reply = parseKeyReply(answerKeyRequest(writer, reader.publicKey, keyRequest()).reply)
  if (!("sealed" in reply)) throw new Error("bench: no welcome")
  let delivered = 0
  const events: ReaderEvent[] = []
  const readAll = (input: readonly StreamFrames[]): void => {
    // A fresh reader each round: the last round's frames again would be replays.
    const r = new StreamReader({ ...reader, publisherKey: signing.publicKey })
    r.acceptWelcome(reply.sealed, 0)
    delivered = 0
    for (const f of input) {
      events.length = 0
      for (const e of r.receive(f, 0, events)) if (e.type === "message") delivered++
    }
  }
  const receive = best(() => readAll(frames))
  if (delivered !== N) throw new Error(`bench: the reader delivered ${delivered} of ${N}`)
  // Packs as SecurePublisher makes them by default (16 KiB: 4 octets + body per message).
  const perPack = Math.max(1, Math.floor(16384 / (4 + size)))
  const packs: StreamFrames[] = []
  const group = Array.from({ length: perPack }, () => body)
  const sealPacked = best(() => {
    packs.length = 0
    for (let i = 0; i < N; i += perPack) {
      const bodies = i + perPack <= N ? group : group.slice(0, N - i)
      packs.push([TOPIC, writer.sealPacked(TOPIC, bodies, 0)])
      if (writer.batchDue) for (const f of writer.flush()) packs.push(f)
    }
    for (const f of writer.flush()) packs.push(f)
  })
  const receivePacked = best(() => readAll(packs))
  if (delivered !== N) throw new Error(`bench: the reader delivered ${delivered} of ${N} packed`)
  return { publisherCrypto, readerCrypto, seal, receive, sealPacked, receivePacked }
})
