/**
 * One demo trade's evidence: its chain events, each transaction linked to the signature record in its sender's
 * audit log and the decision that record names (the readiness task's matching: same transaction hash, then
 * the same decision id); each bank's records about the trade with the chain time they are about; and what was
 * denied or refused, in words, with amounts, limits and counterparties.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { AuditRecord } from "../audit";
import { formatAmount } from "../config";
import { settlementTimeline, STATUS_NAMES, type TimelineEntry } from "../settlement";
import { obj, str } from "./readiness-checks";
import { chainErrorText, reasonText, recordText, statusText, stepText, type Vocabulary } from "./record-text";
import { cashText, statusOf, type DemoRun, type DemoTrade } from "./scenes";

/** One audit record as the report shows it. */
export interface AuditLine {
  seq: number;
  kind: string;
  /** When the bank wrote the record: its wall clock, ISO 8601 UTC. */
  at: string;
  /** Chain time the record is about (Unix seconds): when a policy decided, when a signed transaction was mined. */
  chainTime: number | null;
  summary: string;
  hash: string;
  /** For a signature record: the transaction it signed and the block it was mined in. */
  tx: { hash: string; blockNumber: number | null } | null;
}

/** One chain event of a trade, with the audit records behind its transaction. */
export interface ChainEvent extends Pick<TimelineEntry, "event" | "blockNumber" | "transactionHash" | "timestamp"> {
  /** The acting bank: the event's actor, or else the transaction's sender. */
  by: string;
  /** The sender's signature record of this transaction and the policy decision it names (null: none found). */
  signedIn: {
    bank: string;
    seq: number;
    decision: { seq: number; outcome: string; bundle: number | null } | null;
  } | null;
}

/** A step that did not happen, and why, in words. */
export interface Finding {
  kind: "denied" | "refused";
  bank: string;
  step: string;
  text: string;
  /** The deciding bank's audit record of a denial (none for a refusal: nothing was decided or signed). */
  record: number | null;
}

export interface TradeEvidence {
  ref: string;
  id: string;
  seller: string;
  buyer: string;
  bonds: string;
  cash: string;
  legs: string;
  status: string;
  statusText: string;
  notes: string[];
  findings: Finding[];
  timeline: ChainEvent[];
  audit: { bank: string; short: string; records: AuditLine[] }[];
}

/** What every trade's evidence is read from. */
export interface TradeSources {
  run: DemoRun;
  v: Vocabulary;
  /** Each bank's whole audit log, by bank name. */
  logs: ReadonlyMap<string, readonly AuditRecord[]>;
}

const decisionOf = (r: AuditRecord): { seq: number; outcome: string; bundle: number | null } => {
  const version = obj(obj(r.payload).policyVersion).version;
  return { seq: r.seq, outcome: str(obj(r.payload).outcome), bundle: typeof version === "number" ? version : null };
};

type Provider = HardhatRuntimeEnvironment["ethers"]["provider"];

/** Each transaction's sender and block, and each block's time, read once. */
class ChainReads {
  readonly #tx = new Map<string, { from: string; blockNumber: number | null }>();
  readonly #blocks = new Map<number, number>();
  constructor(private readonly provider: Provider) {}

  async tx(hash: string): Promise<{ from: string; blockNumber: number | null }> {
    const key = hash.toLowerCase();
    if (!this.#tx.has(key)) {
      const [tx, receipt] = [await this.provider.getTransaction(hash), await this.provider.getTransactionReceipt(hash)];
      this.#tx.set(key, { from: tx?.from ?? "", blockNumber: receipt?.blockNumber ?? null });
    }
    return this.#tx.get(key)!;
  }

