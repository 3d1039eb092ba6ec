/**
 * Bank participant policy engine: the settlement intent's zod schema, the decision document's schema, a
 * compiled Rego policy (policies/bank, built by scripts/build-policy.sh) loaded once as Wasm from a signed
 * bundle, and `PolicyEngine.evaluate`, which joins validation, the consortium's shared parameters, the policy,
 * exposure reservations and a durable audit record into one decision. Every failure path is a deny: a
 * malformed intent, a failed evaluation, or a result that is not a valid decision.
 */
export {
  BUNDLE_DOMAIN_NAME,
  BUNDLE_DOMAIN_VERSION,
  BUNDLE_TYPES,
  BUNDLE_TYPES_WITH_DEPENDENCIES,
  bundleDomain,
  bundleSignatureSchema,
  computePolicyHash,
  createBundle,
  dependenciesHash,
  dependenciesSchema,
  manifestDigest,
  manifestSchema,
  parseBundleTrust,
  parseManifest,
  signBundle,
  verifyBundle,
  verifyOptionsSchema,
  type BundleDependencies,
  type BundleManifest,
  type BundleSignature,
  type BundleSigner,
  type BundleTrust,
  type PolicyBundle,
  type VerifiedBundle,
  type VerifyBundleOptions,
} from "./bundle";
export { PolicyBundleError, type PolicyBundleErrorCode } from "./bundle-errors";
export { BUNDLE_FILES, readBundle, writeBundle } from "./bundle-files";
export { decide, decideValid } from "./decide";
export {
  decisionSchema,
  denyDecision,
  OUTCOMES,
  REASON_PATTERN,
  reasonCode,
  type Decision,
  type Outcome,
} from "./decision";
export {
  EXPOSURE_ACTIONS,
  inputDigest,
  localDay,
  PolicyEngine,
  type DecisionStage,
  type EngineDecision,
  type PolicyEngineOptions,
  type ReservationOutcome,
  type SharedGuard,
} from "./engine";
export { engineConfigSchema, parseEngineConfig, type EngineConfig, type EngineConfigInput } from "./engine-config";
export { PolicyEngineError, type PolicyEngineErrorCode } from "./engine-errors";
export { PolicyError, PolicyEvaluationError, PolicyLoadError, PolicyResultError, type PolicyErrorCode } from "./errors";
export { loadPolicyFromDirectory, readPolicyFiles, type PolicyFiles } from "./files";
export {
  ACTIONS,
  AML_RESULTS,
  intentSchema,
  ISSUER_ACTIONS,
  OPERATIONAL_ACTIONS,
  KEY_TIERS,
  minorUnitsSchema,
  screeningInputSchema,
  travelRulePartySchema,
  travelRuleSchema,
  validateIntent,
  type Action,
  type ScreeningInput,
  type TravelRule,
  type Intent,
  type IntentInput,
  type IntentValidation,
} from "./intent";
export {
  NO_ACTIVE_BUNDLE_REASON,
  PolicyRegistry,
  type ActivateOptions,
  type PolicyRegistryOptions,
  type PolicyVersion,
  type RegistryDecision,
} from "./registry";
export { replayDecisions, type ReplayDifference, type ReplayOptions, type ReplayReport } from "./replay";
export {
  RELEASE_REASONS,
  ReservationStore,
  type ReleaseReason,
  type Reservation,
  type ReservationTerms,
  type ReservationWrite,
} from "./reservations";
export {
  decisionsDiffer,
  ShadowRun,
  type ShadowCandidate,
  type ShadowDisagreement,
  type ShadowOutcome,
  type ShadowReport,
} from "./shadow";
export {
  applySharedChecks,
  CAPPED_ACTIONS,
  dependencyChanges,
  listedCap,
  ESCROW_RETURN_ACTIONS,
  PAUSED_ACTIONS,
  readSharedParameters,
  sharedChecks,
  systemClock,
  type Clock,
  type ConsortiumSource,
  type SharedAsset,
  type SharedCheckIntent,
  type SharedParameters,
} from "./shared";
export {
  parseSharedSourceConfig,
  SharedParametersSource,
  sharedSourceConfigSchema,
  type SharedChange,
  type SharedParametersSourceOptions,
  type SharedSourceConfig,
  type SharedSourceConfigInput,
} from "./shared-source";
export {
  bankSharedDataSchema,
  CONFLICT_CODES,
  findConflicts,
  parseBankSharedData,
  type BankSharedData,
  type ConflictCode,
  type FindConflictsOptions,
  type SharedConflict,
} from "./conflicts";
export { SharedPolicyError, type SharedPolicyErrorCode } from "./shared-errors";
export { DECISION_ENTRYPOINT, WasmPolicy } from "./wasm";
