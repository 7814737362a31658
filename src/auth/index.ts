/** Authentication: ZAP codec and handler, authenticator policies, address filter, passwords. */
export { AddressFilter, type AddressDecision, type AddressRule, parseAddress, parseAddressRule } from "./address-filter.js"
export {
  ANY_DOMAIN,
  type AuthDecision,
  Authenticator,
  type AuthenticatorOptions,
  type CurveAcceptance,
  type CurveConfiguration,
  type CurveKeyCheck,
  type DomainOption,
  type PlainConfiguration,
} from "./authenticator.js"
export { PasswordFile, PasswordFileError, type PasswordFileOptions, parsePasswordFile } from "./password-file.js"
export { type PasswordCheck, PasswordTable, type PasswordVerifier } from "./password-table.js"
export {
  decodeZapReply,
  decodeZapRequest,
  encodeZapReply,
  encodeZapRequest,
  splitZapEnvelope,
  type ZapFraming,
  type ZapReply,
  type ZapRequest,
  type ZapStatusCode,
} from "./zap.js"
export { answerZapRequest } from "./zap-handler.js"
