/**
 * The signing path of a participant: one call goes through it from calldata to signature. It decodes the call
 * with the consortium contracts' interfaces into a settlement intent, asks the bank's policy engine, consumes the
 * approvals the engine demanded, and has double-sign protection (src/signer) claim the nonce and the HSM key
 * sign, only for what was allowed. One transaction object flows through these layers, built once. It needs the
 * TypeChain bindings, which exist only after the contracts are compiled.
 */
export { CallDecoder, type CallDecoderOptions, type CallToSign, type DecodedCall } from "./decode";
export { callPayloadHash } from "./payload";
export { onChainDirectory, staticDirectory, type GateDirectory } from "./directory";
export { GateApprovalsPendingError, GateDeniedError, GateError, type GateErrorCode } from "./errors";
export {
  PolicyGatedSigner,
  type AmlResult,
  type ScreeningOutcome,
  type Initiator,
  type KeyTier,
  type PolicyGatedSignerOptions,
  type SigningContext,
} from "./gated-signer";
export { ASSET_LEG, settlementLegIds } from "./signing-keys";
export { SigningLedger, type SignatureLedger, type SigningLedgerOptions } from "./ledger";
export { PostgresSigningLedger, type PostgresSigningLedgerOptions } from "./ledger-postgres";
export { parseReason, reasonText, type DenyReason } from "./reasons";
