/**
 * `ApprovalStore`: pending approval requests and the signed votes collected for them, in a SQLite file (WAL,
 * `synchronous=FULL`) or a PostgreSQL database (src/storage). Each check-and-write runs in one serialised write
 * transaction (IMMEDIATE on SQLite, under the store's advisory lock on PostgreSQL), so two processes cannot
 * both count a vote; every step (requested, approved, rejected, refused, completed, expired, consumed) is then
 * appended to the audit log when one is given (kind `approval`, subject the intent id).
 *
 * Expiry: an approval is good until the request's own expiry AND each counted vote's `expiresAt`. A request
 * (approved or not) found past its expiry, or approved but left with fewer unexpired votes than it requires, is
 * marked expired; asking for the same intent again opens it afresh (new votes needed).
 *
 * Consumption: an approved request grants exactly one signature. `consume` turns it from approved to consumed
 * in one such transaction before the signature is made, so two processes cannot both sign on it; the next
 * signature of the same call is a new intent (the policy gate numbers them) with a new digest and new votes.
 */
import type { Kysely } from "kysely";
import type { AuditStore, JsonValue } from "../audit";
import type { ApprovalDemand, ApprovalIntent } from "./subject";
import { openStoreDatabase, type PostgresLocationInput, type StorageDatabase } from "../storage";
import { parseApprovalConfig, type ApprovalConfig, type ApprovalConfigInput } from "./config";
import { intentDigest, parseSignedApproval } from "./digest";
import { ApprovalError } from "./errors";
import { checkVote, type Outcome } from "./rules";
import {
  APPROVAL_SCHEMA,
  liveApprovals,
  toStatus,
  type ApprovalTables,
  type ApprovalStatus,
  type ApprovalState,
  type RequestRow,
  type VoteRow,
} from "./rows";
import { codeFamily, isFrameworkError } from "../errors";

/** Options of `ApprovalStore.open`. */
export interface ApprovalStoreOptions {
  /** The SQLite file (created if absent); or give `postgres`. */
  path?: string;
  /** A PostgreSQL database instead of a file (its URL from an environment variable or a file). */
  postgres?: PostgresLocationInput;
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

type Db = Kysely<ApprovalTables>;

/** The advisory lock every writer of the approval store takes on PostgreSQL. */
const WRITE_LOCK = "approvals";

export class ApprovalStore {
  readonly #storage: StorageDatabase;
  readonly #db: Db;
  readonly #config: ApprovalConfig;
  readonly #audit: AuditStore | undefined;
  readonly #now: () => number;
  #closed = false;

