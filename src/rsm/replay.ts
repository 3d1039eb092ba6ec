/**
 * Durable memory of accepted request ids, in a SQLite file (WAL, `synchronous=FULL`) or a PostgreSQL database
 * (src/storage), so a request id is on disk before anything is signed for it. (issuer, jti) is the primary key:
 * the database itself refuses a second use, even from another process on the same database. A row is kept
 * until its request can no longer pass the freshness check under ANY configuration (`exp` + the largest clock
 * skew ever allowed: the configuration schema's limit, or a larger skew this store has seen, persisted), then
 * purged on a later insert; so a restart with a larger skew finds every id it could still accept.
 *
 * The store also persists the highest time the module has seen (`observe`): the module's time never runs
 * backwards, so a clock that steps forward (purging ids) and back cannot make a used request fresh again.
 * After such a step, requests are refused as expired until the clock catches up: failing closed.
 */
import type { Kysely } from "kysely";
import {
  defineStoreSchema,
  execStatements,
  openStoreDatabase,
  type StorageDatabase,
  type StorageLocationInput,
} from "../storage";
import { RsmReplayStoreError, RsmRequestError } from "./errors";

interface ReplayTables {
  rsm_request_ids: { issuer: string; jti: string; keep_until: number; accepted_at: number };
  rsm_replay_meta: { key: string; value: number };
}

/** The store's migrations. `IF NOT EXISTS` lets 0001 adopt a file written before migrations existed. */
export const REPLAY_SCHEMA = defineStoreSchema("rsm_replay", {
  "0001_request_ids": {
    up: (db, dialect) => {
      const int = dialect === "postgres" ? "BIGINT" : "INTEGER";
      return execStatements(db, [
        "CREATE TABLE IF NOT EXISTS rsm_request_ids (issuer TEXT NOT NULL, jti TEXT NOT NULL, " +
          `keep_until ${int} NOT NULL, accepted_at ${int} NOT NULL, PRIMARY KEY (issuer, jti))`,
        "CREATE INDEX IF NOT EXISTS rsm_request_ids_keep_until ON rsm_request_ids (keep_until)",
        `CREATE TABLE IF NOT EXISTS rsm_replay_meta (key TEXT PRIMARY KEY, value ${int} NOT NULL)`,
      ]);
    },
  },
});

const WRITE_LOCK = "rsm_replay";

export class ReplayStore {
  /** Where the store is: the file, or `host:port/database` (never credentials). */
  readonly path: string;
  readonly #storage: StorageDatabase;

  private constructor(storage: StorageDatabase) {
    this.path = storage.where;
    this.#storage = storage;
  }

  /** Opens (creating and migrating if needed) the store: a SQLite `path` or a `postgres` location. */
  static async open(location: StorageLocationInput): Promise<ReplayStore> {
    const where = location.path ?? "postgres";
    return new ReplayStore(
      await openStoreDatabase(location, REPLAY_SCHEMA, (cause) => new RsmReplayStoreError(where, cause)),
    );
  }

  /** The largest clock skew ever allowed on this store, raised to at least `skewSeconds` (persisted). */
  retention(skewSeconds: number): Promise<number> {
    return this.#raise("max_skew_seconds", skewSeconds);
  }

  /** The module's time: the highest of `now` and every time observed before (persisted). */
  observe(now: number): Promise<number> {
    return this.#raise("clock_high_water", now);
  }

  /** Raises the stored value of `key` to at least `value` and returns the result. */
  async #raise(key: string, value: number): Promise<number> {
    try {
      return await this.#storage.write<ReplayTables, number>(WRITE_LOCK, async (trx) => {
        const stored = (
          await trx.selectFrom("rsm_replay_meta").select("value").where("key", "=", key).executeTakeFirst()
        )?.value;
        const result = stored === undefined ? value : Math.max(stored, value);
        if (result !== stored) {
          await trx
            .insertInto("rsm_replay_meta")
            .values({ key, value: result })
            .onConflict((oc) => oc.column("key").doUpdateSet({ value: result }))
            .execute();
        }
        return result;
      });
    } catch (error) {
      throw new RsmReplayStoreError(this.path, error);
    }
  }

  /**
   * Records (issuer, jti) as used until `keepUntil` (seconds). Throws `RSM_REPLAY` when it was used before,
   * `RsmReplayStoreError` when the database cannot be written.
   */
  async consume(issuer: string, jti: string, keepUntil: number, now: number): Promise<void> {
    let fresh: boolean;
    try {
      fresh = await this.#storage.write<ReplayTables, boolean>(WRITE_LOCK, async (trx: Kysely<ReplayTables>) => {
        await trx.deleteFrom("rsm_request_ids").where("keep_until", "<", now).execute();
        const inserted = await trx
          .insertInto("rsm_request_ids")
          .values({ issuer, jti, keep_until: keepUntil, accepted_at: now })
          .onConflict((oc) => oc.columns(["issuer", "jti"]).doNothing())
          .executeTakeFirst();
        return inserted.numInsertedOrUpdatedRows === 1n;
      });
    } catch (error) {
      throw new RsmReplayStoreError(this.path, error);
    }
    if (!fresh) throw new RsmRequestError("RSM_REPLAY", "request id already used", { jti, iss: issuer });
  }

  /** True when (issuer, jti) is remembered. */
  async has(issuer: string, jti: string): Promise<boolean> {
    const row = await this.#storage
      .db<ReplayTables>()
      .selectFrom("rsm_request_ids")
      .select("jti")
      .where("issuer", "=", issuer)
      .where("jti", "=", jti)
      .executeTakeFirst();
    return row !== undefined;
  }

  async close(): Promise<void> {
    await this.#storage.close();
  }
}
