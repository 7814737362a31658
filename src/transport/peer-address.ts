/**
 * Peer addresses as libzmq's users write rules for them. A dual-stack listener (`tcp://*` with
 * ipv6, or `tcp://[::]`) sees an IPv4 peer as the IPv4-mapped IPv6 address `::ffff:a.b.c.d`
 * (RFC 4291 section 2.5.5.2); we report it as `a.b.c.d`, the form RFC 27 names for IPv4 ("an
 * IPv4 dotted string"), so that a ZAP handler's `127.0.0.1` rule matches the peer it means,
 * whatever the listener's family. (libzmq 4.3.5 itself passes the mapped form to ZAP on a
 * dual-stack listener; serveZeromqZap unmaps it too, so decisions read the same either way.)
 *
 * Pure: no node:* import, so the ZAP adapter and the transports share it.
 */

const MAPPED = /^::ffff:((?:[0-9]{1,3}\.){3}[0-9]{1,3})$/i

/** `::ffff:a.b.c.d` → `a.b.c.d`; every other address (IPv6, IPv4, "") unchanged. */
export function unmapIPv4(address: string): string {
  const match = MAPPED.exec(address)
  return match === null ? address : (match[1] as string)
}
