/**
 * Loading a gateway config from disk: read the file (bounded), parse and validate it
 * (config.ts), plan the routes (plan.ts), then open what the routes reference — secret
 * certificates, password and credential files, certificate directories — and report every
 * problem in the same one-line shape. Paths are relative to the config file's directory.
 *
 * Secret files (secret certificates, password files, client credentials) must be regular
 * files readable by their owner only (no group or other bits, i.e. 0600 or 0400): anything
 * else is refused with the mode found, before the file is read. Their content never appears
 * in a problem, an audit line or `inspect` output (RouteSecrets keeps it in private fields).
 */
import { constants as fsConstants, promises as fs } from "node:fs"
import { dirname, resolve } from "node:path"
import { inspect } from "node:util"
import { parsePasswordFile, PasswordFileError } from "../auth/password-file.js"
import { Certificate } from "../cert/certificate.js"
import { SECRET_FILE_SUFFIX } from "../cert/certificate-format.js"
import { isErrnoException, readBoundedFile } from "../cert/file-io.js"
import { z85Decode } from "../wire/z85.js"
import { type ConfigProblem, fieldName, formatOf, type Locator, MAX_CONFIG_FILE_SIZE, parseConfig } from "./config.js"
import { type GatewayPlan, type KeyCheckPlan, planGateway, type RoutePlan } from "./plan.js"

/** The secret material of one route, in private fields (never shown by inspect or JSON). */
export class RouteSecrets {
  readonly #curveSecretKey: Uint8Array | undefined
  readonly #plainPassword: string | undefined
  /** CURVE: this gateway's public key (Z85), for the audit log. */
  readonly curvePublicKey: string | undefined
  /** CURVE client side: the server's public key (32 octets). */
  readonly curveServerKey: Uint8Array | undefined
  /** PLAIN client side. */
  readonly plainUsername: string | undefined
  /** Server side: absolute paths. */
  readonly clientsDirectory: string | undefined
  readonly passwordFile: string | undefined
  /** Server side: the key-check command with its program path resolved. */
  readonly keyCheck: KeyCheckPlan | undefined

  constructor(init: {
    keyCheck?: KeyCheckPlan | undefined
    curveSecretKey?: Uint8Array | undefined
    curvePublicKey?: string | undefined
    curveServerKey?: Uint8Array | undefined
    plainUsername?: string | undefined
    plainPassword?: string | undefined
    clientsDirectory?: string | undefined
    passwordFile?: string | undefined
  }) {
    this.#curveSecretKey = init.curveSecretKey
    this.curvePublicKey = init.curvePublicKey
    this.curveServerKey = init.curveServerKey
    this.plainUsername = init.plainUsername
    this.#plainPassword = init.plainPassword
    this.clientsDirectory = init.clientsDirectory
    this.passwordFile = init.passwordFile
    this.keyCheck = init.keyCheck
  }

  get curveSecretKey(): Uint8Array | undefined {
    return this.#curveSecretKey
  }

  get plainPassword(): string | undefined {
    return this.#plainPassword
  }

  [inspect.custom](): string {
    return `RouteSecrets { curvePublicKey: ${String(this.curvePublicKey)}, secrets: [hidden] }`
  }

  toJSON(): object {
    return { curvePublicKey: this.curvePublicKey }
  }
}

export interface LoadedGateway {
  file: string
  plan: GatewayPlan
  /** By route name. */
  secrets: Map<string, RouteSecrets>
}

export type LoadResult = { ok: true; gateway: LoadedGateway } | { ok: false; problems: ConfigProblem[] }

