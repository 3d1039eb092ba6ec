/**
 * `StorageDatabase`: one kysely handle on SQLite (better-sqlite3, WAL, `synchronous=FULL`) or PostgreSQL (a `pg`
 * pool), opened with the schemas of the stores it holds, whose migrations run at open.
 *
 * `write` is the one way to change data: on SQLite a `BEGIN IMMEDIATE` transaction (the write lock is taken
 * first, so two processes on one file never both read-then-write); on PostgreSQL a transaction that commits
 * with `synchronous_commit = on` and first takes a transaction-scoped advisory lock named by the caller, so
 * every writer of that store, in any process, queues behind the one before. Either way a committed write is
 * durable when the promise resolves. Inside `work`, use only the handle it receives.
 *
 * In one process, open a SQLite file once: stores that share a file share one `StorageDatabase` (open it with
 * all their schemas). A second connection of the same process would wait for the file lock synchronously,
 * holding up the very event loop the first connection's transaction needs to finish.
 *
 * PostgreSQL BIGINT columns come back as JS numbers (the stores keep sequence numbers and Unix seconds there);
 * a value beyond 2^53 is refused rather than rounded.
 */
import { Kysely, PostgresDialect, sql, SqliteAdapter, SqliteDialect, type DialectAdapter } from "kysely";
import pg from "pg";
import { describeTarget, resolveStorageTarget, type StorageLocationInput, type StorageTarget } from "./config";
import { isFrameworkError } from "../errors";
import { StorageError } from "./errors";
import { migrateStore, type StorageDialect, type StoreSchema, type UntypedKysely } from "./migrations";
import { openDurableSqlite } from "./sqlite";

/** SQLite runs DDL inside transactions; kysely's adapter says it does not, which would leave a failed
 * migration half applied. With this one the Migrator runs every pending migration in one transaction. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class DurableSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

const INT8_OID = 20;

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`BIGINT ${text} is beyond 2^53`);
  return value;
}

const defaultParser = pg.types.getTypeParser as (oid: number, format: "text" | "binary") => (value: string) => unknown;
const pgTypes = {
  getTypeParser: ((oid: number, format: "text" | "binary" = "text") =>
    oid === INT8_OID && format === "text" ? parseInt8 : defaultParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class StorageDatabase {
  readonly dialect: StorageDialect;
  /** Where the database is, without credentials (a file, or `host:port/database`). */
  readonly where: string;
  /** The migrations this open applied, in order (empty when the database was up to date). */
  readonly applied: readonly string[];
  readonly #db: UntypedKysely;
  #closed = false;

  private constructor(dialect: StorageDialect, where: string, db: UntypedKysely, applied: string[]) {
    this.dialect = dialect;
    this.where = where;
    this.#db = db;
    this.applied = applied;
  }

  /**
   * Opens the database at `target` and brings every schema in `schemas` to its latest version. Throws
   * STORAGE_SCHEMA_TOO_NEW when the database is newer than the code, STORAGE_MIGRATION_FAILED when a migration
   * fails, STORAGE_UNAVAILABLE when the database cannot be reached.
   */
  static async open(target: StorageTarget, schemas: readonly StoreSchema[]): Promise<StorageDatabase> {
    const where = describeTarget(target);
    let db: UntypedKysely;
    try {
      db =
        target.dialect === "sqlite"
          ? new Kysely({
              dialect: new DurableSqliteDialect({ database: openDurableSqlite(target.path, target.busyTimeoutMs) }),
            })
          : new Kysely({
              dialect: new PostgresDialect({
                pool: new pg.Pool({ connectionString: target.url, max: target.poolSize, types: pgTypes }),
              }),
            });
    } catch (error) {
      throw new StorageError("STORAGE_UNAVAILABLE", `cannot open ${where}`, { dialect: target.dialect, where }, error);
    }
    try {
      const applied: string[] = [];
      for (const schema of schemas) applied.push(...(await migrateStore(db, target.dialect, schema)));
      return new StorageDatabase(target.dialect, where, db, applied);
    } catch (error) {
      await db.destroy().catch(() => undefined);
      if (isFrameworkError(error)) throw error;
      throw new StorageError("STORAGE_UNAVAILABLE", `cannot open ${where}`, { dialect: target.dialect, where }, error);
    }
  }

  /** The handle for reads (outside `write`), typed by the caller's tables. */
  db<T>(): Kysely<T> {
    return this.#db as Kysely<T>;
  }

  /** Runs `work` in one durable write transaction serialised with every other writer of `lockName`. */
  async write<T, R>(lockName: string, work: (trx: Kysely<T>) => Promise<R>): Promise<R> {
    if (this.dialect === "postgres") {
      return this.#db.transaction().execute(async (trx) => {
        await sql`SET LOCAL synchronous_commit = on`.execute(trx);
        await sql`SELECT pg_advisory_xact_lock(hashtext(${lockName}))`.execute(trx);
        return work(trx as unknown as Kysely<T>);
      });
    }
    // better-sqlite3 has one connection: holding it keeps every other query of this process out meanwhile.
    return this.#db.connection().execute(async (conn) => {
      await sql`BEGIN IMMEDIATE`.execute(conn);
      let result: R;
      try {
        result = await work(conn as Kysely<T>);
      } catch (error) {
        await sql`ROLLBACK`.execute(conn);
        throw error;
      }
      await sql`COMMIT`.execute(conn);
      return result;
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }
}

/**
 * Opens the one-store database a store's options name (`path` or `postgres`). A misconfiguration or a database
 * newer than the code passes through as the STORAGE_* error it is; any other failure becomes the store's own
 * "unavailable" error built by `unavailable`, with the storage error as its cause.
 */
export async function openStoreDatabase(
  location: StorageLocationInput,
  schema: StoreSchema,
  unavailable: (cause: unknown) => Error,
): Promise<StorageDatabase> {
  try {
    return await StorageDatabase.open(resolveStorageTarget(location), [schema]);
  } catch (error) {
    if (isFrameworkError(error, "STORAGE_CONFIG_INVALID") || isFrameworkError(error, "STORAGE_SCHEMA_TOO_NEW"))
      throw error;
    throw unavailable(error);
  }
}
