/**
 * Settlement terms as operators type and read them: flags in human units become the engine's `Terms`, and
 * terms read back with token symbols, grouped amounts and the banks behind the accounts.
 */
import { decodeBytes32String, encodeBytes32String, isHexString, toUtf8Bytes, ZeroAddress } from "ethers";
import { formatAmount, parseAmount } from "../config";
import { ErrorCode, TaskInputError } from "../errors";
import { formatSettlementId, KIND_NAMES, type SettlementTerms } from "../settlement";
import { resolveToken, type TaskContext } from "./context";
import { listMembers, memberLabel, resolveAccount } from "./members";

/** Flags of `settlement:instruct`. */
export interface TermsFlags {
  tradeRef: string;
  kind: string;
  seller: string;
  buyer: string;
  asset: string;
  assetAmount: string;
  cash?: string;
  cashAmount?: string;
}

function invalid(flag: string, value: string, why: string): TaskInputError {
  return new TaskInputError(ErrorCode.InputInvalid, `${flag} ${value}: ${why}`, { details: { flag, value } });
}

/** A trade reference: 0x and 64 hex digits as is, or text of up to 31 bytes stored as a bytes32 string. */
export function parseTradeRef(value: string): string {
  if (isHexString(value, 32)) return value;
  if (value.length === 0 || toUtf8Bytes(value).length > 31) {
    throw invalid("--trade-ref", value, "give text of 1 to 31 bytes, or 0x and 64 hex digits");
  }
  return encodeBytes32String(value);
}

/** The text of a trade reference stored as a bytes32 string, or its hex. */
export function tradeRefText(tradeRef: string): string {
  try {
    const text = decodeBytes32String(tradeRef);
    return /^[\x20-\x7e]+$/.test(text) ? text : tradeRef;
  } catch {
    return tradeRef;
  }
}

/** A settlement id given as 0x hex (as printed) or in decimal. */
export function parseSettlementId(value: string): bigint {
  if (/^0x[0-9a-fA-F]{1,64}$/.test(value) || /^\d{1,78}$/.test(value)) return BigInt(value);
  throw invalid("--id", value, "not a settlement id (0x and up to 64 hex digits)");
}

async function amount(ctx: TaskContext, tokenRef: string, value: string, flags: [string, string]) {
  const token = await resolveToken(ctx, tokenRef, flags[0]);
  const parsed = parseAmount(value, token.decimals);
  if (parsed === undefined || parsed === 0n) {
    throw invalid(flags[1], value, `not a positive amount of ${token.symbol} (${token.decimals} decimals)`);
  }
  return { address: token.address, amount: parsed };
}

/** Builds the engine's terms from `settlement:instruct` flags (amounts in the tokens' human units). */
export async function parseTermsFlags(ctx: TaskContext, flags: TermsFlags): Promise<SettlementTerms> {
  const kind = KIND_NAMES.findIndex((k) => k.toLowerCase() === flags.kind.toLowerCase());
  if (kind < 0) throw invalid("--kind", flags.kind, "not dvp or fop");
  const asset = await amount(ctx, flags.asset, flags.assetAmount, ["--asset", "--asset-amount"]);
  let cash = { address: ZeroAddress, amount: 0n };
  if (kind === 0) {
    if (flags.cash === undefined || flags.cashAmount === undefined) {
      throw new TaskInputError(ErrorCode.InputMissing, "--kind dvp needs --cash and --cash-amount", {
        details: { kind: flags.kind },
      });
    }
    cash = await amount(ctx, flags.cash, flags.cashAmount, ["--cash", "--cash-amount"]);
  } else if (flags.cash !== undefined || flags.cashAmount !== undefined) {
    throw invalid("--cash", flags.cash ?? flags.cashAmount ?? "", "a free-of-payment settlement has no cash leg");
  }
  return {
    tradeRef: parseTradeRef(flags.tradeRef),
    kind,
    seller: await resolveAccount(ctx, flags.seller, "--seller"),
    buyer: await resolveAccount(ctx, flags.buyer, "--buyer"),
    asset: asset.address,
    assetAmount: asset.amount,
    cash: cash.address,
    cashAmount: cash.amount,
  };
}

/** Terms as operators read them, JSON-friendly. */
export interface TermsView {
  id: string;
  tradeRef: string;
  kind: string;
  seller: { account: string; member: string };
  buyer: { account: string; member: string };
  asset: { token: string; symbol: string; amount: string };
  cash: { token: string; symbol: string; amount: string } | null;
}

export async function viewTerms(ctx: TaskContext, id: bigint, terms: SettlementTerms): Promise<TermsView> {
  const members = await listMembers(ctx);
  const party = async (account: string) => ({
    account,
    member: memberLabel(members, await ctx.consortium.accountMember(account)),
  });
  const leg = async (address: string, value: bigint) => {
    const token = await resolveToken(ctx, address, "token");
    return { token: address, symbol: token.symbol, amount: formatAmount(value, token.decimals, { grouped: true }) };
  };
  return {
    id: formatSettlementId(id),
    tradeRef: tradeRefText(terms.tradeRef),
    kind: KIND_NAMES[terms.kind] ?? String(terms.kind),
    seller: await party(terms.seller),
    buyer: await party(terms.buyer),
    asset: await leg(terms.asset, terms.assetAmount),
    cash: terms.kind === 0 ? await leg(terms.cash, terms.cashAmount) : null,
  };
}

/** Two lines: who delivers what, who pays what. */
export function termsLines(view: TermsView): string[] {
  const pays = view.cash === null ? "pays nothing (free of payment)" : `pays ${view.cash.amount} ${view.cash.symbol}`;
  return [
    `seller ${view.seller.member} (${view.seller.account}) delivers ${view.asset.amount} ${view.asset.symbol}`,
    `buyer  ${view.buyer.member} (${view.buyer.account}) ${pays}`,
  ];
}
