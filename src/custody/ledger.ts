/**
 * `OmnibusLedger`: the off-chain book of which client owns what at the bank's omnibus address, in a SQLite file
 * (WAL, `synchronous=FULL`) or a PostgreSQL database (src/storage). Every credit, debit and transfer is one
 * serialised write transaction (IMMEDIATE on SQLite, under the ledger's advisory lock on PostgreSQL) that
 * appends the movement to the journal and updates the positions it touches, or changes nothing. A movement id
 * books once: a retry with the same content returns the booked movement, other content is refused. No position
 * goes below zero.
 */
import type { Kysely } from "kysely";
import { existsSync } from "node:fs";
import { openStoreDatabase, type PostgresLocationInput, type StorageDatabase } from "../storage";
import {
  CustodyInsufficientPositionError,
  CustodyLedgerClosedError,
  CustodyLedgerUnavailableError,
  CustodyMovementConflictError,
} from "./errors";
import {
  assetKey,
  contentDetails,
  LEDGER_SCHEMA,
  movementContent,
  sameContent,
  toMovement,
  type BookingResult,
  type CreditRequest,
  type DebitRequest,
  type LedgerTables,
  type MovementContent,
  type Movement,
  type Position,
  type TransferRequest,
} from "./ledger-rows";
import { codeFamily, isFrameworkError } from "../errors";

export interface LedgerOpenOptions {
  /** The SQLite file; or give `postgres`. */
  path?: string;
  /** A PostgreSQL database instead of a file (its URL from an environment variable or a file). */
  postgres?: PostgresLocationInput;
  busyTimeoutMs?: number;
  /** Refuse to create the SQLite file (reconciliation reads an existing ledger; an empty new one would hide a typo). */
  mustExist?: boolean;
  /** The current time in Unix seconds (tests drive time with it); defaults to the system clock. */
  now?: () => number;
}

type Db = Kysely<LedgerTables>;

const WRITE_LOCK = "custody_ledger";

export class OmnibusLedger {
  /** Where the ledger is: the file, or `host:port/database` (never credentials). */
  readonly path: string;
  readonly #storage: StorageDatabase;
  readonly #db: Db;
  readonly #now: () => number;
  #closed = false;

  private constructor(storage: StorageDatabase, now: () => number) {
    this.path = storage.where;
    this.#storage = storage;
    this.#db = storage.db<LedgerTables>();
    this.#now = now;
  }

  /** Opens (creating unless `mustExist`, and migrating) the ledger at `options.path` or `options.postgres`. */
  static async open(options: LedgerOpenOptions): Promise<OmnibusLedger> {
    const where = options.path ?? "postgres";
    if (options.mustExist === true && options.path !== undefined && !existsSync(options.path)) {
      throw new CustodyLedgerUnavailableError(where, "no such file");
    }
    const storage = await openStoreDatabase(
      options,
      LEDGER_SCHEMA,
      (cause) => new CustodyLedgerUnavailableError(where, "cannot open", cause),
    );
    return new OmnibusLedger(storage, options.now ?? (() => Math.floor(Date.now() / 1000)));
  }

  /** Books tokens received at the omnibus address for `clientId`. */
  credit(request: CreditRequest): Promise<BookingResult> {
    return this.#book(() => movementContent("credit", request, null, request.clientId));
  }

  /** Books tokens leaving the omnibus address for `clientId`; refused if the position is too small. */
  debit(request: DebitRequest): Promise<BookingResult> {
    return this.#book(() => movementContent("debit", request, request.clientId, null));
  }

  /** Moves a position from one client to another; refused if the sender's position is too small. */
  transfer(request: TransferRequest): Promise<BookingResult> {
    return this.#book(() => movementContent("transfer", request, request.fromClientId, request.toClientId));
  }

