/**
 * ZPL, the ZeroMQ Property Language (rfc.zeromq.org spec 4), as much of it as certificate files
 * need, read strictly and written so that both CZMQ's `zconfig` and pyzmq can read it back.
 *
 * What spec 4 says, and what this module does with it:
 * - "Hierarchy is signaled by indentation, where a child is indented 4 spaces more than its
 *   parent." Indentation that is not a multiple of 4 spaces, contains a tab, or jumps more than
 *   one level is an error (CZMQ rejects the same files).
 * - "Text starting with '#' is discarded as a comment." Whole-line comments may be indented;
 *   an unquoted value ends at the first `#`. Inside quotes `#` is an ordinary character (Z85
 *   keys contain `#`, see /work/shared/CERT-FORMAT.md).
 * - "An entire value can be enclosed with single or double quotes, which do not form part of
 *   the value." "Any printable character except the closing quote is valid in a quoted string."
 *   "A value that starts with a quote and does not end in a matching quote is treated as
 *   unquoted." "There is no mechanism for escaping quotes." So a quoted value ends at the first
 *   matching quote and may be followed only by whitespace or a comment; text after it (what CZMQ
 *   writes for `say "hi"`, or `"a" b`) is an error, as in CZMQ's zconfig, because no reading is
 *   certain. A value whose opening quote is never closed is unquoted. pyzmq writes metadata
 *   unquoted, which this reader accepts.
 * - Names: `name-char = ALPHA | DIGIT | "$" | "-" | "_" | "@" | "." | "&" | "+" | "/"`; like
 *   CZMQ, a name may not start or end with `/`.
 * - Line endings: LF, CR or CRLF. Trailing whitespace is not part of an unquoted value.
 *
 * Since ZPL has no escapes, the writer picks the quote that does not occur in the value
 * (`"` first, as CZMQ does, else `'`) and refuses values that contain both or contain control
 * characters: such values cannot be written so that they read back unchanged.
 *
 * Errors never echo values (they may be secret keys): they give the line, the column, and what
 * was expected.
 */
import { CertificateError } from "./certificate-error.js"

/** One property: a name, an optional value, and child properties. */
export interface ZplNode {
  name: string
  /** `undefined` when the line has no `=` (a section such as `curve`). */
  value: string | undefined
  /** 1-based line the property was read from (0 for nodes built in memory). */
  line: number
  children: ZplNode[]
}

/** What `formatZpl` writes: a property with an optional value and children. */
export interface ZplWritable {
  name: string
  value?: string
  children?: readonly ZplWritable[]
}

/** A parsed ZPL file: the top-level properties and the comment lines in front of the first one. */
export interface ZplDocument {
  /** Text of each leading `#` comment line without the `#`. */
  comments: string[]
  nodes: ZplNode[]
}

export const ZPL_INDENT = "    "
const NAME_CHAR = /[A-Za-z0-9$\-_@.&+/]/
const NAME_PATTERN = /^[A-Za-z0-9$\-_@.&+/]+$/
// Control characters (C0 and DEL), except TAB which is whitespace in ZPL.
const CONTROL_CHAR = /[\u0000-\u0008\u000a-\u001f\u007f]/
const CONTROL_CHAR_OR_TAB = /[\u0000-\u001f\u007f]/

/**
 * A property name from the file, for an error message. Names in certificates are short
 * (`public-key`, `secret-key`, `name`); a long "name" is more likely a key value that lost its
 * `secret-key =` (a 40-character Z85 key can consist of name characters only), and secrets
 * never appear in errors, so a name over 16 characters is described, not quoted. Found by the
 * certificate fuzz target (fuzz/targets/text.ts), in a CI run of this stop.
 */
const QUOTABLE_NAME = 16
function describeName(name: string): string {
  return name.length <= QUOTABLE_NAME ? `"${name}"` : `(${name.length} characters, not shown: it may be key material)`
}

/** True when `name` is a valid ZPL property name (spec 4 grammar, no leading/trailing `/`). */
export function isZplName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.startsWith("/") && !name.endsWith("/")
}

