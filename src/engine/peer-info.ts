import type { MechanismName, SocketTypeName } from "../wire/constants.js"
import type { Metadata } from "../wire/types.js"

/**
 * What we know about the peer of one connection once its handshake completed. One frozen
 * object per connection, shared by every message received on it (no per-message cost).
 */
export interface PeerInfo {
  readonly mechanism: MechanismName
  /** The peer's Socket-Type property. */
  readonly socketType: SocketTypeName
  /** The peer's Identity property (empty when it announced none). */
  readonly routingId: Uint8Array
  /** Authenticated identity from the authenticator ("" when none). Property `User-Id`. */
  readonly userId: string
  /** Peer's IP address ("" for ipc). Property `Peer-Address`. */
  readonly address: string
  /** CURVE: the peer's long-term public key in Z85. */
  readonly publicKey: string | undefined
  /**
   * Every connection property: what the peer announced, what the authenticator added,
   * plus `User-Id` and `Peer-Address`. Names are case-insensitive: use getProperty().
   */
  readonly properties: Metadata
  /** ZMTP minor version of the peer (0: a 3.0 peer). */
  readonly zmtpMinor: number
}
