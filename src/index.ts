/**
 * What a participant bank embeds. `Participant` is the entry point: open it from a configuration and send
 * settlement steps, reversals and governance votes through the bank's policy gate. The rest is what an
 * integration needs around it: settlement terms and ids, signing approvals, reading audit exports, and the
 * framework's typed errors. Each concern's full API is in its own module under `src/`.
 */
export {
  instructFromSese023,
  Participant,
  parseParticipantConfig,
  type ParticipantConfig,
  type ParticipantConfigInput,
  type ParticipantOptions,
  type SettlementSubmitted,
  type Submitted,
} from "./participant";
export { formatSettlementId, settlementIdOf, statusName, type SettlementTerms } from "./settlement";
export { intentDigest, signApproval, type ApprovalStatus, type SignedApproval } from "./approvals";
export { verifyJsonl, type AuditRecord, type VerifyResult } from "./audit";
export { createBundle, signBundle, writeBundle, readBundle, type PolicyBundle } from "./policy";
export { GateApprovalsPendingError, GateDeniedError, type DenyReason, type Initiator } from "./orchestrator";
export {
  codeFamily,
  ERROR_STATUS,
  ErrorCode,
  FrameworkError,
  httpStatus,
  isFrameworkError,
  type ErrorStatus,
} from "./errors";
export { createLogger, HealthServer, ParticipantMetrics, type HealthServerConfigInput } from "./observability";
export {
  HttpScreeningProvider,
  SanctionsListProvider,
  toParticipantScreening,
  type ScreeningProvider,
  type ScreeningResult,
  type TravelRuleData,
} from "./screening";
export {
  buildSese024,
  buildSese025,
  parseMappingConfig,
  readSese023,
  seseRejectionFor,
  seseStatusFor,
  type MappedInstruction,
  type MappingConfig,
} from "./iso20022";
export {
  ChainFollower,
  eventRoutes,
  EventStore,
  WebhookDispatcher,
  type ChainEvent,
  type ChainEventView,
  type Delivery,
  type Subscription,
} from "./events";