/**
 * Work counter for {@link parseZpl}: the characters its scans looked at. Every scan is linear
 * (the parser's regular expressions are single character classes or a literal alternation,
 * which cannot backtrack; blanks are trimmed by a loop), so `examined` stays a small multiple of the text's length; the
 * tests hold it to that with pathological input (issue 7, defect 7: `/[ \t]+$/` took time
 * quadratic in a run of blanks, 1.8 s for a line of 40 000 spaces).
 */
export interface ZplScanStats {
  examined: number
}

/**
 * Index just past the last character of `raw[start, end)` that is not a space or a tab (so
 * `start` when all are blanks). Linear: each character is looked at once, from the end.
 */
function endWithoutBlanks(raw: string, start: number, end: number, stats: ZplScanStats | undefined): number {
  let at = end
  while (at > start) {
    const c = raw.charCodeAt(at - 1)
    if (c !== 0x20 && c !== 0x09) break
    at--
  }
  if (stats !== undefined) stats.examined += end - at + 1
  return at
}

/**
 * Parse ZPL text. `file` only labels errors. Throws {@link CertificateError} naming the file
 * and line for anything spec 4 does not allow. `stats`, when given, counts the work done.
 */
export function parseZpl(text: string, file: string, stats?: ZplScanStats): ZplDocument {
  if (text.charCodeAt(0) === 0xfeff) {
    throw new CertificateError(file, 1, "expected '#' or a property name at the start of the file, got a byte order mark")
  }
  const lines = text.split(/\r\n|\r|\n/)
  if (stats !== undefined) stats.examined += text.length
  const roots: ZplNode[] = []
  const comments: string[] = []
  // stack[i] = the most recent node at level i; its children take level i + 1.
  const stack: ZplNode[] = []

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1
    const line = lines[index] as string
    const raw = line.slice(0, endWithoutBlanks(line, 0, line.length, stats))
    if (raw.length === 0) continue
    if (raw.startsWith("#")) {
      if (roots.length === 0) comments.push(raw.slice(1))
      continue
    }
    const control = CONTROL_CHAR.exec(raw)
    if (stats !== undefined) stats.examined += raw.length
    if (control) {
      throw new CertificateError(file, lineNumber, `expected printable text, got control character 0x${raw.charCodeAt(control.index).toString(16).padStart(2, "0")} at column ${control.index + 1}`)
    }

    let column = 0
    while (raw[column] === " ") column++
    if (raw[column] === "\t") {
      throw new CertificateError(file, lineNumber, `expected indentation by spaces, got a tab at column ${column + 1}`)
    }
    if (raw[column] === "#") continue // an indented comment line
    if (column % 4 !== 0) {
      throw new CertificateError(file, lineNumber, `expected indentation by a multiple of 4 spaces, got ${column} spaces`)
    }
    const level = column / 4
    if (level > stack.length) {
      const parent = stack[stack.length - 1]
      const what = parent === undefined ? "a top-level property (no indentation)" : `at most ${stack.length * 4} spaces of indentation (child of "${parent.name}")`
      throw new CertificateError(file, lineNumber, `expected ${what}, got ${column} spaces`)
    }

    const nameStart = column
    while (column < raw.length && NAME_CHAR.test(raw[column] as string)) column++
    const name = raw.slice(nameStart, column)
    if (name.length === 0) {
      throw new CertificateError(file, lineNumber, `expected a property name (letters, digits or $-_@.&+/) at column ${nameStart + 1}`)
    }
    if (name.startsWith("/") || name.endsWith("/")) {
      throw new CertificateError(file, lineNumber, `expected a property name that does not start or end with '/', got ${describeName(name)}`)
    }

    while (raw[column] === " " || raw[column] === "\t") column++
    let value: string | undefined
    if (column >= raw.length || raw[column] === "#") {
      value = undefined
    } else if (raw[column] === "=") {
      value = parseValue(raw, column + 1, file, lineNumber, name, stats)
    } else {
      throw new CertificateError(file, lineNumber, `expected '=', a comment or the end of the line after property name ${describeName(name)}, got another character at column ${column + 1}`)
    }

    if (stats !== undefined) stats.examined += column // indentation, name, blanks: one look each
    const node: ZplNode = { name, value, line: lineNumber, children: [] }
    if (level === 0) roots.push(node)
    else (stack[level - 1] as ZplNode).children.push(node)
    stack.length = level
    stack.push(node)
  }
  return { comments, nodes: roots }
}

