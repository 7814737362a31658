/**
 * Preload for every test file (scripts/run-tests.mjs passes it with --import): what an
 * application that calls box/secretbox functions or builds mechanisms directly does at startup,
 * i.e. load the crypto module (which selects the backend) and wait until the backend is ready
 * (libsodium-wrappers is WebAssembly). The library itself has no top-level await; the engine
 * and socket layer wait on their own (test/crypto/readiness.test.ts runs without this preload).
 */
import { cryptoReady } from "../../src/crypto/index.js"

await cryptoReady()
