#!/usr/bin/env node
// Runs the compiled tests with node's built-in runner.
//   node scripts/run-tests.mjs            every test except test/peers (npm test)
//   node scripts/run-tests.mjs peers      only test/peers (npm run test:peers; needs Debian peers)
//   node scripts/run-tests.mjs FILTER     only test files whose path contains FILTER
import { readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import { pathToFileURL } from "node:url"

const root = "build/test"
const arg = process.argv[2]
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith(".test.js")) files.push(p)
  }
}
walk(root)
const isPeer = (f) => f.includes(`${root}/peers/`)
const selected =
  arg === "peers" ? files.filter(isPeer) : arg ? files.filter((f) => f.includes(arg)) : files.filter((f) => !isPeer(f))
if (selected.length === 0) {
  console.error(`no test files matched ${arg ?? "(all)"}`)
  process.exit(1)
}
// Each test process first loads the crypto module and awaits its readiness, as an application
// using crypto functions directly does (see build/test/helpers/crypto-ready.js).
const preload = pathToFileURL(join(root, "helpers", "crypto-ready.js")).href
const r = spawnSync(process.execPath, ["--import", preload, "--test", "--test-reporter=spec", ...selected], { stdio: "inherit" })
process.exit(r.status ?? 1)
