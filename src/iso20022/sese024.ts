/**
 * `sese.024.001.09` (SecuritiesSettlementTransactionStatusAdvice) out: the status of an instruction quoted by
 * its `TxId`: accepted, pending settlement with a reason code, or rejected with a reason code and text. A
 * refused sese.023 is answered with `rejectionOf(error)`, whose reason code follows the element that failed.
 */
import type { SettlementTerms, StatusName } from "../settlement/terms";
import { type Iso20022Error, Iso20022MessageError } from "./errors";
import type { MappingConfig } from "./mapping";
import { buildDocument, messageView, settlementIdData } from "./outbound";

export const SESE024_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:sese.024.001.09";

/** The status reported: reason codes are four capital letters (ISO 20022 external code sets). */
export type AdviceStatus =
  { kind: "accepted" } | { kind: "pending"; reason: string } | { kind: "rejected"; reason: string; text?: string };

export interface StatusAdviceInput {
  /** `TxId` of the sese.023 this advice answers. */
  instructionId: string;
  status: AdviceStatus;
  /** Whether the counterparty's instruction matched (affirmed) this one: `MtchgSts` Mtchd or Umtchd. */
  matched?: boolean;
  /** The settlement, once one exists (a rejected message has none). */
  settlement?: { id: bigint; terms: SettlementTerms; mapping: MappingConfig };
}

/**
 * The advice for a settlement in engine state `state`: Instructed is pending the counterparty's affirmation
 * (CMIS), Affirmed is pending settlement (FUTU), an ended settlement is rejected. Settled and Final are
 * confirmed with sese.025 instead and are refused here.
 */
export function adviceOf(state: StatusName): AdviceStatus {
  if (state === "Instructed") return { kind: "pending", reason: "CMIS" };
  if (state === "Affirmed") return { kind: "pending", reason: "FUTU" };
  if (state === "Settled" || state === "Final" || state === "None") {
    throw new Iso20022MessageError("ISO20022_UNSUPPORTED", "state", `a settlement ${state} has no status advice`);
  }
  return { kind: "rejected", reason: "OTHR", text: `settlement ${state}` };
}

/** Reason codes of a refused element, by the first element of its path that has one. */
const REJECTION_CODES: readonly [string, string][] = [
  ["SfkpgAcct", "SAFE"],
  ["FinInstrmId", "DSEC"],
  ["SttlmDt", "DDAT"],
  ["TradDt", "DTRD"],
  ["SttlmQty", "DQUA"],
  ["SttlmAmt", "DMON"],
];

/** The rejection of a refused instruction: a reason code after the element, the refusal as text. */
export function rejectionOf(error: Iso20022Error): AdviceStatus {
  const element = typeof error.details.element === "string" ? error.details.element : "";
  const code = REJECTION_CODES.find(([name]) => element.split("/").includes(name))?.[1] ?? "OTHR";
  return { kind: "rejected", reason: code, text: error.message.slice(0, 210) };
}

/** The sese.024 XML of `input`. */
export function buildSese024(input: StatusAdviceInput): string {
  const { status } = input;
  for (const reason of "reason" in status ? [status.reason] : []) {
    if (!/^[A-Z0-9]{4}$/.test(reason)) {
      throw new Iso20022MessageError("ISO20022_ELEMENT_INVALID", "status.reason", "not a four-character code");
    }
  }
  const reason = (r: { reason: string; text?: string }) => ({
    Rsn: { Cd: { Cd: r.reason }, ...(r.text === undefined ? {} : { AddtlRsnInf: r.text.slice(0, 210) }) },
  });
  const processing = status.kind === "rejected" ? { Rjctd: reason(status) } : { AckdAccptd: { NoSpcfdRsn: "NORE" } };
  const body: Record<string, unknown> = { TxId: { AcctOwnrTxId: input.instructionId }, PrcgSts: processing };
  if (input.matched !== undefined) {
    body.MtchgSts = input.matched ? { Mtchd: { NoSpcfdRsn: "NORE" } } : { Umtchd: { NoSpcfdRsn: "NORE" } };
  }
  if (status.kind === "pending") body.SttlmSts = { Pdg: reason(status) };
  const s = input.settlement;
  if (s !== undefined) {
    const view = messageView(s.terms, s.mapping);
    body.TxDtls = {
      TradId: view.tradeRef,
      FinInstrmId: { ISIN: view.isin },
      SttlmQty: { Qty: { [view.quantityType]: view.quantity } },
      SfkpgAcct: { Id: view.safekeepingAccount },
      ...(view.amount === undefined
        ? {}
        : {
            SttlmAmt: {
              Amt: { "#text": view.amount.value, "@Ccy": view.amount.currency },
              CdtDbtInd: view.amount.direction,
            },
          }),
      SctiesMvmntTp: view.movement,
      Pmt: view.payment,
    };
    Object.assign(body, settlementIdData(s.id));
  }
  return buildDocument(SESE024_NAMESPACE, "SctiesSttlmTxStsAdvc", body);
}
