/**
 * `PostgresSigningLedger`: the signing ledger on PostgreSQL, so that two processes of one bank can share it (one
 * active, one standby). Its tables (see ledger-schema.ts) hold the audit log, the reservations with the signature
 * counts and the signing records; they are created by the storage layer's versioned migrations.
 *
 * The signing path's stores are synchronous (they answer from memory and from a better-sqlite3 connection); here
 * they run unchanged on an in-memory SQLite copy of the ledger, loaded from PostgreSQL at open (every reservation,
 * signature count and signing record, and the audit log's head). Triggers on the copy note every row a commit
 * writes; after each group's commit in memory, and before any signature of the group is released, those rows are
 * written to PostgreSQL in ONE transaction (`synchronous_commit = on`). Concurrent write sets share that
 * transaction (group commit), as they share the one in memory.
 *
 * Fencing: opening the ledger raises the writer's term in PostgreSQL, and every write-through first checks (under a
 * share lock on the term's row) that the term is still its own, so a process that was replaced can commit nothing
 * more; the one that took over raised the term only after the older process's last transaction ended, and read
 * the state after that. When a write-through fails, or the term or the bank's leader lock is lost, the memory is
 * ahead of PostgreSQL: the ledger refuses every later commit (fail closed) until the process opens it again.
 */
import BetterSqlite from "better-sqlite3";
import type Database from "better-sqlite3";
import { sql } from "kysely";
import type { AuditStore } from "../audit";
import { PostgresAuditStore } from "../audit/postgres-store";
import { WriteSet } from "../audit/write-set";
import {
  resolveStorageTarget,
  StorageDatabase,
  StorageError,
  type LeaderLock,
  type PostgresLocationInput,
  type UntypedKysely,
} from "../storage";
import { GateError } from "./errors";
import { SigningLedger, type SignatureLedger } from "./ledger";
import { LedgerAuditStore } from "./ledger-audit";
import { auditTable, MIRRORED, signingLedgerSchema, type MirroredTable } from "./ledger-schema";

/** Where the ledger lives and who may write it. */
export interface PostgresSigningLedgerOptions {
  /** The PostgreSQL database (URL from an environment variable or a file, never logged). */
  postgres: PostgresLocationInput;
  /** The audit log's table (default `audit_log`). */
  table?: string;
  /** Records fetched per audit query when iterating, verifying or exporting (default 1,000). */
  pageSize?: number;
  /** The bank's leader lock, when a standby may take over: a commit without it is refused. */
  lock?: LeaderLock;
}

/** Rows written through per statement (well under PostgreSQL's limit of bind parameters). */
const CHUNK = 500;

export class PostgresSigningLedger implements SignatureLedger {
  readonly audit: AuditStore;
  readonly #memory: SigningLedger;
  readonly #mirror: Database.Database;
  readonly #database: StorageDatabase;
  readonly #reader: PostgresAuditStore;
  readonly #tables: readonly MirroredTable[];
  readonly #term: number;
  readonly #lock: LeaderLock | undefined;
  /** Why the ledger refuses every commit (set once a write-through failed). */
  #broken: Error | undefined;
  /** Rows changed in memory since the last write-through began. */
  #dirty = false;
  #inFlight = 0;
  #flushScheduled = false;
  #closed = false;

  private constructor(parts: {
    memory: SigningLedger;
    mirror: Database.Database;
    database: StorageDatabase;
    reader: PostgresAuditStore;
    tables: readonly MirroredTable[];
    term: number;
    lock: LeaderLock | undefined;
  }) {
    this.#memory = parts.memory;
    this.#mirror = parts.mirror;
    this.#database = parts.database;
    this.#reader = parts.reader;
    this.#tables = parts.tables;
    this.#term = parts.term;
    this.#lock = parts.lock;
    this.audit = new LedgerAuditStore(this, parts.reader, parts.memory.audit);
  }

