/**
 * Typed errors for the whole framework. Every error the off-chain layer raises on purpose is a
 * `FrameworkError` with a stable string `code`, structured `details` and an optional `cause`; callers branch on
 * the code, never on the message (`isFrameworkError(error, code)`). Every code has one exit status and one HTTP
 * status in `ERROR_STATUS` (status.ts); only the edges (Hardhat tasks, HTTP handlers) read them.
 */

/** Every stable error code, grouped by the subclass that carries it. */
export const ErrorCode = {
  // ConfigError: a configuration file is missing, unreadable or invalid.
  ConfigNotFound: "CONFIG_NOT_FOUND",
  ConfigMalformed: "CONFIG_MALFORMED",
  ConfigInvalid: "CONFIG_INVALID",
  ConfigUnresolved: "CONFIG_UNRESOLVED",
  // TaskInputError: an operator's argument is missing, malformed or names nothing known.
  InputInvalid: "INPUT_INVALID",
  InputMissing: "INPUT_MISSING",
  UnknownSigner: "UNKNOWN_SIGNER",
  UnknownMember: "UNKNOWN_MEMBER",
  UnknownToken: "UNKNOWN_TOKEN",
  // ChainStateError: the chain does not hold what the request assumes.
  DeploymentNotFound: "DEPLOYMENT_NOT_FOUND",
  DeploymentMismatch: "DEPLOYMENT_MISMATCH",
  ProposalNotFound: "PROPOSAL_NOT_FOUND",
  SettlementNotFound: "SETTLEMENT_NOT_FOUND",
  WrongNetwork: "WRONG_NETWORK",
  // ContractRevertError: a contract refused the call with one of its custom errors.
  ContractReverted: "CONTRACT_REVERTED",
  // TransactionError: a transaction failed without a reason this framework can decode.
  TransactionFailed: "TRANSACTION_FAILED",
  // HsmError (src/signer): the HSM, its token, key or PIN, or a signature it returned.
  HsmConfigInvalid: "HSM_CONFIG_INVALID",
  HsmPinUnavailable: "HSM_PIN_UNAVAILABLE",
  HsmLoginFailed: "HSM_LOGIN_FAILED",
  HsmModuleLoadFailed: "HSM_MODULE_LOAD_FAILED",
  HsmTokenNotFound: "HSM_TOKEN_NOT_FOUND",
  HsmKeyNotFound: "HSM_KEY_NOT_FOUND",
  HsmKeyExists: "HSM_KEY_EXISTS",
  HsmUnavailable: "HSM_UNAVAILABLE",
  HsmSignatureInvalid: "HSM_SIGNATURE_INVALID",
  HsmSignerClosed: "HSM_SIGNER_CLOSED",
  // SigningError (src/signer): double-sign protection and nonce allocation around a signer.
  SigningConfigInvalid: "SIGNING_CONFIG_INVALID",
  SigningNonceConflict: "SIGNING_NONCE_CONFLICT",
  SigningRequestInvalid: "SIGNING_REQUEST_INVALID",
  SigningPayloadMismatch: "SIGNING_PAYLOAD_MISMATCH",
  SigningStoreUnavailable: "SIGNING_STORE_UNAVAILABLE",
  SigningStoreClosed: "SIGNING_STORE_CLOSED",
  // GateError (src/orchestrator): the policy gate refused to sign, or is waiting for approvals.
  GateConfigInvalid: "GATE_CONFIG_INVALID",
  GateDenied: "GATE_DENIED",
  GateApprovalsPending: "GATE_APPROVALS_PENDING",
  GateUndecodable: "GATE_UNDECODABLE",
  GateAuditFailed: "GATE_AUDIT_FAILED",
  // PolicyError (src/policy): a compiled policy could not be loaded or evaluated, or answered nonsense, or a
  // signed policy bundle was refused (POLICY_BUNDLE_*).
  PolicyLoadFailed: "POLICY_LOAD_FAILED",
  PolicyEvaluationFailed: "POLICY_EVALUATION_FAILED",
  PolicyResultInvalid: "POLICY_RESULT_INVALID",
  PolicyBundleNotFound: "POLICY_BUNDLE_NOT_FOUND",
  PolicyBundleMalformed: "POLICY_BUNDLE_MALFORMED",
  PolicyBundleUnsigned: "POLICY_BUNDLE_UNSIGNED",
  PolicyBundleSignatureInvalid: "POLICY_BUNDLE_SIGNATURE_INVALID",
  PolicyBundleUnknownSigner: "POLICY_BUNDLE_UNKNOWN_SIGNER",
  PolicyBundleThresholdNotMet: "POLICY_BUNDLE_THRESHOLD_NOT_MET",
  PolicyBundleTampered: "POLICY_BUNDLE_TAMPERED",
  PolicyBundleUnparseable: "POLICY_BUNDLE_UNPARSEABLE",
  PolicyBundleVersionNotRising: "POLICY_BUNDLE_VERSION_NOT_RISING",
  PolicyBundleSharedVersionMismatch: "POLICY_BUNDLE_SHARED_VERSION_MISMATCH",
  PolicyBundleNoPrevious: "POLICY_BUNDLE_NO_PREVIOUS",
  PolicyBundleConfigInvalid: "POLICY_BUNDLE_CONFIG_INVALID",
  PolicyBundleAuditUnverified: "POLICY_BUNDLE_AUDIT_UNVERIFIED",
  // PolicyEngineError (src/policy): the decision engine around the policy (reservations, audit, config).
  PolicyEngineConfigInvalid: "POLICY_ENGINE_CONFIG_INVALID",
  PolicyEngineClosed: "POLICY_ENGINE_CLOSED",
  PolicyEngineAuditFailed: "POLICY_ENGINE_AUDIT_FAILED",
  PolicyReservationsUnavailable: "POLICY_RESERVATIONS_UNAVAILABLE",
  PolicyReservationConflict: "POLICY_RESERVATION_CONFLICT",
  // AuditError (src/audit): the audit store, an entry, a record read back, or an export.
  AuditConfigInvalid: "AUDIT_CONFIG_INVALID",
  AuditEntryInvalid: "AUDIT_ENTRY_INVALID",
  AuditStoreUnavailable: "AUDIT_STORE_UNAVAILABLE",
  AuditStoreClosed: "AUDIT_STORE_CLOSED",
  AuditAppendFailed: "AUDIT_APPEND_FAILED",
  AuditRecordCorrupt: "AUDIT_RECORD_CORRUPT",
  AuditReadInvalid: "AUDIT_READ_INVALID",
  AuditExportFailed: "AUDIT_EXPORT_FAILED",
  AuditExportUnreadable: "AUDIT_EXPORT_UNREADABLE",
  AuditVerifyFailed: "AUDIT_VERIFY_FAILED",
  // ApprovalError (src/approvals): an approval request or a signed approval was refused, or the store failed.
  ApprovalConfigInvalid: "APPROVAL_CONFIG_INVALID",
  ApprovalNotRequired: "APPROVAL_NOT_REQUIRED",
  ApprovalRequestConflict: "APPROVAL_REQUEST_CONFLICT",
  ApprovalRequestNotFound: "APPROVAL_REQUEST_NOT_FOUND",
  ApprovalRequestClosed: "APPROVAL_REQUEST_CLOSED",
  ApprovalMalformed: "APPROVAL_MALFORMED",
  ApprovalDigestMismatch: "APPROVAL_DIGEST_MISMATCH",
  ApprovalUnknownApprover: "APPROVAL_UNKNOWN_APPROVER",
  ApprovalSignatureInvalid: "APPROVAL_SIGNATURE_INVALID",
  ApprovalExpired: "APPROVAL_EXPIRED",
  ApprovalSelfApproval: "APPROVAL_SELF_APPROVAL",
  ApprovalRoleNotAccepted: "APPROVAL_ROLE_NOT_ACCEPTED",
  ApprovalDuplicateVote: "APPROVAL_DUPLICATE_VOTE",
  ApprovalStoreUnavailable: "APPROVAL_STORE_UNAVAILABLE",
  ApprovalStoreClosed: "APPROVAL_STORE_CLOSED",
  // CustodyError (src/custody): custody config and key tiers, the omnibus ledger, the seed keystore, client keys.
  CustodyConfigInvalid: "CUSTODY_CONFIG_INVALID",
  CustodyKeyTierInvalid: "CUSTODY_KEY_TIER_INVALID",
  CustodyWrongModel: "CUSTODY_WRONG_MODEL",
  CustodyMovementInvalid: "CUSTODY_MOVEMENT_INVALID",
  CustodyMovementConflict: "CUSTODY_MOVEMENT_CONFLICT",
  CustodyInsufficientPosition: "CUSTODY_INSUFFICIENT_POSITION",
  CustodyLedgerUnavailable: "CUSTODY_LEDGER_UNAVAILABLE",
  CustodyLedgerClosed: "CUSTODY_LEDGER_CLOSED",
  CustodyAssetUnreadable: "CUSTODY_ASSET_UNREADABLE",
  CustodyKeystoreExists: "CUSTODY_KEYSTORE_EXISTS",
  CustodyKeystoreUnreadable: "CUSTODY_KEYSTORE_UNREADABLE",
  CustodyPassphraseUnavailable: "CUSTODY_PASSPHRASE_UNAVAILABLE",
  CustodyPassphraseWrong: "CUSTODY_PASSPHRASE_WRONG",
  CustodyClientUnknown: "CUSTODY_CLIENT_UNKNOWN",
  CustodyKeyUnknown: "CUSTODY_KEY_UNKNOWN",
  CustodyKeyMismatch: "CUSTODY_KEY_MISMATCH",
  // SharedPolicyError (src/policy): shared parameters unreadable or too old, bank policy data malformed or conflicting.
  PolicySharedConfigInvalid: "POLICY_SHARED_CONFIG_INVALID",
  PolicySharedReadFailed: "POLICY_SHARED_READ_FAILED",
  PolicySharedStale: "POLICY_SHARED_STALE",
  PolicySharedDataInvalid: "POLICY_SHARED_DATA_INVALID",
  PolicySharedConflicts: "POLICY_SHARED_CONFLICTS",
  PolicySharedVersionChanged: "POLICY_SHARED_VERSION_CHANGED",
  // RsmError (src/rsm): the remote signing module refused a request or its configuration, or its client a response.
  RsmConfigInvalid: "RSM_CONFIG_INVALID",
  RsmKeyUnavailable: "RSM_KEY_UNAVAILABLE",
  RsmRequestMalformed: "RSM_REQUEST_MALFORMED",
  RsmRequestTooLarge: "RSM_REQUEST_TOO_LARGE",
  RsmRequestTimeout: "RSM_REQUEST_TIMEOUT",
  RsmContentTypeInvalid: "RSM_CONTENT_TYPE_INVALID",
  RsmRouteNotFound: "RSM_ROUTE_NOT_FOUND",
  RsmMethodNotAllowed: "RSM_METHOD_NOT_ALLOWED",
  RsmWrongRecipient: "RSM_WRONG_RECIPIENT",
  RsmDecryptionFailed: "RSM_DECRYPTION_FAILED",
  RsmUnknownSender: "RSM_UNKNOWN_SENDER",
  RsmSignatureInvalid: "RSM_SIGNATURE_INVALID",
  RsmWrongAudience: "RSM_WRONG_AUDIENCE",
  RsmRequestExpired: "RSM_REQUEST_EXPIRED",
  RsmRequestNotYetValid: "RSM_REQUEST_NOT_YET_VALID",
  RsmLifetimeTooLong: "RSM_LIFETIME_TOO_LONG",
  RsmReplay: "RSM_REPLAY",
  RsmUnknownSigner: "RSM_UNKNOWN_SIGNER",
  RsmReplayStoreUnavailable: "RSM_REPLAY_STORE_UNAVAILABLE",
  RsmSigningFailed: "RSM_SIGNING_FAILED",
  RsmSignerOutputInvalid: "RSM_SIGNER_OUTPUT_INVALID",
  RsmResponseInvalid: "RSM_RESPONSE_INVALID",
  RsmRemoteRefused: "RSM_REMOTE_REFUSED",
  RsmTransportFailed: "RSM_TRANSPORT_FAILED",
  // ApiError (src/api): the bank's HTTP API refused a request before or around the participant.
  ApiUnauthenticated: "API_UNAUTHENTICATED",
  ApiForbidden: "API_FORBIDDEN",
  ApiRequestInvalid: "API_REQUEST_INVALID",
  ApiRouteNotFound: "API_ROUTE_NOT_FOUND",
  ApiIdempotencyConflict: "API_IDEMPOTENCY_CONFLICT",
  ApiIdempotencyInProgress: "API_IDEMPOTENCY_IN_PROGRESS",
  ApiIdempotencyStoreUnavailable: "API_IDEMPOTENCY_STORE_UNAVAILABLE",
  ApiBundleNotStaged: "API_BUNDLE_NOT_STAGED",
  ApiConfigInvalid: "API_CONFIG_INVALID",
  // Iso20022Error (src/iso20022): a sese.023 instruction, or the mapping it is read with, was refused.
  Iso20022MappingInvalid: "ISO20022_MAPPING_INVALID",
  Iso20022Malformed: "ISO20022_MALFORMED",
  Iso20022Unsupported: "ISO20022_UNSUPPORTED",
  Iso20022ElementMissing: "ISO20022_ELEMENT_MISSING",
  Iso20022ElementInvalid: "ISO20022_ELEMENT_INVALID",
  Iso20022Unmapped: "ISO20022_UNMAPPED",
  Iso20022SettlementExists: "ISO20022_SETTLEMENT_EXISTS",
  // ScreeningError (src/screening): a screening provider is misconfigured or could not answer (fails closed).
  ScreeningConfigInvalid: "SCREENING_CONFIG_INVALID",
  ScreeningListUnavailable: "SCREENING_LIST_UNAVAILABLE",
  ScreeningUnavailable: "SCREENING_UNAVAILABLE",
  ScreeningTimeout: "SCREENING_TIMEOUT",
  ScreeningAnswerInvalid: "SCREENING_ANSWER_INVALID",
  // DevnetError (src/devnet): the devnet's spec, keys, ports, client, files or processes.
  DevnetSpecInvalid: "DEVNET_SPEC_INVALID",
  DevnetKeyInvalid: "DEVNET_KEY_INVALID",
  DevnetPortBusy: "DEVNET_PORT_BUSY",
  DevnetClientUnknown: "DEVNET_CLIENT_UNKNOWN",
  DevnetClientNotFound: "DEVNET_CLIENT_NOT_FOUND",
  DevnetExtraDataInvalid: "DEVNET_EXTRA_DATA_INVALID",
  DevnetNotInitialised: "DEVNET_NOT_INITIALISED",
  DevnetStateInvalid: "DEVNET_STATE_INVALID",
  DevnetExists: "DEVNET_EXISTS",
  DevnetAlreadyRunning: "DEVNET_ALREADY_RUNNING",
  DevnetStartFailed: "DEVNET_START_FAILED",
  DevnetStopFailed: "DEVNET_STOP_FAILED",
  DevnetValidatorContractMissing: "DEVNET_VALIDATOR_CONTRACT_MISSING",
  // StorageError (src/storage): the shared storage layer, its migrations, and a standby's leadership.
  StorageConfigInvalid: "STORAGE_CONFIG_INVALID",
  StorageUnavailable: "STORAGE_UNAVAILABLE",
  StorageMigrationFailed: "STORAGE_MIGRATION_FAILED",
  StorageSchemaTooNew: "STORAGE_SCHEMA_TOO_NEW",
  StorageLeadershipLost: "STORAGE_LEADERSHIP_LOST",
  StorageSyncFailed: "STORAGE_SYNC_FAILED",
  // CoreError (src/core): a value that is not canonical JSON, a secret missing from its variable or file.
  CoreJsonInvalid: "CORE_JSON_INVALID",
  CoreSecretUnavailable: "CORE_SECRET_UNAVAILABLE",
  // EventsError (src/events): the chain follower, its event store, webhooks and the live stream.
  EventsConfigInvalid: "EVENTS_CONFIG_INVALID",
  EventsStoreUnavailable: "EVENTS_STORE_UNAVAILABLE",
  EventsCursorInvalid: "EVENTS_CURSOR_INVALID",
  EventsChainMismatch: "EVENTS_CHAIN_MISMATCH",
  EventsSubscriptionNotFound: "EVENTS_SUBSCRIPTION_NOT_FOUND",
  EventsDeliveryNotFound: "EVENTS_DELIVERY_NOT_FOUND",
  EventsSecretUnavailable: "EVENTS_SECRET_UNAVAILABLE",
  // ReadinessFailedError (src/demo): the readiness task answered NO to a production question.
  ReadinessFailed: "READINESS_FAILED",
  // Only at the edge: an error nobody anticipated, reported in one line instead of a stack trace.
  Unexpected: "UNEXPECTED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Structured, JSON-friendly facts about a failure (file, path, id, ...). `details` and `cause` are not facts:
 * refusing them as keys makes a call in the options form (`{ details, cause }`) a compile error instead of
 * details nested one level too deep.
 */
export type ErrorDetails = Readonly<Record<string, unknown>> & { readonly details?: never; readonly cause?: never };

/**
 * Base class of every error the framework raises on purpose, and the one constructor convention of them all:
 * `new XError(code, message, details?, cause?)`. `C` narrows the codes a subclass may carry, so a module's
 * error class is one line (`class AuditError extends FrameworkError<AuditErrorCode> {}`). A subclass for one
 * failure takes its facts and builds the message (`new AuditStoreClosedError()`), with the cause last.
 */
export class FrameworkError<C extends ErrorCode = ErrorCode> extends Error {
  /** Stable, machine-readable code (see `ErrorCode`). */
  readonly code: C;
  /** Structured facts about the failure. */
  readonly details: Record<string, unknown>;

  constructor(code: C, message: string, details: ErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.details = { ...details };
  }

  /** A JSON-friendly view: code, message and details (bigints as decimal strings). */
  toJSON(): { code: C; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: jsonSafe(this.details) as Record<string, unknown> };
  }
}

