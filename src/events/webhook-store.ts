/**
 * Webhook subscriptions and the delivery outbox, in the event store's database. A subscription keeps where its
 * signing secret is (an environment variable or a file), never the secret. Each delivery is one event for one
 * subscription, enqueued in the transaction that records the event; its id is the `webhook-id` of every attempt,
 * retry and redelivery of it.
 */
import { randomUUID } from "node:crypto";
import { keccak256, toUtf8Bytes } from "ethers";
import type { Kysely } from "kysely";
import type { SecretSource } from "../core";
import type { StorageDatabase } from "../storage";
import { EventsDeliveryNotFoundError, EventsSubscriptionNotFoundError } from "./errors";
import type { DeliveryRow, DeliveryState, EventTables, SubscriptionRow } from "./rows";

export interface NewSubscription {
  url: string;
  /** Event types delivered (empty: every type). */
  types: readonly string[];
  secret: SecretSource;
  description?: string;
}

export interface Subscription {
  id: string;
  url: string;
  types: string[];
  secret: SecretSource;
  description: string;
  createdAt: string;
}

export interface Delivery {
  /** The `webhook-id` of every attempt. */
  id: string;
  eventSeq: number;
  eventId: string;
  subscriptionId: string;
  state: DeliveryState;
  attempts: number;
  /** When the next attempt is due (Unix milliseconds). */
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** The delivery id of one event for one subscription: the same pair always gets the same id. */
export function deliveryId(eventId: string, subscriptionId: string): string {
  return `msg_${keccak256(toUtf8Bytes(`${eventId}/${subscriptionId}`)).slice(2, 42)}`;
}

/** Enqueues, inside the caller's transaction, a delivery of each event for each subscription that wants it. */
export async function enqueueDeliveries(
  trx: Kysely<EventTables>,
  events: readonly { seq: number; id: string; type: string }[],
  now: Date,
): Promise<void> {
  if (events.length === 0) return;
  const subscriptions = (await trx.selectFrom("webhook_subscriptions").selectAll().execute()).map(toSubscription);
  const rows: DeliveryRow[] = [];
  for (const event of events) {
    for (const s of subscriptions) {
      if (s.types.length > 0 && !s.types.includes(event.type)) continue;
      rows.push({
        id: deliveryId(event.id, s.id),
        event_seq: event.seq,
        event_id: event.id,
        subscription_id: s.id,
        state: "pending",
        attempts: 0,
        // Due at once, whatever the dispatcher's clock says.
        next_attempt_at: 0,
        last_status: null,
        last_error: null,
        created_at: now.toISOString(),
        delivered_at: null,
      });
    }
  }
  for (const row of rows) {
    await trx
      .insertInto("webhook_deliveries")
      .values(row)
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
  }
}

const WRITE_LOCK = "events";

/** What an attempt that failed leaves: the next attempt's time, or none (a dead letter). */
export interface FailedAttempt {
  attempts: number;
  nextAttemptAt: number | null;
  status: number | null;
  error: string;
}

export class WebhookStore {
  readonly #storage: StorageDatabase;
  readonly #db: Kysely<EventTables>;

  constructor(storage: StorageDatabase) {
    this.#storage = storage;
    this.#db = storage.db<EventTables>();
  }