  /** A client's position in an asset (0 when nothing was booked). */
  async position(clientId: string, asset: string): Promise<bigint> {
    this.#assertOpen();
    return position(this.#db, clientId, assetKey(asset));
  }

  /** Every non-zero position, optionally of one asset, ordered by asset then client. */
  async positions(asset?: string): Promise<Position[]> {
    this.#assertOpen();
    let query = this.#db
      .selectFrom("custody_positions")
      .select(["client_id as clientId", "asset", "amount"])
      .where("amount", "!=", "0");
    if (asset !== undefined) query = query.where("asset", "=", assetKey(asset));
    const rows = await query.orderBy("asset").orderBy("client_id").execute();
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }

  /** Sum of all clients' positions per asset (what the omnibus address should hold), read in one query. */
  async totals(): Promise<Map<string, bigint>> {
    const totals = new Map<string, bigint>();
    for (const p of await this.positions()) totals.set(p.asset, (totals.get(p.asset) ?? 0n) + p.amount);
    return totals;
  }

  /** The journal in booking order, from `fromSeq` (default: the start). */
  async journal(fromSeq = 1): Promise<Movement[]> {
    this.#assertOpen();
    const rows = await this.#db
      .selectFrom("custody_movements")
      .selectAll()
      .where("seq", ">=", fromSeq)
      .orderBy("seq")
      .execute();
    return rows.map(toMovement);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#storage.close();
  }

  async #book(content: () => MovementContent): Promise<BookingResult> {
    this.#assertOpen();
    const movement = content();
    try {
      return await this.#storage.write<LedgerTables, BookingResult>(WRITE_LOCK, (trx) =>
        this.#bookInTransaction(trx, movement),
      );
    } catch (error) {
      if (isFrameworkError(error, codeFamily("CUSTODY_"))) throw error;
      throw new CustodyLedgerUnavailableError(this.path, `booking ${movement.movementId} failed`, error);
    }
  }

  async #bookInTransaction(trx: Db, content: MovementContent): Promise<BookingResult> {
    const existing = await trx
      .selectFrom("custody_movements")
      .selectAll()
      .where("movement_id", "=", content.movementId)
      .executeTakeFirst();
    if (existing !== undefined) {
      const booked = toMovement(existing);
      if (!sameContent(booked, content)) {
        throw new CustodyMovementConflictError(content.movementId, contentDetails(booked), contentDetails(content));
      }
      return { movement: booked, applied: false };
    }
    const { asset, amount, fromClientId, toClientId } = content;
    const fromBalance = fromClientId === null ? 0n : await position(trx, fromClientId, asset);
    if (fromClientId !== null && fromBalance < amount) {
      throw new CustodyInsufficientPositionError(fromClientId, asset, fromBalance, amount);
    }
    const row = await trx
      .insertInto("custody_movements")
      .values({
        movement_id: content.movementId,
        kind: content.kind,
        asset,
        from_client: fromClientId,
        to_client: toClientId,
        amount: amount.toString(),
        reference: content.reference,
        recorded_at: this.#now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (fromClientId !== null) await setPosition(trx, fromClientId, asset, fromBalance - amount, row.seq);
    if (toClientId !== null) {
      await setPosition(trx, toClientId, asset, (await position(trx, toClientId, asset)) + amount, row.seq);
    }
    return { movement: toMovement(row), applied: true };
  }

  #assertOpen(): void {
    if (this.#closed) throw new CustodyLedgerClosedError(this.path);
  }
}

async function position(db: Db, clientId: string, asset: string): Promise<bigint> {
  const row = await db
    .selectFrom("custody_positions")
    .select("amount")
    .where("client_id", "=", clientId)
    .where("asset", "=", asset)
    .executeTakeFirst();
  return row === undefined ? 0n : BigInt(row.amount);
}

async function setPosition(db: Db, clientId: string, asset: string, amount: bigint, seq: number): Promise<void> {
  await db
    .insertInto("custody_positions")
    .values({ client_id: clientId, asset, amount: amount.toString(), last_seq: seq })
    .onConflict((oc) =>
      oc.columns(["client_id", "asset"]).doUpdateSet((eb) => ({
        amount: eb.ref("excluded.amount"),
        last_seq: eb.ref("excluded.last_seq"),
      })),
    )
    .execute();
}
