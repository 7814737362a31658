/**
 * The implementation under test, chosen by name: `zeromq` (the npm package, libzmq 4.3.5 in a
 * native addon) or `ironhouse` (this repository, build/src/index.js). Both are driven through
 * the same small structural interface, the part of the `zeromq` v6 API the bench uses, so every
 * bench process is the same code for both.
 *
 * The module is checked at run time: when Ironhouse does not (yet) export a socket class the
 * load fails with a message naming it, and the orchestrator prints that row as "n/a (reason)".
 */
export const IMPL_NAMES = ["ironhouse", "zeromq"] as const
export type ImplName = (typeof IMPL_NAMES)[number]

export function isImplName(value: string): value is ImplName {
  return (IMPL_NAMES as readonly string[]).includes(value)
}

/** The part of a `zeromq` v6 socket the bench uses. */
export interface BenchSocket {
  bind(endpoint: string): Promise<void>
  /** Synchronous in `zeromq`; awaited in case an implementation makes it async. */
  connect(endpoint: string): void | Promise<void>
  send(message: Uint8Array | string): Promise<void>
  receive(): Promise<Uint8Array[]>
  close(): void | Promise<void>
  readonly lastEndpoint: string | null
}

/** Constructor options by their `zeromq` property names (linger, curveServer, ...). */
export type SocketOptions = Readonly<Record<string, string | number | boolean>>

export type SocketClass = new (options?: SocketOptions) => BenchSocket

export interface KeyPair {
  readonly publicKey: string
  readonly secretKey: string
}

export interface BenchImpl {
  readonly name: ImplName
  /** The module's exported `version` string (libzmq's for `zeromq`), or "unknown". */
  readonly version: string
  readonly Push: SocketClass
  readonly Pull: SocketClass
  readonly Request: SocketClass
  readonly Reply: SocketClass
  readonly Dealer: SocketClass
  readonly Router: SocketClass
  /** A new CURVE key pair, Z85 (both packages' `curveKeyPair()`). */
  curveKeyPair(): KeyPair
  /**
   * Lets one process hold `count` sockets. libzmq caps a context at ZMQ_MAX_SOCKETS (1023 by
   * default; `zeromq` exposes it as `context.maxSockets`); an implementation without such a
   * cap has nothing to do.
   */
  allowSockets(count: number): void
}

/**
 * Environment variable naming another module to load as "ironhouse" (for example `./dist/...`
 * after `npm run build`, or `zeromq` to check the bench's own plumbing on both columns).
 */
export const IRONHOUSE_MODULE_ENV = "BENCH_IRONHOUSE_MODULE"

function moduleSpecifier(name: ImplName): string {
  if (name === "zeromq") return "zeromq"
  const override = process.env[IRONHOUSE_MODULE_ENV]
  if (override !== undefined && override !== "") {
    return override.startsWith(".") || override.startsWith("/")
      ? new URL(override, `file://${process.cwd()}/`).href
      : override
  }
  // Compiled layout: build/bench/impl.js and build/src/index.js.
  return new URL("../src/index.js", import.meta.url).href
}

function socketClass(module: Record<string, unknown>, name: ImplName, key: string): SocketClass {
  const value = module[key]
  if (typeof value !== "function") throw new Error(`${name} does not export the socket class ${key}`)
  return value as SocketClass
}

function isKeyPair(value: unknown): value is KeyPair {
  if (typeof value !== "object" || value === null) return false
  const pair = value as Record<string, unknown>
  return typeof pair.publicKey === "string" && typeof pair.secretKey === "string"
}

function socketCap(module: Record<string, unknown>): { maxSockets: number } | undefined {
  const context = module.context
  if (typeof context !== "object" || context === null || !("maxSockets" in context)) {
    return undefined
  }
  return typeof context.maxSockets === "number" ? (context as { maxSockets: number }) : undefined
}