  private constructor(storage: StorageDatabase, config: ApprovalConfig, options: ApprovalStoreOptions) {
    this.#storage = storage;
    this.#db = storage.db<ApprovalTables>();
    this.#config = config;
    this.#audit = options.audit;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /**
   * Validates the configuration and opens (creating and migrating if needed) the store at `options.path` or in
   * the PostgreSQL database `options.postgres` names.
   */
  static async open(options: ApprovalStoreOptions): Promise<ApprovalStore> {
    const config = parseApprovalConfig(options.config);
    const location = { path: options.path, postgres: options.postgres, busyTimeoutMs: config.busyTimeoutMs };
    const storage = await openStoreDatabase(
      location,
      APPROVAL_SCHEMA,
      (cause) =>
        new ApprovalError(
          "APPROVAL_STORE_UNAVAILABLE",
          "approval store unavailable",
          { path: options.path ?? "postgres" },
          cause,
        ),
    );
    return new ApprovalStore(storage, config, options);
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
    const created = await this.#storage.write<ApprovalTables, boolean>(WRITE_LOCK, async (trx) => {
      const existing = await row(trx, intent.intent_id);
      if (existing !== undefined) {
        if (existing.digest !== digest) {
          throw new ApprovalError("APPROVAL_REQUEST_CONFLICT", "another intent was requested under this id", {
            intentId: intent.intent_id,
            requested: existing.digest,
            given: digest,
          });
        }
        if (!(await lapsed(trx, existing, now))) return false;
        // An expired request for the same intent is opened afresh: the votes it held no longer count.
        await trx.deleteFrom("approval_votes").where("intent_id", "=", intent.intent_id).execute();
        await trx.deleteFrom("approval_requests").where("intent_id", "=", intent.intent_id).execute();
      }
      await trx
        .insertInto("approval_requests")
        .values({
          intent_id: intent.intent_id,
          digest,
          // approval_required with `required` 0 would be approved by nobody; at least one approver counts.
          required: Math.max(1, decision.approvals.required),
          roles: JSON.stringify(decision.approvals.roles),
          initiator_id: intent.initiator.id,
          created_at: now,
          expires_at: now + this.#config.requestTtlSeconds,
          state: "pending",
        })
        .execute();
      return true;
    });
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
      outcome = await this.#storage.write<ApprovalTables, Outcome>(WRITE_LOCK, async (trx) => {
        const found = await requireRow(trx, subject);
        const result = checkVote(found, await votes(trx, subject), approval, this.#config, this.#now());
        if (result.expire) await setState(trx, subject, "expired");
        if (result.insert) {
          await trx
            .insertInto("approval_votes")
            .values({
              intent_id: subject,
              approver_id: approval.message.approverId,
              decision: approval.message.decision,
              expires_at: approval.message.expiresAt,
              signature: approval.signature,
              at: this.#now(),
            })
            .execute();
        }
        if (result.state !== undefined) await setState(trx, subject, result.state);
        return result;
      });
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
    let found = await requireRow(this.#db, intentId);
    const now = this.#now();
    if ((found.state === "pending" || found.state === "approved") && (await lapsed(this.#db, found, now))) {
      await this.#storage.write<ApprovalTables, void>(WRITE_LOCK, (trx) => setState(trx, intentId, "expired"));
      await this.#record(intentId, { event: "expired" });
      found = await requireRow(this.#db, intentId);
    }
    return toStatus(found, await votes(this.#db, intentId), this.#config, now);
  }

  /**
   * Uses the approval of `intentId` for the one signature it grants: approved -> consumed, atomically and
   * audited with `facts`. Throws APPROVAL_EXPIRED when it lapsed, APPROVAL_REQUEST_CLOSED when it is not
   * approved (pending, rejected, or consumed already).
   */
  async consume(intentId: string, facts: { [key: string]: JsonValue } = {}): Promise<ApprovalStatus> {
    this.#assertOpen();
    const now = this.#now();
    const result = await this.#storage.write<ApprovalTables, ApprovalState | "used">(WRITE_LOCK, async (trx) => {
      const found = await requireRow(trx, intentId);
      const open = found.state === "pending" || found.state === "approved";
      const gone = open && (await lapsed(trx, found, now));
      if (found.state === "approved" && !gone) {
        await setState(trx, intentId, "consumed");
        return "used";
      }
      if (gone) {
        await setState(trx, intentId, "expired");
        return "expired";
      }
      return found.state;
    });
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
    const ids = await this.#db
      .selectFrom("approval_requests")
      .select("intent_id")
      .orderBy("created_at")
      .orderBy("intent_id")
      .execute();
    const all: ApprovalStatus[] = [];
    for (const { intent_id } of ids) all.push(await this.status(intent_id));
    return all.filter(
      (s) =>
        (filter.state === undefined || s.state === filter.state) &&
        (filter.initiatorId === undefined || s.initiatorId === filter.initiatorId),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#storage.close();
  }

  async #record(subject: string, payload: { [key: string]: JsonValue }): Promise<void> {
    if (this.#audit !== undefined) await this.#audit.append({ kind: "approval", subject, payload });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ApprovalError("APPROVAL_STORE_CLOSED", "the approval store is closed");
  }
}

function row(db: Db, intentId: string): Promise<RequestRow | undefined> {
  return db.selectFrom("approval_requests").selectAll().where("intent_id", "=", intentId).executeTakeFirst();
}

async function requireRow(db: Db, intentId: string): Promise<RequestRow> {
  const found = await row(db, intentId);
  if (found === undefined) {
    throw new ApprovalError("APPROVAL_REQUEST_NOT_FOUND", `no approval request for ${intentId}`, { intentId });
  }
  return found;
}

function votes(db: Db, intentId: string): Promise<VoteRow[]> {
  return db
    .selectFrom("approval_votes")
    .selectAll()
    .where("intent_id", "=", intentId)
    .orderBy("at")
    .orderBy("approver_id")
    .execute();
}

/** True when `found` can no longer grant a signature at `now` (its expiry, or too few unexpired votes). */
async function lapsed(db: Db, found: RequestRow, now: number): Promise<boolean> {
  if (found.state === "expired") return true;
  if (now >= found.expires_at) return true;
  return found.state === "approved" && liveApprovals(await votes(db, found.intent_id), now).length < found.required;
}

async function setState(db: Db, intentId: string, state: ApprovalState): Promise<void> {
  await db.updateTable("approval_requests").set({ state }).where("intent_id", "=", intentId).execute();
}
