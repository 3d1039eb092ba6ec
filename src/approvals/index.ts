/**
 * Approvals: when the bank's policy answers `approval_required` (four eyes, a quorum of compliance officers),
 * a request is opened for the intent and approvers sign EIP-712 votes bound to the intent's digest, so a vote
 * cannot be reused for another transaction. The store checks each vote against the approver directory, keeps
 * them in SQLite, and records every step in the audit log; `status` hands back the approving parties for the
 * intent's `approvals` on re-evaluation.
 */
export {
  approvalConfigSchema,
  approverSchema,
  parseApprovalConfig,
  type ApprovalConfig,
  type ApprovalConfigInput,
  type Approver,
} from "./config";
export {
  APPROVAL_DOMAIN_NAME,
  APPROVAL_DOMAIN_VERSION,
  APPROVAL_TYPES,
  approvalDomain,
  approvalMessageSchema,
  approvalTypedDigest,
  intentDigest,
  parseSignedApproval,
  recoverApprover,
  signApproval,
  signedApprovalSchema,
  VOTES,
  type ApprovalMessage,
  type ApprovalSigner,
  type SignedApproval,
  type Vote,
} from "./digest";
export { ApprovalError, type ApprovalErrorCode } from "./errors";
export { APPROVAL_STATES, type ApprovalState, type ApprovalStatus, type RecordedVote } from "./rows";
export { ApprovalStore, type ApprovalFilter, type ApprovalStoreOptions } from "./store";
export type { ApprovalDemand, ApprovalIntent } from "./subject";
