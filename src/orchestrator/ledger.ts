/**
 * `SigningLedger`: the one store of the signing path. One SQLite file (WAL, `synchronous=FULL`) holds the audit
 * log, the exposure reservations with the signature counts, and the signing records (nonce claims), on one
 * connection that this process owns alone (exclusive locking mode), so that everything a gated signature writes
 * is committed in ONE transaction: the decision and its reservation, the nonce claim, the signature count and the
 * audit records of the decision and of the signature (with its raw bytes, for rebroadcast).
 *
 * Order of a signature: decide (the reservation is held in memory), claim the nonce (in memory), sign, then commit
 * the write set, and only then release the signature to the caller. A crash before the commit loses only a
 * signature that never left the process: nothing of it is on disk, so its nonce and its reservation are free
 * again, and the key can never have signed two payloads for one recorded nonce. In memory, a staged nonce or
 * reservation is counted at once, so no concurrent signature can take the same nonce or the same limit.
 *
 * Group commit: write sets that reach the commit point in one turn of the event loop are written in one
 * transaction (each in a savepoint of its own, so one refused write set fails alone), then each caller is
 * released. A caller alone pays one commit.
 */
import type Database from "better-sqlite3";
import type { AuditRecord, AuditStore } from "../audit";
import { SqliteAuditStore } from "../audit/sqlite-store";
import { ReservationStore } from "../policy/reservations";
import { SigningRecordStore } from "../signer";
import { openDurableSqlite, WalSync } from "../storage";
import type { WriteSet } from "../audit";
import { isFrameworkError } from "../errors";
import { GateError } from "./errors";

/**
 * What the gate and the participant need of a signing ledger, on SQLite (`SigningLedger`) or PostgreSQL
 * (`PostgresSigningLedger`): its stores, and `commit`, which resolves only once a write set is durable.
 */
export interface SignatureLedger {
  readonly audit: AuditStore;
  readonly reservations: ReservationStore;
  readonly records: SigningRecordStore;
  commit(writes: WriteSet): Promise<void>;
  close(): Promise<void>;
}

/** Where the ledger lives. */
export interface SigningLedgerOptions {
  /** The SQLite file (created if missing); also the audit log's file. */
  path: string;
  /** The audit log's table (default `audit_log`). */
  table?: string;
  /** Records fetched per audit query when iterating, verifying or exporting (default 1,000). */
  pageSize?: number;
  /** How long to wait for the file's lock when opening it, in milliseconds (default 5,000). */
  busyTimeoutMs?: number;
  /**
   * Makes each committed group durable instead of the file's flush, one group after the other, before any of its
   * callers is released; when it rejects, every caller of the group is refused (used by `PostgresSigningLedger`,
   * whose file is an in-memory copy that `durable` writes through to PostgreSQL).
   */
  durable?: () => Promise<void>;
}

