#!/usr/bin/env node
/**
 * The `ironhouse` executable (package.json "bin": {"ironhouse": "./dist/cli/main.js"}).
 * See run.ts for the commands.
 */
import { run } from "./run.js"

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return new Uint8Array(Buffer.concat(chunks))
}

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, readStdin })