/** Read, validate, plan and open everything a config references. Never throws for bad input. */
export async function loadGatewayConfig(file: string): Promise<LoadResult> {
  let text: string
  try {
    const read = await readBoundedFile(file, MAX_CONFIG_FILE_SIZE)
    if (read === undefined) return { ok: false, problems: [{ file, field: "", message: "expected a config file, got no file at this path" }] }
    text = new TextDecoder("utf-8", { fatal: true }).decode(read.bytes)
  } catch (error) {
    return { ok: false, problems: [{ file, field: "", message: describeFileError(error, "a readable UTF-8 config file") }] }
  }
  const parsed = parseConfig(text, file, formatOf(file))
  if (!parsed.ok) return parsed
  const planned = planGateway(parsed.config, file, parsed.locate)
  const base = dirname(resolve(file))
  // The files of every route that planned cleanly are checked too, so one run lists it all.
  const problems: ConfigProblem[] = planned.ok ? [] : [...planned.problems]
  const secrets = new Map<string, RouteSecrets>()
  for (const route of planned.ok ? planned.plan.routes : planned.routes) {
    const loaded = await loadRoute(route, base, file, parsed.locate, problems)
    if (loaded) secrets.set(route.name, loaded)
  }
  if (!planned.ok) return { ok: false, problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) }
  const plan = planned.plan
  if (plan.audit !== "stdout" && plan.audit !== "stderr") plan.audit = resolve(base, plan.audit)
  if (problems.length > 0) return { ok: false, problems }
  return { ok: true, gateway: { file, plan, secrets } }
}

async function loadRoute(route: RoutePlan, base: string, file: string, locate: Locator, problems: ConfigProblem[]): Promise<RouteSecrets | undefined> {
  const before = problems.length
  const problem = (path: PropertyKey[], message: string): void => {
    const at = ["route", route.index, ...path]
    problems.push({ file, line: locate(at), field: fieldName(at), message })
  }
  const security = route.security
  switch (security.kind) {
    case "curve-server":
    case "curve-client": {
      const certificate = await loadSecretCertificate(resolve(base, security.certificate), (m) => problem(["curve", "certificate"], m))
      let serverKey: Uint8Array | undefined
      let clientsDirectory: string | undefined
      let keyCheck: KeyCheckPlan | undefined
      if (security.kind === "curve-client") {
        if (security.serverKey !== undefined) serverKey = z85Decode(security.serverKey)
        else if (security.serverCertificate !== undefined) {
          try {
            serverKey = (await Certificate.load(resolve(base, security.serverCertificate))).publicKeyBytes
          } catch (error) {
            problem(["curve", "serverCertificate"], `expected a readable public certificate: ${error instanceof Error ? error.message : "unreadable"}`)
          }
        }
      } else if (security.keyCheck !== undefined && "command" in security.keyCheck) {
        const [program] = security.keyCheck.command
        if (program !== undefined && program.includes("/")) {
          const path = resolve(base, program)
          try {
            await fs.access(path, fsConstants.X_OK)
            keyCheck = { command: [path, ...security.keyCheck.command.slice(1)], timeout: security.keyCheck.timeout }
          } catch (error) {
            problem(["curve", "keyCheck", "command", 0], `${path}: ${describeFileError(error, "an executable program")}`)
          }
        } else keyCheck = security.keyCheck // looked up on PATH when run
      } else if (security.keyCheck !== undefined) {
        keyCheck = security.keyCheck // a URL: asked per handshake
      } else if (security.clients !== undefined) {
        clientsDirectory = resolve(base, security.clients)
        try {
          const stat = await fs.stat(clientsDirectory)
          if (!stat.isDirectory()) problem(["curve", "clients"], `expected a directory of client certificates, got a file (${clientsDirectory})`)
        } catch (error) {
          problem(["curve", "clients"], `${clientsDirectory}: ${describeFileError(error, "a directory of client certificates")}`)
        }
      }
      if (problems.length > before || certificate === undefined) return undefined
      return new RouteSecrets({
        curveSecretKey: certificate.secretKeyBytes,
        curvePublicKey: certificate.publicKey,
        curveServerKey: serverKey,
        clientsDirectory,
        keyCheck,
      })
    }
    case "plain-server": {
      const path = resolve(base, security.passwordFile)
      const text = await readSecretFile(path, (m) => problem(["plain", "passwordFile"], m))
      if (text === undefined) return undefined
      try {
        parsePasswordFile(text, path)
      } catch (error) {
        problem(["plain", "passwordFile"], error instanceof PasswordFileError ? error.message : "expected name=password lines")
        return undefined
      }
      return new RouteSecrets({ passwordFile: path })
    }
    case "plain-client": {
      const path = resolve(base, security.credentials)
      const text = await readSecretFile(path, (m) => problem(["plain", "credentials"], m))
      if (text === undefined) return undefined
      let entries: Map<string, string>
      try {
        entries = parsePasswordFile(text, path)
      } catch (error) {
        problem(["plain", "credentials"], error instanceof PasswordFileError ? error.message : "expected one name=password line")
        return undefined
      }
      const first = [...entries][0]
      if (entries.size !== 1 || first === undefined) {
        problem(["plain", "credentials"], `${path}: expected exactly one name=password line, got ${entries.size}`)
        return undefined
      }
      return new RouteSecrets({ plainUsername: first[0], plainPassword: first[1] })
    }
  }
}

