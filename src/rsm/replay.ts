/**
 * Durable memory of accepted request ids. One SQLite file (WAL, `synchronous=FULL` via `openDurableSqlite`), so
 * a request id has been fsynced before anything is signed for it. (issuer, jti) is the primary key: the
 * database itself refuses a second use, even from another process on the same file. A row is kept until its
 * request can no longer pass the freshness check under ANY configuration (`exp` + the largest clock skew ever
 * allowed: the configuration schema's limit, or a larger skew this store has seen, persisted), then purged on a
 * later insert; so a restart with a larger skew finds every id it could still accept.
 *
 * The store also persists the highest time the module has seen (`observe`): the module's time never runs
 * backwards, so a clock that steps forward (purging ids) and back cannot make a used request fresh again.
 * After such a step, requests are refused as expired until the clock catches up: failing closed.
 */
import type Database from "better-sqlite3";
import { openDurableSqlite } from "../storage";
import { RsmReplayStoreError, RsmRequestError } from "./errors";

export class ReplayStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #insert: (issuer: string, jti: string, keepUntil: number, now: number) => boolean;
  readonly #meta: (key: string, value: number) => number;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    db.exec(
      "CREATE TABLE IF NOT EXISTS rsm_request_ids (issuer TEXT NOT NULL, jti TEXT NOT NULL, " +
        "keep_until INTEGER NOT NULL, accepted_at INTEGER NOT NULL, PRIMARY KEY (issuer, jti))",
    );
    db.exec("CREATE INDEX IF NOT EXISTS rsm_request_ids_keep_until ON rsm_request_ids (keep_until)");
    const purge = db.prepare("DELETE FROM rsm_request_ids WHERE keep_until < ?");
    const insert = db.prepare(
      "INSERT INTO rsm_request_ids (issuer, jti, keep_until, accepted_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (issuer, jti) DO NOTHING",
    );
    const tx = db.transaction((issuer: string, jti: string, keepUntil: number, now: number) => {
      purge.run(now);
      return insert.run(issuer, jti, keepUntil, now).changes === 1;
    });
    this.#insert = (issuer, jti, keepUntil, now) => tx.immediate(issuer, jti, keepUntil, now);
    db.exec("CREATE TABLE IF NOT EXISTS rsm_replay_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    const read = db.prepare<[string], { value: number }>("SELECT value FROM rsm_replay_meta WHERE key = ?");
    const write = db.prepare(
      "INSERT INTO rsm_replay_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    // Raises the stored value of `key` to at least `value` and returns the result.
    const raise = db.transaction((key: string, value: number): number => {
      const stored = read.get(key)?.value;
      const result = stored === undefined ? value : Math.max(stored, value);
      if (result !== stored) write.run(key, result);
      return result;
    });
    this.#meta = (key, value) => raise.immediate(key, value);
  }

  /** The largest clock skew ever allowed on this store, raised to at least `skewSeconds` (persisted). */
  retention(skewSeconds: number): number {
    return this.#raise("max_skew_seconds", skewSeconds);
  }

  /** The module's time: the highest of `now` and every time observed before (persisted). */
  observe(now: number): number {
    return this.#raise("clock_high_water", now);
  }

  #raise(key: string, value: number): number {
    try {
      return this.#meta(key, value);
    } catch (error) {
      throw new RsmReplayStoreError(this.path, error);
    }
  }

  /** Opens (creating if needed) the store in `path`. */
  static open(path: string, busyTimeoutMs: number): ReplayStore {
    let db: Database.Database | undefined;
    try {
      db = openDurableSqlite(path, busyTimeoutMs);
      return new ReplayStore(path, db);
    } catch (error) {
      db?.close();
      throw new RsmReplayStoreError(path, error);
    }
  }

  /**
   * Records (issuer, jti) as used until `keepUntil` (seconds). Throws `RSM_REPLAY` when it was used before,
   * `RsmReplayStoreError` when the database cannot be written.
   */
  consume(issuer: string, jti: string, keepUntil: number, now: number): void {
    let fresh: boolean;
    try {
      fresh = this.#insert(issuer, jti, keepUntil, now);
    } catch (error) {
      throw new RsmReplayStoreError(this.path, error);
    }
    if (!fresh) throw new RsmRequestError("RSM_REPLAY", "request id already used", { jti, iss: issuer });
  }

  /** True when (issuer, jti) is remembered. */
  has(issuer: string, jti: string): boolean {
    return (
      this.#db.prepare("SELECT 1 FROM rsm_request_ids WHERE issuer = ? AND jti = ?").get(issuer, jti) !== undefined
    );
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
