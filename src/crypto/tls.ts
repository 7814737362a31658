/**
 * Node's OpenSSL TLS, for src/tls/ (issue 11). The one place outside node:crypto users that
 * reaches for a TLS implementation: the rule is that Ironhouse never implements a primitive and
 * reaches crypto libraries only through src/crypto/, so src/tls/ imports `node:tls` from here.
 */
export {
  connect as tlsConnect,
  createSecureContext,
  TLSSocket,
  type ConnectionOptions as TlsConnectionOptions,
  type SecureContext,
  type SecureContextOptions,
  type PeerCertificate,
  type SecureVersion,
} from "node:tls"