/**
 * Parse the value that starts after the `=` at `start`. A quoted value ends at the first
 * matching quote and may be followed only by whitespace or a comment; a value that starts with
 * a quote that is never closed is unquoted (spec 4).
 */
function parseValue(
  raw: string,
  start: number,
  file: string,
  lineNumber: number,
  name: string,
  stats: ZplScanStats | undefined,
): string {
  let column = start
  while (raw[column] === " " || raw[column] === "\t") column++
  const first = raw[column]
  if (first === '"' || first === "'") {
    const close = raw.indexOf(first, column + 1)
    if (stats !== undefined) stats.examined += (close === -1 ? raw.length : close) - column
    if (close !== -1) {
      const rest = raw.slice(close + 1).trimStart()
      if (rest.length === 0 || rest.startsWith("#")) return raw.slice(column + 1, close)
      // Text after the closing quote: `"say "hi""` (CZMQ's output for a value with '"', which
      // CZMQ itself then refuses) or `"a" b`. No escaping exists, so there is no one right
      // reading; refuse, as CZMQ's zconfig does, rather than guess.
      throw new CertificateError(file, lineNumber, `expected the value of ${describeName(name)} to end at its closing quote (column ${close + 1}), got more text after it; ZPL has no escapes, so a quoted value cannot contain its own quote character`)
    }
    // "A value that starts with a quote and does not end in a matching quote is treated as unquoted."
  }
  return unquotedValue(raw, column, stats)
}

/** An unquoted value runs to a `#` comment or the end of the line, without trailing whitespace. */
function unquotedValue(raw: string, start: number, stats: ZplScanStats | undefined): string {
  const hash = raw.indexOf("#", start)
  const end = hash === -1 ? raw.length : hash
  if (stats !== undefined) stats.examined += end - start
  return raw.slice(start, endWithoutBlanks(raw, start, end, stats))
}

/**
 * Quote one value for writing: `"value"`, or `'value'` when it contains `"`.
 * RangeError when it contains both quote characters or control characters (ZPL cannot
 * represent those). The message never includes the value.
 */
export function formatZplValue(value: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`expected a string value, got ${typeof value}`)
  }
  const control = CONTROL_CHAR_OR_TAB.exec(value)
  if (control) {
    throw new RangeError(`expected a value without control characters or line breaks, got character 0x${value.charCodeAt(control.index).toString(16).padStart(2, "0")} at index ${control.index}`)
  }
  if (!value.includes('"')) return `"${value}"`
  if (!value.includes("'")) return `'${value}'`
  throw new RangeError(`expected a value that does not contain both ' and " (ZPL has no escapes), got a string of length ${value.length} with both`)
}

/**
 * Write ZPL text: the comment lines (each prefixed with `#`), an empty line after them, then the
 * properties, children indented by 4 spaces. Every line ends with `\n`, as CZMQ writes.
 */
export function formatZpl(nodes: readonly ZplWritable[], comments: readonly string[] = []): string {
  const out: string[] = []
  for (const comment of comments) {
    if (/[\r\n]/.test(comment)) throw new RangeError(`expected a comment without line breaks, got a string of length ${comment.length} with one`)
    out.push(`#${comment}\n`)
  }
  if (comments.length > 0) out.push("\n")
  const write = (node: ZplWritable, level: number): void => {
    if (!isZplName(node.name)) {
      throw new RangeError(`expected a ZPL property name (letters, digits or $-_@.&+/, not starting or ending with '/'), got ${JSON.stringify(node.name)}`)
    }
    const indent = ZPL_INDENT.repeat(level)
    out.push(node.value === undefined ? `${indent}${node.name}\n` : `${indent}${node.name} = ${formatZplValue(node.value)}\n`)
    for (const child of node.children ?? []) write(child, level + 1)
  }
  for (const node of nodes) write(node, 0)
  return out.join("")
}
