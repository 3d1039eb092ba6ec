/**
 * Idempotency keys of the API's writes, kept durably in the storage layer (SQLite or PostgreSQL, src/storage).
 * A key is claimed before the participant is called (`begin`): the first request under a key runs; a later one
 * with the same body gets the stored answer replayed, one with another body is API_IDEMPOTENCY_CONFLICT (409),
 * and one that arrives while the first is still running is API_IDEMPOTENCY_IN_PROGRESS (409, retry later). Only
 * a successful answer is stored: a refused request (policy denial, approvals still pending, a revert) releases
 * its key, so the same request may be sent again once the cause is gone. A claim whose request never finished
 * (the process died) may be taken over after `pendingTimeoutSeconds`; the participant's own retry matching
 * makes sure a taken-over call is never signed twice.
 */
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { canonicalJson } from "../core";
import {
  defineStoreSchema,
  execStatements,
  openStoreDatabase,
  type StorageDatabase,
  type StorageLocationInput,
} from "../storage";
import { ApiError } from "./errors";

interface IdempotencyTables {
  api_idempotency: {
    scope: string;
    idem_key: string;
    fingerprint: string;
    state: "pending" | "done";
    status: number | null;
    body: string | null;
    created_at: number;
    updated_at: number;
  };
}

/** The store's migrations. */
export const IDEMPOTENCY_SCHEMA = defineStoreSchema("api_idempotency", {
  "0001_keys": {
    up: (db, dialect) => {
      const int = dialect === "postgres" ? "BIGINT" : "INTEGER";
      return execStatements(db, [
        "CREATE TABLE IF NOT EXISTS api_idempotency (scope TEXT NOT NULL, idem_key TEXT NOT NULL, " +
          "fingerprint TEXT NOT NULL, state TEXT NOT NULL, status INTEGER, body TEXT, " +
          `created_at ${int} NOT NULL, updated_at ${int} NOT NULL, PRIMARY KEY (scope, idem_key))`,
        "CREATE INDEX IF NOT EXISTS api_idempotency_created_at ON api_idempotency (created_at)",
      ]);
    },
  },
});

const WRITE_LOCK = "api_idempotency";

/** What `begin` found: run the request, or replay a stored answer. */
export type IdempotencyClaim = { kind: "run" } | { kind: "replay"; status: number; body: unknown };

export interface IdempotencyStoreOptions extends StorageLocationInput {
  retentionSeconds: number;
  pendingTimeoutSeconds: number;
  now?: () => number;
}

/** The fingerprint of a request: SHA-256 of its method, route and canonical JSON body. */
export function requestFingerprint(scope: string, body: unknown): string {
  return createHash("sha256")
    .update(`${scope}\n${canonicalJson(body ?? null, "body")}`)
    .digest("hex");
}

export class IdempotencyStore {
  readonly #storage: StorageDatabase;
  readonly #options: IdempotencyStoreOptions;
  readonly #now: () => number;

  private constructor(storage: StorageDatabase, options: IdempotencyStoreOptions) {
    this.#storage = storage;
    this.#options = options;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  static async open(options: IdempotencyStoreOptions): Promise<IdempotencyStore> {
    const storage = await openStoreDatabase(options, IDEMPOTENCY_SCHEMA, (cause) => unavailable(cause));
    return new IdempotencyStore(storage, options);
  }

  /** Claims `key` in `scope` for a request with `fingerprint`, or finds its earlier answer. */
  async begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    const now = this.#now();
    const found = await this.#write(async (trx) => {
      await trx
        .deleteFrom("api_idempotency")
        .where("created_at", "<", now - this.#options.retentionSeconds)
        .execute();
      const row = await trx
        .selectFrom("api_idempotency")
        .selectAll()
        .where("scope", "=", scope)
        .where("idem_key", "=", key)
        .executeTakeFirst();
      const stale = row?.state === "pending" && row.updated_at < now - this.#options.pendingTimeoutSeconds;
      if (row === undefined || (stale && row.fingerprint === fingerprint)) {
        await trx
          .insertInto("api_idempotency")
          .values({
            scope,
            idem_key: key,
            fingerprint,
            state: "pending",
            status: null,
            body: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.columns(["scope", "idem_key"]).doUpdateSet({ state: "pending", updated_at: now }))
          .execute();
        return undefined;
      }
      return row;
    });
    if (found === undefined) return { kind: "run" };
    if (found.fingerprint !== fingerprint) {
      throw new ApiError("API_IDEMPOTENCY_CONFLICT", "this Idempotency-Key was used for another request", {
        idempotencyKey: key,
      });
    }
    if (found.state === "pending") {
      throw new ApiError("API_IDEMPOTENCY_IN_PROGRESS", "a request with this Idempotency-Key is still running", {
        idempotencyKey: key,
      });
    }
    return { kind: "replay", status: found.status ?? 200, body: JSON.parse(found.body ?? "null") as unknown };
  }

  /** Stores the answer of the request that claimed `key`. */
  async complete(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.#write((trx) =>
      trx
        .updateTable("api_idempotency")
        .set({ state: "done", status, body: JSON.stringify(body), updated_at: this.#now() })
        .where("scope", "=", scope)
        .where("idem_key", "=", key)
        .execute(),
    );
  }

  /** Gives `key` up after its request failed, so that the same request may be sent again. */
  async abandon(scope: string, key: string): Promise<void> {
    await this.#write((trx) =>
      trx
        .deleteFrom("api_idempotency")
        .where("scope", "=", scope)
        .where("idem_key", "=", key)
        .where("state", "=", "pending")
        .execute(),
    );
  }

  async close(): Promise<void> {
    await this.#storage.close();
  }

  async #write<R>(work: (trx: Kysely<IdempotencyTables>) => Promise<R>): Promise<R> {
    try {
      return await this.#storage.write<IdempotencyTables, R>(WRITE_LOCK, work);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw unavailable(error);
    }
  }
}

function unavailable(cause: unknown): ApiError {
  return new ApiError(
    "API_IDEMPOTENCY_STORE_UNAVAILABLE",
    "the idempotency store cannot be read or written",
    {},
    cause,
  );
}
