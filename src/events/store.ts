/**
 * `EventStore`: the chain events and receipts a bank's follower recorded, with the follower's position, in a SQLite
 * file or a PostgreSQL database (src/storage). `record` writes a batch of events, enqueues their webhook deliveries
 * and moves the position in one durable transaction, so a crash leaves either all of it or none, and an event
 * recorded twice (a batch read again after a crash) is the same row: its id is derived from where it is on chain.
 */
import { EventEmitter } from "node:events";
import { AbiCoder, keccak256 } from "ethers";
import type { Kysely, Selectable } from "kysely";
import type { JsonValue } from "../core";
import { isFrameworkError } from "../errors";
import { StorageDatabase, openStoreDatabase, type StorageLocationInput } from "../storage";
import { EventsError } from "./errors";
import { EVENTS_SCHEMA, type EventRow, type EventTables } from "./rows";
import { enqueueDeliveries } from "./webhook-store";

/** An event or receipt as the follower hands it to the store. */
export interface NewChainEvent {
  /** `chainEventId(...)`: the same event always gets the same id. */
  id: string;
  kind: "event" | "receipt";
  /** The contract event's name (`SettlementInstructed`), or `TransactionReceipt`. */
  type: string;
  chainId: number;
  blockNumber: number;
  blockHash: string;
  /** The log's index in its block; for a receipt, the transaction's index in its block. */
  logIndex: number;
  txHash: string;
  /** Which consortium contract emitted it (`SettlementEngine`, `Consortium`, `AuditAnchor`, a token symbol). */
  contract: string;
  address: string;
  /** The settlement or proposal the event is about, when it names one. */
  subject: string | null;
  /** The event's arguments by name (integers as decimal strings), or the receipt's outcome. */
  data: Record<string, JsonValue>;
  /** True when the bank sent the transaction that emitted it. */
  own: boolean;
  /** For the bank's own transactions: its audit log's decision and signature records for the transaction. */
  decisionSeq: number | null;
  signatureSeq: number | null;
}

/** An event as stored: `seq` is the position clients resume after. */
export interface ChainEvent extends NewChainEvent {
  seq: number;
  /** The bank's audit record of this event, once appended. */
  auditSeq: number | null;
  recordedAt: string;
}

/** Where the follower is: the last block it recorded in full, and the last log index it recorded there. */
export interface FollowerPosition {
  chainId: number;
  blockNumber: number;
  blockHash: string;
  logIndex: number;
}

export interface EventListQuery {
  /** Only events with a seq above this. */
  after?: number;
  /** Only events of these types (none: every type). */
  types?: readonly string[];
  limit: number;
}

const coder = AbiCoder.defaultAbiCoder();

/**
 * The stable id of a chain event: keccak256 of the ABI encoding of ("log", chain id, block hash, log index); for
 * a receipt ("receipt", chain id, block hash, transaction index). Anyone can recompute it from the chain.
 */
export function chainEventId(kind: "event" | "receipt", chainId: number, blockHash: string, index: number): string {
  const tag = kind === "event" ? "log" : "receipt";
  return keccak256(coder.encode(["string", "uint256", "bytes32", "uint256"], [tag, chainId, blockHash, index]));
}

const WRITE_LOCK = "events";

export class EventStore {
  readonly storage: StorageDatabase;
  readonly #db: Kysely<EventTables>;
  readonly #recorded = new EventEmitter();
  readonly #ownsStorage: boolean;

  private constructor(storage: StorageDatabase, ownsStorage: boolean) {
    this.storage = storage;
    this.#db = storage.db<EventTables>();
    this.#ownsStorage = ownsStorage;
    this.#recorded.setMaxListeners(0);
  }

  /** Opens (creating and migrating if needed) the store: a SQLite `path` or a `postgres` location. */
  static async open(location: StorageLocationInput): Promise<EventStore> {
    const storage = await openStoreDatabase(location, EVENTS_SCHEMA, (cause) => unavailable(cause));
    return new EventStore(storage, true);
  }

  /** The store in a database its caller opened with `EVENTS_SCHEMA` (and closes). */
  static onDatabase(storage: StorageDatabase): EventStore {
    return new EventStore(storage, false);
  }

  async position(name: string): Promise<FollowerPosition | undefined> {
    const row = await this.#db.selectFrom("events_cursor").selectAll().where("name", "=", name).executeTakeFirst();
    return row === undefined
      ? undefined
      : { chainId: row.chain_id, blockNumber: row.block_number, blockHash: row.block_hash, logIndex: row.log_index };
  }

