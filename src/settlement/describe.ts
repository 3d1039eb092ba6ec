/**
 * One settlement as an operator sees it: status (including the time-dependent `Final` and `Expired`), the
 * stored record, the terms from the instruction event, reversal approvals and the event timeline.
 */
import type { SettlementEngine } from "../../typechain-types";
import { findInstruction, statusName, type Instruction, type StatusName } from "./terms";
import { settlementTimeline, type TimelineEntry } from "./timeline";

export interface SettlementView {
  id: bigint;
  /** Status as `statusOf` reports it now. */
  status: StatusName;
  record: {
    status: StatusName;
    sellerInstructed: boolean;
    affirmDeadline: number;
    /** End of the reversal window (0 until settled). */
    finalAt: number;
    policyVersion: bigint;
  };
  instruction: Instruction;
  /** Members that approved a requested reversal. */
  reversalApprovals: number[];
  timeline: TimelineEntry[];
}

/** Member ids of the bits set in a member bit set (bit i for member i). */
export function membersOf(mask: bigint): number[] {
  const ids: number[] = [];
  for (let i = 1; i < 256; i++) if ((mask >> BigInt(i)) & 1n) ids.push(i);
  return ids;
}

/** Reads everything known about settlement `id`; throws `SETTLEMENT_NOT_FOUND` for an unknown id. */
export async function describeSettlement(engine: SettlementEngine, id: bigint, fromBlock = 0): Promise<SettlementView> {
  const instruction = await findInstruction(engine, id, fromBlock);
  const [status, record, approvals, timeline] = await Promise.all([
    engine.statusOf(id),
    engine.record(id),
    engine.reversalApprovals(id),
    settlementTimeline(engine, id, fromBlock),
  ]);
  return {
    id,
    status: statusName(status),
    record: {
      status: statusName(record.status),
      sellerInstructed: record.sellerInstructed,
      affirmDeadline: Number(record.affirmDeadline),
      finalAt: Number(record.finalAt),
      policyVersion: record.policyVersion,
    },
    instruction,
    reversalApprovals: membersOf(approvals),
    timeline,
  };
}
