/** Every fuzz target, in the order `npm run fuzz` runs them. */
import type { FuzzTarget } from "../target.js"
import { E2E_TARGETS } from "./e2e.js"
import { ENGINE_TARGETS } from "./engine.js"
import { STREAM_TARGETS } from "./stream-access.js"
import { TEXT_TARGETS } from "./text.js"
import { TLS_TARGETS } from "./tls.js"
import { WIRE_TARGETS } from "./wire.js"

export const TARGETS: readonly FuzzTarget[] = [...WIRE_TARGETS, ...ENGINE_TARGETS, ...TEXT_TARGETS, ...E2E_TARGETS, ...STREAM_TARGETS, ...TLS_TARGETS]
