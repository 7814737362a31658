/** examples/e2e (npm run example:e2e) runs to completion and shows what it promises. */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

describe("examples/e2e", () => {
  it("demo: the allowed client is served through the broker, the unknown key is refused, the broker sees no plaintext", async () => {
    const file = fileURLToPath(new URL("../../examples/e2e/demo.js", import.meta.url))
    const { status, out } = await new Promise<{ status: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] })
      let out = ""
      child.stdout.on("data", (c: Buffer) => (out += c.toString()))
      child.once("exit", (status) => resolve({ status, out }))
    })
    assert.equal(status, 0, out)
    assert.match(out, /client: \["hello","end to end"\] -> \["HELLO","END TO END"\]/)
    assert.match(out, /worker: \["bye"\] from client-/)
    assert.match(out, /client: refused \(the peer refused authentication with status 400\)/)
    const brokerLines = out.split("\n").filter((l) => l.startsWith("broker"))
    assert.ok(brokerLines.length >= 10)
    // Command names (HELLO...) and ciphertext in hex; never the payload text (no "y" is hex).
    for (const l of brokerLines) assert.doesNotMatch(l, /"hello"|end to end|bye|let me in/i)
  })
})
