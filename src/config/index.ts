/**
 * Consortium deployment configuration: the zod schema (members, parameters, policy document, tokens), loading
 * from a JSON file with `ConfigError`s that name the bad field's path, and resolution against a network's
 * signers. Validated once, at the start of a deployment or task.
 */
export { formatAmount, parseAmount } from "./amounts";
export { loadConsortiumConfig, parseConsortiumConfig, validateConsortiumConfig, type ConfigIssue } from "./load";
export { durationSchema, isValidLei, MAX_DURATION_SECONDS, signerIndex } from "./primitives";
export {
  configDigest,
  consortiumKey,
  consortiumModuleId,
  resolveConsortiumConfig,
  type ResolvedConsortiumConfig,
  type ResolvedMember,
  type ResolvedToken,
} from "./resolve";
export {
  consortiumConfigSchema,
  formatPath,
  memberConfigSchema,
  settingsConfigSchema,
  tokenConfigSchema,
  type ConsortiumConfig,
  type MemberConfig,
  type TokenConfig,
} from "./schema";
