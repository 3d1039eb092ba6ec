/**
 * The event store's tables and migrations: the chain events and receipts the follower recorded (in the order it
 * recorded them: `seq` is the cursor clients resume from), the follower's position, the webhook subscriptions and
 * the delivery outbox. One schema, so recording an event, moving the position and enqueueing its deliveries are
 * one transaction.
 */
import type { Generated } from "kysely";
import { defineStoreSchema, execStatements, type StorageDialect } from "../storage";

export interface EventRow {
  seq: Generated<number>;
  id: string;
  kind: "event" | "receipt";
  type: string;
  chain_id: number;
  block_number: number;
  block_hash: string;
  log_index: number;
  tx_hash: string;
  contract: string;
  address: string;
  subject: string | null;
  data: string;
  own: number;
  decision_seq: number | null;
  signature_seq: number | null;
  audit_seq: number | null;
  recorded_at: string;
}

export interface CursorRow {
  name: string;
  chain_id: number;
  block_number: number;
  block_hash: string;
  log_index: number;
}

export interface SubscriptionRow {
  id: string;
  url: string;
  types: string;
  secret: string;
  description: string | null;
  created_at: string;
}

export type DeliveryState = "pending" | "delivered" | "dead" | "cancelled";

export interface DeliveryRow {
  id: string;
  event_seq: number;
  event_id: string;
  subscription_id: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface EventTables {
  chain_events: EventRow;
  events_cursor: CursorRow;
  webhook_subscriptions: SubscriptionRow;
  webhook_deliveries: DeliveryRow;
}

const int = (dialect: StorageDialect): string => (dialect === "postgres" ? "BIGINT" : "INTEGER");

export const EVENTS_SCHEMA = defineStoreSchema("events", {
  "0001_events": {
    up: (db, dialect) =>
      execStatements(db, [
        `CREATE TABLE chain_events (seq ${dialect === "postgres" ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"}, ` +
          "id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL CHECK (kind IN ('event', 'receipt')), type TEXT NOT NULL, " +
          `chain_id ${int(dialect)} NOT NULL, block_number ${int(dialect)} NOT NULL, block_hash TEXT NOT NULL, ` +
          `log_index ${int(dialect)} NOT NULL, tx_hash TEXT NOT NULL, contract TEXT NOT NULL, address TEXT NOT NULL, ` +
          `subject TEXT, data TEXT NOT NULL, own ${int(dialect)} NOT NULL, decision_seq ${int(dialect)}, ` +
          `signature_seq ${int(dialect)}, audit_seq ${int(dialect)}, recorded_at TEXT NOT NULL)`,
        "CREATE INDEX chain_events_type ON chain_events (type, seq)",
        "CREATE INDEX chain_events_subject ON chain_events (subject)",
        "CREATE INDEX chain_events_unaudited ON chain_events (audit_seq, seq)",
        `CREATE TABLE events_cursor (name TEXT PRIMARY KEY, chain_id ${int(dialect)} NOT NULL, ` +
          `block_number ${int(dialect)} NOT NULL, block_hash TEXT NOT NULL, log_index ${int(dialect)} NOT NULL)`,
        "CREATE TABLE webhook_subscriptions (id TEXT PRIMARY KEY, url TEXT NOT NULL, types TEXT NOT NULL, " +
          "secret TEXT NOT NULL, description TEXT, created_at TEXT NOT NULL)",
        "CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY, " +
          `event_seq ${int(dialect)} NOT NULL, event_id TEXT NOT NULL, subscription_id TEXT NOT NULL, ` +
          "state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'cancelled')), " +
          `attempts ${int(dialect)} NOT NULL, next_attempt_at ${int(dialect)} NOT NULL, ` +
          `last_status ${int(dialect)}, last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT, ` +
          "UNIQUE (event_id, subscription_id))",
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
      ]),
  },
});
