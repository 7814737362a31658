/**
 * Byte vectors for the wire codec tests, each with its source.
 *
 * "libzmq 4.3.5" vectors were captured from the `zeromq` npm package 6.x (bundling libzmq
 * 4.3.5) connecting to a raw node:net listener that answered with a hand-built 3.1 greeting
 * and READY; hex as received on the socket.
 */

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "")
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * libzmq 4.3.5 DEALER (routingId "abc", heartbeatInterval 200 ms, heartbeatTimeToLive 3000 ms)
 * sending ["hello", 300 x "x"]: greeting, READY, the two-frame message, then a PING.
 * Note the greeting's padding: libzmq puts identity length + 1 (here 4) in octet 8, the
 * ZMTP 1.0/2.0 detection trick of RFC 37 "Backwards Interoperability".
 */
export const LIBZMQ_DEALER_GREETING = hex(
  "ff00000000000000047f" + "0301" + "4e554c4c" + "00".repeat(16) + "00" + "00".repeat(31),
)
export const LIBZMQ_DEALER_STREAM = concat(
  hex(
    "042c" + "055245414459" + "0b536f636b65742d54797065" + "00000006" + "4445414c4552" +
      "084964656e74697479" + "00000003" + "616263",
  ),
  hex("01" + "05" + "68656c6c6f"),
  hex("02" + "000000000000012c"),
  ascii("x".repeat(300)),
  hex("04" + "07" + "0450494e47" + "001e"),
)

/** libzmq 4.3.5 SUB subscribing to "topic" toward a 3.1 peer: greeting, READY, SUBSCRIBE command. */
export const LIBZMQ_SUB_31 = hex(
  "ff00000000000000017f03014e554c4c" + "00".repeat(48) +
    "0419" + "055245414459" + "0b536f636b65742d5479706500000003535542" +
    "040f" + "09535542534352494245" + "746f706963",
)

/** libzmq 4.3.5 SUB subscribing to "topic" toward a 3.0 peer: the subscription is a message. */
export const LIBZMQ_SUB_30 = hex(
  "ff00000000000000017f03014e554c4c" + "00".repeat(48) +
    "0419" + "055245414459" + "0b536f636b65742d5479706500000003535542" +
    "0006" + "01746f706963",
)

/** libzmq 4.3.5 PLAIN client (username "admin", password "secret"): greeting and HELLO. */
export const LIBZMQ_PLAIN_CLIENT = hex(
  "ff00000000000000017f0301504c41494e" + "00".repeat(15) + "00" + "00".repeat(31) +
    "0413" + "0548454c4c4f" + "0561646d696e" + "06736563726574",
)

/**
 * RFC 37 "Worked Example": the DEALER client's READY command (Socket-Type "DEALER", empty
 * Identity), flags and size included.
 */
export const RFC37_DEALER_READY = concat(
  hex("04 29"),
  hex("05"),
  ascii("READY"),
  hex("0b"),
  ascii("Socket-Type"),
  hex("00 00 00 06"),
  ascii("DEALER"),
  hex("08"),
  ascii("Identity"),
  hex("00 00 00 00"),
)
