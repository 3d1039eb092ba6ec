/**
 * Submitted transactions by call: the signed bytes of every call the participant sent, keyed by the call's
 * payload hash (chain id, target, value, calldata; or an operation id the caller gives). A retried call finds
 * its earlier transaction and rebroadcasts the same bytes (same nonce, same payload) or returns its receipt,
 * so a call is never sent twice. Written before the first broadcast, in a durable SQLite file.
 */
import type Database from "better-sqlite3";
import { openDurableSqlite } from "../storage";

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

export class SubmissionStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.exec(
      "CREATE TABLE IF NOT EXISTS submissions (key TEXT PRIMARY KEY, tx_hash TEXT NOT NULL UNIQUE, raw TEXT NOT NULL, " +
        "nonce INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'mined', 'reverted')), block_number INTEGER)",
    );
  }

  static open(path: string, busyTimeoutMs = 5000): SubmissionStore {
    return new SubmissionStore(openDurableSqlite(path, busyTimeoutMs));
  }

  get(key: string): Submission | undefined {
    const row = this.#db.prepare<[string], Row>("SELECT * FROM submissions WHERE key = ?").get(key);
    return row === undefined ? undefined : toSubmission(row);
  }

  /** Records a signed transaction before it is broadcast; a second one for the key is refused by the database. */
  record(key: string, txHash: string, raw: string, nonce: number): void {
    this.#db
      .prepare("INSERT INTO submissions (key, tx_hash, raw, nonce, state) VALUES (?, ?, ?, ?, 'pending')")
      .run(key, txHash, raw, nonce);
  }

  /** Every submission still waiting for a receipt, by nonce. */
  pending(): Submission[] {
    return this.#db
      .prepare<[], Row>("SELECT * FROM submissions WHERE state = 'pending' ORDER BY nonce")
      .all()
      .map(toSubmission);
  }

  /** True when a submission (of any call) holds the transaction `txHash`. */
  hasTransaction(txHash: string): boolean {
    return this.#db.prepare("SELECT 1 FROM submissions WHERE tx_hash = ?").get(txHash) !== undefined;
  }

  settle(key: string, state: "mined" | "reverted", blockNumber: number): void {
    this.#db.prepare("UPDATE submissions SET state = ?, block_number = ? WHERE key = ?").run(state, blockNumber, key);
  }

  /** Forgets a submission that never reached the chain (its nonce was not used), so the call can be signed again. */
  forget(key: string): void {
    this.#db.prepare("DELETE FROM submissions WHERE key = ? AND state = 'pending'").run(key);
  }

  close(): void {
    this.#db.close();
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