export async function loadImpl(name: ImplName): Promise<BenchImpl> {
  const loaded: unknown = await import(moduleSpecifier(name))
  if (typeof loaded !== "object" || loaded === null) {
    throw new TypeError(`${name}: expected a module namespace, got ${typeof loaded}`)
  }
  const module = loaded as Record<string, unknown>
  const classOf = (key: string): SocketClass => socketClass(module, name, key)
  const sockets = {
    Push: classOf("Push"),
    Pull: classOf("Pull"),
    Request: classOf("Request"),
    Reply: classOf("Reply"),
    Dealer: classOf("Dealer"),
    Router: classOf("Router"),
  }
  const makeKeyPair = module.curveKeyPair
  if (typeof makeKeyPair !== "function") throw new Error(`${name} does not export curveKeyPair`)
  const cap = socketCap(module)
  return {
    name,
    version: typeof module.version === "string" ? module.version : "unknown",
    ...sockets,
    curveKeyPair(): KeyPair {
      const pair: unknown = makeKeyPair()
      if (!isKeyPair(pair)) throw new TypeError(`${name}: curveKeyPair() did not return Z85 keys`)
      return pair
    },
    allowSockets(count: number): void {
      if (cap !== undefined && cap.maxSockets < count) cap.maxSockets = count
    },
  }
}

/**
 * The binding (server) side's security options; for CURVE a fresh server key pair whose public
 * half the orchestrator passes to the connecting side.
 */
export function serverSecurity(
  impl: BenchImpl,
  security: "NULL" | "CURVE",
): { options: SocketOptions; serverKey?: string } {
  if (security === "NULL") return { options: {} }
  const pair = impl.curveKeyPair()
  return {
    options: { curveServer: true, curveSecretKey: pair.secretKey },
    serverKey: pair.publicKey,
  }
}

/** The connecting (client) side's security options; CURVE clients get their own key pair. */
export function clientSecurity(
  impl: BenchImpl,
  security: "NULL" | "CURVE",
  serverKey: string | undefined,
  pair: KeyPair = security === "CURVE" ? impl.curveKeyPair() : { publicKey: "", secretKey: "" },
): SocketOptions {
  if (security === "NULL") return {}
  if (serverKey === undefined) throw new TypeError("CURVE client: expected a server key, got none")
  return {
    curveServerKey: serverKey,
    curvePublicKey: pair.publicKey,
    curveSecretKey: pair.secretKey,
  }
}

// ---- h4-proxy (issue 8): the Proxy class, for the proxy row (bench/proxy-hop.ts) ------------------

/** The part of a `zeromq` v6 Proxy the bench uses. */
export interface BenchProxy {
  run(): Promise<void>
  terminate(): void
}

export type ProxyClass = new (frontEnd: BenchSocket, backEnd: BenchSocket) => BenchProxy

/** The module's Proxy class (an error naming it when the module has none). */
export async function loadProxy(name: ImplName): Promise<ProxyClass> {
  const loaded = (await import(moduleSpecifier(name))) as Record<string, unknown>
  const value = loaded.Proxy
  if (typeof value !== "function") throw new Error(`${name} does not export Proxy`)
  return value as ProxyClass
}

// ---- h15-bulk (issue 13 item 6): Publisher / Subscriber for the scaling rows (bench/fanout.ts …) --

/** The part of a `zeromq` v6 Subscriber the bench uses, on top of BenchSocket. */
export interface BenchSubscriber extends BenchSocket {
  subscribe(...prefixes: Array<Uint8Array | string>): void
}

/** `send` with a multipart message (ROUTER: routing id, then the body). */
export interface BenchMultipartSocket extends BenchSocket {
  send(message: Uint8Array | string | Array<Uint8Array | string>): Promise<void>
}

export interface BenchPubSub {
  readonly Publisher: SocketClass
  readonly Subscriber: new (options?: SocketOptions) => BenchSubscriber
  /** Subscribes by sending 0x01 + prefix (and has a send high-water mark of its own). */
  readonly XSubscriber: SocketClass
}

/** The module's Publisher and Subscriber classes (an error naming one that is missing). */
export async function loadPubSub(name: ImplName): Promise<BenchPubSub> {
  const module = (await import(moduleSpecifier(name))) as Record<string, unknown>
  return {
    Publisher: socketClass(module, name, "Publisher"),
    Subscriber: socketClass(module, name, "Subscriber") as unknown as BenchPubSub["Subscriber"],
    XSubscriber: socketClass(module, name, "XSubscriber"),
  }
}
