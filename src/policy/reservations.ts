/**
 * Exposure reservations: the limit usage a bank has committed to each counterparty, per asset and local day.
 * A reservation is keyed by intent id, so a retried intent never counts twice; the same id with other terms
 * (counterparty, asset, amount) is a conflict. `release` (the transaction failed, expired, was cancelled or
 * reversed) gives the usage back, once.
 *
 * Signatures: the policy gate records here every signature it made per signing key (`signed`, `recordSigned`),
 * in the same file, so that one reservation is never spent by two signatures: the n-th signature of the same
 * call is a new intent with its own reservation (and its own approvals).
 *
 * One engine process owns the file: it is opened in SQLite's exclusive locking mode, so a second process
 * fails to open it instead of counting against a stale total. That makes the in-memory sums authoritative;
 * each sum is loaded from the file the first time it is needed and kept in step with every write.
 *
 * Staged reservations (`stage`, for a signature's one shared commit): counted at once, in memory, as if written
 * (`get` and `used` see them), and written when the signature's write set commits; dropped, they were never there.
 */
import type Database from "better-sqlite3";
import { openDurableSqlite, type StagedWrite } from "../storage";
import { PolicyEngineError } from "./engine-errors";

/** Why usage is given back. */
export const RELEASE_REASONS = ["failed", "expired", "cancelled", "reversed", "unwound"] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/** What one reservation holds. */
export interface ReservationTerms {
  intentId: string;
  counterparty: string;
  asset: string;
  amount: bigint;
  /** The bank's local day (days since the epoch in its time zone) the usage counts against. */
  day: number;
  /** Unix seconds after which `releaseExpired` gives the usage back. */
  expiresAt: number;
}

/** One write of `reserveAll`: the new terms and the released reservation they replaced, if any. */
export interface ReservationWrite {
  terms: ReservationTerms & { decisionId: string };
  replaced: Reservation | undefined;
}

/** A stored reservation. */
export interface Reservation extends ReservationTerms {
  state: "reserved" | "released";
  decisionId: string;
  releasedReason: ReleaseReason | null;
}

interface Row {
  intent_id: string;
  counterparty: string;
  asset: string;
  amount: bigint;
  day: bigint;
  expires_at: bigint;
  state: "reserved" | "released";
  decision_id: string;
  released_reason: ReleaseReason | null;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS reservations (
  intent_id TEXT PRIMARY KEY, counterparty TEXT NOT NULL, asset TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount >= 0),
  day INTEGER NOT NULL, expires_at INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('reserved', 'released')),
  decision_id TEXT NOT NULL, released_reason TEXT);
