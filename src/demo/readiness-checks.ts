/**
 * The pure checkers behind readiness questions 1 and 2 (see readiness.ts): which decision a changed rule made
 * differently, and whether every decision point of the demo's trades is on chain and in the deciding bank's
 * audit log. They read only what they are given, so tests can hand them tampered evidence.
 */

import { type AuditRecord, type JsonValue } from "../audit";
import { short } from "../tasks/output";

// ------------------------------------------------------------------ evidence shapes

export interface DecisionSample {
  trade: string;
  bank: string;
  action: string;
  /** The counterparty's LEI (its bank's name in the task's evidence). */
  counterparty: string;
  asset: string;
  /** In base units (in the token's units, grouped, in the task's evidence). */
  amount: string;
  outcome: string;
  reasons: string[];
  bundle: { version: number; policyHash: string } | null;
  auditSeq: number;
}

export interface PolicyChange {
  bank: string;
  activation: {
    auditSeq: number;
    version: number;
    policyHash: string;
    previous: { version: number; policyHash: string };
  };
  before: DecisionSample;
  after: DecisionSample;
}

export interface PolicyChangeEvidence {
  answer: "YES" | "NO";
  change: PolicyChange | null;
  decisionChanged: boolean;
  code: { contract: string; address: string; before: string; after: string; unchanged: boolean }[];
  blocks: { before: number; after: number };
  /** Contract-creation transactions mined between the two blocks. */
  deployments: number;
}

export interface VerifySummary {
  ok: boolean;
  problem: string | null;
}

/** One bank's log as a counterparty receives it, with the three verifications. */
export interface BankLog {
  bank: string;
  address: string;
  records: AuditRecord[];
  file: string;
  hashChain: VerifySummary;
  anchored: VerifySummary & { anchors: number };
  exported: VerifySummary;
}

/** What the chain and the callers know about one demo trade. */
export interface TradePoints {
  ref: string;
  id: string;
  transactions: { txHash: string; from: string; blockNumber: number; events: string[] }[];
  denials: { bank: string; action: string }[];
  approvals: { bank: string; action: string; votes: number; state: string }[];
  refusedBeforeSigning: { action: string; reason: string }[];
}

export interface AuditTrailInput {
  trades: TradePoints[];
  logs: BankLog[];
}

export interface DecisionPoint {
  trade: string;
  kind: "chain" | "denied" | "approval";
  what: string;
  bank: string;
  chain: string;
  log: string;
  gap: string | null;
}

export interface AuditTrailEvidence {
  answer: "YES" | "NO";
  counts: { trades: number; chainPoints: number; events: number; offChainPoints: number; matched: number };
  points: DecisionPoint[];
  logs: (Omit<BankLog, "records"> & { records: number; head: string })[];
  gaps: string[];
  notCounted: string[];
}

// ------------------------------------------------------------------ reading audit records

export const obj = (v: JsonValue | undefined): Record<string, JsonValue> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
export const str = (v: JsonValue | undefined): string =>
  typeof v === "string" || typeof v === "number" ? String(v) : "";
const lower = (v: string | null): string => (v ?? "").toLowerCase();

interface DecisionView extends Omit<DecisionSample, "trade" | "bank" | "auditSeq"> {
  seq: number;
  subject: string;
  decisionId: string;
  stage: string;
}

function decisionOf(r: AuditRecord): DecisionView | null {
  if (r.kind !== "decision") return null;
  const p = obj(r.payload);
  const intent = obj(p.intent);
  const version = obj(p.policyVersion);
  return {
    seq: r.seq,
    subject: lower(r.subject),
    decisionId: str(p.decisionId),
    stage: str(p.stage),
    outcome: str(p.outcome),
    reasons: (Array.isArray(p.reasons) ? p.reasons : []).map((x) => str(x).split(":")[0]),
    action: str(intent.action),
    counterparty: str(intent.counterparty),
    asset: str(intent.asset),
    amount: str(intent.amount),
    bundle:
      typeof version.version === "number" ? { version: version.version, policyHash: str(version.policyHash) } : null,
  };
}

const decisionsOf = (records: readonly AuditRecord[]): DecisionView[] =>
  records.map(decisionOf).filter((d): d is DecisionView => d !== null);

// ------------------------------------------------------------------ question 1 (pure part)

