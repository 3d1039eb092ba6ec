/**
 * What the demo leaves behind as evidence: each bank anchors its audit head on chain and verifies its log
 * against every anchored head; each trade's timeline of chain events is put beside the records of both
 * parties' audit logs about it; the summary table is printed and the HTML report written.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { AuditRecord, JsonValue } from "../audit";
import { settlementTimeline, type TimelineEntry } from "../settlement";
import { renderDemoReport } from "./report";
import { cashText, statusOf, type DemoRun, type SceneResult } from "./scenes";

/** One audit record as the report shows it. */
export interface AuditLine {
  seq: number;
  kind: string;
  at: string;
  summary: string;
  hash: string;
}

export interface TradeEvidence {
  ref: string;
  id: string;
  seller: string;
  buyer: string;
  legs: string;
  status: string;
  notes: string[];
  timeline: (Pick<TimelineEntry, "event" | "blockNumber" | "transactionHash" | "timestamp"> & { by: string })[];
  audit: { bank: string; records: AuditLine[] }[];
}

export interface BankEvidence {
  name: string;
  lei: string;
  address: string;
  bundleVersion: number;
  records: number;
  head: { seq: number; hash: string };
  anchoredAt: number;
  verified: boolean;
  problem: string | null;
}

export interface DemoEvidence {
  network: string;
  chainId: number;
  consortium: { name: string; address: string; engine: string; auditAnchor: string | undefined };
  scenes: SceneResult[];
  trades: TradeEvidence[];
  banks: BankEvidence[];
  report: string;
}

/** A one-line summary of an audit record's payload. */
export function summarize(record: AuditRecord): string {
  const p = (record.payload ?? {}) as Record<string, JsonValue>;
  const text = (v: JsonValue | undefined): string => (typeof v === "string" || typeof v === "number" ? String(v) : "");
  switch (record.kind) {
    case "decision": {
      const reasons = Array.isArray(p.reasons)
        ? p.reasons.map((r) => (typeof r === "string" ? r.split(":")[0] : "")).join(", ")
        : text(p.reason);
      const intent = (p.intent ?? {}) as Record<string, JsonValue>;
      return `${text(intent.action) || text(p.call) || "call"}: ${text(p.outcome)} (${reasons}) policy v${text((p.policyVersion as Record<string, JsonValue> | null)?.version) || "-"}`;
    }
    case "signature":
      return `signed tx ${text(p.txHash).slice(0, 12)}… nonce ${text(p.nonce)}`;
    case "approval":
      return `approval ${text(p.event)}${p.approverId === undefined ? "" : ` by ${text(p.approverId)}`}`;
    case "reservation":
      return `exposure ${text(p.event)} (${text(p.reason)}) ${text(p.amount)} ${text(p.asset)}`;
    default:
      return record.kind;
  }
}

export async function collectDemoEvidence(run: DemoRun, runDir: string): Promise<DemoEvidence> {
  const out = run.out;
  const engine = await run.hre.ethers.getContractAt("SettlementEngine", run.record.engine);
  const names = new Map(run.banks.map((b) => [b.address.toLowerCase(), b.name]));
  const logs = new Map<string, AuditRecord[]>();
  const banks: BankEvidence[] = [];
  for (const bank of run.banks) {
    const anchored = await bank.participant.anchorAudit();
    const verified = await bank.participant.verifyAudit(true);
    const records: AuditRecord[] = [];
    for await (const r of bank.participant.auditRecords()) records.push(r);
    logs.set(bank.name, records);
    banks.push({
      name: bank.name,
      lei: bank.lei,
      address: bank.address,
      bundleVersion: bank.bundleVersion,
      records: records.length,
      head: verified.ok ? verified.head : anchored.head,
      anchoredAt: anchored.blockNumber,
      verified: verified.ok,
      problem: verified.ok ? null : `${verified.firstBad.seq} ${verified.firstBad.problem}`,
    });
  }
  const trades: TradeEvidence[] = [];
  for (const t of run.trades) {
    const timeline = await settlementTimeline(engine, BigInt(t.id), run.record.blockNumber);
    const parties = [t.seller, t.buyer, ...run.banks.filter((b) => b !== t.seller && b !== t.buyer)];
    const audit = parties
      .map((b) => ({
        bank: b.name,
        records: (logs.get(b.name) ?? [])
          .filter((r) => r.subject !== null && r.subject.toLowerCase().startsWith(t.id))
          .map((r) => ({ seq: r.seq, kind: r.kind, at: r.at, summary: summarize(r), hash: r.hash })),
      }))
      .filter((a, i) => i < 2 || a.records.length > 0);
    trades.push({
      ref: t.ref,
      id: t.id,
      seller: t.seller.name,
      buyer: t.buyer.name,
      legs: `${t.bonds} B30 against ${cashText(t.cash)}`,
      status: await statusOf(run, t),
      notes: t.notes,
      timeline: timeline.map((e) => ({
        event: e.event,
        blockNumber: e.blockNumber,
        transactionHash: e.transactionHash,
        timestamp: e.timestamp,
        by: names.get(String(e.args.actor ?? "").toLowerCase()) ?? "",
      })),
      audit,
    });
  }
  const report = path.join(runDir, "report.html");
  const evidence: DemoEvidence = {
    network: run.hre.network.name,
    chainId: run.chainId,
    consortium: {
      name: run.record.name,
      address: run.record.consortium,
      engine: run.record.engine,
      auditAnchor: run.record.auditAnchor,
    },
    scenes: run.scenes,
    trades,
    banks,
    report,
  };
  writeFileSync(report, renderDemoReport(evidence));

  out.line();
  out.line("Summary");
  out.table(
    ["scene", "what", "outcome"],
    run.scenes.map((s) => [String(s.n), s.title, s.outcome]),
  );
  out.line();
  out.table(
    ["trade", "status", "chain events", ...run.banks.map((b) => `${b.short} log`)],
    trades.map((t) => [
      t.ref,
      t.status,
      String(t.timeline.length),
      ...run.banks.map((b) => String(t.audit.find((a) => a.bank === b.name)?.records.length ?? 0)),
    ]),
  );
  out.line();
  out.table(
    ["bank", "bundle", "audit records", "head", "anchored", "verifies"],
    banks.map((b) => [
      b.name,
      `v${b.bundleVersion}`,
      String(b.records),
      `${b.head.seq} ${b.head.hash.slice(0, 12)}…`,
      `block ${b.anchoredAt}`,
      b.verified ? "yes" : `NO: ${b.problem}`,
    ]),
  );
  out.line();
  out.line(`Report: ${path.relative(run.hre.config.paths.root, report)}`);
  return evidence;
}
