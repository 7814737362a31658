/**
 * The `ironhouse` command line: certificate and Z85 tools. `run()` takes its arguments and
 * streams, so it can be driven by tests; main.ts wires it to the process.
 *
 * Exit codes: 0 success, 1 the operation failed (missing or malformed file, bad key text,
 * file exists), 2 usage error (unknown command or option, missing argument).
 */
import { promises as fs } from "node:fs"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { Certificate } from "../cert/certificate.js"
import { SECRET_FILE_SUFFIX } from "../cert/certificate-format.js"
import { isZplName } from "../cert/zpl.js"
import { z85Decode, z85Encode } from "../wire/z85.js"

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface CliIO {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  /** Raw bytes of standard input (only read by `z85 encode --stdin`). */
  readStdin(): Promise<Uint8Array>
}

export const USAGE = `ironhouse - CURVE certificates and Z85 for ZeroMQ security

Usage:
  ironhouse keygen NAME [--dir DIR] [--meta NAME=VALUE ...] [--force]
      Create a key pair and write DIR/NAME.key (public certificate) and
      DIR/NAME.key_secret (secret certificate, mode 0600), in CZMQ's format and
      with CZMQ's "_secret" naming, which pyzmq's load_certificate(s) also reads.
      Prints the public key. Refuses to overwrite existing files unless --force.
      DIR is created (mode 0700) when it does not exist.
  ironhouse cert show FILE [--secret]
      Print the public key and metadata of FILE (and FILE_secret, if present).
      The secret key is printed only with --secret.
  ironhouse z85 encode HEX
  ironhouse z85 encode --stdin
      Print the Z85 text (RFC 32) of HEX, or of the raw bytes read from standard
      input. The length must be a multiple of 4 octets.
  ironhouse z85 decode [--] Z85
      Print the bytes of Z85 text as hex. Put "--" before Z85 text that
      starts with "-".
  ironhouse --help | ironhouse COMMAND --help

Exit status: 0 success, 1 failure, 2 usage error.
`

class UsageError extends Error {}
class Failure extends Error {}

