/** The test-only certificates from test/fixtures/tls/ (see its README). Use your own PKI. */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const dir = fileURLToPath(new URL("../../../test/fixtures/tls/", import.meta.url))
export const pem = (name: string): Buffer => readFileSync(dir + name)
