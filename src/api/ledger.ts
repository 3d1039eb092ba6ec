/**
 * What the API reads from the chain and the audit log to answer in human terms: the configured tokens with
 * their decimals (read once from each token), member bank names by account, settlement terms from an
 * instruction body and back, and a settlement's status with its timeline (the engine's events for the id, and
 * the bank's audit records whose subject is the id or one of its legs).
 */
import { encodeBytes32String, decodeBytes32String, getAddress, isAddress, type Provider } from "ethers";
import { Consortium__factory, PermissionedToken__factory, SettlementEngine__factory } from "../../typechain-types";
import type { SettlementEngine } from "../../typechain-types";
import { formatAmount, parseAmount } from "../config";
import type { Participant } from "../participant";
import {
  describeSettlement,
  findInstruction,
  formatSettlementId,
  KIND_NAMES,
  statusName,
  type SettlementTerms,
} from "../settlement";
import { ApiRequestInvalidError } from "./errors";
import type { InstructBody } from "./schemas";

export interface TokenInfo {
  symbol: string;
  address: string;
  decimals: number;
}

/** One step of a settlement's history: a chain event or an audit record of this bank. */
export interface TimelineItem {
  source: "chain" | "audit";
  event: string;
  at: string;
  blockNumber?: number;
  transactionHash?: string;
  seq?: number;
  details: Record<string, unknown>;
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

export class ApiLedger {
  readonly engine: SettlementEngine;
  readonly #participant: Participant;
  readonly #provider: Provider;
  readonly #tokens = new Map<string, Promise<TokenInfo>>();
  readonly #banks = new Map<string, Promise<string | null>>();
  #members: Promise<Map<string, string>> | undefined;

  constructor(participant: Participant) {
    this.#participant = participant;
    this.#provider = participant.provider;
    this.engine = SettlementEngine__factory.connect(participant.config.consortium.engine, participant.provider);
  }

  get fromBlock(): number {
    return this.#participant.config.consortium.fromBlock ?? 0;
  }

