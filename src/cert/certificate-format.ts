/**
 * The text of a CURVE certificate file, as CZMQ's `zcert_save` and pyzmq's
 * `create_certificates` write it (see /work/shared/CERT-FORMAT.md):
 *
 * ```
 * #   ****  Generated on 2026-11-22 08:29:51 by Ironhouse  ****
 * #   ZeroMQ CURVE Public Certificate
 * #   ...
 *
 * metadata
 *     name = "Alice"
 * curve
 *     public-key = "<40 Z85 chars>"
 *     secret-key = "<40 Z85 chars>"      <- secret file only
 * ```
 *
 * Reading accepts both writers' output (quoted or unquoted metadata, empty or absent `metadata`,
 * any order of items). It is strict where a mistake would change a key: `curve` and
 * `public-key` must be present once, keys must be 40 Z85 characters that decode, and no item
 * may appear twice. Unknown top-level sections and unknown `curve` items are ignored, as CZMQ
 * ignores them. A secret key of all zero octets (what CZMQ writes for a public-only
 * certificate) reads as "no secret key".
 */
import { CURVE_KEY_SIZE, CURVE_Z85_KEY_SIZE } from "../wire/constants.js"
import { z85Decode } from "../wire/z85.js"
import { CertificateError } from "./certificate-error.js"
import { formatZpl, parseZpl, type ZplNode, type ZplWritable } from "./zpl.js"

/** Fields of a certificate file. Keys are Z85 text. */
export interface CertificateFields {
  publicKey: string
  secretKey?: string | undefined
  metadata: Record<string, string>
}

/** Which of the two files to write. */
export type CertificateFileKind = "public" | "secret"

export const METADATA_SECTION = "metadata"
export const CURVE_SECTION = "curve"
export const PUBLIC_KEY_ITEM = "public-key"
export const SECRET_KEY_ITEM = "secret-key"
/** CZMQ's file name suffix for the secret half: `x.key` + `x.key_secret`. */
export const SECRET_FILE_SUFFIX = "_secret"
/** Certificate files are small; anything larger is refused before it is parsed. */
export const MAX_CERTIFICATE_FILE_SIZE = 64 * 1024

/** The banner lines CZMQ writes (zcert.c), after the "Generated on" line. */
const PUBLIC_BANNER = [
  "   ZeroMQ CURVE Public Certificate",
  "   Exchange securely, or use a secure mechanism to verify the contents",
  "   of this file after exchange. Store public certificates in your home",
  "   directory, in the .curve subdirectory.",
] as const
const SECRET_BANNER = [
  "   ZeroMQ CURVE **Secret** Certificate",
  "   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
] as const

/** Local time as CZMQ's `zclock_timestr` formats it: `2026-11-22 08:29:51`. */
export function formatTimestamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
}

/**
 * Write the public or the secret file's text. The public file carries the metadata too (as
 * CZMQ writes it; pyzmq leaves it out of the public file, which loses it for the verifier).
 */
export function formatCertificateText(
  fields: CertificateFields,
  kind: CertificateFileKind,
  options: { date?: Date; writer?: string } = {},
): string {
  if (kind === "secret" && fields.secretKey === undefined) {
    throw new TypeError("expected a certificate with a secret key to write the secret file, got one without")
  }
  const date = options.date ?? new Date()
  const writer = options.writer ?? "Ironhouse"
  const comments = [`   ****  Generated on ${formatTimestamp(date)} by ${writer}  ****`, ...(kind === "public" ? PUBLIC_BANNER : SECRET_BANNER)]
  const curve: ZplWritable[] = [{ name: PUBLIC_KEY_ITEM, value: fields.publicKey }]
  if (kind === "secret") curve.push({ name: SECRET_KEY_ITEM, value: fields.secretKey as string })
  const nodes: ZplWritable[] = [
    { name: METADATA_SECTION, children: Object.entries(fields.metadata).map(([name, value]) => ({ name, value })) },
    { name: CURVE_SECTION, children: curve },
  ]
  return formatZpl(nodes, comments)
}