/** The first decision a changed rule made differently from the same kind of decision before it (see above). */
export function findPolicyChange(
  logs: readonly Pick<BankLog, "bank" | "records">[],
  refOf: (id: string) => string,
): PolicyChange | null {
  for (const log of logs) {
    const decisions = decisionsOf(log.records).filter((d) => d.stage === "policy" && d.bundle !== null);
    for (const r of log.records) {
      const a = obj(r.payload);
      const previous = obj(a.previous);
      if (r.kind !== "bundle_activation" || a.outcome !== "activated" || typeof previous.version !== "number") continue;
      if (previous.policyHash === a.policyHash) continue; // re-approved, same rules
      for (const after of decisions.filter((d) => d.bundle!.version === a.version)) {
        const before = decisions
          .filter((d) => d.bundle!.version === previous.version && d.seq < r.seq)
          .filter((d) => d.action === after.action && d.counterparty === after.counterparty && d.asset === after.asset)
          .at(-1);
        if (before === undefined || before.outcome === after.outcome) continue;
        const sample = (d: DecisionView): DecisionSample => ({
          trade: refOf(d.subject),
          bank: log.bank,
          action: d.action,
          counterparty: d.counterparty,
          asset: d.asset,
          amount: d.amount,
          outcome: d.outcome,
          reasons: d.reasons,
          bundle: d.bundle,
          auditSeq: d.seq,
        });
        return {
          bank: log.bank,
          activation: {
            auditSeq: r.seq,
            version: Number(a.version),
            policyHash: str(a.policyHash),
            previous: { version: previous.version, policyHash: str(previous.policyHash) },
          },
          before: sample(before),
          after: sample(after),
        };
      }
    }
  }
  return null;
}

// ------------------------------------------------------------------ question 2 (pure)

/** Events that follow from another event of the same transaction and name no step of their own. */
const CONSEQUENCES = new Set(["SettlementLocked", "SettlementExpired", "ReversalExecuted"]);
const EVENT_ACTIONS: Record<string, string> = {
  SettlementInstructed: "instruct",
  SettlementAffirmed: "affirm",
  SettlementSettled: "settle",
  SettlementCancelled: "cancel",
  SettlementReleased: "release",
  ReversalProposed: "reverse",
  ReversalApproved: "approve_reversal",
};

