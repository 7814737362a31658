/**
 * Parsers of files and strings an operator or a peer hands us: ZAP replies and requests
 * (RFC 27), ZPL (ZeroMQ spec 4) and certificates, the password file, endpoints, the gateway
 * config. Oracle: each parser's own typed error (ProtocolError for ZAP, CertificateError,
 * PasswordFileError, TypeError/RangeError with zeromq's `code` for endpoints, a list of
 * problems and no throw for the gateway config) and nothing else; what parses re-parses alike.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { decodeZapReply, decodeZapRequest, encodeZapReply, encodeZapRequest } from "../../src/auth/zap.js"
import { parsePasswordFile, PasswordFileError } from "../../src/auth/password-file.js"
import { CertificateError } from "../../src/cert/certificate-error.js"
import { parseCertificateText } from "../../src/cert/certificate-format.js"
import { formatZpl, parseZpl, type ZplNode } from "../../src/cert/zpl.js"
import { checkedReply } from "../../src/mechanism/refusal.js"
import { parseSocketEndpoint } from "../../src/transport/endpoint.js"
import { formatProblem, parseConfig } from "../../src/gateway/config.js"
import { makeMetadata } from "../../src/wire/metadata.js"
import { assertThat, bytes, expectTyped, Finding, isTypedProtocolError, joinParts, splitParts, type FuzzTarget } from "../target.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const utf8 = new TextDecoder("utf-8")
const encoder = new TextEncoder()

function filesIn(dir: string, keep: (name: string) => boolean = () => true): Uint8Array[] {
  try {
    return readdirSync(join(root, dir))
      .filter(keep)
      .sort()
      .map((f) => new Uint8Array(readFileSync(join(root, dir, f))))
  } catch {
    return []
  }
}

const REQUEST_ID = bytes("req-1")

export const zap: FuzzTarget = {
  name: "zap",
  about: "decodeZapReply (the checks on a ZAP handler's reply), checkedReply, decodeZapRequest",
  maxLength: 1024,
  dictionary: ["1.0", "200", "300", "400", "500", "NULL", "PLAIN", "CURVE", REQUEST_ID],
  seeds: () =>
    [
      encodeZapReply({ requestId: REQUEST_ID, status: 200, statusText: "OK", userId: "alice", metadata: makeMetadata({ Role: "admin" }) }),
      encodeZapReply({ requestId: REQUEST_ID, status: 400, statusText: "no", userId: "", metadata: new Map() }, { delimiter: false }),
      encodeZapRequest({
        requestId: REQUEST_ID,
        domain: "global",
        address: "192.0.2.1",
        identity: new Uint8Array(0),
        mechanism: "PLAIN",
        credentials: [bytes("admin"), bytes("secret")],
      }),
      encodeZapRequest({
        requestId: REQUEST_ID,
        domain: "",
        address: "",
        identity: bytes("id"),
        mechanism: "CURVE",
        credentials: [new Uint8Array(32).fill(7)],
      }),
    ].map(joinParts),
  run(data) {
    const frames = splitParts(data)
    const reply = expectTyped(() => decodeZapReply(frames, REQUEST_ID))
    if (!(reply instanceof Error)) {
      const checked = checkedReply(reply) // a decoded reply is always a well-formed one
      assertThat([200, 300, 400, 500].includes(checked.status), "zap: decoded an invalid status")
      const again = decodeZapReply(encodeZapReply(reply), REQUEST_ID)
      assertThat(again.status === reply.status && again.userId === reply.userId && again.metadata.size === reply.metadata.size, "zap: reply round trip")
    }
    expectTyped(() => decodeZapRequest(frames), (e) => isTypedProtocolError(e))
  },
}

/** A document's names, values and nesting (not its line numbers), for comparison. */
function shape(nodes: readonly ZplNode[]): string {
  return JSON.stringify(nodes.map((n) => [n.name, n.value ?? null, shape(n.children)]))
}

export const zpl: FuzzTarget = {
  name: "zpl",
  about: "parseZpl (ZeroMQ spec 4): CertificateError or a document that formats and re-parses alike",
  maxLength: 2048,
  dictionary: ["metadata\n", "curve\n", "    public-key = ", "    secret-key = ", '"', "#", "    ", "=", "\r\n"],
  seeds: () => [...filesIn("test/fixtures/certs/czmq"), ...filesIn("test/fixtures/certs/pyzmq")],
  run(data) {
    const text = utf8.decode(data)
    const doc = expectTyped(() => parseZpl(text, "fuzz.zpl"), (e) => e instanceof CertificateError)
    if (doc instanceof Error) return
    let formatted: string
    try {
      formatted = formatZpl(doc.nodes, doc.comments)
    } catch (err) {
      // A value holding both ' and " cannot be written back (ZPL has no escapes): the writer
      // says so with a RangeError; nothing to compare then.
      if (err instanceof RangeError) return
      throw err
    }
    const again = parseZpl(formatted, "again.zpl")
    assertThat(shape(again.nodes) === shape(doc.nodes), "zpl: format + parse changed the document")
  },
}

