/**
 * The approval store's tables (as versioned migrations) and how their rows become the `ApprovalStatus` callers see.
 */
import { defineStoreSchema, execStatements, type StorageDialect } from "../storage";
import type { ApprovalConfig } from "./config";
import type { Vote } from "./digest";

const time = (dialect: StorageDialect): string => (dialect === "postgres" ? "BIGINT" : "INTEGER");

/** The approval store's migrations. `IF NOT EXISTS` lets 0001 adopt a file written before migrations existed. */
export const APPROVAL_SCHEMA = defineStoreSchema("approvals", {
  "0001_requests": {
    up: (db, dialect) =>
      execStatements(db, [
        "CREATE TABLE IF NOT EXISTS approval_requests (intent_id TEXT PRIMARY KEY, digest TEXT NOT NULL, " +
          `required INTEGER NOT NULL, roles TEXT NOT NULL, initiator_id TEXT NOT NULL, created_at ${time(dialect)} NOT NULL, ` +
          `expires_at ${time(dialect)} NOT NULL, state TEXT NOT NULL)`,
        "CREATE TABLE IF NOT EXISTS approval_votes (intent_id TEXT NOT NULL REFERENCES approval_requests(intent_id), " +
          `approver_id TEXT NOT NULL, decision TEXT NOT NULL, expires_at ${time(dialect)} NOT NULL, signature TEXT NOT NULL, ` +
          `at ${time(dialect)} NOT NULL, PRIMARY KEY (intent_id, approver_id))`,
      ]),
  },
});

/**
 * pending, approved (enough distinct approvers whose votes have not expired), rejected (one rejection),
 * expired (the request, or enough of its votes, passed their expiry before it was used) or consumed (the one
 * signature it was granted for was made).
 */
export const APPROVAL_STATES = ["pending", "approved", "rejected", "expired", "consumed"] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export interface RequestRow {
  intent_id: string;
  digest: string;
  required: number;
  roles: string;
  initiator_id: string;
  created_at: number;
  expires_at: number;
  state: ApprovalState;
}

/** The store's tables, as kysely sees them. */
export interface ApprovalTables {
  approval_requests: RequestRow;
  approval_votes: VoteRow;
}

export interface VoteRow {
  intent_id: string;
  approver_id: string;
  decision: Vote;
  expires_at: number;
  signature: string;
  at: number;
}

/** One counted vote, with the signature that proves it. */
export interface RecordedVote {
  approverId: string;
  decision: Vote;
  expiresAt: number;
  signature: string;
  /** Unix seconds when it was counted. */
  at: number;
}

/** A request and what was collected for it. */
export interface ApprovalStatus {
  intentId: string;
  /** The intent digest the votes are bound to. */
  digest: string;
  state: ApprovalState;
  required: number;
  /** Roles accepted (empty: any configured approver). */
  roles: string[];
  initiatorId: string;
  createdAt: number;
  expiresAt: number;
  votes: RecordedVote[];
  /** The approving parties whose votes have not expired, ready for the intent's `approvals` on re-evaluation. */
  approvals: { id: string; roles: string[] }[];
}

/** Approving votes still within their own `expiresAt` at `now`. */
export function liveApprovals(votes: readonly VoteRow[], now: number): VoteRow[] {
  return votes.filter((v) => v.decision === "approve" && now < v.expires_at);
}

/** Builds the status of `row` from its votes and the approver directory; votes expired at `now` approve nothing. */
export function toStatus(
  row: RequestRow,
  votes: readonly VoteRow[],
  config: ApprovalConfig,
  now: number,
): ApprovalStatus {
  const roles = JSON.parse(row.roles) as string[];
  const directory = new Map(config.approvers.map((a) => [a.id, a]));
  return {
    intentId: row.intent_id,
    digest: row.digest,
    state: row.state,
    required: row.required,
    roles,
    initiatorId: row.initiator_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    votes: votes.map((v) => ({
      approverId: v.approver_id,
      decision: v.decision,
      expiresAt: v.expires_at,
      signature: v.signature,
      at: v.at,
    })),
    approvals: liveApprovals(votes, now).map((v) => ({
      id: v.approver_id,
      roles: [...(directory.get(v.approver_id)?.roles ?? [])],
    })),
  };
}
