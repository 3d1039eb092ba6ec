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
  return new TaskInputError(ErrorCode.InputInvalid, `${flag} ${value}: ${why}`, { flag, value });
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

/**
 * A settlement id exactly as printed: 0x and 64 hex digits. Anything shorter is refused rather than padded, since
 * a truncated id copied from a log would otherwise name another settlement.
 */
export function parseSettlementId(value: string): bigint {
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) return BigInt(value);
  const digits = /^0x[0-9a-fA-F]*$/.test(value) ? value.length - 2 : undefined;
  const why =
    digits !== undefined && digits < 64
      ? `a settlement id has 64 hex digits after 0x, this one ${digits} (truncated?)`
      : "not a settlement id (0x and 64 hex digits, as settlement:instruct prints it)";
  throw invalid("--id", value, why);
}

/** Why `value` is not an amount of a token with `decimals` decimals, in the operator's terms. */
function amountProblem(value: string, symbol: string, decimals: number): string {
  const text = value.replace(/_/g, "");
  if (!/^\d+(\.\d+)?$/.test(text)) return `not a plain decimal number (for example 1000 or 1000.50)`;
  const digits = (text.split(".")[1] ?? "").replace(/0+$/, "").length;
  const allowed = decimals === 0 ? "whole units only" : `at most ${decimals} decimal${decimals === 1 ? "" : "s"}`;
  return `${symbol} has ${allowed}; this amount has ${digits}`;
}

async function amount(ctx: TaskContext, tokenRef: string, value: string, flags: [string, string]) {
  const token = await resolveToken(ctx, tokenRef, flags[0]);
  const parsed = parseAmount(value, token.decimals);
  if (parsed === undefined) throw invalid(flags[1], value, amountProblem(value, token.symbol, token.decimals));
  if (parsed === 0n) throw invalid(flags[1], value, `an amount of ${token.symbol} must be above zero`);
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
        kind: flags.kind,
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