/** Run the CLI with `args` (without "node" and the script). Resolves the exit code. */
export async function run(args: readonly string[], io: CliIO): Promise<number> {
  try {
    if (args.length === 0) throw new UsageError("expected a command")
    const [command, ...rest] = args
    if (command === "--help" || command === "-h" || command === "help") {
      io.stdout.write(USAGE)
      return EXIT_OK
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(USAGE)
      return EXIT_OK
    }
    switch (command) {
      case "keygen":
        return await keygen(rest, io)
      case "cert":
        return await cert(rest, io)
      case "z85":
        return await z85(rest, io)
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`ironhouse: ${(error as Error).message}\n\n${USAGE}`)
      return EXIT_USAGE
    }
    io.stderr.write(`ironhouse: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT_FAILURE
  }
}

function isParseArgsError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && ((error as NodeJS.ErrnoException).code as string).startsWith("ERR_PARSE_ARGS")
}

async function keygen(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { dir: { type: "string" }, meta: { type: "string", multiple: true }, force: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  })
  if (positionals.length !== 1) throw new UsageError(`keygen: expected one NAME, got ${positionals.length}`)
  const name = positionals[0] as string
  if (name.length === 0 || name.includes("/") || name.includes("\\") || name === "." || name === "..") {
    throw new UsageError(`keygen: expected NAME to be a file name without directories (use --dir), got ${JSON.stringify(name)}`)
  }
  const metadata: Record<string, string> = {}
  for (const item of values.meta ?? []) {
    const equals = item.indexOf("=")
    const key = equals === -1 ? item : item.slice(0, equals)
    if (equals === -1 || !isZplName(key)) {
      throw new UsageError(`keygen: expected --meta NAME=VALUE with NAME of letters, digits or $-_@.&+/, got ${JSON.stringify(item)}`)
    }
    if (Object.hasOwn(metadata, key)) throw new UsageError(`keygen: expected each --meta name once, got ${JSON.stringify(key)} twice`)
    Object.defineProperty(metadata, key, { value: item.slice(equals + 1), enumerable: true, writable: true, configurable: true })
  }
  const dir = values.dir ?? "."
  await ensureDirectory(dir)
  const publicPath = join(dir, `${name}.key`)
  const secretPath = publicPath + SECRET_FILE_SUFFIX
  if (values.force !== true) {
    for (const path of [publicPath, secretPath]) {
      if (await exists(path)) throw new Failure(`${path} exists; use --force to replace it`)
    }
  }
  let certificate: Certificate
  try {
    certificate = Certificate.generate(metadata)
  } catch (error) {
    throw new UsageError(`keygen: ${error instanceof Error ? error.message : "invalid metadata"}`)
  }
  try {
    await certificate.save(publicPath)
  } catch (error) {
    // Certificate.save writes through a temporary file; name the file the user asked for.
    throw new Failure(`cannot write ${publicPath}: ${describeFsError(error)}`)
  }
  io.stdout.write(`public-key: ${certificate.publicKey}\nwrote ${publicPath}\nwrote ${secretPath} (mode 0600)\n`)
  return EXIT_OK
}

async function cert(args: readonly string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args
  if (sub !== "show") throw new UsageError(sub === undefined ? "cert: expected a subcommand (show)" : `cert: unknown subcommand ${JSON.stringify(sub)}`)
  const { values, positionals } = parseArgs({ args: rest, options: { secret: { type: "boolean" } }, allowPositionals: true, strict: true })
  if (positionals.length !== 1) throw new UsageError(`cert show: expected one FILE, got ${positionals.length}`)
  const file = positionals[0] as string
  const certificate = await Certificate.load(file)
  const lines = [`file: ${file}`, `public-key: ${certificate.publicKey}`]
  if (values.secret === true) {
    if (certificate.secretKey === undefined) throw new Failure(`${file}: no secret key in ${file} or ${file}${SECRET_FILE_SUFFIX}`)
    lines.push(`secret-key: ${certificate.secretKey}`)
  } else {
    lines.push(`secret-key: ${certificate.hasSecretKey ? "present (shown with --secret)" : "none"}`)
  }
  const metadata = Object.entries(certificate.metadata)
  lines.push(metadata.length === 0 ? "metadata: none" : "metadata:")
  for (const [name, value] of metadata) lines.push(`    ${name} = ${JSON.stringify(value)}`)
  io.stdout.write(`${lines.join("\n")}\n`)
  return EXIT_OK
}

async function z85(args: readonly string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args
  const { values, positionals } = parseArgs({ args: rest, options: { stdin: { type: "boolean" } }, allowPositionals: true, strict: true })
  if (sub === "encode") {
    let bytes: Uint8Array
    if (values.stdin === true) {
      if (positionals.length !== 0) throw new UsageError("z85 encode: expected HEX or --stdin, got both")
      bytes = await io.readStdin()
    } else {
      if (positionals.length !== 1) throw new UsageError(`z85 encode: expected one HEX argument or --stdin, got ${positionals.length} arguments`)
      bytes = parseHex(positionals[0] as string)
    }
    if (bytes.length % 4 !== 0) throw new Failure(`z85 encode: expected a multiple of 4 octets, got ${bytes.length}`)
    io.stdout.write(`${z85Encode(bytes)}\n`)
    return EXIT_OK
  }
  if (sub === "decode") {
    if (values.stdin === true) throw new UsageError("z85 decode: --stdin is only for encode")
    if (positionals.length !== 1) throw new UsageError(`z85 decode: expected one Z85 argument, got ${positionals.length}`)
    let bytes: Uint8Array
    try {
      bytes = z85Decode(positionals[0] as string)
    } catch (error) {
      throw new Failure(`z85 decode: ${error instanceof Error ? error.message : "invalid Z85"}`)
    }
    io.stdout.write(`${Buffer.from(bytes).toString("hex")}\n`)
    return EXIT_OK
  }
  throw new UsageError(sub === undefined ? "z85: expected encode or decode" : `z85: unknown subcommand ${JSON.stringify(sub)}`)
}

function parseHex(text: string): Uint8Array {
  const clean = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new Failure(`z85 encode: expected an even number of hex digits, got ${clean.length} characters${/^[0-9a-fA-F]*$/.test(clean) ? "" : " with non-hex ones"}`)
  }
  return new Uint8Array(Buffer.from(clean, "hex"))
}

/**
 * keygen's --dir: create it (and missing parents) with mode 0700 when it does not exist, as
 * the place for secret files; an existing directory is used as it is. Any other state (a file
 * in the way, no permission) is one line naming DIR, not a raw errno on a temporary file.
 */
async function ensureDirectory(dir: string): Promise<void> {
  let stat
  try {
    stat = await fs.stat(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Failure(`cannot use directory ${dir}: ${describeFsError(error)}`)
  }
  if (stat !== undefined) {
    if (!stat.isDirectory()) throw new Failure(`cannot use directory ${dir}: it exists and is not a directory`)
    return
  }
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw new Failure(`cannot create directory ${dir}: ${describeFsError(error)}`)
  }
}

/** A file system error as "reason (CODE)", without the path node puts in its message. */
function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const reasons: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    ENOTDIR: "a component of the path is not a directory",
    ENOENT: "no such file or directory",
    EEXIST: "it already exists",
    EROFS: "read-only file system",
    ENOSPC: "no space left on device",
  }
  if (typeof code === "string") return `${reasons[code] ?? "failed"} (${code})`
  return error instanceof Error ? error.message : String(error)
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path)
    return true
  } catch {
    return false
  }
}
