/**
 * SQLite backend (better-sqlite3): one file, WAL journal with `synchronous=FULL` so a committed append has
 * been fsynced when `append` resolves. Appends run in an IMMEDIATE transaction (read head, insert) that takes
 * the database write lock, so appenders in other connections or processes wait instead of forking the chain;
 * `seq` is the primary key, so a second record for one seq is refused by the database itself.
 */
import Database from "better-sqlite3";
import { openDurableSqlite } from "../storage";
import { AuditAppendError, AuditRecordCorruptError, AuditStoreUnavailableError } from "./errors";
import {
  GENESIS_HASH,
  nextRecord,
  prepareEntry,
  toAuditRecord,
  type AuditEntry,
  type AuditHead,
  type AuditRecord,
  type PreparedEntry,
  type StoredRecord,
} from "./record";
import { BaseAuditStore, fromRow, type AuditRow } from "./store";
import { codeFamily, isFrameworkError } from "../errors";

/** Options of the SQLite store (validated by `openAuditStore`). */
export interface SqliteAuditStoreOptions {
  path: string;
  table: string;
  pageSize: number;
  /** How long to wait for another connection's write lock, in milliseconds. */
  busyTimeoutMs: number;
}

export class SqliteAuditStore extends BaseAuditStore {
  readonly #db: Database.Database;
  readonly #headStmt: Database.Statement<[], { seq: number; hash: string }>;
  readonly #readStmt: Database.Statement<[number, number], AuditRow>;
  readonly #append: (entries: readonly PreparedEntry[]) => StoredRecord[];
  /** False when the connection is shared (`onDatabase`): its owner closes it. */
  readonly #ownsDb: boolean;

  private constructor(db: Database.Database, options: SqliteAuditStoreOptions, ownsDb = true) {
    super(options.table, options.pageSize);
    const t = this.table;
    this.#db = db;
    this.#ownsDb = ownsDb;
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${t} (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, at TEXT NOT NULL, ` +
        `subject TEXT, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)`,
    );
    this.#headStmt = db.prepare(`SELECT seq, hash FROM ${t} ORDER BY seq DESC LIMIT 1`);
    this.#readStmt = db.prepare(`SELECT * FROM ${t} WHERE seq >= ? ORDER BY seq LIMIT ?`);
    const insert = db.prepare(
      `INSERT INTO ${t} (seq, kind, at, subject, payload, prev_hash, hash) ` +
        `VALUES (@seq, @kind, @at, @subject, @payloadJson, @prevHash, @hash)`,
    );
    const tx = db.transaction((entries: readonly PreparedEntry[]): StoredRecord[] => {
      let head = this.#headNow();
      const at = new Date();
      return entries.map((entry) => {
        const record = nextRecord(entry, head, at);
        insert.run(record);
        head = record;
        return record;
      });
    });
    this.#append = (entries) => tx.immediate(entries);
  }

  /** Opens (creating if needed) the log in the file at `options.path`. */
  static open(options: SqliteAuditStoreOptions): SqliteAuditStore {
    let db: Database.Database | undefined;
    try {
      db = openDurableSqlite(options.path, options.busyTimeoutMs);
      return new SqliteAuditStore(db, options);
    } catch (error) {
      db?.close();
      if (isFrameworkError(error, codeFamily("AUDIT_"))) throw error;
      throw new AuditStoreUnavailableError("sqlite", error, options.path);
    }
  }

  /**
   * The log on a connection its caller owns (and closes), so that its appends can join the caller's
   * transactions (`appendWithin`).
   */
  static onDatabase(db: Database.Database, options: Omit<SqliteAuditStoreOptions, "busyTimeoutMs">): SqliteAuditStore {
    try {
      return new SqliteAuditStore(db, { ...options, busyTimeoutMs: 0 }, false);
    } catch (error) {
      if (isFrameworkError(error, codeFamily("AUDIT_"))) throw error;
      throw new AuditStoreUnavailableError("sqlite", error, options.path);
    }
  }

  /**
   * Appends `entries` now, synchronously, inside the transaction the caller has open on the shared connection
   * (a savepoint of it): durable when that transaction commits, gone if it rolls back.
   */
  appendWithin(entries: readonly AuditEntry[]): AuditRecord[] {
    this.assertOpen();
    if (entries.length === 0) return [];
    const stored = this.#append(entries.map(prepareEntry));
    return stored.map((r) => toAuditRecord(r, (reason) => new AuditRecordCorruptError(r.seq, reason)));
  }

  /** Tells the log's observers of records `appendWithin` wrote, once the owner's transaction committed. */
  committedWithin(records: readonly AuditRecord[]): void {
    if (records.length > 0) this.notifyCommitted(records);
  }

  protected appendRecords(entries: readonly PreparedEntry[]): Promise<StoredRecord[]> {
    try {
      return Promise.resolve(this.#append(entries));
    } catch (error) {
      if (isFrameworkError(error, codeFamily("AUDIT_"))) throw error;
      throw new AuditAppendError(entries[0].kind, error);
    }
  }

  protected readStored(fromSeq: number, limit: number): Promise<StoredRecord[]> {
    return Promise.resolve(this.#readStmt.all(fromSeq, limit).map(fromRow));
  }

  protected readHead(): Promise<AuditHead> {
    return Promise.resolve(this.#headNow());
  }

  protected closeBackend(): Promise<void> {
    if (this.#ownsDb) this.#db.close();
    return Promise.resolve();
  }

  #headNow(): AuditHead {
    return this.#headStmt.get() ?? { seq: 0, hash: GENESIS_HASH };
  }
}
