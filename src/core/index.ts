/**
 * Helpers every module uses, with their own typed errors (CORE_*): canonical JSON (RFC 8785) for every hash and
 * signature over a JSON value, the readers of operators' files, and the readers of secrets from environment
 * variables or files.
 */
export {
  CoreError,
  CoreJsonInvalidError,
  CoreSecretUnavailableError,
  type CoreErrorCode,
  type SecretProblem,
} from "./errors";
export { readJsonFile, readTextFile } from "./files";
export { ethersGetAddress, memoizedGetAddress, useAddressMemo } from "./addresses";
export { nativeKeccak256, useNativeKeccak } from "./keccak";
export { assertPlainJson, canonicalJson, MAX_JSON_DEPTH, type JsonValue } from "./json";
export { readSecret, SecretSourceSchema, type SecretSource } from "./secrets";
