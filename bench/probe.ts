/**
 * Checks that an implementation loads with every socket class the bench uses, and reports its
 * version when it exports one, so the orchestrator can mark all of an implementation's rows
 * n/a at once instead of failing each.
 */
import { runChild } from "./child.js"
import { isImplName, loadImpl } from "./impl.js"

runChild(async (args) => {
  if (!isImplName(args.impl)) throw new TypeError(`expected an impl name, got ${args.impl}`)
  const impl = await loadImpl(args.impl)
  impl.curveKeyPair()
  return { version: impl.version }
})