  /** A configured token by symbol or address; undefined when the bank has no such token. */
  token(ref: string): Promise<TokenInfo> | undefined {
    const configured = this.#participant.config.consortium.tokens.find(
      (t) => t.symbol === ref || (isAddress(ref) && getAddress(t.address) === getAddress(ref)),
    );
    if (configured === undefined) return undefined;
    const address = getAddress(configured.address);
    let info = this.#tokens.get(address);
    if (info === undefined) {
      info = PermissionedToken__factory.connect(address, this.#provider)
        .decimals()
        .then((d) => ({ symbol: configured.symbol, address, decimals: Number(d) }));
      this.#tokens.set(address, info);
      info.catch(() => this.#tokens.delete(address));
    }
    return info;
  }

  /** The member bank that holds `account` (its name), or null when the consortium does not know it. */
  bankOf(account: string): Promise<string | null> {
    const key = getAddress(account);
    let hit = this.#banks.get(key);
    if (hit === undefined) {
      const registry = Consortium__factory.connect(this.#participant.config.consortium.consortium, this.#provider);
      hit = registry.accountMember(key).then(async (id) => (id === 0n ? null : (await registry.member(id)).name));
      this.#banks.set(key, hit);
      hit.catch(() => this.#banks.delete(key));
    }
    return hit;
  }

  /** The name of the member bank with `lei`, or null when no member has it (members read once). */
  async bankByLei(lei: string): Promise<string | null> {
    if (this.#members === undefined) {
      const registry = Consortium__factory.connect(this.#participant.config.consortium.consortium, this.#provider);
      this.#members = registry.memberIdCount().then(async (count) => {
        const members = new Map<string, string>();
        for (let id = 1; id <= Number(count); id++) {
          const m = await registry.member(id);
          members.set(m.lei, m.name);
        }
        return members;
      });
      this.#members.catch(() => (this.#members = undefined));
    }
    return (await this.#members).get(lei) ?? null;
  }

  /** The settlement terms an instruction body names; every wrong field is named in one 400. */
  async toTerms(body: InstructBody): Promise<SettlementTerms> {
    const issues: { path: string; message: string }[] = [];
    const asset = await this.token(body.asset);
    if (asset === undefined) issues.push({ path: "asset", message: `no configured token ${body.asset}` });
    const dvp = body.kind === "DvP";
    let cash: TokenInfo | undefined;
    if (dvp) {
      if (body.cash === undefined) issues.push({ path: "cash", message: "a DvP needs a cash token" });
      else {
        cash = await this.token(body.cash);
        if (cash === undefined) issues.push({ path: "cash", message: `no configured token ${body.cash}` });
      }
      if (body.cashAmount === undefined) issues.push({ path: "cashAmount", message: "a DvP needs a cash amount" });
    } else if (body.cash !== undefined || body.cashAmount !== undefined) {
      issues.push({ path: body.cash !== undefined ? "cash" : "cashAmount", message: "a FoP has no cash leg" });
    }
    const amount = (path: string, text: string | undefined, token: TokenInfo | undefined): bigint => {
      if (text === undefined || token === undefined) return 0n;
      const value = parseAmount(text, token.decimals);
      if (value === undefined) {
        issues.push({ path, message: `${token.symbol} has at most ${token.decimals} decimals` });
        return 0n;
      }
      if (value === 0n) issues.push({ path, message: "must be above zero" });
      return value;
    };
    const assetAmount = amount("assetAmount", body.assetAmount, asset);
    const cashAmount = amount("cashAmount", body.cashAmount, cash);
    if (body.seller === body.buyer) issues.push({ path: "buyer", message: "seller and buyer are the same account" });
    if (issues.length > 0) throw new ApiRequestInvalidError("body", issues);
    return {
      tradeRef: encodeBytes32String(body.tradeRef),
      kind: dvp ? 0 : 1,
      seller: body.seller,
      buyer: body.buyer,
      asset: asset!.address,
      assetAmount,
      cash: dvp ? cash!.address : "0x0000000000000000000000000000000000000000",
      cashAmount,
    };
  }

  /** The terms of settlement `id`, from its instruction event (SETTLEMENT_NOT_FOUND when there is none). */
  async terms(id: string): Promise<SettlementTerms> {
    return (await findInstruction(this.engine, BigInt(id), this.fromBlock)).terms;
  }

  /** The settlement as the API shows it, with its timeline when asked. */
  async settlement(id: string, withTimeline: boolean) {
    const view = await describeSettlement(this.engine, BigInt(id), this.fromBlock);
    const block = await this.#provider.getBlock(view.instruction.blockNumber);
    const summary = await this.#summary(id, view.status, view.instruction.terms, {
      instructedAt: block?.timestamp ?? 0,
      affirmDeadline: view.record.affirmDeadline,
      finalAt: view.record.finalAt,
      policyVersion: Number(view.record.policyVersion),
    });
    if (!withTimeline) return { ...summary, timeline: [] };
    const chain: TimelineItem[] = view.timeline.map((e) => ({
      source: "chain" as const,
      event: e.event,
      at: iso(e.timestamp),
      blockNumber: e.blockNumber,
      transactionHash: e.transactionHash,
      details: e.args,
    }));
    const records: { item: TimelineItem; txHash?: string }[] = [];
    for await (const r of this.#participant.auditRecords()) {
      if (r.subject === null || !r.subject.startsWith(id)) continue;
      const payload = (r.payload ?? {}) as Record<string, unknown>;
      const event = typeof payload.outcome === "string" ? `${r.kind}:${payload.outcome}` : r.kind;
      const item: TimelineItem = {
        source: "audit",
        event,
        at: r.at,
        seq: r.seq,
        details: { subject: r.subject, ...brief(payload) },
      };
      records.push({ item, txHash: r.kind === "signature" ? String(payload.txHash) : undefined });
    }
    // The bank's records in log order, the chain's events in chain order: the events of the bank's own
    // transactions follow its signature of them, the others' come before the bank's next record. The two clocks
    // differ (block time against the bank's wall clock), so the order is causal, never by time.
    const own = new Set(records.flatMap((r) => (r.txHash === undefined ? [] : [r.txHash])));
    const timeline: TimelineItem[] = [];
    const pending = [...chain];
    const flushOthers = (): void => {
      while (pending.length > 0 && !own.has(pending[0].transactionHash!)) timeline.push(pending.shift()!);
    };
    for (const r of records) {
      flushOthers();
      timeline.push(r.item);
      if (r.txHash === undefined) continue;
      while (pending.length > 0 && pending[0].transactionHash === r.txHash) timeline.push(pending.shift()!);
    }
    timeline.push(...pending);
    return { ...summary, timeline };
  }

  /**
   * The bank's settlements (it is seller or buyer), newest first, from the engine's instruction events since the
   * deployment block, filtered by status, counterparty account and instruction time.
   */
  async list(filter: { status?: string; counterparty?: string; from?: Date; to?: Date; limit: number }) {
    const own = new Set(
      [this.#participant.address, ...this.#participant.config.bank.accounts].map((a) => getAddress(a)),
    );
    const events = await this.engine.queryFilter(this.engine.filters.SettlementInstructed(), this.fromBlock, "latest");
    const found = [];
    for (const event of [...events].reverse()) {
      if (found.length >= filter.limit) break;
      const t = event.args.terms;
      const seller = getAddress(t.seller);
      const buyer = getAddress(t.buyer);
      if (!own.has(seller) && !own.has(buyer)) continue;
      if (filter.counterparty !== undefined && ![seller, buyer].includes(filter.counterparty)) continue;
      const block = await this.#provider.getBlock(event.blockNumber);
      const at = block?.timestamp ?? 0;
      if (filter.from !== undefined && at * 1000 < filter.from.getTime()) continue;
      if (filter.to !== undefined && at * 1000 > filter.to.getTime()) continue;
      const id = formatSettlementId(event.args.id);
      const [status, record] = await Promise.all([this.engine.statusOf(id), this.engine.record(id)]);
      if (filter.status !== undefined && statusName(status) !== filter.status) continue;
      const terms: SettlementTerms = {
        tradeRef: t.tradeRef,
        kind: Number(t.kind),
        seller,
        buyer,
        asset: t.asset,
        assetAmount: t.assetAmount,
        cash: t.cash,
        cashAmount: t.cashAmount,
      };
      found.push(
        await this.#summary(id, statusName(status), terms, {
          instructedAt: at,
          affirmDeadline: Number(record.affirmDeadline),
          finalAt: Number(record.finalAt),
          policyVersion: Number(record.policyVersion),
        }),
      );
    }
    return found;
  }

