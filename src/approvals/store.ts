/**
 * `ApprovalStore`: pending approval requests and the signed votes collected for them, in one SQLite file
 * (WAL, `synchronous=FULL`). Each check-and-write runs in one IMMEDIATE transaction, so two processes cannot
 * both count a vote; every step (requested, approved, rejected, refused, completed, expired, consumed) is then
 * appended to the audit log when one is given (kind `approval`, subject the intent id).
 *
 * Expiry: an approval is good until the request's own expiry AND each counted vote's `expiresAt`. A request
 * (approved or not) found past its expiry, or approved but left with fewer unexpired votes than it requires, is
 * marked expired; asking for the same intent again opens it afresh (new votes needed).
 *
 * Consumption: an approved request grants exactly one signature. `consume` turns it from approved to consumed
 * in one IMMEDIATE transaction before the signature is made, so two processes cannot both sign on it; the next
 * signature of the same call is a new intent (the policy gate numbers them) with a new digest and new votes.
 */
import Database from "better-sqlite3";
import type { AuditStore, JsonValue } from "../audit";
import type { ApprovalDemand, ApprovalIntent } from "./subject";
import { openDurableSqlite } from "../storage";
import { parseApprovalConfig, type ApprovalConfig, type ApprovalConfigInput } from "./config";
import { intentDigest, parseSignedApproval } from "./digest";
import { ApprovalError } from "./errors";
import { checkVote, type Outcome } from "./rules";
import {
  liveApprovals,
  SCHEMA,
  toStatus,
  type ApprovalStatus,
  type ApprovalState,
  type RequestRow,
  type VoteRow,
} from "./rows";
import { codeFamily, isFrameworkError } from "../errors";

/** Options of `ApprovalStore.open`. */
export interface ApprovalStoreOptions {
  path: string;
  config: ApprovalConfigInput;
  audit?: AuditStore;
  /** The current time in Unix seconds (tests drive time with it); defaults to the system clock. */
  now?: () => number;
}

/** Which requests `list` returns (all when empty). */
export interface ApprovalFilter {
  state?: ApprovalState;
  initiatorId?: string;
}

export class ApprovalStore {
  readonly #db: Database.Database;
  readonly #config: ApprovalConfig;
  readonly #audit: AuditStore | undefined;
  readonly #now: () => number;
  #closed = false;

  private constructor(db: Database.Database, config: ApprovalConfig, options: ApprovalStoreOptions) {
    this.#db = db;
    this.#config = config;
    this.#audit = options.audit;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    db.exec(SCHEMA);
  }

  /** Validates the configuration and opens (creating if needed) the store in the file at `options.path`. */
  static open(options: ApprovalStoreOptions): ApprovalStore {
    const config = parseApprovalConfig(options.config);
    let db: Database.Database | undefined;
    try {
      db = openDurableSqlite(options.path, config.busyTimeoutMs);
      return new ApprovalStore(db, config, options);
    } catch (error) {
      db?.close();
      throw new ApprovalError(
        "APPROVAL_STORE_UNAVAILABLE",
        "approval store unavailable",
        { path: options.path },
        error,
      );
    }
  }

