/** Shared wire-level value types. Pure: no node:* imports. */

/** One ZMTP frame (RFC 37 "Framing"). `body` may be a view into a larger buffer. */
export interface Frame {
  more: boolean
  command: boolean
  body: Uint8Array
}

/** A ZMTP command: command-body = command-name command-data (RFC 37 "Commands"). */
export interface CommandFrame {
  name: string
  data: Uint8Array
}

/**
 * Connection metadata (RFC 37 "Connection Metadata"): names are case-insensitive, values are
 * opaque octets. Insertion order is kept so encoding is deterministic. Use
 * `getProperty()` from `metadata.ts` for case-insensitive look-ups.
 */
export type Metadata = Map<string, Uint8Array>

/** Sizes the decoder checks before allocating anything. */
export interface Limits {
  /** Largest message (sum of its frames) accepted after the handshake, in octets. */
  maxMessageSize: number
  /** Largest single command accepted during the handshake, in octets. */
  maxHandshakeCommandSize: number
  /**
   * Most frames one message may have. Empty frames add nothing to a message's size, yet each
   * costs ~100 octets of heap while the message is assembled, so a size limit alone cannot
   * bound a multipart message (issue 7, defect 2). libzmq has no such limit.
   */
  maxMessageFrames: number
}

/**
 * Defaults: libzmq's maxMessageSize is unlimited (-1); ours is finite so that a peer cannot
 * make us allocate without bound. Handshake commands get a separate, small limit
 * (libzmq#4436): the largest legitimate one is a CURVE INITIATE with metadata.
 * maxMessageFrames: 65 536 frames hold at most ~7 MB of frame objects while a message is
 * assembled, whatever maxMessageSize is (also when it is unlimited).
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageSize: 64 * 1024 * 1024,
  maxHandshakeCommandSize: 16 * 1024,
  maxMessageFrames: 65_536,
})