  /** Terms in human units with token symbols and decimals. */
  async termsView(terms: SettlementTerms) {
    const asset = (await this.token(terms.asset)) ?? { symbol: "?", address: getAddress(terms.asset), decimals: 0 };
    const cash = terms.kind === 0 ? ((await this.token(terms.cash)) ?? null) : null;
    return {
      tradeRef: safeRef(terms.tradeRef),
      kind: KIND_NAMES[terms.kind] ?? "DvP",
      seller: getAddress(terms.seller),
      buyer: getAddress(terms.buyer),
      asset,
      assetAmount: fixedAmount(terms.assetAmount, asset.decimals),
      cash,
      cashAmount: cash === null ? "0" : fixedAmount(terms.cashAmount, cash.decimals),
    };
  }

  async #summary(
    id: string,
    status: string,
    terms: SettlementTerms,
    times: { instructedAt: number; affirmDeadline: number; finalAt: number; policyVersion: number },
  ) {
    return {
      id,
      status,
      terms: await this.termsView(terms),
      seller: { address: getAddress(terms.seller), bank: await this.bankOf(terms.seller) },
      buyer: { address: getAddress(terms.buyer), bank: await this.bankOf(terms.buyer) },
      instructedAt: iso(times.instructedAt),
      affirmDeadline: iso(times.affirmDeadline),
      finalAt: times.finalAt === 0 ? null : iso(times.finalAt),
      policyVersion: times.policyVersion,
    };
  }
}

/** A base-unit amount in human units with every decimal shown: "1010.00" for 101000n at 2 decimals. */
export function fixedAmount(amount: bigint, decimals: number): string {
  const [whole, fraction = ""] = formatAmount(amount, decimals).split(".");
  return decimals === 0 ? whole : `${whole}.${fraction.padEnd(decimals, "0")}`;
}

/** The trade reference as text, or its hex when it is not a short string. */
function safeRef(tradeRef: string): string {
  try {
    return decodeBytes32String(tradeRef);
  } catch {
    return tradeRef;
  }
}

/** The parts of an audit payload a timeline shows (the step, outcome, reasons, who asked, the transaction). */
function brief(payload: Record<string, unknown>): Record<string, unknown> {
  const keep = ["stage", "step", "action", "outcome", "reasons", "event", "txHash", "nonce", "policyVersion", "reason"];
  const out: Record<string, unknown> = {};
  for (const key of keep) if (payload[key] !== undefined) out[key] = payload[key];
  const intent = payload.intent as { initiator?: unknown; action?: unknown } | undefined;
  if (intent?.initiator !== undefined) out.initiator = intent.initiator;
  if (intent?.action !== undefined && out.action === undefined) out.action = intent.action;
  return out;
}
