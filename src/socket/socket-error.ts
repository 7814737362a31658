/**
 * Errors the socket API raises for application-level conditions, shaped like the `zeromq`
 * package's `ErrnoError`: an `Error` with a string `code` (the libzmq / POSIX errno name) and
 * the numeric `errno`, so code written for `zeromq` (`err.code === "EAGAIN"`) keeps working.
 *
 * Bad arguments are not `SocketError`s: they are `TypeError` / `RangeError` (the one error
 * contract in ../errors.ts); those raised for a malformed endpoint also carry `code: "EINVAL"`
 * like `zeromq`'s.
 */
import { constants } from "node:os"

/** libzmq's own errno values start at ZMQ_HAUSNUMERO (zmq.h). */
const ZMQ_HAUSNUMERO = 156384712

export const SocketErrorCode = {
  /** Operation not possible now or timed out (sendTimeout / receiveTimeout, or socket closed while waiting). */
  EAGAIN: "EAGAIN",
  /** Another send() or receive() is already waiting on this socket. */
  EBUSY: "EBUSY",
  /** The socket is closed. */
  EBADF: "EBADF",
  /** REQ/REP: the operation is not allowed in the current state of the request-reply cycle. */
  EFSM: "EFSM",
  /** ROUTER with `mandatory`: no peer with that routing id. */
  EHOSTUNREACH: "EHOSTUNREACH",
  /** disconnect()/unbind() of an endpoint that is not connected/bound. */
  ENOENT: "ENOENT",
  /** bind(): the address is in use. */
  EADDRINUSE: "EADDRINUSE",
  /** bind(): the address cannot be bound here. */
  EADDRNOTAVAIL: "EADDRNOTAVAIL",
  /** bind(): permission denied (e.g. a privileged port, or an ipc directory we cannot write). */
  EACCES: "EACCES",
  /** A malformed endpoint or option value. */
  EINVAL: "EINVAL",
  /** bind(): no such network interface, or it has no address of the family (`tcp://eth9:*`). */
  ENODEV: "ENODEV",
  /** A transport we do not implement (only tcp:// and ipc:// are). */
  EPROTONOSUPPORT: "EPROTONOSUPPORT",
} as const
export type SocketErrorCode = (typeof SocketErrorCode)[keyof typeof SocketErrorCode]

const ERRNO: Record<SocketErrorCode, number> = {
  EAGAIN: constants.errno.EAGAIN,
  EBUSY: constants.errno.EBUSY,
  EBADF: constants.errno.EBADF,
  EFSM: ZMQ_HAUSNUMERO + 51,
  EHOSTUNREACH: constants.errno.EHOSTUNREACH,
  ENOENT: constants.errno.ENOENT,
  EADDRINUSE: constants.errno.EADDRINUSE,
  EADDRNOTAVAIL: constants.errno.EADDRNOTAVAIL,
  EACCES: constants.errno.EACCES,
  EINVAL: constants.errno.EINVAL,
  ENODEV: constants.errno.ENODEV,
  EPROTONOSUPPORT: constants.errno.EPROTONOSUPPORT,
}

/** Messages like `zeromq`'s (src/util/error.h), so logs read the same. */
const DEFAULT_MESSAGE: Record<SocketErrorCode, string> = {
  EAGAIN: "Operation was not possible or timed out",
  EBUSY: "Socket is busy",
  EBADF: "Socket is closed",
  EFSM: "Operation cannot be accomplished in current state",
  EHOSTUNREACH: "Host unreachable",
  ENOENT: "No such endpoint",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Can't assign requested address",
  EACCES: "Permission denied",
  EINVAL: "Invalid argument",
  ENODEV: "No such device",
  EPROTONOSUPPORT: "Protocol not supported",
}

export class SocketError extends Error {
  readonly code: SocketErrorCode
  readonly errno: number
  /** The endpoint concerned, for bind/unbind/connect errors (like `zeromq`'s `address`). */
  readonly address: string | undefined

  constructor(code: SocketErrorCode, message?: string, address?: string) {
    super(message ?? DEFAULT_MESSAGE[code])
    this.name = "SocketError"
    this.code = code
    this.errno = ERRNO[code]
    this.address = address
  }
}

export function socketError(code: SocketErrorCode, message?: string, address?: string): SocketError {
  return new SocketError(code, message, address)
}