/** A configuration file is missing, is not JSON, fails the schema, or names something that cannot be resolved. */
export class ConfigError extends FrameworkError {}

/** A task argument is missing, malformed, or names a signer, member or token that does not exist. */
export class TaskInputError extends FrameworkError {}

/** The chain does not hold what the request assumes: no deployment, no such proposal or settlement. */
export class ChainStateError extends FrameworkError {}

/** A transaction failed and no custom error could be decoded from it. */
export class TransactionError extends FrameworkError {}

/** One decoded argument of a contract's custom error. */
export interface RevertArgument {
  name: string;
  /** Display form: enum members by name, settlement ids in hex, amounts in decimal. */
  value: string;
  /** Who or what the value names, when known (a member's name for its account, a token's symbol). */
  label?: string;
}

/** A contract refused a call with one of its custom errors, decoded from the revert data. */
export class ContractRevertError extends FrameworkError {
  /** The custom error's name, for example `SettlementWrongStatus`. */
  readonly errorName: string;
  readonly args: readonly RevertArgument[];

  constructor(errorName: string, args: readonly RevertArgument[], cause?: unknown) {
    const rendered = `${errorName}(${args.map((a) => `${a.name}=${a.value}${a.label ? ` (${a.label})` : ""}`).join(", ")})`;
    const labelled = args.filter((a) => a.label !== undefined);
    const details = {
      error: errorName,
      args: Object.fromEntries(args.map((a) => [a.name, a.value])),
      ...(labelled.length === 0 ? {} : { labels: Object.fromEntries(labelled.map((a) => [a.name, a.label])) }),
    };
    super(ErrorCode.ContractReverted, rendered, details, cause);
    this.errorName = errorName;
    this.args = args;
  }
}