export const certificate: FuzzTarget = {
  name: "certificate",
  about: "parseCertificateText: a certificate file (ZPL + curve keys in Z85) or CertificateError",
  maxLength: 2048,
  dictionary: ["metadata\n", "curve\n", "    public-key = ", "    secret-key = ", '"', "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"],
  seeds: () => [...filesIn("test/fixtures/certs/czmq"), ...filesIn("test/fixtures/certs/pyzmq")],
  run(data) {
    const text = utf8.decode(data)
    const cert = expectTyped(() => parseCertificateText(text, "fuzz.key"), (e) => e instanceof CertificateError)
    if (cert instanceof Error) {
      // Never key material in the message: not the value (or its first 20 characters) of any
      // `...key = ...` line (a property name is quoted only up to 16 characters, src/cert/zpl.ts).
      for (const m of text.matchAll(/key\s*=\s*["']?([^"'\s]{20,})/g)) {
        const value = m[1] as string
        if (cert.message.includes(value.slice(0, 20))) throw new Finding("certificate: an error message quotes a key from the file")
      }
      return
    }
    assertThat(cert.publicKey.length === 40 && (cert.secretKey === undefined || cert.secretKey.length === 40), "certificate: a key is not 40 Z85 characters")
  },
}

export const passwordFile: FuzzTarget = {
  name: "password-file",
  about: "parsePasswordFile (CZMQ zauth name=password lines): PasswordFileError or a table",
  maxLength: 2048,
  dictionary: ["=", "\n", "\r\n", "#", "admin=", "\u00e9"],
  seeds: () => [encoder.encode("# users\nadmin=secret\nbob=p=w\r\n\n  \nzoe=\n")],
  run(data) {
    const text = utf8.decode(data)
    const table = expectTyped(() => parsePasswordFile(text, "passwords"), (e) => e instanceof PasswordFileError)
    if (table instanceof Error) {
      // Never a password in the message: no value part (8+ characters, not also a name) of any line.
      const names: string[] = []
      const passwords: string[] = []
      for (const line of text.split("\n")) {
        const equals = line.indexOf("=")
        if (equals < 0) continue
        names.push(line.slice(0, equals))
        passwords.push(line.slice(equals + 1).replace(/\r$/, ""))
      }
      for (const pw of passwords) {
        if (pw.length >= 8 && !names.some((n) => n.includes(pw)) && table.message.includes(pw)) {
          throw new Finding("password-file: an error message quotes a password")
        }
      }
      return
    }
    for (const [name, password] of table) {
      assertThat(name.length > 0 && !name.includes("=") && !name.includes("\n") && !password.includes("\n"), "password-file: a name or password spans a separator")
    }
  },
}

export const endpoint: FuzzTarget = {
  name: "endpoint",
  about: "parseSocketEndpoint for bind and connect: an endpoint, or TypeError/RangeError with zeromq's EINVAL/EPROTONOSUPPORT",
  maxLength: 300,
  dictionary: ["tcp://", "ipc://", "inproc://", "127.0.0.1", "[::1]", ":*", ":5555", "*", "localhost", ";", "@", "%", "eth0", "\u0000"],
  seeds: () =>
    ["tcp://127.0.0.1:5555", "tcp://*:*", "tcp://[::1]:0", "tcp://eth0:6000", "tcp://127.0.0.1:5555;192.0.2.1:6000", "ipc:///tmp/x.sock", "ipc://@abstract", "inproc://name", "pgm://x"].map((s) =>
      encoder.encode(s),
    ),
  run(data) {
    const text = utf8.decode(data)
    for (const usage of ["bind", "connect"] as const) {
      try {
        parseSocketEndpoint(text, usage)
      } catch (err) {
        const ok = (err instanceof TypeError || err instanceof RangeError) && ["EINVAL", "EPROTONOSUPPORT"].includes((err as { code?: string }).code ?? "")
        if (!ok) throw err
      }
    }
  },
}

export const gatewayConfig: FuzzTarget = {
  name: "gateway-config",
  about: "parseConfig (TOML and JSON): never throws, every problem formats, a valid config re-validates",
  maxLength: 4096,
  dictionary: ["[[route]]\n", "name = ", "pattern = ", '"req-rep"', '"pub-sub"', '"push-pull"', "[route.front]\n", "[route.back]\n", "side = ", "endpoint = ", "curve", "{", "}", "[", "]", '"', "true"],
  seeds: () => filesIn("examples/gateway", (f) => f.endsWith(".toml")),
  run(data) {
    const text = utf8.decode(data)
    for (const file of ["gateway.toml", "gateway.json"]) {
      const result = parseConfig(text, file)
      if (!result.ok) {
        assertThat(result.problems.length > 0, "gateway-config: not ok but no problem")
        for (const p of result.problems) formatProblem(p)
      }
    }
  },
}

export const TEXT_TARGETS: FuzzTarget[] = [zap, zpl, certificate, passwordFile, endpoint, gatewayConfig]
