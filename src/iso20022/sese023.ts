/**
 * `sese.023.001.09` (SecuritiesSettlementTransactionInstruction) in: delivery versus payment (`Pmt` APMT with a
 * settlement amount) and free of payment (`Pmt` FREE), receive (RECE: the bank buys) or deliver (DELI: the bank
 * sells), read into the engine's `SettlementTerms` through a `MappingConfig`. Every refusal is an
 * `Iso20022MessageError` naming the element; the result is whole or there is none.
 */
import { encodeBytes32String, toUtf8Bytes, ZeroAddress } from "ethers";
import type { SettlementTerms } from "../settlement/terms";
import { Iso20022MessageError } from "./errors";
import type { MappingConfig } from "./mapping";
import { readDocument, type XmlElement } from "./xml";
import { isBic, isIsin, isIsoDate, isLei, partyKey, toBaseUnits } from "./values";

export const SESE023_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:sese.023.001.09";
const ROOT = "SctiesSttlmTxInstr";

/** The instruction as the message states it (texts as written), beside the terms it maps to. */
export interface Sese023Instruction {
  /** `TxId`: the account owner's reference, quoted back in sese.024 and sese.025. */
  transactionId: string;
  movement: "RECE" | "DELI";
  payment: "APMT" | "FREE";
  /** `SttlmTpAndAddtlParams/CmonId`, else `TradDtls/TradId`: the reference both parties agreed. */
  tradeRef: string;
  tradeDate?: string;
  settlementDate: string;
  isin: string;
  quantity: string;
  safekeepingAccount: string;
  /** The other party: its member and the identifier (BIC11 or LEI) that named it. */
  counterparty: { member: string; id: string };
  settlementAmount?: { currency: string; amount: string };
}

export interface MappedInstruction {
  instruction: Sese023Instruction;
  terms: SettlementTerms;
}

/** Reads a sese.023 message into terms with `mapping`; throws `Iso20022MessageError` on any refusal. */
export function readSese023(xml: string, mapping: MappingConfig): MappedInstruction {
  const document = readDocument(xml);
  if (document.namespace !== SESE023_NAMESPACE) {
    throw new Iso20022MessageError(
      "ISO20022_UNSUPPORTED",
      "Document",
      `namespace ${JSON.stringify(document.namespace)} is not ${SESE023_NAMESPACE}`,
    );
  }
  const tx = document.root.need(ROOT);
  const transactionId = boundedText(tx, "TxId", 35);
  const type = tx.need("SttlmTpAndAddtlParams");
  const movement = oneOf(type, "SctiesMvmntTp", ["RECE", "DELI"] as const);
  const payment = oneOf(type, "Pmt", ["APMT", "FREE"] as const);
  const trade = tx.need("TradDtls");
  const tradeRef = readTradeRef(type, trade);
  const tradeDate = trade.child("TradDt") === undefined ? undefined : readDate(trade.need("TradDt"));
  const settlementDate = readDate(trade.need("SttlmDt"));

  const isinAt = tx.need("FinInstrmId");
  const isin = isinAt.needText("ISIN");
  if (!isIsin(isin)) throw invalid(isinAt.pathOf("ISIN"), "not an ISIN with a valid check digit");
  const security = mapping.securities.find((s) => s.isin === isin);
  if (security === undefined) throw unmapped(isinAt.pathOf("ISIN"), `ISIN ${isin} is not in the mapping`);

  const holding = tx.need("QtyAndAcctDtls");
  const qty = holding.need("SttlmQty").need("Qty");
  const other = security.quantity === "Unit" ? "FaceAmt" : "Unit";
  if (qty.has(other)) throw invalid(qty.pathOf(other), `ISIN ${isin} is quantified by ${security.quantity}`);
  const quantity = qty.needText(security.quantity);
  const assetAmount = units(qty.pathOf(security.quantity), quantity, security.decimals);
  const safekeepingAccount = holding.need("SfkpgAcct").needText("Id");
  const ours = mapping.bank.accounts[safekeepingAccount];
  if (ours === undefined) {
    throw unmapped(holding.pathOf("SfkpgAcct/Id"), `safekeeping account ${safekeepingAccount} is not the bank's`);
  }

  const owner = tx.child("AcctOwnr");
  if (owner !== undefined && !partyIds(owner).some((p) => mapping.bank.ids.includes(p.key))) {
    throw unmapped(owner.path, "the account owner is not this bank");
  }
  const side = movement === "RECE" ? "DlvrgSttlmPties" : "RcvgSttlmPties";
  const counterparty = readCounterparty(tx.need(side).need("Pty1"), mapping);

  const cashAt = tx.child("SttlmAmt");
  let cash = { token: ZeroAddress, amount: 0n };
  let settlementAmount: Sese023Instruction["settlementAmount"];
  if (payment === "FREE") {
    if (cashAt !== undefined) throw invalid(cashAt.path, "a free-of-payment instruction has no settlement amount");
  } else {
    const amountAt = tx.need("SttlmAmt");
    const amount = amountAt.needText("Amt");
    const currency = amountAt.attribute("Amt", "Ccy");
    if (currency === undefined) throw missingAt(amountAt.pathOf("Amt/@Ccy"));
    const mapped = mapping.currencies.find((c) => c.code === currency);
    if (mapped === undefined) throw unmapped(amountAt.pathOf("Amt/@Ccy"), `currency ${currency} is not in the mapping`);
    const direction = oneOf(amountAt, "CdtDbtInd", ["CRDT", "DBIT"] as const);
    const expected = movement === "RECE" ? "DBIT" : "CRDT";
    if (direction !== expected) {
      throw invalid(amountAt.pathOf("CdtDbtInd"), `${movement} against payment is ${expected} for the account owner`);
    }
    cash = { token: mapped.token, amount: units(amountAt.pathOf("Amt"), amount, mapped.decimals) };
    settlementAmount = { currency, amount };
  }

  const [seller, buyer] = movement === "RECE" ? [counterparty.account, ours] : [ours, counterparty.account];
  const instruction: Sese023Instruction = {
    transactionId,
    movement,
    payment,
    tradeRef,
    ...(tradeDate === undefined ? {} : { tradeDate }),
    settlementDate,
    isin,
    quantity,
    safekeepingAccount,
    counterparty: { member: counterparty.member, id: counterparty.id },
    ...(settlementAmount === undefined ? {} : { settlementAmount }),
  };
  const terms: SettlementTerms = {
    tradeRef: encodeBytes32String(tradeRef),
    kind: payment === "APMT" ? 0 : 1,
    seller,
    buyer,
    asset: security.token,
    assetAmount,
    cash: cash.token,
    cashAmount: cash.amount,
  };
  return { instruction, terms };
}