  /**
   * Records `events` (those already recorded are kept as they are), enqueues a delivery of each new one for every
   * subscription that wants it, and moves follower `name` to `position`: one durable transaction. Resolves with
   * the events recorded now, in order.
   */
  async record(name: string, position: FollowerPosition, events: readonly NewChainEvent[]): Promise<ChainEvent[]> {
    const now = new Date();
    const added = await this.storage.write<EventTables, ChainEvent[]>(WRITE_LOCK, async (trx) => {
      const fresh: ChainEvent[] = [];
      for (const e of events) {
        const row = toRow(e, now.toISOString());
        const inserted = await trx
          .insertInto("chain_events")
          .values(row)
          .onConflict((oc) => oc.column("id").doNothing())
          .returning("seq")
          .executeTakeFirst();
        if (inserted !== undefined) fresh.push(fromRow({ ...row, seq: inserted.seq }));
      }
      await enqueueDeliveries(trx, fresh, now);
      const cursor = {
        chain_id: position.chainId,
        block_number: position.blockNumber,
        block_hash: position.blockHash,
        log_index: position.logIndex,
      };
      await trx
        .insertInto("events_cursor")
        .values({ name, ...cursor })
        .onConflict((oc) => oc.column("name").doUpdateSet(cursor))
        .execute();
      return fresh;
    });
    if (added.length > 0) this.#recorded.emit("recorded", added);
    return added;
  }

  /** Tells `listener` of every batch of events recorded through this store object; returns the unsubscribe. */
  onRecorded(listener: (events: readonly ChainEvent[]) => void): () => void {
    this.#recorded.on("recorded", listener);
    return () => this.#recorded.off("recorded", listener);
  }

  async list(query: EventListQuery): Promise<ChainEvent[]> {
    let q = this.#db
      .selectFrom("chain_events")
      .selectAll()
      .where("seq", ">", query.after ?? 0)
      .orderBy("seq")
      .limit(query.limit);
    if (query.types !== undefined && query.types.length > 0) q = q.where("type", "in", [...query.types]);
    return (await q.execute()).map(fromRow);
  }

  async get(seq: number): Promise<ChainEvent | undefined> {
    const row = await this.#db.selectFrom("chain_events").selectAll().where("seq", "=", seq).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async byId(id: string): Promise<ChainEvent | undefined> {
    const row = await this.#db.selectFrom("chain_events").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /** The subjects (settlement ids) of every recorded event: the settlements the bank takes part in. */
  async subjects(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("chain_events")
      .select("subject")
      .distinct()
      .where("subject", "is not", null)
      .execute();
    return rows.map((r) => r.subject!);
  }

  /** Events not yet in the audit log, in order. */
  async unaudited(limit: number): Promise<ChainEvent[]> {
    const rows = await this.#db
      .selectFrom("chain_events")
      .selectAll()
      .where("audit_seq", "is", null)
      .orderBy("seq")
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** Notes the audit record of each event (by event id). */
  async linkAudit(links: ReadonlyMap<string, number>): Promise<void> {
    if (links.size === 0) return;
    await this.storage.write<EventTables, void>(WRITE_LOCK, async (trx) => {
      for (const [id, auditSeq] of links) {
        await trx.updateTable("chain_events").set({ audit_seq: auditSeq }).where("id", "=", id).execute();
      }
    });
  }

  async close(): Promise<void> {
    this.#recorded.removeAllListeners();
    if (this.#ownsStorage) await this.storage.close();
  }
}

function unavailable(cause: unknown): Error {
  if (isFrameworkError(cause)) return cause;
  return new EventsError("EVENTS_STORE_UNAVAILABLE", "the event store cannot be opened", {}, cause);
}

function toRow(e: NewChainEvent, at: string): Omit<Selectable<EventRow>, "seq"> {
  return {
    id: e.id,
    kind: e.kind,
    type: e.type,
    chain_id: e.chainId,
    block_number: e.blockNumber,
    block_hash: e.blockHash,
    log_index: e.logIndex,
    tx_hash: e.txHash,
    contract: e.contract,
    address: e.address,
    subject: e.subject,
    data: JSON.stringify(e.data),
    own: e.own ? 1 : 0,
    decision_seq: e.decisionSeq,
    signature_seq: e.signatureSeq,
    audit_seq: null,
    recorded_at: at,
  };
}

export function fromRow(r: Selectable<EventRow>): ChainEvent {
  return {
    seq: Number(r.seq),
    id: r.id,
    kind: r.kind,
    type: r.type,
    chainId: Number(r.chain_id),
    blockNumber: Number(r.block_number),
    blockHash: r.block_hash,
    logIndex: Number(r.log_index),
    txHash: r.tx_hash,
    contract: r.contract,
    address: r.address,
    subject: r.subject,
    data: JSON.parse(r.data) as Record<string, JsonValue>,
    own: Number(r.own) === 1,
    decisionSeq: r.decision_seq === null ? null : Number(r.decision_seq),
    signatureSeq: r.signature_seq === null ? null : Number(r.signature_seq),
    auditSeq: r.audit_seq === null ? null : Number(r.audit_seq),
    recordedAt: r.recorded_at,
  };
}