CREATE INDEX IF NOT EXISTS reservations_usage ON reservations (counterparty, asset, day, state);
CREATE INDEX IF NOT EXISTS reservations_expiry ON reservations (state, expires_at);
CREATE TABLE IF NOT EXISTS signatures (
  signing_key TEXT NOT NULL, ordinal INTEGER NOT NULL, intent_id TEXT NOT NULL, tx_hash TEXT NOT NULL,
  PRIMARY KEY (signing_key, ordinal));`;

export class ReservationStore {
  readonly #db: Database.Database;
  readonly #sums = new Map<string, bigint>();
  readonly #get: Database.Statement<[string], Row>;
  readonly #sum: Database.Statement<[string, string, number], { total: bigint | null }>;
  readonly #insert: Database.Statement<[Record<string, unknown>]>;
  readonly #release: Database.Statement<[ReleaseReason, string]>;
  readonly #expired: Database.Statement<[number], Row>;
  readonly #delete: Database.Statement<[string]>;
  readonly #restore: Database.Statement<[Record<string, unknown>]>;
  readonly #signedCount: Database.Statement<[string], { n: number }>;
  readonly #insertSigned: Database.Statement<[string, number, string, string]>;
  /** Reservations staged for a write set not yet committed, by intent id. */
  readonly #staged = new Map<string, ReservationTerms & { decisionId: string }>();
  /** Signature ordinals staged, by signing key. */
  readonly #stagedSigned = new Map<string, number>();
  readonly #ownsDb: boolean;
  #closed = false;

  private constructor(db: Database.Database, ownsDb = true) {
    this.#db = db;
    this.#ownsDb = ownsDb;
    db.exec(SCHEMA);
    this.#get = db.prepare<[string], Row>("SELECT * FROM reservations WHERE intent_id = ?").safeIntegers();
    this.#sum = db
      .prepare<[string, string, number], { total: bigint | null }>(
        "SELECT SUM(amount) AS total FROM reservations WHERE counterparty = ? AND asset = ? AND day = ? AND state = 'reserved'",
      )
      .safeIntegers();
    this.#insert = db.prepare(
      "INSERT INTO reservations (intent_id, counterparty, asset, amount, day, expires_at, state, decision_id) " +
        "VALUES (@intentId, @counterparty, @asset, @amount, @day, @expiresAt, 'reserved', @decisionId)",
    );
    this.#release = db.prepare(
      "UPDATE reservations SET state = 'released', released_reason = ? WHERE intent_id = ? AND state = 'reserved'",
    );
    this.#expired = db
      .prepare<[number], Row>("SELECT * FROM reservations WHERE state = 'reserved' AND expires_at <= ?")
      .safeIntegers();
    this.#delete = db.prepare("DELETE FROM reservations WHERE intent_id = ?");
    this.#signedCount = db.prepare("SELECT COUNT(*) AS n FROM signatures WHERE signing_key = ?");
    this.#insertSigned = db.prepare(
      "INSERT INTO signatures (signing_key, ordinal, intent_id, tx_hash) VALUES (?, ?, ?, ?)",
    );
    this.#restore = db.prepare(
      "INSERT INTO reservations (intent_id, counterparty, asset, amount, day, expires_at, state, decision_id, released_reason) " +
        "VALUES (@intentId, @counterparty, @asset, @amount, @day, @expiresAt, @state, @decisionId, @releasedReason)",
    );
  }

  /** Opens (creating if needed) the store at `path`, taking the file for this process alone. */
  static open(path: string, busyTimeoutMs: number): ReservationStore {
    let db: Database.Database | undefined;
    try {
      db = openDurableSqlite(path, busyTimeoutMs);
      db.pragma("locking_mode = EXCLUSIVE");
      // The exclusive lock is taken by the first write: take it now, so a second owner fails here.
      db.exec("BEGIN IMMEDIATE; COMMIT;");
      return new ReservationStore(db);
    } catch (error) {
      db?.close();
      throw new PolicyEngineError(
        "POLICY_RESERVATIONS_UNAVAILABLE",
        "reservation store unavailable (missing, unwritable, or open in another process)",
        { path },
        error,
      );
    }
  }

  /**
   * The store on a connection its caller owns (and closes), taken for this process alone like `open`, so that
   * staged writes can join the caller's transactions.
   */
  static onDatabase(db: Database.Database, path: string): ReservationStore {
    try {
      db.pragma("locking_mode = EXCLUSIVE");
      db.exec("BEGIN IMMEDIATE; COMMIT;");
      return new ReservationStore(db, false);
    } catch (error) {
      throw new PolicyEngineError(
        "POLICY_RESERVATIONS_UNAVAILABLE",
        "reservation store unavailable (missing, unwritable, or open in another process)",
        { path },
        error,
      );
    }
  }

  /** The reservation of `intentId` (staged or written), or `undefined`. */
  get(intentId: string): Reservation | undefined {
    this.#assertOpen();
    const staged = this.#staged.get(intentId);
    if (staged !== undefined) return { ...staged, state: "reserved", releasedReason: null };
    const row = this.#get.get(intentId);
    return row === undefined ? undefined : toReservation(row);
  }

  /** Active usage for (counterparty, asset, day), excluding `exceptIntentId`'s own reservation. */
  used(counterparty: string, asset: string, day: number, exceptIntentId?: string): bigint {
    this.#assertOpen();
    const key = sumKey(counterparty, asset, day);
    let total = this.#sums.get(key);
    if (total === undefined) {
      total = this.#sum.get(counterparty, asset, day)?.total ?? 0n;
      for (const t of this.#staged.values()) if (sumKey(t.counterparty, t.asset, t.day) === key) total += t.amount;
      this.#sums.set(key, total);
    }
    if (exceptIntentId === undefined) return total;
    const own = this.get(exceptIntentId);
    const mine = own !== undefined && own.state === "reserved" && sumKey(own.counterparty, own.asset, own.day) === key;
    return mine ? total - own.amount : total;
  }

  /**
   * Records every reservation of `batch` in one durable transaction. An intent id already reserved with the
   * same terms is left as it is (a retry); with other terms the whole batch is refused and nothing is written.
   * A released reservation of the same id is reserved again (the intent is being retried after a failure).
   * Returns what was written, for `undo`.
   */
  reserveAll(batch: readonly (ReservationTerms & { decisionId: string })[]): ReservationWrite[] {
    this.#assertOpen();
    const writes: ReservationWrite[] = [];
    this.#db.transaction(() => {
      for (const terms of batch) {
        const existing = this.#get.get(terms.intentId);
        if (existing?.state === "reserved") {
          if (!sameTerms(existing, terms)) throw conflict(terms, existing);
          continue;
        }
        if (existing !== undefined) this.#delete.run(terms.intentId);
        this.#insert.run({ ...terms });
        writes.push({ terms, replaced: existing === undefined ? undefined : toReservation(existing) });
      }
    })();
    for (const { terms: t } of writes) this.#adjust(t.counterparty, t.asset, t.day, t.amount);
    return writes;
  }

  /**
   * `reserveAll` staged for a write set: checked now against what is written and staged (a conflict throws and
   * stages nothing), counted at once, written by `apply` inside the write set's transaction.
   */
  stage(batch: readonly (ReservationTerms & { decisionId: string })[]): StagedWrite {
    this.#assertOpen();
    const fresh: (ReservationTerms & { decisionId: string })[] = [];
    for (const terms of batch) {
      const existing = this.get(terms.intentId);
      if (existing?.state === "reserved") {
        if (!sameTerms(existing, terms)) throw conflict(terms, existing);
        continue;
      }
      fresh.push(terms);
    }
    for (const t of fresh) {
      this.#staged.set(t.intentId, t);
      this.#adjust(t.counterparty, t.asset, t.day, t.amount);
    }
    const forget = (): void => {
      for (const t of fresh) this.#staged.delete(t.intentId);
    };
    return {
      apply: () => {
        for (const terms of fresh) {
          if (this.#get.get(terms.intentId) !== undefined) this.#delete.run(terms.intentId);
          this.#insert.run({ ...terms });
        }
      },
      settle: forget,
      drop: () => {
        forget();
        for (const t of fresh) this.#adjust(t.counterparty, t.asset, t.day, -t.amount);
      },
    };
  }

  /**
   * `release` staged for a write set, of a reservation staged or written: the usage is given back at once, the
   * row is marked released by `apply` (after the write set's earlier writes, such as the reservation itself).
   */
  stageRelease(intentId: string, reason: ReleaseReason): { released: Reservation; write: StagedWrite } | undefined {
    this.#assertOpen();
    const held = this.get(intentId);
    if (held === undefined || held.state !== "reserved") return undefined;
    this.#adjust(held.counterparty, held.asset, held.day, -held.amount);
    const staged = this.#staged.get(intentId);
    this.#staged.delete(intentId);
    return {
      released: { ...held, state: "released", releasedReason: reason },
      write: {
        apply: () => void this.#release.run(reason, intentId),
        settle: () => undefined,
        drop: () => {
          if (staged !== undefined) this.#staged.set(intentId, staged);
          this.#adjust(held.counterparty, held.asset, held.day, held.amount);
        },
      },
    };
  }

  /** `recordSigned` staged for a write set; `signed` counts it at once. */
  stageSigned(signingKey: string, ordinal: number, intentId: string, txHash: string): StagedWrite {
    this.#assertOpen();
    this.#stagedSigned.set(signingKey, ordinal + 1);
    const forget = (): void => {
      if (this.#stagedSigned.get(signingKey) === ordinal + 1) this.#stagedSigned.delete(signingKey);
    };
    return {
      apply: () => this.recordSigned(signingKey, ordinal, intentId, txHash),
      settle: forget,
      drop: forget,
    };
  }

  /** Reverts the writes of a batch whose audit append failed, so nothing unaudited stays counted. */
  undo(writes: readonly ReservationWrite[]): void {
    this.#assertOpen();
    this.#db.transaction(() => {
      for (const { terms, replaced } of writes) {
        this.#delete.run(terms.intentId);
        if (replaced !== undefined) this.#restore.run({ ...replaced, amount: replaced.amount });
      }
    })();
    for (const { terms: t } of writes) this.#adjust(t.counterparty, t.asset, t.day, -t.amount);
  }

  /** How many signatures were made under `signingKey` (the ordinal of the next one). */
  signed(signingKey: string): number {
    this.#assertOpen();
    const row = this.#signedCount.get(signingKey);
    return Math.max(row?.n ?? 0, this.#stagedSigned.get(signingKey) ?? 0);
  }

  /** Records signature number `ordinal` under `signingKey`; a second record of the same ordinal is refused. */
  recordSigned(signingKey: string, ordinal: number, intentId: string, txHash: string): void {
    this.#assertOpen();
    try {
      this.#insertSigned.run(signingKey, ordinal, intentId, txHash);
    } catch (error) {
      throw new PolicyEngineError(
        "POLICY_RESERVATION_CONFLICT",
        `signature ${ordinal} of ${signingKey} was already recorded`,
        { signingKey, ordinal, intentId },
        error,
      );
    }
  }

  /** Gives the usage of `intentId` back; `false` when it was not reserved (unknown or already released). */
  release(intentId: string, reason: ReleaseReason): Reservation | undefined {
    this.#assertOpen();
    const row = this.#get.get(intentId);
    if (row === undefined || row.state !== "reserved") return undefined;
    this.#release.run(reason, intentId);
    this.#adjust(row.counterparty, row.asset, Number(row.day), -row.amount);
    return { ...toReservation(row), state: "released", releasedReason: reason };
  }

  /** Reservations past their expiry at `now` (Unix seconds) that are still counted. */
  expired(now: number): Reservation[] {
    this.#assertOpen();
    return this.#expired.all(now).map(toReservation);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDb) this.#db.close();
  }

  #adjust(counterparty: string, asset: string, day: number, delta: bigint): void {
    const key = sumKey(counterparty, asset, day);
    const total = this.#sums.get(key);
    if (total !== undefined) this.#sums.set(key, total + delta);
  }

  #assertOpen(): void {
    if (this.#closed) throw new PolicyEngineError("POLICY_ENGINE_CLOSED", "the reservation store is closed");
  }
}

const sumKey = (counterparty: string, asset: string, day: number): string =>
  `${counterparty}\u0000${asset}\u0000${day}`;

type Held = Pick<ReservationTerms, "counterparty" | "asset" | "amount">;

function sameTerms(row: Held, terms: ReservationTerms): boolean {
  return row.counterparty === terms.counterparty && row.asset === terms.asset && row.amount === terms.amount;
}

function conflict(terms: ReservationTerms, row: Held): PolicyEngineError {
  return new PolicyEngineError(
    "POLICY_RESERVATION_CONFLICT",
    `intent ${terms.intentId} was reserved with other terms`,
    {
      intentId: terms.intentId,
      reserved: { counterparty: row.counterparty, asset: row.asset, amount: row.amount.toString() },
      requested: { counterparty: terms.counterparty, asset: terms.asset, amount: terms.amount.toString() },
    },
  );
}

function toReservation(row: Row): Reservation {
  return {
    intentId: row.intent_id,
    counterparty: row.counterparty,
    asset: row.asset,
    amount: row.amount,
    day: Number(row.day),
    expiresAt: Number(row.expires_at),
    state: row.state,
    decisionId: row.decision_id,
    releasedReason: row.released_reason,
  };
}
