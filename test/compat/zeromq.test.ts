/** The behavioural suite against the `zeromq` package (libzmq 4.3.5): the reference. */
import * as zeromq from "zeromq"
import { behaviourSuite, type Impl } from "./behaviour.js"

zeromq.context.blocky = false
const impl: Impl = zeromq
behaviourSuite("zeromq", impl)
