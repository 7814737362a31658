/**
 * Issue 7 defect 8 / issue 15 item 2: the sans-IO layers (src/wire, src/mechanism,
 * src/engine) import no `node:*` module and no package, directly or through any file they
 * import; and no module of Ironhouse's import graph uses a top-level await, so the package can
 * be loaded synchronously (require) and the crypto backend is resolved without one.
 *
 * The graph is read from the compiled JavaScript (what actually runs; type-only imports are
 * gone there): every `import … from "x"`, `export … from "x"` and `import "x"` statement,
 * followed through relative specifiers. A dynamic import() in a pure layer is refused too: it
 * would hide a dependency from this check.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const BUILD_SRC = fileURLToPath(new URL("../../src/", import.meta.url))
const PURE = ["wire", "mechanism", "engine"]

function jsFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...jsFiles(path))
    else if (name.endsWith(".js")) out.push(path)
  }
  return out
}

/** Import specifiers of one compiled module (statements start a line in tsc's output). */
export function importSpecifiers(code: string): { specifiers: string[]; dynamic: number } {
  const specifiers: string[] = []
  const statement = /^[ \t]*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/gm
  const bare = /^[ \t]*import\s*["']([^"']+)["']/gm
  for (const m of code.matchAll(statement)) specifiers.push(m[1] as string)
  for (const m of code.matchAll(bare)) specifiers.push(m[1] as string)
  let dynamic = 0
  for (const line of code.split("\n")) {
    const t = line.trimStart()
    if (t.startsWith("*") || t.startsWith("//") || t.startsWith("/*")) continue
    if (/\bimport\s*\(/.test(line)) dynamic++
  }
  return { specifiers, dynamic }
}

/** Every module reachable from `entries`, with the offending imports found on the way. */
function walk(entries: string[]): { visited: Set<string>; offences: string[] } {
  const visited = new Set<string>()
  const offences: string[] = []
  const stack = [...entries]
  while (stack.length > 0) {
    const file = stack.pop() as string
    if (visited.has(file)) continue
    visited.add(file)
    const { specifiers, dynamic } = importSpecifiers(readFileSync(file, "utf8"))
    const where = relative(BUILD_SRC, file)
    if (dynamic > 0) offences.push(`${where}: dynamic import()`)
    for (const spec of specifiers) {
      if (spec.startsWith("./") || spec.startsWith("../")) stack.push(resolve(dirname(file), spec))
      else offences.push(`${where} imports ${JSON.stringify(spec)}`)
    }
  }
  return { visited, offences }
}

describe("The sans-IO layers are runtime-free", () => {
  it("the import scanner sees static, re-export, side-effect and dynamic imports (and not comments)", () => {
    const code = [
      'import { a } from "./a.js";',
      "import {",
      "  b,",
      '} from "../b.js";',
      'export * from "node:crypto";',
      'export { c } from "pkg";',
      'import "./side.js";',
      ' * import x from "zeromq"',
      "const m = await import(name);",
    ].join("\n")
    const found = importSpecifiers(code)
    assert.deepEqual(found.specifiers.sort(), ["../b.js", "./a.js", "./side.js", "node:crypto", "pkg"])
    assert.equal(found.dynamic, 1)
  })

  it("src/wire, src/mechanism and src/engine import no node:* module and no package, even transitively", () => {
    const entries = PURE.flatMap((dir) => jsFiles(join(BUILD_SRC, dir)))
    assert.ok(entries.length >= 20, `found ${entries.length} compiled modules`)
    const { visited, offences } = walk(entries)
    assert.deepEqual(offences, [])
    // The graph does reach the crypto front, and only its pure part.
    const reached = [...visited].map((f) => relative(BUILD_SRC, f)).filter((f) => f.startsWith("crypto"))
    assert.ok(reached.includes(join("crypto", "nacl.js")), `reached ${reached.join(", ")}`)
    assert.ok(!reached.includes(join("crypto", "index.js")))
  })

  it("the whole package loads with require(): no top-level await anywhere in its import graph", () => {
    const flag = process.allowedNodeEnvironmentFlags.has("--experimental-require-module") ? ["--experimental-require-module", "--no-warnings"] : []
    const index = join(BUILD_SRC, "index.js")
    for (const backend of ["", "libsodium-wrappers"]) {
      const script =
        `const m = require(${JSON.stringify(index)}); ` +
        // Synchronous key generation works at once, whichever backend is still loading.
        `const k = m.curveKeyPair(); if (k.publicKey.length !== 40) throw new Error("bad key"); ` +
        `m.Certificate && process.stdout.write("ok")`
      const result = spawnSync(process.execPath, [...flag, "-e", script], {
        encoding: "utf8",
        env: { ...process.env, IRONHOUSE_CRYPTO: backend },
      })
      assert.equal(result.status, 0, `IRONHOUSE_CRYPTO=${backend}: ${result.stderr}`)
      assert.equal(result.stdout, "ok")
    }
  })
})
