/**
 * Custody: how a bank holds its clients' tokens. Omnibus custody keeps every client's tokens at one bank address
 * and books positions in an off-chain ledger that `reconcile` checks against the chain; segregated custody gives
 * each client an address, from an HD index under the bank's encrypted BIP39 seed or from an HSM key. Every key
 * has a tier (hot, warm, cold; warm and cold keys live in an HSM), which `KeyDirectory` reports to the policy.
 */
export {
  ClientKeySchema,
  CustodyConfigSchema,
  HsmKeyRefSchema,
  HsmModuleSchema,
  KEY_TIERS,
  MAX_CLIENT_INDEX,
  OmnibusCustodySchema,
  SecretSourceSchema,
  SegregatedCustodySchema,
  type ClientKeyConfig,
  type CustodyConfig,
  type CustodyConfigInput,
  type HsmKeyRef,
  type HsmModuleConfig,
  type KeyTier,
  type LedgerConfig,
  type OmnibusCustodyConfig,
  type SecretSource,
  type SegregatedCustodyConfig,
} from "./config";
export { KeyDirectory, type KeyDescription, type KeyKind } from "./directory";
export {
  CustodyAssetUnreadableError,
  CustodyClientUnknownError,
  CustodyConfigError,
  CustodyError,
  CustodyInsufficientPositionError,
  CustodyKeyMismatchError,
  CustodyKeystoreExistsError,
  CustodyKeystoreUnreadableError,
  CustodyKeyTierError,
  CustodyKeyUnknownError,
  CustodyLedgerClosedError,
  CustodyLedgerUnavailableError,
  CustodyMovementConflictError,
  CustodyMovementInvalidError,
  CustodyPassphraseUnavailableError,
  CustodyPassphraseWrongError,
  CustodyWrongModelError,
  type CustodyErrorCode,
} from "./errors";
export {
  CLIENT_PATH_PREFIX,
  clientPath,
  createKeystore,
  deriveClientWallet,
  openKeystore,
  resolvePassphrase,
  restoreKeystore,
  type KeystoreInfo,
  type KeystoreLocation,
} from "./keystore";
export { OmnibusLedger, type LedgerOpenOptions } from "./ledger";
export type {
  BookingResult,
  CreditRequest,
  DebitRequest,
  Movement,
  MovementKind,
  Position,
  TransferRequest,
} from "./ledger-rows";
export { loadCustodyConfig, parseCustodyConfig, type ParseOptions } from "./load";
export { reconcile, type AssetReconciliation, type ReconcileStatus, type ReconciliationReport } from "./reconcile";
export { ClientSigners } from "./signers";