/** Parse a certificate file's text. `file` labels errors. Throws {@link CertificateError}. */
export function parseCertificateText(text: string, file: string): CertificateFields {
  const document = parseZpl(text, file)
  let metadataNode: ZplNode | undefined
  let curveNode: ZplNode | undefined
  for (const node of document.nodes) {
    if (node.name === METADATA_SECTION) {
      if (metadataNode) throw new CertificateError(file, node.line, `expected one "${METADATA_SECTION}" section, got a second one (first on line ${metadataNode.line})`)
      metadataNode = node
    } else if (node.name === CURVE_SECTION) {
      if (curveNode) throw new CertificateError(file, node.line, `expected one "${CURVE_SECTION}" section, got a second one (first on line ${curveNode.line})`)
      curveNode = node
    }
  }
  if (!curveNode) throw new CertificateError(file, undefined, `expected a "${CURVE_SECTION}" section with "${PUBLIC_KEY_ITEM}", got none`)

  const metadata: [string, string][] = []
  if (metadataNode) {
    if (metadataNode.value !== undefined && metadataNode.value !== "") {
      throw new CertificateError(file, metadataNode.line, `expected "${METADATA_SECTION}" to be a section without a value`)
    }
    const seen = new Map<string, number>()
    for (const item of metadataNode.children) {
      const first = seen.get(item.name)
      if (first !== undefined) throw new CertificateError(file, item.line, `expected each metadata name once, got "${item.name}" again (first on line ${first})`)
      seen.set(item.name, item.line)
      if (item.children.length > 0) {
        throw new CertificateError(file, (item.children[0] as ZplNode).line, `expected metadata item "${item.name}" to have no children`)
      }
      metadata.push([item.name, item.value ?? ""])
    }
  }

  let publicNode: ZplNode | undefined
  let secretNode: ZplNode | undefined
  for (const item of curveNode.children) {
    if (item.name === PUBLIC_KEY_ITEM) {
      if (publicNode) throw new CertificateError(file, item.line, `expected one "${PUBLIC_KEY_ITEM}", got a second one (first on line ${publicNode.line})`)
      publicNode = item
    } else if (item.name === SECRET_KEY_ITEM) {
      if (secretNode) throw new CertificateError(file, item.line, `expected one "${SECRET_KEY_ITEM}", got a second one (first on line ${secretNode.line})`)
      secretNode = item
    }
  }
  if (!publicNode) throw new CertificateError(file, curveNode.line, `expected "${CURVE_SECTION}" to contain "${PUBLIC_KEY_ITEM}", got none`)
  const publicKey = readKey(publicNode, file, false)
  let secretKey: string | undefined
  if (secretNode) {
    secretKey = readKey(secretNode, file, true)
    if (z85Decode(secretKey).every((octet) => octet === 0)) secretKey = undefined
  }
  return { publicKey, secretKey, metadata: Object.fromEntries(metadata) }
}

/** Validate a key item: 40 Z85 characters that decode to 32 octets. Never echoes the key. */
function readKey(node: ZplNode, file: string, secret: boolean): string {
  const value = node.value
  if (value === undefined) {
    throw new CertificateError(file, node.line, `expected ${node.name} = "<${CURVE_Z85_KEY_SIZE} Z85 characters>", got no value`)
  }
  if (value.length !== CURVE_Z85_KEY_SIZE) {
    throw new CertificateError(file, node.line, `expected ${node.name} to be ${CURVE_Z85_KEY_SIZE} Z85 characters (${CURVE_KEY_SIZE} octets), got ${value.length} characters`)
  }
  try {
    z85Decode(value)
  } catch (error) {
    // The decoder's message gives the position of the bad character; for a secret key even
    // that is left out.
    const detail = secret || !(error instanceof Error) ? "" : ` (${error.message})`
    throw new CertificateError(file, node.line, `expected ${node.name} to be ${CURVE_Z85_KEY_SIZE} Z85 characters, got text that is not valid Z85${detail}`)
  }
  return value
}
