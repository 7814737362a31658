/**
 * The audit log: one JSON object per line (JSON lines), to stdout, stderr or a file opened
 * for appending. Every line has `time` (ISO 8601) and `event`; the rest is what the event
 * needs: route, side, peer address, mechanism, User-Id, client public key, the decision and
 * its reason, error codes. Never a secret: lines are built from the fields listed in
 * gateway.ts (no secret key, password or message content ever reaches `write`), and string
 * values are cut at 256 characters.
 *
 * Events: `start`, `route` (a route is up, with its endpoints), `bind` (an endpoint listens;
 * tcp://…:* shows the port chosen), `metrics` (the HTTP endpoint), `decision` (the
 * Authenticator's verdict), `connection` (accept, connect, disconnect), `handshake` (ok,
 * refused, failed), `certificate` (added, removed, replaced, skipped), `reload`,
 * `reload-failed`, `drain`, `stop`, `route-failed`.
 */
import { createWriteStream, type WriteStream } from "node:fs"

export type AuditValue = string | number | boolean | null | undefined | AuditRecord
export interface AuditRecord {
  [key: string]: AuditValue
}

export interface AuditSink {
  write(event: string, fields: AuditRecord): void
  close(): Promise<void>
}

const MAX_STRING = 256

function clean(record: AuditRecord): AuditRecord {
  const out: AuditRecord = {}
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue
    if (typeof value === "string") out[key] = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value
    else if (typeof value === "object" && value !== null) out[key] = clean(value)
    else out[key] = value
  }
  return out
}

/** JSON lines to "stdout", "stderr" or a file path (appended, created with mode 0640). */
export function openAudit(destination: string, clock: () => Date = () => new Date()): AuditSink {
  let stream: { write(text: string): unknown } 
  let file: WriteStream | undefined
  if (destination === "stdout") stream = process.stdout
  else if (destination === "stderr") stream = process.stderr
  else {
    file = createWriteStream(destination, { flags: "a", mode: 0o640 })
    file.on("error", (error) => process.stderr.write(`ironhouse gateway: audit log ${destination}: ${error.message}\n`))
    stream = file
  }
  return {
    write(event, fields) {
      stream.write(`${JSON.stringify({ time: clock().toISOString(), event, ...clean(fields) })}\n`)
    },
    close() {
      if (file === undefined) return Promise.resolve()
      const f = file
      return new Promise<void>((resolve) => f.end(() => resolve()))
    },
  }
}

/** An audit sink that keeps lines in memory (for embedding and tests). */
export function memoryAudit(): AuditSink & { lines: Array<AuditRecord & { event: string }> } {
  const lines: Array<AuditRecord & { event: string }> = []
  return {
    lines,
    write(event, fields) {
      lines.push({ event, ...clean(fields) })
    },
    close: () => Promise.resolve(),
  }
}
