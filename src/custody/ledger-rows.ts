/**
 * The omnibus ledger's tables and rows: an append-only journal of movements (triggers refuse UPDATE and DELETE)
 * and the client positions it maintains. Amounts are bigints stored as decimal text; CHECK constraints keep
 * journal amounts positive and positions non-negative even against a buggy writer.
 */
import { getAddress, isAddress } from "ethers";
import { CustodyMovementInvalidError } from "./errors";

export const LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS custody_movements (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  movement_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('credit', 'debit', 'transfer')),
  asset TEXT NOT NULL,
  from_client TEXT,
  to_client TEXT,
  amount TEXT NOT NULL CHECK (amount GLOB '[1-9]*' AND amount NOT GLOB '*[^0-9]*'),
  reference TEXT,
  recorded_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS custody_positions (
  client_id TEXT NOT NULL,
  asset TEXT NOT NULL,
  amount TEXT NOT NULL CHECK (amount = '0' OR (amount GLOB '[1-9]*' AND amount NOT GLOB '*[^0-9]*')),
  last_seq INTEGER NOT NULL REFERENCES custody_movements (seq),
  PRIMARY KEY (client_id, asset)
);
CREATE TRIGGER IF NOT EXISTS custody_movements_no_update BEFORE UPDATE ON custody_movements
BEGIN SELECT RAISE(ABORT, 'custody_movements is append-only'); END;
CREATE TRIGGER IF NOT EXISTS custody_movements_no_delete BEFORE DELETE ON custody_movements
BEGIN SELECT RAISE(ABORT, 'custody_movements is append-only'); END;
`;

export type MovementKind = "credit" | "debit" | "transfer";

/** Fields every movement request has. `movementId` makes it idempotent; `reference` is free text (a tx hash). */
interface MovementBase {
  movementId: string;
  /** Token contract address. */
  asset: string;
  /** Positive amount in the token's smallest unit. */
  amount: bigint;
  reference?: string;
}

/** Adds to a client's position (tokens received at the omnibus address for that client). */
export interface CreditRequest extends MovementBase {
  clientId: string;
}

/** Takes from a client's position (tokens leaving the omnibus address for that client). */
export type DebitRequest = CreditRequest;

/** Moves a position between two clients; nothing moves on chain. */
export interface TransferRequest extends MovementBase {
  fromClientId: string;
  toClientId: string;
}

/** One booked movement of the journal. */
export interface Movement {
  seq: number;
  movementId: string;
  kind: MovementKind;
  asset: string;
  fromClientId: string | null;
  toClientId: string | null;
  amount: bigint;
  reference: string | null;
  /** Unix seconds when it was booked. */
  recordedAt: number;
}

/** What a booking call returns: the journal's movement, and whether this call booked it (false on a retry). */
export interface BookingResult {
  movement: Movement;
  applied: boolean;
}

/** One client's position in one asset. */
export interface Position {
  clientId: string;
  asset: string;
  amount: bigint;
}

export interface MovementRow {
  seq: number;
  movement_id: string;
  kind: MovementKind;
  asset: string;
  from_client: string | null;
  to_client: string | null;
  amount: string;
  reference: string | null;
  recorded_at: number;
}

/** A movement before it is booked: what idempotency compares. */
export type MovementContent = Omit<Movement, "seq" | "recordedAt">;

export function toMovement(row: MovementRow): Movement {
  return {
    seq: row.seq,
    movementId: row.movement_id,
    kind: row.kind,
    asset: row.asset,
    fromClientId: row.from_client,
    toClientId: row.to_client,
    amount: BigInt(row.amount),
    reference: row.reference,
    recordedAt: row.recorded_at,
  };
}

/** Validates a request into the content to book: ids non-empty, asset an address, amount positive. */
export function movementContent(
  kind: MovementKind,
  request: MovementBase,
  fromClientId: string | null,
  toClientId: string | null,
): MovementContent {
  const { movementId, asset, amount } = request;
  if (typeof movementId !== "string" || movementId.trim() === "") {
    throw new CustodyMovementInvalidError("movement id must be a non-empty string", { kind });
  }
  for (const client of [fromClientId, toClientId]) {
    if (client !== null && (typeof client !== "string" || client.trim() === "")) {
      throw new CustodyMovementInvalidError("client id must be a non-empty string", { movementId });
    }
  }
  if (fromClientId !== null && fromClientId === toClientId) {
    throw new CustodyMovementInvalidError("a transfer needs two different clients", { movementId, fromClientId });
  }
  if (typeof amount !== "bigint" || amount <= 0n) {
    throw new CustodyMovementInvalidError("amount must be a positive bigint", { movementId, amount: String(amount) });
  }
  const reference = request.reference ?? null;
  return { movementId, kind, asset: assetKey(asset), fromClientId, toClientId, amount, reference };
}

/** The checksummed token address under which an asset is booked. */
export function assetKey(asset: string): string {
  if (typeof asset !== "string" || !isAddress(asset)) {
    throw new CustodyMovementInvalidError("asset must be a token address", { asset: String(asset) });
  }
  return getAddress(asset.toLowerCase());
}

/** True when a booked movement has exactly this content. */
export function sameContent(booked: Movement, content: MovementContent): boolean {
  return (
    booked.kind === content.kind &&
    booked.asset === content.asset &&
    booked.fromClientId === content.fromClientId &&
    booked.toClientId === content.toClientId &&
    booked.amount === content.amount &&
    booked.reference === content.reference
  );
}

/** A JSON-friendly view of a movement's content, for error details. */
export function contentDetails(content: MovementContent): Record<string, unknown> {
  const { kind, asset, fromClientId, toClientId, amount, reference } = content;
  return { kind, asset, fromClientId, toClientId, amount: amount.toString(), reference };
}