/** Matches every decision point of `input.trades` with the chain and the logs; see the module comment. */
export function checkAuditTrail(input: AuditTrailInput): AuditTrailEvidence {
  const gaps: string[] = [];
  const notCounted: string[] = [];
  const points: DecisionPoint[] = [];
  const byAddress = new Map(input.logs.map((l) => [l.address.toLowerCase(), l]));
  const byBank = new Map(input.logs.map((l) => [l.bank, l]));
  const used = new Set<string>();
  const take = (bank: string, seq: number) => used.add(`${bank}#${seq}`);
  const free = (bank: string, seq: number) => !used.has(`${bank}#${seq}`);
  for (const t of input.trades) {
    const id = t.id.toLowerCase();
    for (const tx of t.transactions) {
      const action = EVENT_ACTIONS[tx.events.find((e) => !CONSEQUENCES.has(e)) ?? ""] ?? "?";
      const log = byAddress.get(tx.from.toLowerCase());
      const point: DecisionPoint = {
        trade: t.ref,
        kind: "chain",
        what: tx.events.join(" + "),
        bank: log?.bank ?? tx.from,
        chain: `block ${tx.blockNumber} ${short(tx.txHash)}`,
        log: "-",
        gap: null,
      };
      const sig = log?.records.find(
        (r) => r.kind === "signature" && lower(str(obj(r.payload).txHash)) === lower(tx.txHash),
      );
      const decision = decisionsOf(log?.records ?? []).find(
        (d) => sig !== undefined && d.decisionId !== "" && d.decisionId === str(obj(sig.payload).decisionId),
      );
      if (log === undefined) point.gap = `sent by ${tx.from}, which is no bank's key`;
      else if (sig === undefined) point.gap = `no signature record for ${tx.txHash} in ${log.bank}'s log`;
      else if (lower(sig.subject) !== id) point.gap = `signature record ${sig.seq} is about ${sig.subject}`;
      else if (decision === undefined || decision.seq > sig.seq)
        point.gap = `no decision before signature record ${sig.seq} in ${log.bank}'s log`;
      else if (decision.outcome !== "allow") point.gap = `decision ${decision.seq} was ${decision.outcome}`;
      else if (decision.action !== action)
        point.gap = `decision ${decision.seq} was for ${decision.action}, the chain recorded ${action}`;
      if (sig !== undefined && log !== undefined) {
        take(log.bank, sig.seq);
        point.log = `${decision === undefined ? "?" : `decision ${decision.seq} ${decision.outcome} ${decision.action} (bundle v${decision.bundle?.version ?? "-"})`} -> signature ${sig.seq}`;
      }
      points.push(point);
    }
    const offChain = (kind: "denied" | "approval", bank: string, what: string, outcome: string, action: string) => {
      const log = byBank.get(bank);
      const d = decisionsOf(log?.records ?? []).find(
        (x) => x.subject === id && x.outcome === outcome && x.action === action && free(bank, x.seq),
      );
      if (d !== undefined) take(bank, d.seq);
      const point: DecisionPoint = {
        trade: t.ref,
        kind,
        what,
        bank,
        chain: "no transaction",
        log: d === undefined ? "-" : `decision ${d.seq} ${outcome} (${d.reasons.join(", ")})`,
        gap: d === undefined ? `no ${outcome} decision for ${action} of ${t.ref} in ${bank}'s log` : null,
      };
      points.push(point);
      return { point, log: log?.records ?? [] };
    };
    for (const denial of t.denials) offChain("denied", denial.bank, `${denial.action} denied`, "deny", denial.action);
    for (const a of t.approvals) {
      const { point, log } = offChain(
        "approval",
        a.bank,
        `${a.action}: ${a.votes} approval(s)`,
        "approval_required",
        a.action,
      );
      const events = log.filter((r) => r.kind === "approval" && lower(r.subject) === `${id}/${a.action}`);
      const count = (event: string) => events.filter((r) => obj(r.payload).event === event).length;
      // A request that reached its quorum is approved until its one signature consumes it.
      const completed = a.state === "approved" || a.state === "consumed" ? 1 : 0;
      const expected = { requested: 1, approved: a.votes, completed };
      const missing = Object.entries(expected).filter(([event, n]) => count(event) !== n);
      if (missing.length > 0 && point.gap === null)
        point.gap = `approval records of ${a.action} in ${a.bank}'s log: ${missing.map(([e, n]) => `${count(e)} ${e}, expected ${n}`).join("; ")}`;
      point.log += `; approval records ${events.map((r) => r.seq).join(", ")}`;
    }
    for (const refused of t.refusedBeforeSigning)
      notCounted.push(
        `${t.ref} ${refused.action}: refused by the contract while simulated (${refused.reason}); no transaction, no policy decision, no audit record`,
      );
    for (const log of input.logs) {
      for (const r of log.records) {
        if (lower(r.subject) !== id || !free(log.bank, r.seq)) continue;
        const d = decisionOf(r);
        if (r.kind === "signature")
          gaps.push(`${log.bank}'s log signed ${str(obj(r.payload).txHash)} for ${t.ref}, no event of it on chain`);
        if (d !== null && d.outcome === "deny")
          gaps.push(`${log.bank}'s log denies ${d.action} of ${t.ref} (record ${r.seq}), no caller was told`);
        if (d !== null && d.outcome === "approval_required")
          gaps.push(`${log.bank}'s log asks approval for ${d.action} of ${t.ref} (record ${r.seq}), no request opened`);
      }
    }
  }
  for (const log of input.logs) {
    if (!log.hashChain.ok) gaps.push(`${log.bank}'s log does not verify: ${log.hashChain.problem}`);
    if (log.anchored.anchors === 0) gaps.push(`${log.bank} has no head anchored on chain`);
    if (!log.anchored.ok) gaps.push(`${log.bank}'s log does not match its anchored heads: ${log.anchored.problem}`);
    if (!log.exported.ok) gaps.push(`${log.bank}'s export ${log.file} does not verify: ${log.exported.problem}`);
  }
  gaps.unshift(...points.filter((p) => p.gap !== null).map((p) => `${p.trade} ${p.what} (${p.bank}): ${p.gap}`));
  const chainPoints = points.filter((p) => p.kind === "chain");
  return {
    answer: gaps.length === 0 && chainPoints.length > 0 ? "YES" : "NO",
    counts: {
      trades: input.trades.length,
      chainPoints: chainPoints.length,
      events: input.trades.reduce((n, t) => n + t.transactions.reduce((m, x) => m + x.events.length, 0), 0),
      offChainPoints: points.length - chainPoints.length,
      matched: points.filter((p) => p.gap === null).length,
    },
    points,
    logs: input.logs.map(({ records, ...rest }) => ({
      ...rest,
      records: records.length,
      head: records.length === 0 ? "0" : `${records.at(-1)!.seq} ${records.at(-1)!.hash.slice(0, 12)}…`,
    })),
    gaps,
    notCounted,
  };
}