  /**
   * Migrates the ledger's tables, takes the writer's term, and loads the state into memory. With `lock`, call it
   * only once the lock is held.
   */
  static async open(options: PostgresSigningLedgerOptions): Promise<PostgresSigningLedger> {
    options.lock?.assertActive();
    const table = options.table ?? "audit_log";
    const pageSize = options.pageSize ?? 1000;
    const target = resolveStorageTarget({ postgres: options.postgres });
    if (target.dialect !== "postgres") throw new StorageError("STORAGE_CONFIG_INVALID", "the ledger needs PostgreSQL");
    const database = await StorageDatabase.open(target, [signingLedgerSchema(table)]);
    let reader: PostgresAuditStore | undefined;
    let memory: SigningLedger | undefined;
    try {
      reader = await PostgresAuditStore.open({ connectionString: target.url, table, pageSize, poolSize: 1 });
      // Raising the term waits for the last transaction of an earlier writer still holding its share lock.
      const term = await database.write("signing-ledger-term", async (trx: UntypedKysely) => {
        const { rows } = await sql<{
          term: number;
        }>`UPDATE ledger_term SET term = term + 1 WHERE id = 1 RETURNING term`.execute(trx);
        return Number(rows[0].term);
      });
      // The memory's commits write through to PostgreSQL by the ledger built around it below.
      const self: { ledger?: PostgresSigningLedger } = {};
      const mirror = new BetterSqlite(":memory:");
      memory = SigningLedger.onConnection(mirror, {
        path: `memory copy of ${database.where}`,
        table,
        pageSize,
        durable: () => self.ledger!.#writeThrough(),
      });
      const tables = [auditTable(table), ...MIRRORED];
      await loadState(database.db(), mirror, tables);
      installCapture(mirror, tables, () => {
        if (self.ledger !== undefined) self.ledger.#noteChange();
      });
      self.ledger = new PostgresSigningLedger({ memory, mirror, database, reader, tables, term, lock: options.lock });
      return self.ledger;
    } catch (error) {
      await memory?.close().catch(() => undefined);
      await reader?.close().catch(() => undefined);
      await database.close();
      throw error;
    }
  }

  get reservations(): SigningLedger["reservations"] {
    return this.#memory.reservations;
  }

  get records(): SigningLedger["records"] {
    return this.#memory.records;
  }

  /** The writer's term this ledger writes under. */
  get term(): number {
    return this.#term;
  }

  /** Durable PostgreSQL transactions made so far (each serves every write set of its group). */
  get commits(): number {
    return this.#memory.commits;
  }

  /** Commits `writes` in memory and in PostgreSQL (shared with concurrent write sets); resolves once durable. */
  commit(writes: WriteSet): Promise<void> {
    this.#inFlight += 1;
    return this.#memory.commit(writes).finally(() => {
      this.#inFlight -= 1;
      if (this.#inFlight === 0 && this.#dirty) this.#scheduleFlush();
    });
  }

  /** Appends audit entries alone, through the same commit as a signature's (used by the ledger's audit store). */
  async appendEntries(entries: WriteSet["audit"][number]["entry"][]): Promise<number[]> {
    const writes = new WriteSet();
    const seqs: number[] = [];
    entries.forEach((entry, i) => writes.record(entry, (seq) => (seqs[i] = seq)));
    await this.commit(writes);
    return seqs;
  }

  async close(): Promise<void> {
    if (this.#dirty && this.#broken === undefined) await this.commit(new WriteSet()).catch(() => undefined);
    this.#closed = true;
    await this.#memory.close();
    await this.#reader.close();
    await this.#database.close();
  }

  /**
   * A row changed in memory. Outside a commit (a store written directly, such as a nonce slot given back), an empty
   * commit soon writes it through; inside one, that commit's write-through does.
   */
  #noteChange(): void {
    this.#dirty = true;
    if (this.#inFlight === 0) this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#closed || !this.#dirty || this.#inFlight > 0 || this.#broken !== undefined) return;
      // A failure marks the ledger broken: the next signature is refused with it.
      this.commit(new WriteSet()).catch(() => undefined);
    });
  }

  /** Writes what the last commits changed in memory to PostgreSQL, in one transaction under this ledger's term. */
  async #writeThrough(): Promise<void> {
    if (this.#broken !== undefined) throw this.#broken;
    try {
      this.#lock?.assertActive();
      this.#dirty = false;
      const changes = this.#mirror
        .prepare<[], { id: number; tbl: string; gone: number; row: string }>(
          "SELECT id, tbl, gone, row FROM ledger_changes ORDER BY id",
        )
        .all();
      if (changes.length === 0) return;
      await this.#database.write("signing-ledger", async (trx: UntypedKysely) => {
        const { rows } = await sql<{
          term: number;
        }>`SELECT term FROM ledger_term WHERE id = 1 FOR SHARE`.execute(trx);
        if (Number(rows[0]?.term) !== this.#term) {
          throw new StorageError(
            "STORAGE_LEADERSHIP_LOST",
            "another process took the signing ledger over; this one signs no more",
            { term: this.#term, current: Number(rows[0]?.term) },
          );
        }
        for (const table of this.#tables) await writeTable(trx, table, changes);
      });
      this.#mirror.prepare("DELETE FROM ledger_changes WHERE id <= ?").run(changes[changes.length - 1].id);
      // The copy keeps the audit log's head only: the log itself is read from PostgreSQL.
      const audit = this.#tables[0].memory;
      this.#mirror.exec(`DELETE FROM ${audit} WHERE seq < (SELECT MAX(seq) FROM ${audit})`);
    } catch (error) {
      this.#broken =
        error instanceof StorageError && error.code === "STORAGE_LEADERSHIP_LOST"
          ? error
          : new GateError(
              "GATE_AUDIT_FAILED",
              "the signing ledger could not commit to PostgreSQL; it signs no more until reopened",
              { where: this.#database.where },
              error,
            );
      throw this.#broken;
    }
  }
}

