"use strict"
/**
 * The CommonJS entry of Ironhouse (package.json "exports" → "require"), issue 15 item 2:
 * `const zmq = require("ironhouse")` works like `require("zeromq")`.
 *
 * Ironhouse is ESM; its import graph has no top-level await (the crypto backend is chosen
 * synchronously, see src/crypto/index.ts), so Node can load it with require() ("require(esm)",
 * on by default since Node 20.19 and 22.12). This file re-exports that same module instance,
 * so `require` and `import` users share one `context`, one set of classes (instanceof works
 * across both). On an older Node, require(esm) is off: the error says what to do.
 */
try {
  module.exports = require("../dist/index.js")
} catch (err) {
  if (err && err.code === "ERR_REQUIRE_ESM") {
    throw new Error(
      `require("ironhouse") needs Node 20.19+ or 22.12+ (require of an ES module); on Node ${process.versions.node} ` +
        `use \`const zmq = await import("ironhouse")\` instead`,
      { cause: err },
    )
  }
  throw err
}
