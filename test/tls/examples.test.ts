/** examples/tls/ runs: server, proxy and client in one process (demo.js), with the output the README shows. */
import { it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

it("examples/tls demo: mutual TLS through a proxy, multipart, a resumed reconnect", () => {
  const demo = fileURLToPath(new URL("../../examples/tls/demo.js", import.meta.url))
  const r = spawnSync(process.execPath, [demo], { encoding: "utf8", timeout: 30_000 })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /client: TLSv1\.3 TLS_AES_256_GCM_SHA384, server localhost/)
  assert.match(r.stdout, /server: \[hello \| multipart \| world\] from test-client \(TLSv1\.3\)/)
  assert.match(r.stdout, /client: got \[ok \| hello \| multipart \| world\]/)
  assert.match(r.stdout, /client: reconnected, session resumed: true/)
  assert.match(r.stdout, /client: got \[ok \| after the reconnect\]/)
})
