/**
 * The key-check command of a server-side CURVE route (`[route.curve] keyCheck`): for keys kept
 * in a database or a directory service, the Authenticator's `check` callback (pyzmq#1164)
 * answered by a program. Run per handshake with execFile (argv, no shell), a bounded time and
 * bounded output; the client key, peer address and route go in the environment (never on the
 * command line, where `ps` would show them to every user — not secret, but not theirs either).
 *
 * Exit 0 allows: the first line of standard output, if any, becomes the User-Id (at most 255
 * octets, as ZAP allows). Any other exit refuses (400, "refused by key check"). A timeout, a
 * crash or a missing program refuses with 500 ("key check callback failed"), so a broken
 * checker fails closed.
 *
 * Or a URL (`keyCheck = { url = "https://..." }`): POST `{"publicKey","address","route"}` as
 * JSON; 200 allows (a JSON body `{"userId": "..."}` sets the User-Id), 401/403/404 refuse
 * (400), anything else, a timeout or a network error fails closed (500). Redirects are not
 * followed; the answer is read up to 4 KiB.
 */
import { execFile } from "node:child_process"
import type { CurveAcceptance, CurveKeyCheck } from "../auth/authenticator.js"

const MAX_OUTPUT = 4096

export function keyCheckCommand(command: readonly string[], timeout: number, route: string): CurveKeyCheck {
  const [file, ...args] = command
  if (file === undefined) throw new RangeError("expected a key-check command, got an empty argv")
  return (publicKey, request) =>
    new Promise<boolean | CurveAcceptance>((resolve, reject) => {
      execFile(
        file,
        args,
        {
          timeout,
          maxBuffer: MAX_OUTPUT,
          killSignal: "SIGKILL",
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", IRONHOUSE_CLIENT_KEY: publicKey, IRONHOUSE_PEER_ADDRESS: request.address, IRONHOUSE_ROUTE: route },
          windowsHide: true,
        },
        (error, stdout) => {
          if (error === null) {
            const userId = String(stdout).split("\n")[0]?.trim() ?? ""
            resolve(userId === "" || Buffer.byteLength(userId) > 255 ? true : { userId })
            return
          }
          // Exited with a status: a refusal. Killed (timeout), not found, crashed: a failure.
          if (typeof error.code === "number" && error.killed !== true && error.signal == null) resolve(false)
          else reject(new Error("key check failed"))
        },
      )
    })
}

export function keyCheckUrl(url: string, timeout: number, route: string): CurveKeyCheck {
  return async (publicKey, request) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ publicKey, address: request.address, route }),
      redirect: "manual",
      signal: AbortSignal.timeout(timeout),
    })
    const body = await readBounded(response)
    if (response.status === 401 || response.status === 403 || response.status === 404) return false
    if (response.status !== 200) throw new Error(`key check answered ${response.status}`)
    if (body.trim() === "") return true
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return true // 200 with a non-JSON body: allowed, default User-Id
    }
    const userId = typeof parsed === "object" && parsed !== null ? (parsed as { userId?: unknown }).userId : undefined
    return typeof userId === "string" && userId !== "" && Buffer.byteLength(userId) <= 255 ? { userId } : true
  }
}

async function readBounded(response: Response): Promise<string> {
  if (response.body === null) return ""
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > MAX_OUTPUT) {
      await reader.cancel()
      throw new Error("key check answer too large")
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString("utf8")
}
