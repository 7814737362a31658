/**
 * `version` and `capability`, as the `zeromq` package exports them (issue 15, item 1), so
 * code written for `zeromq` that starts with `zmq.capability.ipc` or logs `zmq.version`
 * runs unchanged.
 *
 * - `version` is the libzmq behaviour level Ironhouse follows ("4.3.5", the libzmq of
 *   `zeromq` 6.x), not Ironhouse's own version: code that compares it against libzmq
 *   releases (e.g. "needs >= 4.2 for heartbeats") then decides correctly.
 * - `ironhouseVersion` is this package's own version (package.json `version`; a test keeps
 *   the two in step).
 * - `capability` is true only for what works here: ipc:// and CURVE. No draft socket types
 *   (SERVER/CLIENT/RADIO/DISH/...), no pgm/epgm, tipc, norm, GSSAPI or ws:// transports.
 *   `zeromq`'s own object has no `ws` key; Ironhouse has one (false) so the question has an
 *   answer either way.
 */

/** The libzmq API level whose behaviour Ironhouse follows. */
export const version = "4.3.5"

/** Ironhouse's own version (package.json). */
export const ironhouseVersion = "0.1.0"

/** What this build supports, with `zeromq`'s keys (all present, frozen). */
export const capability: Readonly<{
  ipc: boolean
  pgm: boolean
  tipc: boolean
  norm: boolean
  curve: boolean
  gssapi: boolean
  draft: boolean
  ws: boolean
}> = Object.freeze({
  ipc: true,
  pgm: false,
  tipc: false,
  norm: false,
  curve: true,
  gssapi: false,
  draft: false,
  ws: false,
})
