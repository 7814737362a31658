/**
 * The one error for a handshake command that the current state does not expect: a wrong or
 * misspelt name, or any command where none is expected (libzmq reports
 * ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND for the first; we use the same code for both).
 * Pure.
 */
import { ErrorCode, type ProtocolError, protocolError } from "../errors.js"
import type { CommandFrame } from "../wire/types.js"

const NAME_SHOWN_MAX = 32

/** ProtocolError(UNEXPECTED_COMMAND) naming what `state` expected and what came. */
export function unexpectedCommand(
  mechanism: string,
  state: string,
  expected: readonly string[],
  command: CommandFrame,
): ProtocolError {
  const name = typeof command?.name === "string" ? command.name : ""
  const shown = JSON.stringify(name.length > NAME_SHOWN_MAX ? `${name.slice(0, NAME_SHOWN_MAX)}...` : name)
  const wanted = expected.length === 0 ? "no command" : expected.join(" or ")
  return protocolError(ErrorCode.UNEXPECTED_COMMAND, `${mechanism} ${state}: expected ${wanted}, got ${shown}`)
}