/**
 * The one guard for every framework error: true when `error` is a `FrameworkError`, and, when `code` is given,
 * carries that code or one of that list (`codeFamily("AUDIT_")` lists a module's codes). Narrows `error.code`.
 */
export function isFrameworkError<C extends ErrorCode = ErrorCode>(
  error: unknown,
  code?: C | readonly C[],
): error is FrameworkError<C> {
  if (!(error instanceof FrameworkError)) return false;
  if (code === undefined) return true;
  return typeof code === "string" ? error.code === code : code.includes(error.code as C);
}

/** The codes that start with `prefix`, the codes of one module (`codeFamily("GATE_")`), in `ErrorCode` order. */
export function codeFamily<P extends string>(prefix: P): readonly Extract<ErrorCode, `${P}${string}`>[] {
  return Object.values(ErrorCode).filter((code): code is Extract<ErrorCode, `${P}${string}`> =>
    code.startsWith(prefix),
  );
}

export { ERROR_STATUS, exitStatus, httpStatus, type ErrorStatus } from "./status";

/** Converts bigints to decimal strings, recursively, so a value survives `JSON.stringify`. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/** One problem found by a schema: the dotted path of the field (`(root)` for the whole value) and what is wrong. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** The problems of a failed zod parse as path and message pairs, never the offending values. */
export function schemaIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): SchemaIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    message: issue.message,
  }));
}
