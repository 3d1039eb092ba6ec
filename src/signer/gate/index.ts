/**
 * The policy gate: a signer that decodes each call with the consortium contracts' interfaces into a
 * settlement intent, asks the bank's policy engine, and signs only what it allowed (or what the approvals it
 * demanded have since allowed). Imported on its own (`src/signer/gate`) because it needs the TypeChain
 * bindings, which exist only after the contracts are compiled.
 */
export { CallDecoder, type CallDecoderOptions, type CallToSign, type DecodedCall } from "./decode";
export { callPayloadHash } from "./payload";
export { onChainDirectory, staticDirectory, type GateDirectory } from "./directory";
export { GateApprovalsPendingError, GateDeniedError, GateError, type GateErrorCode } from "./errors";
export {
  PolicyGatedSigner,
  type AmlResult,
  type Initiator,
  type KeyTier,
  type PolicyGatedSignerOptions,
  type SigningContext,
} from "./gated-signer";
export { ASSET_LEG, settlementLegIds } from "./signing-keys";
