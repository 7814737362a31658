/**
 * The gateway command's usage text and usage error, apart from the command itself so that
 * run.ts loads the gateway (zod, smol-toml, prom-client) only when `ironhouse gateway` runs.
 */
export const GATEWAY_USAGE = `  ironhouse gateway CONFIG [--check]
      Run the secure gateway: CURVE (or PLAIN) outside, clear ZMTP inside, for
      unmodified ZeroMQ applications. CONFIG is TOML (or JSON if it ends in .json).
      --check validates CONFIG (and the files it names) and exits. While running,
      SIGHUP reloads CONFIG and SIGTERM drains and exits 0.
`

export class GatewayUsageError extends Error {}
