/**
 * `OmnibusLedger`: the off-chain book of which client owns what at the bank's omnibus address, in one SQLite
 * file (WAL, `synchronous=FULL`). Every credit, debit and transfer is one IMMEDIATE transaction that appends the
 * movement to the journal and updates the positions it touches, or changes nothing. A movement id books once:
 * a retry with the same content returns the booked movement, other content is refused. No position goes below
 * zero.
 */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { openDurableSqlite } from "../storage";
import type { LedgerConfig } from "./config";
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
  type MovementContent,
  type MovementRow,
  type Movement,
  type Position,
  type TransferRequest,
} from "./ledger-rows";
import { codeFamily, isFrameworkError } from "../errors";

export interface LedgerOpenOptions extends Pick<LedgerConfig, "path"> {
  busyTimeoutMs?: number;
  /** Refuse to create the file (reconciliation reads an existing ledger; an empty new one would hide a typo). */
  mustExist?: boolean;
  /** The current time in Unix seconds (tests drive time with it); defaults to the system clock. */
  now?: () => number;
}

export class OmnibusLedger {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #now: () => number;
  #closed = false;

  private constructor(path: string, db: Database.Database, now: () => number) {
    this.path = path;
    this.#db = db;
    this.#now = now;
  }

  /** Opens (creating unless `mustExist`) the ledger in the file at `options.path`. */
  static open(options: LedgerOpenOptions): OmnibusLedger {
    if (options.mustExist === true && !existsSync(options.path)) {
      throw new CustodyLedgerUnavailableError(options.path, "no such file");
    }
    let db: Database.Database | undefined;
    try {
      db = openDurableSqlite(options.path, options.busyTimeoutMs ?? 5_000);
      db.exec(LEDGER_SCHEMA);
      return new OmnibusLedger(options.path, db, options.now ?? (() => Math.floor(Date.now() / 1000)));
    } catch (error) {
      db?.close();
      throw new CustodyLedgerUnavailableError(options.path, "cannot open", error);
    }
  }

  /** Books tokens received at the omnibus address for `clientId`. */
  credit(request: CreditRequest): BookingResult {
    return this.#book(movementContent("credit", request, null, request.clientId));
  }

  /** Books tokens leaving the omnibus address for `clientId`; refused if the position is too small. */
  debit(request: DebitRequest): BookingResult {
    return this.#book(movementContent("debit", request, request.clientId, null));
  }

  /** Moves a position from one client to another; refused if the sender's position is too small. */
  transfer(request: TransferRequest): BookingResult {
    return this.#book(movementContent("transfer", request, request.fromClientId, request.toClientId));
  }

  /** A client's position in an asset (0 when nothing was booked). */
  position(clientId: string, asset: string): bigint {
    this.#assertOpen();
    return this.#position(clientId, assetKey(asset));
  }

  /** Every non-zero position, optionally of one asset, ordered by asset then client. */
  positions(asset?: string): Position[] {
    this.#assertOpen();
    const key = asset === undefined ? null : assetKey(asset);
    const rows = this.#db
      .prepare(
        "SELECT client_id AS clientId, asset, amount FROM custody_positions " +
          "WHERE amount != '0' AND (? IS NULL OR asset = ?) ORDER BY asset, client_id",
      )
      .all(key, key) as { clientId: string; asset: string; amount: string }[];
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }

  /** Sum of all clients' positions per asset (what the omnibus address should hold), read in one snapshot. */
  totals(): Map<string, bigint> {
    const totals = new Map<string, bigint>();
    for (const p of this.positions()) totals.set(p.asset, (totals.get(p.asset) ?? 0n) + p.amount);
    return totals;
  }

  /** The journal in booking order, from `fromSeq` (default: the start). */
  journal(fromSeq = 1): Movement[] {
    this.#assertOpen();
    const rows = this.#db
      .prepare("SELECT * FROM custody_movements WHERE seq >= ? ORDER BY seq")
      .all(fromSeq) as MovementRow[];
    return rows.map(toMovement);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #book(content: MovementContent): BookingResult {
    this.#assertOpen();
    try {
      return this.#db.transaction((): BookingResult => this.#bookInTransaction(content)).immediate();
    } catch (error) {
      if (isFrameworkError(error, codeFamily("CUSTODY_"))) throw error;
      throw new CustodyLedgerUnavailableError(this.path, `booking ${content.movementId} failed`, error);
    }
  }

  #bookInTransaction(content: MovementContent): BookingResult {
    const existing = this.#db
      .prepare("SELECT * FROM custody_movements WHERE movement_id = ?")
      .get(content.movementId) as MovementRow | undefined;
    if (existing !== undefined) {
      const booked = toMovement(existing);
      if (!sameContent(booked, content)) {
        throw new CustodyMovementConflictError(content.movementId, contentDetails(booked), contentDetails(content));
      }
      return { movement: booked, applied: false };
    }
    const { asset, amount, fromClientId, toClientId } = content;
    const fromBalance = fromClientId === null ? 0n : this.#position(fromClientId, asset);
    if (fromClientId !== null && fromBalance < amount) {
      throw new CustodyInsufficientPositionError(fromClientId, asset, fromBalance, amount);
    }
    const info = this.#db
      .prepare(
        "INSERT INTO custody_movements (movement_id, kind, asset, from_client, to_client, amount, reference, " +
          "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        content.movementId,
        content.kind,
        asset,
        fromClientId,
        toClientId,
        amount.toString(),
        content.reference,
        this.#now(),
      );
    const seq = Number(info.lastInsertRowid);
    if (fromClientId !== null) this.#setPosition(fromClientId, asset, fromBalance - amount, seq);
    if (toClientId !== null) this.#setPosition(toClientId, asset, this.#position(toClientId, asset) + amount, seq);
    const row = this.#db.prepare("SELECT * FROM custody_movements WHERE seq = ?").get(seq) as MovementRow;
    return { movement: toMovement(row), applied: true };
  }

  #position(clientId: string, asset: string): bigint {
    const row = this.#db
      .prepare("SELECT amount FROM custody_positions WHERE client_id = ? AND asset = ?")
      .get(clientId, asset) as { amount: string } | undefined;
    return row === undefined ? 0n : BigInt(row.amount);
  }

  #setPosition(clientId: string, asset: string, amount: bigint, seq: number): void {
    this.#db
      .prepare(
        "INSERT INTO custody_positions (client_id, asset, amount, last_seq) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (client_id, asset) DO UPDATE SET amount = excluded.amount, last_seq = excluded.last_seq",
      )
      .run(clientId, asset, amount.toString(), seq);
  }

  #assertOpen(): void {
    if (this.#closed) throw new CustodyLedgerClosedError(this.path);
  }
}
