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
