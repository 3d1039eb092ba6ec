/**
 * The checks a signed vote must pass, in order, and what it changes. Pure: the store runs `checkVote` inside a
 * write transaction and applies the result.
 *
 *   identical to a vote already counted -> accepted again, nothing changes (idempotent)
 *   request approved, rejected or consumed -> APPROVAL_REQUEST_CLOSED
 *   request past its expiry             -> marked expired, APPROVAL_EXPIRED
 *   digest is not the request's         -> APPROVAL_DIGEST_MISMATCH (signed for another transaction)
 *   approver id not in the directory    -> APPROVAL_UNKNOWN_APPROVER
 *   signature not from that id's address on this chain -> APPROVAL_SIGNATURE_INVALID
 *   signature past its own expiresAt    -> APPROVAL_EXPIRED
 *   approver is the initiator           -> APPROVAL_SELF_APPROVAL (four eyes)
 *   approver holds no accepted role     -> APPROVAL_ROLE_NOT_ACCEPTED
 *   approver already voted otherwise    -> APPROVAL_DUPLICATE_VOTE
 * A counted rejection closes the request as rejected; approvals from distinct approvers reaching `required`
 * close it as approved.
 */
import type { JsonValue } from "../audit";
import type { ApprovalConfig } from "./config";
import { recoverApprover, type SignedApproval } from "./digest";
import { ApprovalError } from "./errors";
import type { ApprovalState, RequestRow, VoteRow } from "./rows";

/** What a vote changes, and the audit events it produces. */
export interface Outcome {
  /** The request was found past its expiry and must be marked expired. */
  expire: boolean;
  /** The vote is new and must be stored. */
  insert: boolean;
  /** The request's new state, if it changes. */
  state?: ApprovalState;
  events: { [key: string]: JsonValue }[];
  /** Raised after the transaction commits (so that marking a request expired is kept). */
  error?: ApprovalError;
}

/** Applies the checks of the module comment; throws the first refusal that changes nothing. */
export function checkVote(
  row: RequestRow,
  votes: readonly VoteRow[],
  approval: SignedApproval,
  config: ApprovalConfig,
  now: number,
): Outcome {
  const { intentDigest, approverId, decision, expiresAt } = approval.message;
  const details = { intentId: row.intent_id, approverId };
  const previous = votes.find((v) => v.approver_id === approverId);
  if (
    previous !== undefined &&
    previous.signature === approval.signature &&
    previous.decision === decision &&
    previous.expires_at === expiresAt &&
    intentDigest === row.digest
  ) {
    return { expire: false, insert: false, events: [] };
  }
  if (row.state === "approved" || row.state === "rejected" || row.state === "consumed") {
    throw new ApprovalError("APPROVAL_REQUEST_CLOSED", `the request is already ${row.state}`, details);
  }
  if (row.state === "expired" || now >= row.expires_at) {
    const error = new ApprovalError("APPROVAL_EXPIRED", "the request has expired", { ...details, at: row.expires_at });
    return { expire: row.state !== "expired", insert: false, events: [], error };
  }
  if (intentDigest !== row.digest) {
    throw new ApprovalError("APPROVAL_DIGEST_MISMATCH", "the approval was signed for another transaction", {
      ...details,
      expected: row.digest,
      signed: intentDigest,
    });
  }
  const approver = config.approvers.find((a) => a.id === approverId);
  if (approver === undefined) {
    throw new ApprovalError("APPROVAL_UNKNOWN_APPROVER", `unknown approver ${approverId}`, details);
  }
  const recovered = recoverApprover(approval, config.chainId);
  if (recovered !== approver.address) {
    throw new ApprovalError("APPROVAL_SIGNATURE_INVALID", `the signature is not from ${approverId}'s key`, {
      ...details,
      expected: approver.address,
      recovered: recovered ?? null,
    });
  }
  if (now >= expiresAt) {
    throw new ApprovalError("APPROVAL_EXPIRED", "the approval's signature has expired", { ...details, at: expiresAt });
  }
  if (approverId === row.initiator_id) {
    throw new ApprovalError("APPROVAL_SELF_APPROVAL", "the initiator cannot approve their own intent", details);
  }
  const accepted = JSON.parse(row.roles) as string[];
  if (accepted.length > 0 && !approver.roles.some((r) => accepted.includes(r))) {
    throw new ApprovalError("APPROVAL_ROLE_NOT_ACCEPTED", `${approverId} holds none of the accepted roles`, {
      ...details,
      accepted,
      held: approver.roles,
    });
  }
  if (previous !== undefined) {
    throw new ApprovalError("APPROVAL_DUPLICATE_VOTE", `${approverId} has already voted`, details);
  }
  if (decision === "reject") {
    return { expire: false, insert: true, state: "rejected", events: [{ event: "rejected" }] };
  }
  const approvers = [...votes.filter((v) => v.decision === "approve").map((v) => v.approver_id), approverId];
  const events: { [key: string]: JsonValue }[] = [{ event: "approved", count: approvers.length }];
  if (approvers.length < row.required) return { expire: false, insert: true, events };
  events.push({ event: "completed", approvers });
  return { expire: false, insert: true, state: "approved", events };
}
