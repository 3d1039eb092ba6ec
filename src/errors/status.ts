/**
 * What every error code means at the edge, in one table: the exit status of a command-line task (sysexits.h)
 * and the status of an HTTP answer. The table is a `Record` over `ErrorCode`, so a code without both statuses
 * does not compile. Only the edges read it: the task guard (src/tasks/guard.ts) and the remote signing module's
 * HTTP service (src/rsm/http.ts).
 *
 * Exit statuses: 64 usage (a flag or name the operator gave), 65 data (the request, a file or the chain's
 * answer is wrong), 66 no input (a file or store that is not there), 69 unavailable (a client or service not
 * installed), 70 software (a bug, or a component that answered nonsense), 73 cannot create (it exists), 75
 * temporary (retry later: a node, store or HSM away, approvals still to come), 77 permission (the caller is not
 * authenticated), 78 configuration.
 * HTTP statuses: 4xx when the caller can change the outcome (400 malformed, 401 not authenticated, 403 refused
 * by policy or approvals, 404 names nothing known, 409 conflicts with what is recorded, 421 misdirected, 422
 * well formed but refused), 503 when retrying later can succeed, 502 when a module this one called answered
 * wrongly, 500 for the server's own configuration and bugs (HTTP edges never show those messages).
 */
import { isFrameworkError, type ErrorCode } from "./index";

/** The exit status and the HTTP status of one code. */
export interface ErrorStatus {
  readonly exit: number;
  readonly http: number;
}

const USAGE = { exit: 64, http: 400 } as const;
const UNKNOWN_NAME = { exit: 64, http: 404 } as const;
const NOT_FOUND = { exit: 65, http: 404 } as const;
const REFUSED = { exit: 65, http: 422 } as const;
const CONFLICT = { exit: 65, http: 409 } as const;
const DENIED = { exit: 65, http: 403 } as const;
const NOT_AUTHENTICATED = { exit: 77, http: 401 } as const;
const CONFIGURATION = { exit: 78, http: 500 } as const;
const SOFTWARE = { exit: 70, http: 500 } as const;
const TEMPORARY = { exit: 75, http: 503 } as const;
/** A store, signer or engine used after it was closed: a bug in a command, a shutdown for a server. */
const CLOSED = { exit: 70, http: 503 } as const;
const EXISTS = { exit: 73, http: 409 } as const;

