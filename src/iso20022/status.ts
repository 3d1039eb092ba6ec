/**
 * The message a settlement's state change owes the bank's back office, as one pure function: a sese.024 status
 * advice while the settlement is accepted, unmatched, matched or ended without settling (rejected, with the state
 * as the reason), and a sese.025 confirmation once it settled. A refused sese.023 is answered with a sese.024
 * rejection whose reason code follows the element that failed.
 */
import type { SettlementTerms, StatusName } from "../settlement/terms";
import type { Iso20022Error } from "./errors";
import type { MappingConfig } from "./mapping";
import { adviceOf, buildSese024, rejectionOf, type AdviceStatus } from "./sese024";
import { buildSese025 } from "./sese025";

/** A settlement record or event: the instruction it came from, its terms and the state it reached. */
export interface SettlementStateChange {
  /** `TxId` of the sese.023 that instructed or affirmed it. */
  instructionId: string;
  settlementId: bigint;
  terms: SettlementTerms;
  /** `None`: the instruction was accepted and is not on chain yet. */
  state: StatusName;
  /** The day the state was reached (ISO date): the effective settlement date of a confirmation. */
  on: string;
  /** The intended settlement date of the instruction, when known. */
  settlementDate?: string;
}

export type SeseMessage =
  { message: "sese.024"; status: AdviceStatus; matched?: boolean; xml: string } | { message: "sese.025"; xml: string };

/** The sese.024 or sese.025 for `change`, read through `mapping` (the mapping that read the instruction). */
export function seseStatusFor(change: SettlementStateChange, mapping: MappingConfig): SeseMessage {
  const { instructionId, settlementId: id, terms, state } = change;
  if (state === "Settled" || state === "Final") {
    const xml = buildSese025({
      instructionId,
      settlementId: id,
      terms,
      state,
      settledOn: change.on,
      mapping,
      ...(change.settlementDate === undefined ? {} : { settlementDate: change.settlementDate }),
    });
    return { message: "sese.025", xml };
  }
  const status: AdviceStatus = state === "None" ? { kind: "accepted" } : adviceOf(state);
  const matched = state === "Affirmed" ? true : state === "Instructed" ? false : undefined;
  const settlement = { id, terms, mapping };
  const xml = buildSese024({ instructionId, status, settlement, ...(matched === undefined ? {} : { matched }) });
  return { message: "sese.024", status, ...(matched === undefined ? {} : { matched }), xml };
}

/** The sese.024 rejecting a refused instruction (`instructionId` is its `TxId`, or what the sender can match). */
export function seseRejectionFor(instructionId: string, error: Iso20022Error): SeseMessage {
  const status = rejectionOf(error);
  return { message: "sese.024", status, xml: buildSese024({ instructionId, status }) };
}