  async blockTime(n: number): Promise<number> {
    if (!this.#blocks.has(n)) this.#blocks.set(n, (await this.provider.getBlock(n))?.timestamp ?? 0);
    return this.#blocks.get(n)!;
  }
}

/** The evidence of every demo trade, in the order they were made. */
export async function tradesEvidence(s: TradeSources): Promise<TradeEvidence[]> {
  const { run } = s;
  const engine = await run.hre.ethers.getContractAt("SettlementEngine", run.record.engine);
  const reads = new ChainReads(run.hre.ethers.provider);
  const refs = new Map(run.trades.map((t) => [t.id.toLowerCase(), t.ref]));
  const trades: TradeEvidence[] = [];
  for (const t of run.trades) {
    const entries = await settlementTimeline(engine, BigInt(t.id), run.record.blockNumber);
    const timeline: ChainEvent[] = [];
    for (const e of entries) timeline.push(chainEvent(s, e, (await reads.tx(e.transactionHash)).from));
    const status = await statusOf(run, t);
    const bonds = `${formatAmount(t.bonds, s.v.decimals.get("B30") ?? 0, { grouped: true })} B30`;
    trades.push({
      ref: t.ref,
      id: t.id,
      seller: t.seller.name,
      buyer: t.buyer.name,
      bonds,
      cash: cashText(t.cash),
      legs: `${bonds} against ${cashText(t.cash)}`,
      status,
      statusText: statusText(status),
      notes: t.notes,
      findings: findingsOf(s, t, refs),
      timeline,
      audit: await auditOf(s, t, reads),
    });
  }
  return trades;
}

const aboutTrade = (s: TradeSources, bank: string, t: DemoTrade): readonly AuditRecord[] =>
  (s.logs.get(bank) ?? []).filter(
    (r) => r.subject !== null && r.subject.toLowerCase().split("/")[0] === t.id.toLowerCase(),
  );

function chainEvent(s: TradeSources, e: TimelineEntry, from: string): ChainEvent {
  const sender = s.v.bank(from);
  const records = s.logs.get(sender) ?? [];
  const sig = records.find(
    (r) => r.kind === "signature" && str(obj(r.payload).txHash).toLowerCase() === e.transactionHash.toLowerCase(),
  );
  const decisionId = str(obj(sig?.payload).decisionId);
  const decision =
    decisionId === ""
      ? undefined
      : records.find((r) => r.kind === "decision" && str(obj(r.payload).decisionId) === decisionId);
  return {
    event: e.event,
    blockNumber: e.blockNumber,
    transactionHash: e.transactionHash,
    timestamp: e.timestamp,
    by: s.v.bank(String(e.args.actor ?? "")) || sender,
    signedIn:
      sig === undefined
        ? null
        : { bank: sender, seq: sig.seq, decision: decision === undefined ? null : decisionOf(decision) },
  };
}

/** The seller's and the buyer's records about `t` (even none), then any other bank's that has some. */
async function auditOf(s: TradeSources, t: DemoTrade, reads: ChainReads): Promise<TradeEvidence["audit"]> {
  const parties = [t.seller, t.buyer, ...s.run.banks.filter((b) => b !== t.seller && b !== t.buyer)];
  const audit: TradeEvidence["audit"] = [];
  for (const [i, b] of parties.entries()) {
    const records: AuditLine[] = [];
    for (const r of aboutTrade(s, b.name, t)) {
      const p = obj(r.payload);
      let tx: AuditLine["tx"] = null;
      let chainTime = r.kind === "decision" ? Number(obj(p.intent).time_unix) || null : null;
      if (r.kind === "signature") {
        const hash = str(p.txHash);
        const { blockNumber } = await reads.tx(hash);
        tx = { hash, blockNumber };
        if (blockNumber !== null) chainTime = await reads.blockTime(blockNumber);
      }
      records.push({ seq: r.seq, kind: r.kind, at: r.at, chainTime, summary: recordText(r, s.v), hash: r.hash, tx });
    }
    if (i < 2 || records.length > 0) audit.push({ bank: b.name, short: b.short, records });
  }
  return audit;
}

/** Every denial in a bank's log about `t`, and every step the chain refused, in words. */
function findingsOf(s: TradeSources, t: DemoTrade, refs: ReadonlyMap<string, string>): Finding[] {
  const findings: Finding[] = [];
  for (const b of s.run.banks)
    for (const r of aboutTrade(s, b.name, t)) {
      const p = obj(r.payload);
      if (r.kind !== "decision" || p.outcome !== "deny") continue;
      const action = str(obj(p.intent).action);
      const reasons = (Array.isArray(p.reasons) ? p.reasons : []).map((x) => reasonText(str(x), s.v));
      findings.push({
        kind: "denied",
        bank: b.name,
        step: action,
        text: `${b.name}'s policy (bundle v${str(obj(p.policyVersion).version)}) denied the ${stepText(action)}: ${reasons
          .map((x) => `${x.text} [${x.code}]`)
          .join("; ")}`,
        record: r.seq,
      });
    }
  for (const r of t.refusals)
    findings.push({
      kind: "refused",
      bank: r.bank,
      step: r.step,
      text: `The chain refused ${r.bank}'s ${stepText(r.step)} before it was signed: ${chainErrorText(r.reason, refs)}`,
      record: null,
    });
  return findings;
}

/** A scene's outcome with each trade's status in words and each raw denial or refusal note as its finding. */
export function readableOutcome(outcome: string, trades: readonly TradeEvidence[]): string {
  return trades.reduce((text, t) => {
    const unused = [...t.findings];
    const said = t.notes.reduce((x, n) => {
      const m = /^(\w+) (denied by (.+?)|refused by the chain): /.exec(n);
      const i = unused.findIndex(
        (f) =>
          m !== null &&
          stepText(f.step) === stepText(m[1]) &&
          (m[3] === undefined ? f.kind === "refused" : f.kind === "denied" && f.bank === m[3]),
      );
      return i < 0 ? x : x.replace(n, unused.splice(i, 1)[0].text);
    }, text);
    return said.replace(
      new RegExp(`${t.ref} (${STATUS_NAMES.join("|")})\\b`, "g"),
      (_, status: string) => `${t.ref} ${statusText(status)}`,
    );
  }, outcome);
}
