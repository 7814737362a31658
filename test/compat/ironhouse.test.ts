/** The same behavioural suite against Ironhouse: the import is the only difference. */
import * as ironhouse from "../../src/index.js"
import { behaviourSuite, type Impl } from "./behaviour.js"

const impl: Impl = ironhouse
behaviourSuite("ironhouse", impl)