function readTradeRef(type: XmlElement, trade: XmlElement): string {
  const [at, name] = type.has("CmonId") || !trade.has("TradId") ? [type, "CmonId"] : [trade, "TradId"];
  const ref = at.needText(name);
  if (toUtf8Bytes(ref).length > 31) throw invalid(at.pathOf(name), "longer than the 31 bytes of a trade reference");
  return ref;
}

/** A `TradDt` or `SttlmDt`: `Dt/Dt` with an ISODate. */
function readDate(at: XmlElement): string {
  const choice = at.need("Dt");
  const date = choice.needText("Dt");
  if (!isIsoDate(date)) throw invalid(choice.pathOf("Dt"), "not an ISO date (YYYY-MM-DD) of a real day");
  return date;
}

/** The BIC (`Id/AnyBIC`) and LEI of a party, each checked, with the key the mapping uses. */
function partyIds(party: XmlElement): { path: string; key: string }[] {
  const ids: { path: string; key: string }[] = [];
  const bic = party.child("Id")?.text("AnyBIC");
  if (bic !== undefined) {
    if (!isBic(bic)) throw invalid(party.pathOf("Id/AnyBIC"), "not a BIC");
    ids.push({ path: party.pathOf("Id/AnyBIC"), key: partyKey(bic)! });
  }
  const lei = party.text("LEI");
  if (lei !== undefined) {
    if (!isLei(lei)) throw invalid(party.pathOf("LEI"), "not an LEI with valid check digits");
    ids.push({ path: party.pathOf("LEI"), key: lei });
  }
  return ids;
}

/** The counterparty named by the other side's `Pty1`: every identifier the mapping knows must agree. */
function readCounterparty(party: XmlElement, mapping: MappingConfig) {
  const ids = partyIds(party);
  if (ids.length === 0) throw missingAt(party.pathOf("Id/AnyBIC"));
  if (ids.some((i) => mapping.bank.ids.includes(i.key))) throw invalid(party.path, "the counterparty is this bank");
  const known = ids.flatMap((i) => {
    const found = mapping.counterparties.find((c) => c.ids.includes(i.key));
    return found === undefined ? [] : [{ ...found, id: i.key, path: i.path }];
  });
  const first = known[0];
  if (first === undefined) throw unmapped(ids[0].path, `party ${ids[0].key} is not in the mapping`);
  const other = known.find((k) => k.member !== first.member);
  if (other !== undefined) throw invalid(other.path, `names ${other.member}, ${first.path} names ${first.member}`);
  return first;
}

function boundedText(at: XmlElement, name: string, max: number): string {
  const text = at.needText(name);
  if (text.length > max) throw invalid(at.pathOf(name), `longer than ${max} characters`);
  return text;
}

function oneOf<T extends string>(at: XmlElement, name: string, codes: readonly T[]): T {
  const code = at.needText(name);
  if (!(codes as readonly string[]).includes(code)) throw invalid(at.pathOf(name), `not one of ${codes.join(", ")}`);
  return code as T;
}

function units(path: string, text: string, decimals: number): bigint {
  const result = toBaseUnits(text, decimals);
  if ("problem" in result) throw invalid(path, result.problem);
  return result.units;
}

function invalid(path: string, reason: string): Iso20022MessageError {
  return new Iso20022MessageError("ISO20022_ELEMENT_INVALID", path, reason);
}

function unmapped(path: string, reason: string): Iso20022MessageError {
  return new Iso20022MessageError("ISO20022_UNMAPPED", path, reason);
}

function missingAt(path: string): Iso20022MessageError {
  return new Iso20022MessageError("ISO20022_ELEMENT_MISSING", path, "required element is missing");
}