  /**
   * Opens a request for `intent` as `decision` demands. Idempotent per intent id: the same intent (same digest)
   * returns the existing request; another digest under the same id is refused (APPROVAL_REQUEST_CONFLICT).
   */
  async request(intent: ApprovalIntent, decision: ApprovalDemand): Promise<ApprovalStatus> {
    this.#assertOpen();
    const digest = intentDigest(intent);
    if (decision.outcome !== "approval_required") {
      throw new ApprovalError("APPROVAL_NOT_REQUIRED", `decision is ${decision.outcome}`, {
        intentId: intent.intent_id,
      });
    }
    const now = this.#now();
    const created = this.#db
      .transaction((): boolean => {
        const existing = this.#row(intent.intent_id);
        if (existing !== undefined) {
          if (existing.digest !== digest) {
            throw new ApprovalError("APPROVAL_REQUEST_CONFLICT", "another intent was requested under this id", {
              intentId: intent.intent_id,
              requested: existing.digest,
              given: digest,
            });
          }
          if (!this.#lapsed(existing, now)) return false;
          // An expired request for the same intent is opened afresh: the votes it held no longer count.
          this.#db.prepare("DELETE FROM approval_votes WHERE intent_id = ?").run(intent.intent_id);
          this.#db.prepare("DELETE FROM approval_requests WHERE intent_id = ?").run(intent.intent_id);
        }
        this.#db
          .prepare(
            "INSERT INTO approval_requests (intent_id, digest, required, roles, initiator_id, created_at, " +
              "expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
          )
          .run(
            intent.intent_id,
            digest,
            // approval_required with `required` 0 would be approved by nobody; at least one approver counts.
            Math.max(1, decision.approvals.required),
            JSON.stringify(decision.approvals.roles),
            intent.initiator.id,
            now,
            now + this.#config.requestTtlSeconds,
          );
        return true;
      })
      .immediate();
    const status = await this.status(intent.intent_id);
    if (created) {
      await this.#record(intent.intent_id, {
        event: "requested",
        digest,
        required: status.required,
        roles: status.roles,
        initiatorId: status.initiatorId,
        expiresAt: status.expiresAt,
      });
    }
    return status;
  }

  /** Verifies and counts one signed vote; refusals are audited and thrown as `ApprovalError`s. */
  async submit(signed: unknown): Promise<ApprovalStatus> {
    this.#assertOpen();
    const approval = parseSignedApproval(signed);
    const subject = approval.intentId;
    let outcome: Outcome;
    try {
      outcome = this.#db
        .transaction((): Outcome => {
          const row = this.#requireRow(subject);
          const votes = this.#votes(subject);
          const result = checkVote(row, votes, approval, this.#config, this.#now());
          if (result.expire) this.#setState(subject, "expired");
          if (result.insert) {
            this.#db
              .prepare(
                "INSERT INTO approval_votes (intent_id, approver_id, decision, expires_at, signature, at) " +
                  "VALUES (?, ?, ?, ?, ?, ?)",
              )
              .run(
                subject,
                approval.message.approverId,
                approval.message.decision,
                approval.message.expiresAt,
                approval.signature,
                this.#now(),
              );
          }
          if (result.state !== undefined) this.#setState(subject, result.state);
          return result;
        })
        .immediate();
    } catch (error) {
      if (isFrameworkError(error, codeFamily("APPROVAL_")) && error.code !== "APPROVAL_REQUEST_NOT_FOUND") {
        await this.#record(subject, {
          event: "refused",
          code: error.code,
          approverId: approval.message.approverId,
          reason: error.message,
        });
      }
      throw error;
    }
    if (outcome.expire) await this.#record(subject, { event: "expired" });
    for (const event of outcome.events) {
      await this.#record(subject, { ...event, approverId: approval.message.approverId });
    }
    if (outcome.error !== undefined) {
      await this.#record(subject, {
        event: "refused",
        code: outcome.error.code,
        approverId: approval.message.approverId,
        reason: outcome.error.message,
      });
      throw outcome.error;
    }
    return this.status(subject);
  }

  /**
   * The request's state and the votes collected; a pending or approved request past its expiry (or approved
   * with too few unexpired votes left) is marked expired.
   */
  async status(intentId: string): Promise<ApprovalStatus> {
    this.#assertOpen();
    let row = this.#requireRow(intentId);
    const now = this.#now();
    if ((row.state === "pending" || row.state === "approved") && this.#lapsed(row, now)) {
      this.#setState(intentId, "expired");
      await this.#record(intentId, { event: "expired" });
      row = this.#requireRow(intentId);
    }
    return toStatus(row, this.#votes(intentId), this.#config, now);
  }

  /**
   * Uses the approval of `intentId` for the one signature it grants: approved -> consumed, atomically and
   * audited with `facts`. Throws APPROVAL_EXPIRED when it lapsed, APPROVAL_REQUEST_CLOSED when it is not
   * approved (pending, rejected, or consumed already).
   */
  async consume(intentId: string, facts: { [key: string]: JsonValue } = {}): Promise<ApprovalStatus> {
    this.#assertOpen();
    const now = this.#now();
    const result = this.#db
      .transaction((): ApprovalState | "used" => {
        const row = this.#requireRow(intentId);
        if (row.state === "approved" && !this.#lapsed(row, now)) {
          this.#setState(intentId, "consumed");
          return "used";
        }
        if ((row.state === "pending" || row.state === "approved") && this.#lapsed(row, now)) {
          this.#setState(intentId, "expired");
          return "expired";
        }
        return row.state;
      })
      .immediate();
    if (result === "used") {
      await this.#record(intentId, { event: "consumed", ...facts });
      return this.status(intentId);
    }
    if (result === "expired") await this.#record(intentId, { event: "expired" });
    throw result === "expired"
      ? new ApprovalError("APPROVAL_EXPIRED", "the approval expired before it was used", { intentId })
      : new ApprovalError("APPROVAL_REQUEST_CLOSED", `the request is ${result}, not approved`, { intentId });
  }

  /** Every request matching `filter`, oldest first. */
  async list(filter: ApprovalFilter = {}): Promise<ApprovalStatus[]> {
    this.#assertOpen();
    const ids = this.#db.prepare("SELECT intent_id FROM approval_requests ORDER BY created_at, intent_id").all() as {
      intent_id: string;
    }[];
    const all: ApprovalStatus[] = [];
    for (const { intent_id } of ids) all.push(await this.status(intent_id));
    return all.filter(
      (s) =>
        (filter.state === undefined || s.state === filter.state) &&
        (filter.initiatorId === undefined || s.initiatorId === filter.initiatorId),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #row(intentId: string): RequestRow | undefined {
    return this.#db.prepare("SELECT * FROM approval_requests WHERE intent_id = ?").get(intentId) as
      RequestRow | undefined;
  }

  #requireRow(intentId: string): RequestRow {
    const row = this.#row(intentId);
    if (row === undefined) {
      throw new ApprovalError("APPROVAL_REQUEST_NOT_FOUND", `no approval request for ${intentId}`, { intentId });
    }
    return row;
  }

  #votes(intentId: string): VoteRow[] {
    return this.#db
      .prepare("SELECT * FROM approval_votes WHERE intent_id = ? ORDER BY at, approver_id")
      .all(intentId) as VoteRow[];
  }

  /** True when `row` can no longer grant a signature at `now` (its expiry, or too few unexpired votes). */
  #lapsed(row: RequestRow, now: number): boolean {
    if (row.state === "expired") return true;
    if (now >= row.expires_at) return true;
    return row.state === "approved" && liveApprovals(this.#votes(row.intent_id), now).length < row.required;
  }

  #setState(intentId: string, state: ApprovalState): void {
    this.#db.prepare("UPDATE approval_requests SET state = ? WHERE intent_id = ?").run(state, intentId);
  }

  async #record(subject: string, payload: { [key: string]: JsonValue }): Promise<void> {
    if (this.#audit !== undefined) await this.#audit.append({ kind: "approval", subject, payload });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ApprovalError("APPROVAL_STORE_CLOSED", "the approval store is closed");
  }
}
