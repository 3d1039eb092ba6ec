/**
 * HSM signer: an ethers v6 signer whose secp256k1 key is generated and kept inside an HSM reached
 * through PKCS#11. Sessions are pooled and serialized, recovered after session loss, left-over
 * operations and C_Finalize, and every signature is checked against the key's address before release.
 */
export {
  HsmSignerConfigSchema,
  KeySelectorSchema,
  PinSourceSchema,
  parseHsmSignerConfig,
  resolvePin,
  type HsmSignerConfig,
  type HsmSignerConfigInput,
  type KeySelector,
  type PinSource,
} from "./config";
export {
  HsmConfigError,
  HsmError,
  HsmKeyExistsError,
  HsmKeyNotFoundError,
  HsmLoginError,
  HsmPinUnavailableError,
  HsmSignatureError,
  HsmSignerClosedError,
  HsmTokenNotFoundError,
  HsmUnavailableError,
  Pkcs11LoadError,
  type HsmErrorCode,
  type HsmErrorDetails,
} from "./errors";
export { HsmKey, pkcs11EcdsaSign, type HsmKeyOptions, type RawSign } from "./hsm-key";
export { HSM_EVENTS_CHANNEL, onHsmEvent, reportHsmFailure, type HsmEvent } from "./hsm-events";
export { HsmSigner } from "./hsm-signer";
export { generateSecp256k1Key, type GeneratedKey } from "./keygen";
export { acquireLibrary, Pkcs11Library, type Recovery } from "./library";
export { KeyedMutex, NonceAllocator, type PendingNonceSource } from "./nonce";
export {
  SigningRecordStore,
  SigningRecordStoreOptionsSchema,
  type IntentOutcome,
  type PayloadFor,
  type SigningRequest,
  type SigningRecord,
  type SigningRecordStoreOptionsInput,
} from "./protection";
export {
  SigningConfigError,
  SigningError,
  SigningNonceConflictError,
  SigningPayloadMismatchError,
  SigningRequestInvalidError,
  SigningStoreClosedError,
  SigningStoreUnavailableError,
  type SigningErrorCode,
} from "./protection-errors";
export { ProtectedSigner, type ProtectedSignature } from "./protection-signer";
export {
  addressFromEcPoint,
  checkedSignature,
  NATIVE_SECP256K1,
  SECP256K1_EC_PARAMS,
  SECP256K1_N,
  uncompressedPoint,
  type SignatureProver,
} from "./secp256k1";
export type { SessionState } from "./session-pool";
