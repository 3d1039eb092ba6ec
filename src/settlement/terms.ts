/**
 * Settlement terms off chain. The engine stores only the hash of a settlement's terms (its id); every call
 * after `instruct` passes the terms again. They are recovered here from the `SettlementInstructed` event that
 * carries them, found by the indexed id.
 */
import { AbiCoder, keccak256 } from "ethers";
import type { SettlementEngine } from "../../typechain-types";
import { ChainStateError, ErrorCode } from "../errors";

/** Stored and derived statuses, in the order of `ISettlementEngine.Status`. */
export const STATUS_NAMES = [
  "None",
  "Instructed",
  "Affirmed",
  "Settled",
  "Final",
  "Reversed",
  "Expired",
  "Released",
  "Cancelled",
  "Unwound",
] as const;
export type StatusName = (typeof STATUS_NAMES)[number];

/** Kinds, in the order of `ISettlementEngine.Kind`. */
export const KIND_NAMES = ["DvP", "FoP"] as const;
export type KindName = (typeof KIND_NAMES)[number];

/** What two parties agreed, as the engine hashes it. */
export interface SettlementTerms {
  tradeRef: string;
  /** 0 for DvP, 1 for FoP. */
  kind: number;
  seller: string;
  buyer: string;
  asset: string;
  assetAmount: bigint;
  cash: string;
  cashAmount: bigint;
}

/** An instruction as its event recorded it. */
export interface Instruction {
  id: bigint;
  terms: SettlementTerms;
  /** Member that instructed. */
  memberId: number;
  actor: string;
  affirmDeadline: number;
  policyVersion: bigint;
  blockNumber: number;
  transactionHash: string;
}

export function statusName(status: bigint | number): StatusName {
  return STATUS_NAMES[Number(status)] ?? "None";
}

const TERMS_TUPLE = "tuple(bytes32,uint8,address,address,address,uint256,address,uint256)";

/** The id the engine gives these terms: keccak256 of their ABI encoding (as `settlementId`). */
export function settlementIdOf(terms: SettlementTerms): bigint {
  const { tradeRef, kind, seller, buyer, asset, assetAmount, cash, cashAmount } = terms;
  const encoded = AbiCoder.defaultAbiCoder().encode(
    [TERMS_TUPLE],
    [[tradeRef, kind, seller, buyer, asset, assetAmount, cash, cashAmount]],
  );
  return BigInt(keccak256(encoded));
}

/** A settlement id as 0x and 64 hex digits. */
export function formatSettlementId(id: bigint): string {
  return `0x${id.toString(16).padStart(64, "0")}`;
}

/**
 * The instruction of settlement `id`, from its `SettlementInstructed` event. Throws a `ChainStateError`
 * (`SETTLEMENT_NOT_FOUND`) when no instruction has this id. `fromBlock` bounds the search (deployment block).
 */
export async function findInstruction(engine: SettlementEngine, id: bigint, fromBlock = 0): Promise<Instruction> {
  const events = await engine.queryFilter(engine.filters.SettlementInstructed(id), fromBlock, "latest");
  const event = events[0];
  if (event === undefined) {
    throw new ChainStateError(ErrorCode.SettlementNotFound, `no settlement with id ${formatSettlementId(id)}`, {
      id: formatSettlementId(id),
      engine: await engine.getAddress(),
    });
  }
  const t = event.args.terms;
  const terms: SettlementTerms = {
    tradeRef: t.tradeRef,
    kind: Number(t.kind),
    seller: t.seller,
    buyer: t.buyer,
    asset: t.asset,
    assetAmount: t.assetAmount,
    cash: t.cash,
    cashAmount: t.cashAmount,
  };
  return {
    id,
    terms,
    memberId: Number(event.args.memberId),
    actor: event.args.actor,
    affirmDeadline: Number(event.args.affirmDeadline),
    policyVersion: event.args.policyVersion,
    blockNumber: event.blockNumber,
    transactionHash: event.transactionHash,
  };
}

/** The full terms of settlement `id`, recovered from its instruction event. */
export async function findTerms(engine: SettlementEngine, id: bigint, fromBlock = 0): Promise<SettlementTerms> {
  return (await findInstruction(engine, id, fromBlock)).terms;
}