/** Copies the state from PostgreSQL into memory: every row but the audit log's, of which only the head. */
async function loadState(
  db: UntypedKysely,
  mirror: Database.Database,
  tables: readonly MirroredTable[],
): Promise<void> {
  for (const table of tables) {
    const query = db.selectFrom(table.postgres).select([...table.columns]);
    const rows =
      table.appendOnly === true ? await query.orderBy("seq", "desc").limit(1).execute() : await query.execute();
    const insert = mirror.prepare(
      `INSERT INTO ${table.memory} (${table.columns.join(", ")}) VALUES (${table.columns.map((c) => `@${c}`).join(", ")})`,
    );
    mirror.transaction(() => {
      for (const row of rows) insert.run(fromPostgres(table, row));
    })();
  }
}

/** Triggers that note every row written in memory (inserted or updated: the new row; deleted: its key). */
function installCapture(mirror: Database.Database, tables: readonly MirroredTable[], noted: () => void): void {
  mirror.function("ledger_noted", { deterministic: false }, () => {
    noted();
    return null;
  });
  mirror.exec(
    "CREATE TABLE ledger_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, gone INTEGER NOT NULL, " +
      "row TEXT NOT NULL)",
  );
  for (const t of tables) {
    const json = (prefix: string, columns: readonly string[]): string =>
      `json_object(${columns.map((c) => `'${c}', ${t.big?.includes(c) === true ? `CAST(${prefix}.${c} AS TEXT)` : `${prefix}.${c}`}`).join(", ")})`;
    const note = (event: string, gone: 0 | 1, prefix: string, columns: readonly string[]): string =>
      `CREATE TRIGGER ledger_${t.memory}_${event.toLowerCase()} AFTER ${event} ON ${t.memory} BEGIN ` +
      `INSERT INTO ledger_changes (tbl, gone, row) VALUES ('${t.memory}', ${gone}, ${json(prefix, columns)}); ` +
      "SELECT ledger_noted(); END";
    mirror.exec(note("INSERT", 0, "NEW", t.columns));
    if (t.appendOnly === true) continue;
    mirror.exec(note("UPDATE", 0, "NEW", t.columns));
    mirror.exec(note("DELETE", 1, "OLD", t.key));
  }
}

/** Writes one table's changes: the last change of each key wins (deleted, or upserted with its latest row). */
async function writeTable(
  trx: UntypedKysely,
  table: MirroredTable,
  changes: readonly { tbl: string; gone: number; row: string }[],
): Promise<void> {
  const latest = new Map<string, { gone: boolean; row: Record<string, unknown> }>();
  for (const change of changes) {
    if (change.tbl !== table.memory) continue;
    const row = JSON.parse(change.row) as Record<string, unknown>;
    latest.set(JSON.stringify(table.key.map((k) => row[k])), { gone: change.gone === 1, row });
  }
  const gone = [...latest.values()].filter((c) => c.gone).map((c) => c.row);
  const kept = [...latest.values()].filter((c) => !c.gone).map((c) => c.row);
  for (let i = 0; i < gone.length; i += CHUNK) {
    await trx
      .deleteFrom(table.postgres)
      .where((eb) =>
        eb.or(gone.slice(i, i + CHUNK).map((row) => eb.and(table.key.map((k) => eb(k, "=", row[k] as never))))),
      )
      .execute();
  }
  for (let i = 0; i < kept.length; i += CHUNK) {
    const insert = trx.insertInto(table.postgres).values(kept.slice(i, i + CHUNK));
    if (table.appendOnly === true) await insert.execute();
    else {
      const updated = table.columns.filter((c) => !table.key.includes(c));
      await insert
        .onConflict((oc) =>
          oc.columns([...table.key]).doUpdateSet(Object.fromEntries(updated.map((c) => [c, sql.ref(`excluded.${c}`)]))),
        )
        .execute();
    }
  }
}

/** A PostgreSQL row as the in-memory store keeps it (big integers as bigint). */
function fromPostgres(table: MirroredTable, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of table.columns) {
    const value = row[c];
    out[c] = table.big?.includes(c) === true && value !== null ? BigInt(value as string) : value;
  }
  return out;
}
