/** The secure gateway (issue 12): config, planning, loading and the runtime of `ironhouse gateway`. */
export {
  type ConfigProblem,
  type EndpointConfig,
  type Flow,
  formatProblem,
  type GatewayConfig,
  type IdentityMode,
  parseConfig,
  type Pattern,
  type RouteConfig,
  type Side,
} from "./config.js"
export { describeRoute, type GatewayPlan, planGateway, type RoutePlan } from "./plan.js"
export { loadGatewayConfig, type LoadedGateway, type LoadResult, RouteSecrets } from "./load.js"
export { type AuditRecord, type AuditSink, memoryAudit, openAudit } from "./audit.js"
export { GatewayMetrics } from "./metrics.js"
export { identityFrame, stamp } from "./identity.js"
export { describePlan, Gateway, type GatewayOptions } from "./gateway.js"
