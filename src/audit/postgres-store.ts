/**
 * PostgreSQL backend (pg): a pool per store. Each append is one transaction that first takes a
 * transaction-scoped advisory lock derived from the table name, then reads the head and inserts the next
 * record, and commits with `synchronous_commit = on` (the WAL is flushed before `append` resolves). Every
 * appender on the table, in any process, queues on that lock, so the chain never forks; `seq` is the primary
 * key as a second line of defence.
 */
import { Pool, type PoolClient } from "pg";
import { AuditAppendError, AuditStoreUnavailableError } from "./errors";
import { GENESIS_HASH, nextRecord, type PreparedEntry, type AuditHead, type StoredRecord } from "./record";
import { BaseAuditStore, fromRow, type AuditRow } from "./store";
import { codeFamily, isFrameworkError } from "../errors";

/** Options of the PostgreSQL store (validated by `openAuditStore`). */
export interface PostgresAuditStoreOptions {
  connectionString: string;
  table: string;
  pageSize: number;
  /** Connections in this store's pool. */
  poolSize: number;
}

export class PostgresAuditStore extends BaseAuditStore {
  readonly #pool: Pool;

  private constructor(pool: Pool, options: PostgresAuditStoreOptions) {
    super(options.table, options.pageSize);
    this.#pool = pool;
  }

  /** Connects and creates the table if absent (under the same advisory lock as appends). */
  static async open(options: PostgresAuditStoreOptions): Promise<PostgresAuditStore> {
    const pool = new Pool({ connectionString: options.connectionString, max: options.poolSize });
    let store: PostgresAuditStore;
    try {
      store = new PostgresAuditStore(pool, options);
    } catch (error) {
      await pool.end();
      throw error;
    }
    try {
      await store.#locked(async (client) => {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${store.table} (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, ` +
            `at TEXT NOT NULL, subject TEXT, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)`,
        );
      });
    } catch (error) {
      await pool.end();
      throw new AuditStoreUnavailableError("postgres", error, serverOf(options.connectionString));
    }
    return store;
  }

  protected async appendRecords(entries: readonly PreparedEntry[]): Promise<StoredRecord[]> {
    try {
      return await this.#locked(async (client) => {
        let head: AuditHead = await this.#headWith(client);
        const at = new Date();
        const records: StoredRecord[] = [];
        for (const entry of entries) {
          const record = nextRecord(entry, head, at);
          await client.query(
            `INSERT INTO ${this.table} (seq, kind, at, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [record.seq, record.kind, record.at, record.subject, record.payloadJson, record.prevHash, record.hash],
          );
          records.push(record);
          head = record;
        }
        return records;
      });
    } catch (error) {
      if (isFrameworkError(error, codeFamily("AUDIT_"))) throw error;
      throw new AuditAppendError(entries[0].kind, error);
    }
  }

  protected async readStored(fromSeq: number, limit: number): Promise<StoredRecord[]> {
    const result = await this.#pool.query<AuditRow>(
      `SELECT seq, kind, at, subject, payload, prev_hash, hash FROM ${this.table} WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [fromSeq, limit],
    );
    return result.rows.map(fromRow);
  }

  protected async readHead(): Promise<AuditHead> {
    const client = await this.#pool.connect();
    try {
      return await this.#headWith(client);
    } finally {
      client.release();
    }
  }

  protected async closeBackend(): Promise<void> {
    await this.#pool.end();
  }

  async #headWith(client: PoolClient): Promise<AuditHead> {
    const result = await client.query<{ seq: string; hash: string }>(
      `SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`,
    );
    const row = result.rows[0];
    return row === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: Number(row.seq), hash: row.hash };
  }

  /** Runs `work` in a transaction holding this table's advisory lock; commits durably or rolls back. */
  async #locked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL synchronous_commit = on");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`audit-log:${this.table}`]);
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** Where a connection string points, without its credentials: `host:port/database`. */
export function serverOf(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}${url.port === "" ? "" : `:${url.port}`}${url.pathname}`;
  } catch {
    return "the configured server";
  }
}
