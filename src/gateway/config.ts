/**
 * The gateway's configuration file: its model, its schema (zod) and its parser (smol-toml for
 * TOML, JSON.parse for JSON). Pure: text in, a validated config or a list of problems out; the
 * file is read by load.ts. Every problem is one line: file, line where we can find it, the
 * field, what was expected and what came — never a value that could be a secret (values are
 * echoed only for fields with a fixed set of choices).
 *
 * The format (TOML; JSON has the same shape with "route" as an array):
 *
 *   audit = "stdout"                 # or a file path (JSON lines, appended); default stdout
 *   metrics = "127.0.0.1:9464"       # optional: Prometheus text on http://HOST:PORT/metrics
 *   linger = 5000                    # ms SIGTERM waits for in-flight replies
 *
 *   [[route]]
 *   name = "orders"
 *   pattern = "req-rep"              # req-rep | pub-sub | push-pull
 *   side = "server"                  # server: secured outside, clear inside; client: the reverse
 *   outside = "tcp://0.0.0.0:5555"   # string = the side's default action, or { bind = ".." } / { connect = ".." }
 *   inside = "tcp://127.0.0.1:5000"
 *   [route.curve]
 *   certificate = "certs/server.key_secret"   # a secret certificate FILE (mode 0600), never a key inline
 *   clients = "certs/clients"                 # or allowAny = true
 *
 * Cross-field rules (which security fields fit which side, identity only where it has a
 * meaning, unique names and bind endpoints) are checked by plan.ts, with the same problem shape.
 */
import { parse as parseToml, TomlError } from "smol-toml"
import { z } from "zod"

export type Pattern = "req-rep" | "pub-sub" | "push-pull"
export type Side = "server" | "client"
/** Which way messages travel: "in" = outside → inside, "out" = inside → outside. */
export type Flow = "in" | "out"
export type IdentityMode = "off" | "user-id" | "public-key" | "json"

export const PATTERNS = ["req-rep", "pub-sub", "push-pull"] as const
export const SIDES = ["server", "client"] as const
export const FLOWS = ["in", "out"] as const
export const IDENTITY_MODES = ["off", "user-id", "public-key", "json"] as const

/** Limits of the file itself, checked before parsing. */
export const MAX_CONFIG_FILE_SIZE = 1024 * 1024
export const MAX_ROUTES = 256

const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "expected a name of letters, digits and _.- (starting with a letter or digit)" })
const path = z.string().min(1, { error: "expected a file path, got an empty string" }).max(4096)
const endpointText = z.string().min(1).max(1024)
const endpoint = z.union([endpointText, z.strictObject({ bind: endpointText }), z.strictObject({ connect: endpointText })], {
  error: 'expected an endpoint string ("tcp://host:port" or "ipc://path") or a table with exactly one of bind or connect',
})
const milliseconds = z.number().int().min(0).max(3_600_000)

const curveSchema = z.strictObject({
  /** This gateway's secret certificate (CZMQ/pyzmq `NAME.key_secret`), mode 0600. */
  certificate: path,
  /** Server side: directory of allowed client certificates, re-read on change. */
  clients: path.optional(),
  /** Server side: accept any client key (Stonehouse). */
  allowAny: z.boolean().optional(),
  /**
   * Server side: a key-check command run per CURVE handshake (argv, no shell). It gets the
   * client key in IRONHOUSE_CLIENT_KEY (Z85), the peer address in IRONHOUSE_PEER_ADDRESS and
   * the route in IRONHOUSE_ROUTE; exit 0 allows (the first stdout line, if any, is the
   * User-Id), anything else refuses; past `timeout` ms (default 2000) it is killed: status 500.
   */
  keyCheck: z
    .strictObject({
      command: z.array(z.string().min(1).max(4096)).min(1, { error: "expected a command as a non-empty array of strings (argv, no shell)" }).max(64).optional(),
      /** Or an HTTP(S) endpoint: POST {"publicKey","address","route"}; 200 allows (optional {"userId"}). */
      url: z.string().max(2048).optional(),
      timeout: z.number().int().min(1).max(60_000).optional(),
    })
    .optional(),
  /** Client side: the server's public key, 40 Z85 characters (public, so it may be inline). */
  serverKey: z.string().optional(),
  /** Client side: the server's public certificate file instead of serverKey. */
  serverCertificate: path.optional(),
})

