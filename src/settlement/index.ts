/**
 * Settlements off chain: the engine keeps only a hash of each settlement's terms, so the terms, the status
 * and the whole history are rebuilt here from the engine's events (`findTerms`, `settlementTimeline`,
 * `describeSettlement`).
 */
export { describeSettlement, membersOf, type SettlementView } from "./describe";
export {
  findInstruction,
  findTerms,
  formatSettlementId,
  KIND_NAMES,
  settlementIdOf,
  STATUS_NAMES,
  statusName,
  type Instruction,
  type KindName,
  type SettlementTerms,
  type StatusName,
} from "./terms";
export { providerOf, settlementTimeline, type EventValue, type TimelineEntry } from "./timeline";
