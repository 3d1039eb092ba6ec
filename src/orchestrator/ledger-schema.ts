/**
 * The PostgreSQL tables of the signing ledger (see `PostgresSigningLedger`): the audit log, the reservations with
 * the signature counts, the signing records (nonce claims) and the writer's term, created by versioned migrations
 * of the storage layer. Each ledger table mirrors one table the signing path's SQLite stores keep in memory; the
 * `MIRRORED` list says which, with its key and columns, so that the rows a commit changed can be written through.
 */
import { defineStoreSchema, execStatements, type StoreSchema } from "../storage";

/** One table the ledger writes through: its name in memory, its name in PostgreSQL, its key and its columns. */
export interface MirroredTable {
  memory: string;
  postgres: string;
  key: readonly string[];
  columns: readonly string[];
  /** Columns that hold integers beyond 2^53 (kept as NUMERIC in PostgreSQL, read back as bigint). */
  big?: readonly string[];
  /** Append-only: rows are inserted once, never updated or deleted (the audit log). */
  appendOnly?: boolean;
}

/** The ledger's tables besides the audit log (whose name is configured). */
export const MIRRORED: readonly MirroredTable[] = [
  {
    memory: "reservations",
    postgres: "ledger_reservations",
    key: ["intent_id"],
    columns: [
      "intent_id",
      "counterparty",
      "asset",
      "amount",
      "day",
      "expires_at",
      "state",
      "decision_id",
      "released_reason",
    ],
    big: ["amount"],
  },
  {
    memory: "signatures",
    postgres: "ledger_signatures",
    key: ["signing_key", "ordinal"],
    columns: ["signing_key", "ordinal", "intent_id", "tx_hash"],
  },
  {
    memory: "signing_records",
    postgres: "ledger_signing_records",
    key: ["key_address", "chain_id", "nonce"],
    columns: ["key_address", "chain_id", "nonce", "payload_hash", "recorded_at", "released_at", "request_hash"],
  },
];

/** The audit log's table, by its configured name. */
export function auditTable(table: string): MirroredTable {
  return {
    memory: table,
    postgres: table,
    key: ["seq"],
    columns: ["seq", "kind", "at", "subject", "payload", "prev_hash", "hash"],
    appendOnly: true,
  };
}

/** The ledger's schema, with the audit log in `table` (one version line per audit table name). */
export function signingLedgerSchema(table: string): StoreSchema {
  return defineStoreSchema(table === "audit_log" ? "signing_ledger" : `signing_ledger_${table}`, {
    "0001_tables": {
      up: (db) =>
        execStatements(db, [
          // The same table the PostgreSQL audit store creates, so either can read the other's log.
          `CREATE TABLE IF NOT EXISTS ${table} (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, at TEXT NOT NULL, ` +
            `subject TEXT, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)`,
          "CREATE TABLE IF NOT EXISTS ledger_reservations (intent_id TEXT PRIMARY KEY, counterparty TEXT NOT NULL, " +
            "asset TEXT NOT NULL, amount NUMERIC(39, 0) NOT NULL CHECK (amount >= 0), day BIGINT NOT NULL, " +
            "expires_at BIGINT NOT NULL, state TEXT NOT NULL CHECK (state IN ('reserved', 'released')), " +
            "decision_id TEXT NOT NULL, released_reason TEXT)",
          "CREATE TABLE IF NOT EXISTS ledger_signatures (signing_key TEXT NOT NULL, ordinal BIGINT NOT NULL, " +
            "intent_id TEXT NOT NULL, tx_hash TEXT NOT NULL, PRIMARY KEY (signing_key, ordinal))",
          "CREATE TABLE IF NOT EXISTS ledger_signing_records (key_address TEXT NOT NULL, chain_id TEXT NOT NULL, " +
            "nonce BIGINT NOT NULL, payload_hash TEXT NOT NULL, recorded_at TEXT NOT NULL, released_at TEXT, " +
            "request_hash TEXT, PRIMARY KEY (key_address, chain_id, nonce))",
          // The writer's term: a process that takes over raises it, and every commit of an older term is refused.
          "CREATE TABLE IF NOT EXISTS ledger_term (id INTEGER PRIMARY KEY CHECK (id = 1), term BIGINT NOT NULL)",
          "INSERT INTO ledger_term (id, term) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        ]),
    },
  });
}