interface Queued {
  writes: WriteSet;
  /** The audit records its commit appended (filled while it is applied). */
  records: AuditRecord[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class SigningLedger implements SignatureLedger {
  readonly path: string;
  readonly audit: SqliteAuditStore;
  readonly reservations: ReservationStore;
  readonly records: SigningRecordStore;
  readonly #db: Database.Database;
  readonly #group: (queued: readonly Queued[]) => unknown[];
  readonly #durable: (() => Promise<void>) | undefined;
  #sync: WalSync | null = null;
  /** Groups committed and waiting for their flush to disk, before their callers are released. */
  #flushing: Promise<void> = Promise.resolve();
  #queue: Queued[] = [];
  #committing: Promise<void> | null = null;
  #commits = 0;

  private constructor(db: Database.Database, options: SigningLedgerOptions) {
    this.path = options.path;
    this.#db = db;
    this.#durable = options.durable;
    this.audit = SqliteAuditStore.onDatabase(db, {
      path: options.path,
      table: options.table ?? "audit_log",
      pageSize: options.pageSize ?? 1000,
    });
    this.reservations = ReservationStore.onDatabase(db, options.path);
    this.records = SigningRecordStore.onDatabase(db, options.path);
    const one = db.transaction((q: Queued) => this.#apply(q));
    // Each write set in a savepoint of its own: one that throws is undone alone, the others commit.
    this.#group = (queued) =>
      db
        .transaction(() =>
          queued.map((q): unknown => {
            try {
              q.records = [];
              one(q);
              return undefined;
            } catch (error) {
              return error ?? new Error("write set refused");
            }
          }),
        )
        .immediate();
  }

  /** Opens (creating if needed) the ledger's file and takes it for this process alone. */
  static open(options: SigningLedgerOptions): SigningLedger {
    let db: Database.Database | undefined;
    try {
      db = openDurableSqlite(options.path, options.busyTimeoutMs ?? 5000);
      const ledger = new SigningLedger(db, options);
      // The tables exist now; from here the log is flushed off the event loop (see `WalSync`).
      ledger.#sync = WalSync.attach(db, options.path);
      return ledger;
    } catch (error) {
      db?.close();
      throw error;
    }
  }

  /** The ledger on a connection its caller opened (closed by `close`), such as an in-memory copy. */
  static onConnection(db: Database.Database, options: SigningLedgerOptions): SigningLedger {
    return new SigningLedger(db, options);
  }

  /** Durable transactions committed by `commit` so far (each serves every write set of its group). */
  get commits(): number {
    return this.#commits;
  }

  /**
   * Writes `writes` in one durable transaction, shared with the write sets that reach this point in the same turn
   * of the event loop; resolves once it is committed. Rejects (and drops what was staged) when it could not be.
   */
  commit(writes: WriteSet): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ writes, records: [], resolve, reject });
      this.#committing ??= new Promise<void>((done) => setImmediate(done)).then(() => this.#drain());
    });
  }

  /** Flushes of the log to disk so far, off the event loop (0 when commits are flushed inline, see `WalSync`). */
  get flushes(): number {
    return this.#sync?.flushes ?? 0;
  }

  /** Waits for the commits in flight, then closes the stores and the file. */
  async close(): Promise<void> {
    while (this.#committing !== null) await this.#committing;
    await this.#flushing;
    await this.audit.close();
    this.reservations.close();
    this.records.close();
    if (this.#db.open) this.#db.close();
    this.#sync?.close();
    this.#sync = null;
  }

  #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0);
      let failures: unknown[];
      try {
        failures = this.#group(group);
        this.#commits += 1;
      } catch (error) {
        const failure = new GateError(
          "GATE_AUDIT_FAILED",
          "the signing ledger could not commit; no signature was released",
          { path: this.path },
          error,
        );
        for (const q of group) {
          q.writes.writes.forEach((w) => w.drop());
          q.reject(failure);
        }
        continue;
      }
      this.#release(group, failures);
    }
    this.#committing = null;
    return Promise.resolve();
  }

  /**
   * Releases a committed group once its commit is on disk: the write sets that committed are settled and their
   * callers resolved, the others dropped and rejected. When the flush fails, nothing of the group is released.
   */
  #release(group: readonly Queued[], failures: readonly unknown[]): void {
    const released = (): void => {
      // The log's observers (metrics) hear of this commit as of any other commit of the log.
      this.audit.committedWithin(group.flatMap((q, i) => (failures[i] === undefined ? q.records : [])));
      group.forEach((q, i) => {
        if (failures[i] === undefined) {
          q.writes.writes.forEach((w) => w.settle());
          q.resolve();
        } else {
          q.writes.writes.forEach((w) => w.drop());
          q.reject(failures[i]);
        }
      });
    };
    const failed = (error: unknown): void => {
      // The `durable` option's own refusal (leadership lost, PostgreSQL failed) passes as it is.
      const failure =
        isFrameworkError(error, "STORAGE_LEADERSHIP_LOST") || isFrameworkError(error, "GATE_AUDIT_FAILED")
          ? error
          : new GateError(
              "GATE_AUDIT_FAILED",
              "the signing ledger could not flush its commit to disk; no signature was released",
              { path: this.path },
              error,
            );
      for (const q of group) {
        q.writes.writes.forEach((w) => w.drop());
        q.reject(failure);
      }
    };
    if (this.#durable !== undefined) {
      this.#flushing = this.#flushing.then(this.#durable).then(released, failed);
      return;
    }
    if (this.#sync === null) {
      released();
      return;
    }
    this.#flushing = this.#sync.durable().then(released, failed);
  }

  /** Applies one write set in order: staged writes as they come, audit records in runs, each told its seq. */
  #apply(queued: Queued): void {
    const writes = queued.writes;
    let run: { entry: WriteSet["audit"][number]["entry"]; onSeq?: (seq: number) => void }[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const records = this.audit.appendWithin(run.map((a) => a.entry));
      queued.records.push(...records);
      run.forEach((a, i) => a.onSeq?.(records[i].seq));
      run = [];
    };
    for (const item of writes.order) {
      if ("entry" in item) run.push(item);
      else {
        flush();
        item.apply();
      }
    }
    flush();
  }
}
