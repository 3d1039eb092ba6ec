/**
 * A settlement's history rebuilt from events alone: every engine event carries the settlement id as its first
 * indexed argument, so one log query by that topic returns the whole timeline, in chain order.
 */
import { toBeHex, type Provider } from "ethers";
import type { SettlementEngine } from "../../typechain-types";
import { ChainStateError, ErrorCode } from "../errors";

/** Plain values of an event's arguments, for display and JSON. */
export type EventValue = string | number | boolean;

/** One event in a settlement's history. */
export interface TimelineEntry {
  /** Event name, e.g. `SettlementLocked`. */
  event: string;
  blockNumber: number;
  transactionHash: string;
  /** Block timestamp (seconds). */
  timestamp: number;
  /** The event's other arguments (actor, memberId, reason, finalAt, ...), ids and terms left out. */
  args: Record<string, EventValue>;
}

const OMITTED = new Set(["id", "terms", "tradeRef"]);

/** The provider an engine instance reads through. */
export function providerOf(engine: SettlementEngine): Provider {
  const provider = engine.runner?.provider;
  if (provider === null || provider === undefined) {
    throw new ChainStateError(ErrorCode.DeploymentNotFound, "the settlement engine instance has no provider");
  }
  return provider;
}

/** Every engine event of settlement `id` since `fromBlock`, oldest first. */
export async function settlementTimeline(
  engine: SettlementEngine,
  id: bigint,
  fromBlock = 0,
): Promise<TimelineEntry[]> {
  const provider = providerOf(engine);
  const logs = await provider.getLogs({
    address: await engine.getAddress(),
    topics: [null, toBeHex(id, 32)],
    fromBlock,
    toBlock: "latest",
  });
  const timestamps = new Map<number, number>();
  const entries: TimelineEntry[] = [];
  for (const log of logs) {
    const parsed = engine.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed === null) continue;
    if (!timestamps.has(log.blockNumber)) {
      const block = await provider.getBlock(log.blockNumber);
      timestamps.set(log.blockNumber, block?.timestamp ?? 0);
    }
    const args: Record<string, EventValue> = {};
    parsed.fragment.inputs.forEach((input, i) => {
      if (!OMITTED.has(input.name)) args[input.name] = plain(parsed.args[i]);
    });
    entries.push({
      event: parsed.name,
      blockNumber: log.blockNumber,
      transactionHash: log.transactionHash,
      timestamp: timestamps.get(log.blockNumber) ?? 0,
      args,
    });
  }
  return entries;
}

function plain(value: unknown): EventValue {
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (typeof value === "boolean" || typeof value === "number") return value;
  return String(value);
}
