/**
 * `sese.025.001.09` (SecuritiesSettlementTransactionConfirmation) out: a settled settlement confirmed against
 * the instruction's `TxId`, with the intended and effective settlement dates, the settled quantity and, for
 * delivery versus payment, the settled amount. Only Settled and Final settlements are confirmed.
 */
import type { SettlementTerms, StatusName } from "../settlement/terms";
import { Iso20022MessageError } from "./errors";
import type { MappingConfig } from "./mapping";
import { buildDocument, dateElement, messageView, settlementIdData, settlementParties } from "./outbound";
import { isIsoDate } from "./values";

export const SESE025_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:sese.025.001.09";

export interface ConfirmationInput {
  /** `TxId` of the sese.023 this confirms. */
  instructionId: string;
  settlementId: bigint;
  terms: SettlementTerms;
  state: StatusName;
  /** The day the settlement was settled on chain (ISO date). */
  settledOn: string;
  /** The intended settlement date of the instruction, when known. */
  settlementDate?: string;
  mapping: MappingConfig;
}

/** The sese.025 XML confirming a Settled or Final settlement; refuses any other state. */
export function buildSese025(input: ConfirmationInput): string {
  if (input.state !== "Settled" && input.state !== "Final") {
    throw new Iso20022MessageError("ISO20022_UNSUPPORTED", "state", `a settlement ${input.state} is not settled`);
  }
  for (const [field, date] of [
    ["settledOn", input.settledOn],
    ["settlementDate", input.settlementDate],
  ] as const) {
    if (date !== undefined && !isIsoDate(date)) {
      throw new Iso20022MessageError("ISO20022_ELEMENT_INVALID", field, "not an ISO date (YYYY-MM-DD)");
    }
  }
  const view = messageView(input.terms, input.mapping);
  const body: Record<string, unknown> = {
    TxIdDtls: { AcctOwnrTxId: input.instructionId, SctiesMvmntTp: view.movement, Pmt: view.payment },
    TradDtls: {
      TradId: view.tradeRef,
      SttlmDt: dateElement(input.settlementDate ?? input.settledOn),
      EfctvSttlmDt: dateElement(input.settledOn),
    },
    FinInstrmId: { ISIN: view.isin },
    QtyAndAcctDtls: {
      SttldQty: { Qty: { [view.quantityType]: view.quantity } },
      SfkpgAcct: { Id: view.safekeepingAccount },
    },
    ...settlementParties(view),
    ...(view.amount === undefined
      ? {}
      : {
          SttldAmt: {
            Amt: { "#text": view.amount.value, "@Ccy": view.amount.currency },
            CdtDbtInd: view.amount.direction,
          },
        }),
    ...settlementIdData(input.settlementId),
  };
  return buildDocument(SESE025_NAMESPACE, "SctiesSttlmTxConf", body);
}
