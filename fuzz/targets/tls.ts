/**
 * TLS over ZeroMQ messages (src/tls), its pure core: the "frames" framing inside the TLS byte
 * stream, the ROUTER request envelope, and the plaintext record checks (ClientHello /
 * ServerHello / alert detection, record boundaries). The TLS handshake itself is Node's OpenSSL
 * (asynchronous, not fuzzed here: see docs/fuzzing.md).
 *
 * Oracle: FramingError only (with its code); whole and chunked feeding agree; decoded messages
 * within the limits and re-encode to the same bytes; parseRequest returns a Request or a named
 * problem and never throws; the record helpers never throw.
 */
import { encodeMessage, FrameDecoder, FramingError, NOOP } from "../../src/tls/framing.js"
import { isClientHello, isPlaintextAlert, isServerHello, RecordBoundary } from "../../src/tls/record.js"
import { parseRequest, RequestProblem } from "../../src/tls/envelope.js"
import { assertThat, bytes, concatBytes, joinParts, splitParts, type FuzzTarget } from "../target.js"

const LIMITS = { maxMessageSize: 8192, maxFrames: 32 }
const CUTS = [1, 4, 3, 2, 17, 1, 100]

function decode(chunks: Uint8Array[]): { messages: Uint8Array[][]; error: FramingError | undefined } {
  const decoder = new FrameDecoder(LIMITS)
  const messages: Uint8Array[][] = []
  try {
    for (const chunk of chunks) {
      for (const m of decoder.push(chunk)) messages.push(m.map((f) => new Uint8Array(f)))
    }
  } catch (err) {
    if (err instanceof FramingError && err.code === "ERR_IRONHOUSE_TLS_FRAMING") return { messages, error: err }
    throw err
  }
  return { messages, error: undefined }
}

export const tlsFraming: FuzzTarget = {
  name: "tls-framing",
  about: "the frames framing inside TLS: FrameDecoder, whole and chunked, limits from the header alone",
  maxLength: 4096,
  dictionary: [bytes(0, 0, 0, 1), bytes(0, 0, 0, 0), bytes(0xff, 0xff, 0xff, 0xff), bytes(0, 0, 0x20, 0)],
  seeds: () => [
    concatBytes([encodeMessage([bytes("hello")]), NOOP, encodeMessage([bytes("a"), new Uint8Array(0), new Uint8Array(300).fill(1)])]),
    encodeMessage(Array.from({ length: 32 }, (_, i) => bytes(i))),
  ],
  run(data) {
    const whole = decode([data])
    const chunks: Uint8Array[] = []
    for (let at = 0, i = 0; at < data.length; i++) {
      const n = CUTS[i % CUTS.length] as number
      chunks.push(data.subarray(at, at + n))
      at += n
    }
    const cut = decode(chunks)
    // A push that ends in a FramingError returns nothing, so the messages completed before the
    // error depend on the chunking then (the session ends either way): compare only the verdict.
    assertThat((whole.error === undefined) === (cut.error === undefined), "tls framing: chunking changed the verdict")
    if (whole.error === undefined) assertThat(whole.messages.length === cut.messages.length, "tls framing: chunking changed the messages")
    for (const m of whole.messages) {
      assertThat(m.length >= 1 && m.length <= LIMITS.maxFrames && m.reduce((n, f) => n + f.length, 0) <= LIMITS.maxMessageSize, "tls framing: a message over the limits")
    }
    const again = decode([concatBytes(whole.messages.map(encodeMessage))])
    assertThat(again.error === undefined && again.messages.length === whole.messages.length, "tls framing: re-encoding changed the messages")
  },
}

/** A ClientHello record header and the start of its body (RFC 8446 §4.1.2). */
const CLIENT_HELLO = bytes(0x16, 0x03, 0x01, 0x00, 0x30, 0x01, 0x00, 0x00, 0x2c, 0x03, 0x03, new Uint8Array(32).fill(7), 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00)
const SERVER_HELLO = bytes(0x16, 0x03, 0x03, 0x00, 0x30, 0x02, 0x00, 0x00, 0x2c, 0x03, 0x03, new Uint8Array(32).fill(9), 0x00, 0x13, 0x01, 0x00)
const ALERT = bytes(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28)
const PROBLEMS: ReadonlySet<string> = new Set(Object.values(RequestProblem))

export const tlsRequest: FuzzTarget = {
  name: "tls-request",
  about: "a ROUTER request to the TLS server: parseRequest, then the record checks on its payload",
  maxLength: 2048,
  dictionary: [bytes(0x16, 0x03, 0x01), bytes(0x17, 0x03, 0x03), bytes(0x15, 0x03, 0x03, 0, 2), bytes(0, 0)],
  seeds: () => [
    joinParts([bytes(0, 0, 0, 1), new Uint8Array(0), CLIENT_HELLO]),
    joinParts([bytes("proxy"), bytes(0, 0, 0, 2), new Uint8Array(0), concatBytes([SERVER_HELLO, ALERT])]),
  ],
  run(data) {
    const frames = splitParts(data, 8)
    const request = parseRequest(frames)
    if (typeof request === "string") {
      assertThat(PROBLEMS.has(request), `tls request: unknown problem ${request}`)
      return
    }
    assertThat(request.key.length > 0 && request.payload.length > 0, "tls request: empty key or payload accepted")
    isClientHello(request.payload)
    isServerHello(request.payload)
    isPlaintextAlert(request.payload)
    const boundary = new RecordBoundary()
    for (let at = 0; at < request.payload.length; at += 7) boundary.push(request.payload.subarray(at, at + 7))
    void boundary.atBoundary
  },
}

export const TLS_TARGETS: FuzzTarget[] = [tlsFraming, tlsRequest]