/** Refuse a secret file that is not a regular file readable by its owner only. */
export async function checkSecretFileMode(path: string): Promise<string | undefined> {
  let stat
  try {
    stat = await fs.stat(path)
  } catch (error) {
    return `${path}: ${describeFileError(error, "a secret file")}`
  }
  if (!stat.isFile()) return `${path}: expected a regular file, got something else`
  const mode = stat.mode & 0o777
  if ((mode & 0o077) !== 0) {
    return `${path}: expected mode 0600 (a secret file readable by its owner only), got 0${mode.toString(8)}; refused (chmod 600 ${path})`
  }
  return undefined
}

async function readSecretFile(path: string, report: (message: string) => void): Promise<string | undefined> {
  const refused = await checkSecretFileMode(path)
  if (refused !== undefined) {
    report(refused)
    return undefined
  }
  try {
    const read = await readBoundedFile(path, 1024 * 1024)
    if (read === undefined) {
      report(`${path}: expected a secret file, got no file at this path`)
      return undefined
    }
    return new TextDecoder("utf-8", { fatal: true }).decode(read.bytes)
  } catch (error) {
    report(`${path}: ${describeFileError(error, "a readable UTF-8 file")}`)
    return undefined
  }
}

async function loadSecretCertificate(path: string, report: (message: string) => void): Promise<Certificate | undefined> {
  // NAME.key_secret, or NAME.key beside it: the mode checked is the secret file's.
  let secretPath = path
  if (!path.endsWith(SECRET_FILE_SUFFIX)) {
    try {
      await fs.stat(path + SECRET_FILE_SUFFIX)
      secretPath = path + SECRET_FILE_SUFFIX
    } catch {
      secretPath = path
    }
  }
  const refused = await checkSecretFileMode(secretPath)
  if (refused !== undefined) {
    report(refused)
    return undefined
  }
  let certificate: Certificate
  try {
    certificate = await Certificate.load(path)
  } catch (error) {
    report(`expected a secret certificate file: ${error instanceof Error ? error.message : "unreadable"}`)
    return undefined
  }
  if (!certificate.hasSecretKey) {
    report(`${path}: expected a secret certificate (NAME${SECRET_FILE_SUFFIX}, with secret-key), got a public one`)
    return undefined
  }
  return certificate
}

function describeFileError(error: unknown, expected: string): string {
  if (error instanceof RangeError) return error.message
  if (error instanceof TypeError) return `expected ${expected}, got bytes that are not UTF-8`
  if (isErrnoException(error)) return `expected ${expected}, got ${error.code === "ENOENT" ? "no such file or directory" : error.code}`
  return `expected ${expected}`
}
