/**
 * Versioned schema migrations kept in code. A store declares its schema once with `defineStoreSchema`: a name
 * and an object of ordered migrations (`0001_requests`, `0002_...`), each with an `up` that may differ per
 * dialect. At open, `migrateStore` runs kysely's `Migrator` over them (one transaction; on PostgreSQL under
 * kysely's advisory lock), recording them as `<store>/<key>` in the store's own table
 * `storage_migrations_<store>`, so one database holds several stores, each with its own version line.
 *
 * A database that recorded a migration of the store which this code does not know was written by a newer
 * release: it is refused with STORAGE_SCHEMA_TOO_NEW, naming both versions, before anything runs.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { StorageError, StorageSchemaTooNewError } from "./errors";

export type StorageDialect = "sqlite" | "postgres";

/** A database handle whose tables the caller does not describe (migrations, raw statements). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kysely's own type for schema-only access
export type UntypedKysely = Kysely<any>;

/** One migration: what it does on each dialect. Never edit a released one; add the next. */
export interface StoreMigration {
  up(db: UntypedKysely, dialect: StorageDialect): Promise<void>;
}

/** A store's schema: its name and its migrations by key (`NNNN_name`, applied in key order). */
export interface StoreSchema {
  readonly store: string;
  readonly migrations: Readonly<Record<string, StoreMigration>>;
}

const STORE_NAME = /^[a-z][a-z0-9_]{0,40}$/;
const MIGRATION_KEY = /^(\d{4})_[a-z0-9_]+$/;

/** Declares a store's schema; the names are checked here, once, so a typo fails at start. */
export function defineStoreSchema(store: string, migrations: Record<string, StoreMigration>): StoreSchema {
  if (!STORE_NAME.test(store)) {
    throw new StorageError("STORAGE_CONFIG_INVALID", `store name ${store} is not a lowercase SQL identifier`);
  }
  const keys = Object.keys(migrations);
  if (keys.length === 0) throw new StorageError("STORAGE_CONFIG_INVALID", `store ${store} has no migrations`);
  for (const key of keys) {
    if (!MIGRATION_KEY.test(key)) {
      throw new StorageError("STORAGE_CONFIG_INVALID", `migration ${store}/${key} is not named NNNN_name`);
    }
  }
  return { store, migrations: Object.freeze({ ...migrations }) };
}

/** Runs each statement in order (SQLite prepares one statement at a time). */
export async function execStatements(db: UntypedKysely, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/** The version a migration name stands for: its four-digit prefix. */
export function migrationVersion(name: string): number {
  const key = name.slice(name.indexOf("/") + 1);
  return Number(MIGRATION_KEY.exec(key)?.[1] ?? 0);
}

/** The table recording `store`'s applied migrations. */
export function migrationTable(store: string): string {
  return `storage_migrations_${store}`;
}

/** Applies the migrations the database lacks; returns the names applied now (empty when up to date). */
export async function migrateStore(db: UntypedKysely, dialect: StorageDialect, schema: StoreSchema): Promise<string[]> {
  const { store } = schema;
  const known = Object.keys(schema.migrations)
    .sort()
    .map((key) => `${store}/${key}`);
  // On PostgreSQL the tables live in the connection's current schema (its search_path): say so to kysely, whose
  // table lookup would otherwise find a same-named table in another schema.
  const schemaName =
    dialect === "postgres"
      ? (await sql<{ name: string }>`SELECT current_schema() AS name`.execute(db)).rows[0].name
      : undefined;
  const scoped = schemaName === undefined ? db : db.withSchema(schemaName);
  const executed = await executedMigrations(scoped, migrationTable(store));
  const unknown = executed.filter((name) => !known.includes(name)).sort();
  if (unknown.length > 0) {
    const databaseVersion = Math.max(...executed.map(migrationVersion));
    throw new StorageSchemaTooNewError(store, databaseVersion, migrationVersion(known[known.length - 1]), unknown);
  }
  const provider: MigrationProvider = {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(
          Object.entries(schema.migrations).map(([key, m]): [string, Migration] => [
            `${store}/${key}`,
            { up: (trx: UntypedKysely) => m.up(trx, dialect) },
          ]),
        ),
      ),
  };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: migrationTable(store),
    migrationLockTableName: `${migrationTable(store)}_lock`,
    ...(schemaName === undefined ? {} : { migrationTableSchema: schemaName }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === "Error")?.migrationName;
    throw new StorageError(
      "STORAGE_MIGRATION_FAILED",
      `migrating the ${store} store failed${failed === undefined ? "" : ` at ${failed}`}`,
      { store, migration: failed ?? null },
      error,
    );
  }
  return results.filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** The migrations recorded in `table`, or none when the table does not exist yet. */
async function executedMigrations(db: UntypedKysely, table: string): Promise<string[]> {
  try {
    const rows = await db.selectFrom(table).select("name").execute();
    return rows.map((r: { name: string }) => r.name);
  } catch (error) {
    if (missingTable(error)) return [];
    throw error;
  }
}

function missingTable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === "42P01" || (typeof message === "string" && message.startsWith("no such table"));
}
