/** The pattern examples (examples/patterns/*.ts) run to completion and print what they promise. */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

function run(name: string): Promise<{ status: number | null; out: string }> {
  const file = fileURLToPath(new URL(`../../examples/patterns/${name}.js`, import.meta.url))
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (c: Buffer) => (out += c.toString()))
    child.once("exit", (status) => resolve({ status, out }))
  })
}

const EXPECT: Record<string, RegExp[]> = {
  "req-rep": [/server: "hello" from client-1 over CURVE/, /client: how are you -> HOW ARE YOU!/],
  "push-pull": [/worker-a: .* squared is/, /worker-b: .* squared is/],
  "pub-sub": [/subscriber got weather\.paris: last/],
  "dealer-router": [/job 2 done for alice/, /job 1 done for bob/],
  pair: [/right got ping/, /left got pong \| with \| three frames/],
  proxy: [/alice got: JOB 1 FROM ALICE \(by worker-/, /bob got: JOB 2 FROM BOB/, /forwarded 4 requests and 4 replies/],
}

describe("examples/patterns", () => {
  for (const [name, patterns] of Object.entries(EXPECT)) {
    it(`${name} runs and exits`, async () => {
      const { status, out } = await run(name)
      assert.equal(status, 0, out)
      for (const p of patterns) assert.match(out, p)
      if (name === "pub-sub") assert.doesNotMatch(out, /sport/, "the subscriber never sees other topics")
    })
  }
})