  async createSubscription(input: NewSubscription, now = new Date()): Promise<Subscription> {
    const row: SubscriptionRow = {
      id: `sub_${randomUUID()}`,
      url: input.url,
      types: JSON.stringify([...input.types]),
      secret: JSON.stringify(input.secret),
      description: input.description ?? null,
      created_at: now.toISOString(),
    };
    await this.#storage.write<EventTables, void>(WRITE_LOCK, async (trx) => {
      await trx.insertInto("webhook_subscriptions").values(row).execute();
    });
    return toSubscription(row);
  }

  async subscriptions(): Promise<Subscription[]> {
    const rows = await this.#db.selectFrom("webhook_subscriptions").selectAll().orderBy("created_at").execute();
    return rows.map(toSubscription);
  }

  async subscription(id: string): Promise<Subscription> {
    const row = await this.#db.selectFrom("webhook_subscriptions").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) throw new EventsSubscriptionNotFoundError(id);
    return toSubscription(row);
  }

  /** Deletes a subscription; its deliveries still waiting are cancelled (kept, never sent). */
  async deleteSubscription(id: string): Promise<void> {
    await this.#storage.write<EventTables, void>(WRITE_LOCK, async (trx) => {
      const gone = await trx.deleteFrom("webhook_subscriptions").where("id", "=", id).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw new EventsSubscriptionNotFoundError(id);
      await trx
        .updateTable("webhook_deliveries")
        .set({ state: "cancelled" })
        .where("subscription_id", "=", id)
        .where("state", "=", "pending")
        .execute();
    });
  }

  /** Pending deliveries due at `nowMs`, oldest first. */
  async due(nowMs: number, limit: number): Promise<Delivery[]> {
    const rows = await this.#db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("state", "=", "pending")
      .where("next_attempt_at", "<=", nowMs)
      .orderBy("next_attempt_at")
      .orderBy("event_seq")
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  /** When the earliest pending delivery is due (Unix milliseconds), or undefined when none is pending. */
  async nextDueAt(): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom("webhook_deliveries")
      .select((eb) => eb.fn.min("next_attempt_at").as("next"))
      .where("state", "=", "pending")
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  async delivery(id: string): Promise<Delivery> {
    const row = await this.#db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) throw new EventsDeliveryNotFoundError(id);
    return toDelivery(row);
  }

  async deliveries(query: { state?: DeliveryState; subscriptionId?: string; limit: number }): Promise<Delivery[]> {
    let q = this.#db.selectFrom("webhook_deliveries").selectAll().orderBy("event_seq").limit(query.limit);
    if (query.state !== undefined) q = q.where("state", "=", query.state);
    if (query.subscriptionId !== undefined) q = q.where("subscription_id", "=", query.subscriptionId);
    return (await q.execute()).map(toDelivery);
  }

  async delivered(id: string, status: number, attempts: number, now: Date): Promise<void> {
    await this.#update(id, {
      state: "delivered",
      attempts,
      last_status: status,
      last_error: null,
      delivered_at: now.toISOString(),
    });
  }

  async failed(id: string, attempt: FailedAttempt): Promise<void> {
    await this.#update(id, {
      state: attempt.nextAttemptAt === null ? "dead" : "pending",
      attempts: attempt.attempts,
      ...(attempt.nextAttemptAt === null ? {} : { next_attempt_at: attempt.nextAttemptAt }),
      last_status: attempt.status,
      last_error: attempt.error,
    });
  }

  /**
   * Sends a delivery again, under its own id, with the whole retry schedule ahead of it: due at once. Refused
   * for a delivery whose subscription was deleted.
   */
  async redeliver(id: string, nowMs: number): Promise<Delivery> {
    const delivery = await this.delivery(id);
    await this.subscription(delivery.subscriptionId);
    await this.#update(id, { state: "pending", attempts: 0, next_attempt_at: nowMs, delivered_at: null });
    return this.delivery(id);
  }

  async #update(id: string, set: Partial<Omit<DeliveryRow, "id">>): Promise<void> {
    await this.#storage.write<EventTables, void>(WRITE_LOCK, async (trx) => {
      await trx.updateTable("webhook_deliveries").set(set).where("id", "=", id).execute();
    });
  }
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    url: row.url,
    types: JSON.parse(row.types) as string[],
    secret: JSON.parse(row.secret) as SecretSource,
    description: row.description ?? "",
    createdAt: row.created_at,
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    eventSeq: Number(row.event_seq),
    eventId: row.event_id,
    subscriptionId: row.subscription_id,
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}
