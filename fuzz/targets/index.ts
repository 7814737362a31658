/** Every fuzz target, in the order `npm run fuzz` runs them. */
import type { FuzzTarget } from "../target.js"
import { ENGINE_TARGETS } from "./engine.js"
import { TEXT_TARGETS } from "./text.js"
import { WIRE_TARGETS } from "./wire.js"

export const TARGETS: readonly FuzzTarget[] = [...WIRE_TARGETS, ...ENGINE_TARGETS, ...TEXT_TARGETS]
