/**
 * Submitted transactions by call: the signed bytes of every call the participant sent, keyed by the call's
 * payload hash (chain id, target, value, calldata; or an operation id the caller gives). A retried call finds
 * its earlier transaction and rebroadcasts the same bytes (same nonce, same payload) or returns its receipt,
 * so a call is never sent twice. Written durably before the first broadcast, in a SQLite file or a PostgreSQL
 * database (src/storage).
 */
import type { Kysely } from "kysely";
import {
  defineStoreSchema,
  execStatements,
  openStoreDatabase,
  type StorageDatabase,
  type StorageLocationInput,
} from "../storage";

export interface Submission {
  key: string;
  txHash: string;
  raw: string;
  nonce: number;
  /** `pending` until a receipt is seen, then `mined` or `reverted`. */
  state: "pending" | "mined" | "reverted";
  blockNumber: number | null;
}

interface Row {
  key: string;
  tx_hash: string;
  raw: string;
  nonce: number;
  state: Submission["state"];
  block_number: number | null;
}

/** The store's migrations. `IF NOT EXISTS` lets 0001 adopt a file written before migrations existed. */
export const SUBMISSION_SCHEMA = defineStoreSchema("submissions", {
  "0001_submissions": {
    up: (db, dialect) =>
      execStatements(db, [
        "CREATE TABLE IF NOT EXISTS submissions (key TEXT PRIMARY KEY, tx_hash TEXT NOT NULL UNIQUE, raw TEXT NOT NULL, " +
          `nonce ${dialect === "postgres" ? "BIGINT" : "INTEGER"} NOT NULL, ` +
          "state TEXT NOT NULL CHECK (state IN ('pending', 'mined', 'reverted')), " +
          `block_number ${dialect === "postgres" ? "BIGINT" : "INTEGER"})`,
      ]),
  },
});

const WRITE_LOCK = "submissions";

export class SubmissionStore {
  readonly #storage: StorageDatabase;
  readonly #db: Kysely<{ submissions: Row }>;

  private constructor(storage: StorageDatabase) {
    this.#storage = storage;
    this.#db = storage.db();
  }

  /** Opens (creating and migrating if needed) the store: a SQLite `path` or a `postgres` location. */
  static async open(location: StorageLocationInput): Promise<SubmissionStore> {
    return new SubmissionStore(await openStoreDatabase(location, SUBMISSION_SCHEMA, (cause) => cause as Error));
  }

  async get(key: string): Promise<Submission | undefined> {
    const row = await this.#db.selectFrom("submissions").selectAll().where("key", "=", key).executeTakeFirst();
    return row === undefined ? undefined : toSubmission(row);
  }

  /** Records a signed transaction before it is broadcast; a second one for the key is refused by the database. */
  async record(key: string, txHash: string, raw: string, nonce: number): Promise<void> {
    await this.#storage.write<{ submissions: Row }, void>(WRITE_LOCK, async (trx) => {
      await trx
        .insertInto("submissions")
        .values({ key, tx_hash: txHash, raw, nonce, state: "pending", block_number: null })
        .execute();
    });
  }

  /** Every submission still waiting for a receipt, by nonce. */
  async pending(): Promise<Submission[]> {
    const rows = await this.#db
      .selectFrom("submissions")
      .selectAll()
      .where("state", "=", "pending")
      .orderBy("nonce")
      .execute();
    return rows.map(toSubmission);
  }

  /** True when a submission (of any call) holds the transaction `txHash`. */
  async hasTransaction(txHash: string): Promise<boolean> {
    const row = await this.#db.selectFrom("submissions").select("key").where("tx_hash", "=", txHash).executeTakeFirst();
    return row !== undefined;
  }

  async settle(key: string, state: "mined" | "reverted", blockNumber: number): Promise<void> {
    await this.#storage.write<{ submissions: Row }, void>(WRITE_LOCK, async (trx) => {
      await trx.updateTable("submissions").set({ state, block_number: blockNumber }).where("key", "=", key).execute();
    });
  }

  /** Forgets a submission that never reached the chain (its nonce was not used), so the call can be signed again. */
  async forget(key: string): Promise<void> {
    await this.#storage.write<{ submissions: Row }, void>(WRITE_LOCK, async (trx) => {
      await trx.deleteFrom("submissions").where("key", "=", key).where("state", "=", "pending").execute();
    });
  }

  async close(): Promise<void> {
    await this.#storage.close();
  }
}

function toSubmission(row: Row): Submission {
  return {
    key: row.key,
    txHash: row.tx_hash,
    raw: row.raw,
    nonce: row.nonce,
    state: row.state,
    blockNumber: row.block_number,
  };
}