const plainSchema = z.strictObject({
  /** Server side: CZMQ `name=password` file, mode 0600, re-read on change. */
  passwordFile: path.optional(),
  /** Client side: a file with one `name=password` line, mode 0600. */
  credentials: path.optional(),
})

const addressesSchema = z.strictObject({
  allow: z.array(z.string().max(64)).max(4096).optional(),
  deny: z.array(z.string().max(64)).max(4096).optional(),
})

const routeSchema = z.strictObject({
  name,
  pattern: z.enum(PATTERNS),
  side: z.enum(SIDES),
  outside: endpoint,
  inside: endpoint,
  flow: z.enum(FLOWS).optional(),
  identity: z.enum(IDENTITY_MODES).optional(),
  highWaterMark: z.number().int().min(0).max(10_000_000).optional(),
  heartbeat: milliseconds.optional(),
  /** Largest message accepted on either socket, octets (default the sockets' 64 MiB). */
  maxMessageSize: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  curve: curveSchema.optional(),
  plain: plainSchema.optional(),
  addresses: addressesSchema.optional(),
})

export const configSchema = z.strictObject({
  audit: z.string().min(1).max(4096).optional(),
  metrics: z.union([z.string().min(1).max(300), z.number().int().min(0).max(65535)]).optional(),
  linger: milliseconds.optional(),
  rescanInterval: z.number().int().min(10).max(3_600_000).optional(),
  route: z.array(routeSchema).min(1, { error: "expected at least one [[route]]" }).max(MAX_ROUTES),
})

export type EndpointConfig = z.infer<typeof endpoint>
export type RouteConfig = z.infer<typeof routeSchema>
export type GatewayConfig = z.infer<typeof configSchema>

/** One thing wrong with a config file. */
export interface ConfigProblem {
  file: string
  /** 1-based line, where it can be found. */
  line?: number | undefined
  /** The field, e.g. `route[1].curve.clients` ("" for the whole file). */
  field: string
  /** What was expected and what came. */
  message: string
}

/** "file:line: field: message", the one-line form printed at start. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`
  return problem.field === "" ? `${where}: ${problem.message}` : `${where}: ${problem.field}: ${problem.message}`
}

export type ConfigFormat = "toml" | "json"

/** The format of a config file by its name: `.json` is JSON, everything else TOML. */
export function formatOf(file: string): ConfigFormat {
  return file.toLowerCase().endsWith(".json") ? "json" : "toml"
}

export type ParseResult = { ok: true; config: GatewayConfig; locate: Locator } | { ok: false; problems: ConfigProblem[] }

/** Finds the line of a field path in the source text (undefined when it cannot). */
export type Locator = (path: readonly PropertyKey[]) => number | undefined

/** Parse and validate the text of a config file. Never throws for bad input. */
export function parseConfig(text: string, file: string, format: ConfigFormat = formatOf(file)): ParseResult {
  let data: unknown
  if (text.length > MAX_CONFIG_FILE_SIZE) {
    return { ok: false, problems: [{ file, field: "", message: `expected a file of at most ${MAX_CONFIG_FILE_SIZE} characters, got ${text.length}` }] }
  }
  if (format === "toml") {
    try {
      data = parseToml(text)
    } catch (error) {
      if (error instanceof TomlError) {
        const first = error.message.split("\n")[0] ?? "invalid TOML"
        return { ok: false, problems: [{ file, line: error.line, field: "", message: `expected valid TOML: ${first.replace(/^Invalid TOML document: /, "")}` }] }
      }
      return { ok: false, problems: [{ file, field: "", message: "expected valid TOML" }] }
    }
  } else {
    try {
      data = JSON.parse(text) as unknown
    } catch (error) {
      const message = error instanceof Error ? error.message : "invalid JSON"
      const position = /position (\d+)/.exec(message)
      const line = position ? text.slice(0, Number(position[1])).split("\n").length : undefined
      return { ok: false, problems: [{ file, line, field: "", message: `expected valid JSON: ${message.split("\n")[0]}` }] }
    }
  }
  const locate: Locator = format === "toml" ? tomlLocator(text) : () => undefined
  const result = configSchema.safeParse(data, { reportInput: true })
  if (result.success) return { ok: true, config: result.data, locate }
  const problems: ConfigProblem[] = []
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const at = [...issue.path, key]
        problems.push({ file, line: locate(at), field: fieldName(at), message: "unknown field (a typo, or a field of another section?)" })
      }
      continue
    }
    problems.push({ file, line: locate(issue.path), field: fieldName(issue.path), message: describeIssue(issue) })
  }
  return { ok: false, problems }
}