/** Every code's exit status and HTTP status. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, ErrorStatus>> = {
  CONFIG_NOT_FOUND: { exit: 66, http: 500 },
  CONFIG_MALFORMED: CONFIGURATION,
  CONFIG_INVALID: CONFIGURATION,
  CONFIG_UNRESOLVED: CONFIGURATION,
  INPUT_INVALID: USAGE,
  INPUT_MISSING: USAGE,
  UNKNOWN_SIGNER: UNKNOWN_NAME,
  UNKNOWN_MEMBER: UNKNOWN_NAME,
  UNKNOWN_TOKEN: UNKNOWN_NAME,
  WRONG_NETWORK: USAGE,
  DEPLOYMENT_NOT_FOUND: NOT_FOUND,
  DEPLOYMENT_MISMATCH: CONFLICT,
  PROPOSAL_NOT_FOUND: NOT_FOUND,
  SETTLEMENT_NOT_FOUND: NOT_FOUND,
  CONTRACT_REVERTED: REFUSED,
  TRANSACTION_FAILED: TEMPORARY,
  // An HSM that is away is temporary; a key, PIN, token or module that is not there is configuration.
  HSM_CONFIG_INVALID: CONFIGURATION,
  HSM_PIN_UNAVAILABLE: CONFIGURATION,
  HSM_LOGIN_FAILED: CONFIGURATION,
  HSM_MODULE_LOAD_FAILED: CONFIGURATION,
  HSM_TOKEN_NOT_FOUND: CONFIGURATION,
  HSM_KEY_NOT_FOUND: CONFIGURATION,
  HSM_KEY_EXISTS: EXISTS,
  HSM_UNAVAILABLE: TEMPORARY,
  HSM_SIGNATURE_INVALID: SOFTWARE,
  HSM_SIGNER_CLOSED: CLOSED,
  SIGNING_CONFIG_INVALID: CONFIGURATION,
  SIGNING_NONCE_CONFLICT: CONFLICT,
  SIGNING_REQUEST_INVALID: REFUSED,
  SIGNING_PAYLOAD_MISMATCH: { exit: 65, http: 500 },
  SIGNING_STORE_UNAVAILABLE: TEMPORARY,
  SIGNING_STORE_CLOSED: CLOSED,
  // A refusal by the bank's policy is about the request; approvals still to come are temporary for a command
  // and a refusal for HTTP; the gate's own infrastructure failing is not a policy decision.
  GATE_CONFIG_INVALID: CONFIGURATION,
  GATE_DENIED: DENIED,
  GATE_APPROVALS_PENDING: { exit: 75, http: 403 },
  GATE_UNDECODABLE: DENIED,
  GATE_AUDIT_FAILED: TEMPORARY,
  POLICY_LOAD_FAILED: { exit: 66, http: 500 },
  POLICY_EVALUATION_FAILED: SOFTWARE,
  POLICY_RESULT_INVALID: SOFTWARE,
  POLICY_BUNDLE_NOT_FOUND: { exit: 66, http: 404 },
  POLICY_BUNDLE_MALFORMED: REFUSED,
  POLICY_BUNDLE_UNSIGNED: REFUSED,
  POLICY_BUNDLE_SIGNATURE_INVALID: REFUSED,
  POLICY_BUNDLE_UNKNOWN_SIGNER: REFUSED,
  POLICY_BUNDLE_THRESHOLD_NOT_MET: REFUSED,
  POLICY_BUNDLE_TAMPERED: REFUSED,
  POLICY_BUNDLE_UNPARSEABLE: REFUSED,
  POLICY_BUNDLE_VERSION_NOT_RISING: CONFLICT,
  POLICY_BUNDLE_SHARED_VERSION_MISMATCH: CONFLICT,
  POLICY_BUNDLE_NO_PREVIOUS: CONFLICT,
  POLICY_BUNDLE_CONFIG_INVALID: CONFIGURATION,
  POLICY_BUNDLE_AUDIT_UNVERIFIED: { exit: 65, http: 500 },
  POLICY_ENGINE_CONFIG_INVALID: CONFIGURATION,
  POLICY_ENGINE_CLOSED: CLOSED,
  POLICY_ENGINE_AUDIT_FAILED: TEMPORARY,
  POLICY_RESERVATIONS_UNAVAILABLE: TEMPORARY,
  POLICY_RESERVATION_CONFLICT: CONFLICT,
  AUDIT_CONFIG_INVALID: CONFIGURATION,
  AUDIT_ENTRY_INVALID: REFUSED,
  AUDIT_STORE_UNAVAILABLE: { exit: 66, http: 503 },
  AUDIT_STORE_CLOSED: CLOSED,
  AUDIT_APPEND_FAILED: TEMPORARY,
  AUDIT_RECORD_CORRUPT: { exit: 65, http: 500 },
  AUDIT_READ_INVALID: USAGE,
  AUDIT_EXPORT_FAILED: { exit: 73, http: 500 },
  AUDIT_EXPORT_UNREADABLE: { exit: 66, http: 422 },
  AUDIT_VERIFY_FAILED: REFUSED,
  // Every refusal of the approval workflow is a refusal to sign (403); its store failing is not.
  APPROVAL_CONFIG_INVALID: CONFIGURATION,
  APPROVAL_NOT_REQUIRED: DENIED,
  APPROVAL_REQUEST_CONFLICT: DENIED,
  APPROVAL_REQUEST_NOT_FOUND: DENIED,
  APPROVAL_REQUEST_CLOSED: DENIED,
  APPROVAL_MALFORMED: DENIED,
  APPROVAL_DIGEST_MISMATCH: DENIED,
  APPROVAL_UNKNOWN_APPROVER: DENIED,
  APPROVAL_SIGNATURE_INVALID: DENIED,
  APPROVAL_EXPIRED: DENIED,
  APPROVAL_SELF_APPROVAL: DENIED,
  APPROVAL_ROLE_NOT_ACCEPTED: DENIED,
  APPROVAL_DUPLICATE_VOTE: DENIED,
  APPROVAL_STORE_UNAVAILABLE: TEMPORARY,
  APPROVAL_STORE_CLOSED: CLOSED,
  CUSTODY_CONFIG_INVALID: CONFIGURATION,
  CUSTODY_KEY_TIER_INVALID: CONFIGURATION,
  CUSTODY_WRONG_MODEL: USAGE,
  CUSTODY_MOVEMENT_INVALID: REFUSED,
  CUSTODY_MOVEMENT_CONFLICT: CONFLICT,
  CUSTODY_INSUFFICIENT_POSITION: CONFLICT,
  CUSTODY_LEDGER_UNAVAILABLE: { exit: 66, http: 503 },
  CUSTODY_LEDGER_CLOSED: CLOSED,
  CUSTODY_ASSET_UNREADABLE: REFUSED,
  CUSTODY_KEYSTORE_EXISTS: EXISTS,
  CUSTODY_KEYSTORE_UNREADABLE: { exit: 66, http: 500 },
  CUSTODY_PASSPHRASE_UNAVAILABLE: CONFIGURATION,
  CUSTODY_PASSPHRASE_WRONG: CONFIGURATION,
  CUSTODY_CLIENT_UNKNOWN: UNKNOWN_NAME,
  CUSTODY_KEY_UNKNOWN: UNKNOWN_NAME,
  CUSTODY_KEY_MISMATCH: CONFIGURATION,
  // The bank's own data not fitting the chain is the server's problem for an HTTP caller.
  POLICY_SHARED_CONFIG_INVALID: CONFIGURATION,
  POLICY_SHARED_READ_FAILED: TEMPORARY,
  POLICY_SHARED_STALE: TEMPORARY,
  POLICY_SHARED_DATA_INVALID: { exit: 65, http: 500 },
  POLICY_SHARED_CONFLICTS: { exit: 65, http: 500 },
  POLICY_SHARED_VERSION_CHANGED: DENIED,
  RSM_CONFIG_INVALID: CONFIGURATION,
  RSM_KEY_UNAVAILABLE: CONFIGURATION,
  RSM_REQUEST_MALFORMED: { exit: 65, http: 400 },
  RSM_REQUEST_TOO_LARGE: { exit: 65, http: 413 },
  RSM_REQUEST_TIMEOUT: { exit: 75, http: 408 },
  RSM_CONTENT_TYPE_INVALID: { exit: 65, http: 415 },
  RSM_ROUTE_NOT_FOUND: { exit: 64, http: 404 },
  RSM_METHOD_NOT_ALLOWED: { exit: 64, http: 405 },
  RSM_WRONG_RECIPIENT: { exit: 65, http: 421 },
  RSM_DECRYPTION_FAILED: { exit: 65, http: 400 },
  RSM_UNKNOWN_SENDER: NOT_AUTHENTICATED,
  RSM_SIGNATURE_INVALID: NOT_AUTHENTICATED,
  RSM_WRONG_AUDIENCE: { exit: 65, http: 421 },
  RSM_REQUEST_EXPIRED: NOT_AUTHENTICATED,
  RSM_REQUEST_NOT_YET_VALID: NOT_AUTHENTICATED,
  RSM_LIFETIME_TOO_LONG: { exit: 65, http: 400 },
  RSM_REPLAY: CONFLICT,
  RSM_UNKNOWN_SIGNER: NOT_FOUND,
  RSM_REPLAY_STORE_UNAVAILABLE: TEMPORARY,
  RSM_SIGNING_FAILED: SOFTWARE,
  RSM_SIGNER_OUTPUT_INVALID: SOFTWARE,
  // The client's side: the module answered wrongly, refused, or could not be reached.
  RSM_RESPONSE_INVALID: { exit: 69, http: 502 },
  RSM_REMOTE_REFUSED: { exit: 65, http: 502 },
  RSM_TRANSPORT_FAILED: TEMPORARY,
  // The HTTP API: a caller without a valid token, without the route's role, or reusing an idempotency key.
  API_UNAUTHENTICATED: NOT_AUTHENTICATED,
  API_FORBIDDEN: { exit: 77, http: 403 },
  API_REQUEST_INVALID: USAGE,
  API_ROUTE_NOT_FOUND: UNKNOWN_NAME,
  API_IDEMPOTENCY_CONFLICT: CONFLICT,
  API_IDEMPOTENCY_IN_PROGRESS: { exit: 75, http: 409 },
  API_IDEMPOTENCY_STORE_UNAVAILABLE: TEMPORARY,
  API_BUNDLE_NOT_STAGED: NOT_FOUND,
  API_CONFIG_INVALID: CONFIGURATION,
  // An ISO 20022 instruction is the sender's to correct; a mapping that does not load is configuration.
  ISO20022_MAPPING_INVALID: CONFIGURATION,
  ISO20022_MALFORMED: { exit: 65, http: 400 },
  ISO20022_UNSUPPORTED: REFUSED,
  ISO20022_ELEMENT_MISSING: REFUSED,
  ISO20022_ELEMENT_INVALID: REFUSED,
  ISO20022_UNMAPPED: REFUSED,
  ISO20022_SETTLEMENT_EXISTS: CONFLICT,
  // A screening outage denies; retrying later can succeed once the list or service is back.
  SCREENING_CONFIG_INVALID: CONFIGURATION,
  SCREENING_LIST_UNAVAILABLE: TEMPORARY,
  SCREENING_UNAVAILABLE: TEMPORARY,
  SCREENING_TIMEOUT: TEMPORARY,
  SCREENING_ANSWER_INVALID: { exit: 70, http: 502 },
  DEVNET_SPEC_INVALID: CONFIGURATION,
  DEVNET_KEY_INVALID: CONFIGURATION,
  DEVNET_PORT_BUSY: TEMPORARY,
  DEVNET_CLIENT_UNKNOWN: USAGE,
  DEVNET_CLIENT_NOT_FOUND: { exit: 69, http: 503 },
  DEVNET_EXTRA_DATA_INVALID: REFUSED,
  DEVNET_NOT_INITIALISED: { exit: 66, http: 409 },
  DEVNET_STATE_INVALID: { exit: 65, http: 500 },
  DEVNET_EXISTS: EXISTS,
  DEVNET_ALREADY_RUNNING: { exit: 75, http: 409 },
  DEVNET_START_FAILED: SOFTWARE,
  DEVNET_STOP_FAILED: SOFTWARE,
  DEVNET_VALIDATOR_CONTRACT_MISSING: { exit: 66, http: 500 },
  STORAGE_CONFIG_INVALID: CONFIGURATION,
  STORAGE_UNAVAILABLE: TEMPORARY,
  STORAGE_MIGRATION_FAILED: SOFTWARE,
  // The database was written by a newer release: this software must be upgraded before it can use it.
  STORAGE_SCHEMA_TOO_NEW: CONFIGURATION,
  STORAGE_LEADERSHIP_LOST: TEMPORARY,
  // The disk refused a flush: what was committed since the last good one may be lost, so the store stops.
  STORAGE_SYNC_FAILED: TEMPORARY,
  CORE_JSON_INVALID: REFUSED,
  CORE_SECRET_UNAVAILABLE: CONFIGURATION,
  EVENTS_CONFIG_INVALID: CONFIGURATION,
  EVENTS_STORE_UNAVAILABLE: TEMPORARY,
  EVENTS_CURSOR_INVALID: USAGE,
  // The follower's stored position names a block the node holds with another hash, or another chain.
  EVENTS_CHAIN_MISMATCH: { exit: 65, http: 500 },
  EVENTS_SUBSCRIPTION_NOT_FOUND: NOT_FOUND,
  EVENTS_DELIVERY_NOT_FOUND: NOT_FOUND,
  EVENTS_SECRET_UNAVAILABLE: CONFIGURATION,
  READINESS_FAILED: { exit: 65, http: 503 },
  UNEXPECTED: SOFTWARE,
};

/** The exit status a command line ends with for `code`. */
export function exitStatus(code: ErrorCode): number {
  return ERROR_STATUS[code].exit;
}

/** The HTTP status that answers `error`: its code's status, 500 for anything that is not a framework error. */
export function httpStatus(error: unknown): number {
  return isFrameworkError(error) ? ERROR_STATUS[error.code].http : 500;
}
