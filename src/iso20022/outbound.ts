/**
 * What the outgoing messages (sese.024, sese.025) say about a settlement, read back from its terms through the
 * same `MappingConfig` that read the instruction: the movement seen from this bank, the ISIN and quantity, the
 * currency and amount, the safekeeping account and both parties. Terms the mapping cannot express are refused.
 */
import { decodeBytes32String, getAddress } from "ethers";
import { XMLBuilder } from "fast-xml-parser";
import { formatSettlementId, type SettlementTerms } from "../settlement/terms";
import { Iso20022MessageError } from "./errors";
import type { MappingConfig } from "./mapping";
import { fromBaseUnits, isLei } from "./values";

/** A settlement in the terms of an ISO 20022 message. */
export interface MessageView {
  tradeRef: string;
  movement: "RECE" | "DELI";
  payment: "APMT" | "FREE";
  isin: string;
  quantityType: "Unit" | "FaceAmt";
  quantity: string;
  safekeepingAccount: string;
  bankId: string;
  counterpartyId: string;
  amount?: { currency: string; value: string; direction: "CRDT" | "DBIT" };
}

/** Reads `terms` back into message values; throws `ISO20022_UNMAPPED` naming the terms field it cannot map. */
export function messageView(terms: SettlementTerms, mapping: MappingConfig): MessageView {
  const accounts = Object.entries(mapping.bank.accounts);
  const buyer = accounts.find(([, a]) => a === getAddress(terms.buyer));
  const seller = accounts.find(([, a]) => a === getAddress(terms.seller));
  const own = buyer ?? seller;
  if (own === undefined || (buyer !== undefined && seller !== undefined)) {
    throw unmapped("terms.buyer", "exactly one side of the terms must be an account of this bank");
  }
  const movement = buyer !== undefined ? "RECE" : "DELI";
  const other = getAddress(movement === "RECE" ? terms.seller : terms.buyer);
  const counterparty = mapping.counterparties.find((c) => c.account === other);
  if (counterparty === undefined) throw unmapped(movement === "RECE" ? "terms.seller" : "terms.buyer", other);
  const security = mapping.securities.find((s) => s.token === getAddress(terms.asset));
  if (security === undefined) throw unmapped("terms.asset", terms.asset);
  const view: MessageView = {
    tradeRef: decodeBytes32String(terms.tradeRef),
    movement,
    payment: terms.kind === 0 ? "APMT" : "FREE",
    isin: security.isin,
    quantityType: security.quantity,
    quantity: fromBaseUnits(terms.assetAmount, security.decimals),
    safekeepingAccount: own[0],
    bankId: mapping.bank.ids[0],
    counterpartyId: counterparty.ids[0],
  };
  if (terms.kind !== 0) return view;
  const currency = mapping.currencies.find((c) => c.token === getAddress(terms.cash));
  if (currency === undefined) throw unmapped("terms.cash", terms.cash);
  const direction = movement === "RECE" ? "DBIT" : "CRDT";
  return {
    ...view,
    amount: { currency: currency.code, value: fromBaseUnits(terms.cashAmount, currency.decimals), direction },
  };
}

/** A party element: `Id/AnyBIC` for a BIC, `LEI` for an LEI. */
export function partyElement(id: string): Record<string, unknown> {
  return isLei(id) ? { LEI: id } : { Id: { AnyBIC: id } };
}

/** The delivering and receiving parties, seen from this bank's movement. */
export function settlementParties(view: MessageView): Record<string, unknown> {
  const [delivering, receiving] =
    view.movement === "RECE" ? [view.counterpartyId, view.bankId] : [view.bankId, view.counterpartyId];
  return {
    DlvrgSttlmPties: { Pty1: partyElement(delivering) },
    RcvgSttlmPties: { Pty1: partyElement(receiving) },
  };
}

/** The settlement engine's id of the settlement, as supplementary data (it is longer than any Max35Text). */
export function settlementIdData(settlementId: bigint): Record<string, unknown> {
  return { SplmtryData: { PlcAndNm: "SettlementEngine", Envlp: { SttlmId: formatSettlementId(settlementId) } } };
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@", format: true });

/** A complete document in `namespace` with `body` under element `root`. */
export function buildDocument(namespace: string, root: string, body: Record<string, unknown>): string {
  const document = {
    "?xml": { "@version": "1.0", "@encoding": "UTF-8" },
    Document: { "@xmlns": namespace, [root]: body },
  };
  return builder.build(document);
}

/** `Dt/Dt` of an ISO date. */
export function dateElement(date: string): Record<string, unknown> {
  return { Dt: { Dt: date } };
}

function unmapped(field: string, reason: string): Iso20022MessageError {
  return new Iso20022MessageError("ISO20022_UNMAPPED", field, `not in the mapping: ${reason}`);
}