/** `route[1].curve.clients` from ["route", 1, "curve", "clients"]. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = ""
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`
    else out += out === "" ? String(part) : `.${String(part)}`
  }
  return out
}

function describeType(value: unknown): string {
  if (value === undefined) return "nothing"
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object") return "a table"
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number"
  return `a ${typeof value}`
}

type Issue = z.core.$ZodIssue

function describeIssue(issue: Issue): string {
  const input = (issue as { input?: unknown }).input
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected === "object" ? "a table" : issue.expected}, got ${describeType(input)}`
    case "invalid_value": {
      const came = typeof input === "string" ? JSON.stringify(input.slice(0, 40)) : describeType(input)
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${came}`
    }
    case "too_small":
    case "too_big": {
      const what = typeof input === "string" ? `${input.length} characters` : Array.isArray(input) ? `${input.length} items` : typeof input === "number" ? String(input) : describeType(input)
      const bound = issue.code === "too_small" ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`
      const unit = typeof input === "string" ? " characters" : Array.isArray(input) ? " items" : ""
      if (issue.message && !issue.message.startsWith("Too ")) return issue.message
      return `expected ${bound}${unit}, got ${what}`
    }
    default:
      return issue.message.replace(/^Invalid input: /, "")
  }
}

/**
 * Line numbers for TOML field paths, found by a light scan of the source: table headers
 * (`[a.b]`, `[[route]]` counted per array), `key = value` lines (dotted keys too) and inline
 * tables. The deepest known prefix of the path wins (a missing field points at its table).
 */
export function tomlLocator(text: string): Locator {
  const lines = text.split("\n")
  const known = new Map<string, number>()
  const arrayCounts = new Map<string, number>()
  let current: PropertyKey[] = []
  const keyOf = (path: readonly PropertyKey[]): string => JSON.stringify(path.map((p) => (typeof p === "number" ? p : String(p))))
  const resolveHeader = (parts: string[]): PropertyKey[] => {
    // `[route.curve]` after `[[route]]`: the sub-table of the last array element.
    const out: PropertyKey[] = []
    for (const part of parts) {
      out.push(part)
      const count = arrayCounts.get(keyOf(out))
      if (count !== undefined) out.push(count - 1)
    }
    return out
  }
  const splitKey = (key: string): string[] => key.split(".").map((k) => k.trim().replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1"))
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    const number = i + 1
    let match = /^\[\[\s*([^\]]+?)\s*\]\]/.exec(line)
    if (match) {
      const parts = splitKey(match[1] as string)
      const parent = resolveHeader(parts.slice(0, -1))
      const arrayPath = [...parent, parts[parts.length - 1] as string]
      const k = keyOf(arrayPath)
      const count = (arrayCounts.get(k) ?? 0) + 1
      arrayCounts.set(k, count)
      if (!known.has(k)) known.set(k, number)
      current = [...arrayPath, count - 1]
      known.set(keyOf(current), number)
      continue
    }
    match = /^\[\s*([^\]]+?)\s*\]/.exec(line)
    if (match) {
      current = resolveHeader(splitKey(match[1] as string))
      known.set(keyOf(current), number)
      continue
    }
    match = /^([A-Za-z0-9_.\-"' ]+?)\s*=\s*(.*)$/.exec(line)
    if (match) {
      const path = [...current, ...splitKey(match[1] as string)]
      known.set(keyOf(path), number)
      const inline = /^\{(.*)\}/.exec((match[2] as string).trim())
      if (inline) {
        for (const pair of (inline[1] as string).split(",")) {
          const inner = /^\s*([A-Za-z0-9_\-"']+)\s*=/.exec(pair)
          if (inner) known.set(keyOf([...path, ...splitKey(inner[1] as string)]), number)
        }
      }
    }
  }
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const line = known.get(keyOf(path.slice(0, n)))
      if (line !== undefined) return line
    }
    return undefined
  }
}
