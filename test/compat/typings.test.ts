/**
 * Issue 15, item 14: a TypeScript program written against `zeromq`'s typings compiles
 * unchanged against Ironhouse's. The program (test/fixtures/typings/zeromq-program.ts)
 * imports "ironhouse"; it is type-checked twice with `tsc --noEmit`: once with "ironhouse"
 * mapped to `zeromq`'s own declarations (so the program is valid zeromq code) and once to the
 * declarations Ironhouse ships, generated here from src/ with the project's tsconfig.json.
 * A control program with a misspelt option must fail in both (the check really checks).
 */
import { describe, it, before, after } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const repo = fileURLToPath(new URL("../../../", import.meta.url))
const tsc = join(repo, "node_modules", "typescript", "bin", "tsc")
const program = join(repo, "test", "fixtures", "typings", "zeromq-program.ts")

function runTsc(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [tsc, ...args], { cwd: repo, encoding: "utf8", timeout: 120_000 })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

/** A tsconfig that type-checks `files` with "ironhouse" resolved to `typings`. */
function tsconfig(dir: string, name: string, typings: string, files: string[]): string {
  const path = join(dir, `${name}.json`)
  const config = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
      typeRoots: [join(repo, "node_modules", "@types")],
      paths: { ironhouse: [typings] },
    },
    files,
  }
  writeFileSync(path, JSON.stringify(config, null, 2))
  return path
}

describe("typings: a zeromq program compiles unchanged against Ironhouse (issue 15)", () => {
  let dir = ""
  let ironhouseTypings = ""
  const zeromqTypings = join(repo, "node_modules", "zeromq", "lib", "index.d.ts")
  let control = ""

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "ih-typings-"))
    const dts = join(dir, "dts")
    const r = runTsc(["-p", join(repo, "tsconfig.json"), "--emitDeclarationOnly", "--declarationMap", "false", "--sourceMap", "false", "--outDir", dts])
    assert.equal(r.status, 0, r.output)
    ironhouseTypings = join(dts, "index.d.ts")
    control = join(dir, "control.ts")
    writeFileSync(control, 'import { Router } from "ironhouse"\nnew Router({ mandatry: true })\n')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  it("is valid zeromq code: it type-checks against zeromq's own typings", () => {
    const r = runTsc(["-p", tsconfig(dir, "zeromq", zeromqTypings, [program])])
    assert.equal(r.status, 0, r.output)
  })

  it("type-checks against Ironhouse's declarations", () => {
    const r = runTsc(["-p", tsconfig(dir, "ironhouse", ironhouseTypings, [program])])
    assert.equal(r.status, 0, r.output)
  })

  it("control: a misspelt option is a type error against both", () => {
    for (const [name, typings] of [["zeromq-control", zeromqTypings], ["ironhouse-control", ironhouseTypings]] as const) {
      const r = runTsc(["-p", tsconfig(dir, name, typings, [control])])
      assert.notEqual(r.status, 0, `${name} compiled`)
      assert.match(r.output, /mandatry/, name)
    }
  })
})
