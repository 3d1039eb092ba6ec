/**
 * Screening providers run before a trade for each counterparty (and client): a local sanctions list (OFAC SDN
 * style CSV) and a screening service over HTTP, both failing closed, and the adapter to the participant's
 * `screening` option. Travel-rule data passes through to the policy input unchanged.
 */
export { ScreeningConfigError, ScreeningError } from "./errors";
export type { ScreeningErrorCode } from "./errors";
export { openScreeningProvider, ScreeningConfigSchema } from "./config";
export type { ScreeningConfig, ScreeningConfigInput } from "./config";
export { HttpScreeningConfigSchema, HttpScreeningProvider, ScreeningAnswerSchema } from "./http";
export type { HttpScreeningConfig } from "./http";
export { normaliseIdentifier, normaliseName } from "./names";
export { toGateScreening, toParticipantScreening } from "./participant";
export type { ParticipantScreeningOptions } from "./participant";
export { levelOf, policyInputOf } from "./provider";
export type {
  AmlLevel,
  ScreeningMatch,
  ScreeningOutage,
  ScreeningParty,
  ScreeningPolicyInput,
  ScreeningProvider,
  ScreeningResult,
  ScreeningSubject,
  ScreeningVerdict,
  TravelRuleData,
  TravelRuleParty,
} from "./provider";
export { SanctionsListConfigSchema, SanctionsListProvider } from "./sanctions-list";
export type { SanctionsListConfig } from "./sanctions-list";
