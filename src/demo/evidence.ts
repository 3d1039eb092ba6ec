/**
 * What the demo leaves behind as evidence: each bank anchors its audit head on chain and verifies its log
 * against every anchored head; each trade's chain events are put beside the records of the banks' audit logs
 * about it (trade-evidence.ts); the run's clocks and source commit are noted; the summary table is printed and
 * the HTML report written.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { AuditRecord } from "../audit";
import { obj } from "./readiness-checks";
import type { Vocabulary } from "./record-text";
import { renderDemoReport } from "./report";
import type { DemoRun, SceneResult } from "./scenes";
import { readableOutcome, tradesEvidence, type TradeEvidence } from "./trade-evidence";

export type { AuditLine, ChainEvent, Finding, TradeEvidence } from "./trade-evidence";

export interface BankEvidence {
  name: string;
  short: string;
  lei: string;
  address: string;
  bundleVersion: number;
  /** The consortium's shared-policy version the active bundle was approved against. */
  sharedVersion: number | null;
  records: number;
  head: { seq: number; hash: string };
  /** The head written on chain: the records after it are the anchoring's own. */
  anchored: { seq: number; hash: string; blockNumber: number; txHash: string };
  anchoredAt: number;
  verified: boolean;
  problem: string | null;
}

export interface DemoEvidence {
  network: string;
  chainId: number;
  /** When the report was generated (wall clock, ISO 8601 UTC) and from which source commit. */
  generatedAt: string;
  commit: { hash: string; dirty: boolean } | null;
  /** The chain's clock at the deployment and at the end, against the wall clock at the end (Unix seconds). */
  clock: { deployedBlock: number; chainStart: number; endBlock: number; chainEnd: number; wallEnd: number };
  consortium: { name: string; address: string; engine: string; auditAnchor: string | undefined };
  scenes: (SceneResult & { readable: string })[];
  trades: TradeEvidence[];
  banks: BankEvidence[];
  report: string;
}

/** The commit the code runs from, or null outside a git checkout. */
function sourceCommit(root: string): DemoEvidence["commit"] {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: "pipe" });
    return { hash: git("rev-parse", "HEAD").trim(), dirty: git("status", "--porcelain", "-uno").trim() !== "" };
  } catch {
    return null;
  }
}

export async function collectDemoEvidence(run: DemoRun, runDir: string): Promise<DemoEvidence> {
  const { hre } = run;
  const provider = hre.ethers.provider;
  const names = new Map<string, string>();
  for (const b of run.banks) names.set(b.address.toLowerCase(), b.name).set(b.lei.toLowerCase(), b.name);
  const v: Vocabulary = {
    bank: (x) => names.get(x.toLowerCase()) ?? x,
    leis: run.banks.map((b) => b.lei),
    decimals: new Map(run.record.tokens.map((t) => [t.symbol, t.decimals])),
  };
  const logs = new Map<string, AuditRecord[]>();
  const banks: BankEvidence[] = [];
  for (const bank of run.banks) {
    const anchored = await bank.participant.anchorAudit();
    const verified = await bank.participant.verifyAudit(true);
    const records: AuditRecord[] = [];
    for await (const r of bank.participant.auditRecords()) records.push(r);
    logs.set(bank.name, records);
    const activation = records.filter((r) => r.kind === "bundle_activation").at(-1);
    const shared = obj(activation?.payload).sharedPolicyVersion;
    banks.push({
      name: bank.name,
      short: bank.short,
      lei: bank.lei,
      address: bank.address,
      bundleVersion: bank.bundleVersion,
      sharedVersion: typeof shared === "number" ? shared : null,
      records: records.length,
      head: verified.ok ? verified.head : anchored.head,
      anchored: { ...anchored.head, blockNumber: anchored.blockNumber, txHash: anchored.txHash },
      anchoredAt: anchored.blockNumber,
      verified: verified.ok,
      problem: verified.ok
        ? null
        : `record ${verified.firstBad.seq} ${verified.firstBad.problem}: ${verified.firstBad.detail}`,
    });
  }
  const trades = await tradesEvidence({ run, v, logs });
  const [deployed, latest] = [await provider.getBlock(run.record.blockNumber), await provider.getBlock("latest")];
  const report = path.join(runDir, "report.html");
  const evidence: DemoEvidence = {
    network: hre.network.name,
    chainId: run.chainId,
    generatedAt: new Date().toISOString(),
    commit: sourceCommit(hre.config.paths.root),
    clock: {
      deployedBlock: run.record.blockNumber,
      chainStart: deployed?.timestamp ?? 0,
      endBlock: latest?.number ?? 0,
      chainEnd: latest?.timestamp ?? 0,
      wallEnd: Math.floor(Date.now() / 1000),
    },
    consortium: {
      name: run.record.name,
      address: run.record.consortium,
      engine: run.record.engine,
      auditAnchor: run.record.auditAnchor,
    },
    scenes: run.scenes.map((s) => ({ ...s, readable: readableOutcome(s.outcome, trades) })),
    trades,
    banks,
    report,
  };
  writeFileSync(report, renderDemoReport(evidence));
  printSummary(run, evidence);
  return evidence;
}

function printSummary(run: DemoRun, e: DemoEvidence): void {
  const out = run.out;
  out.line();
  out.line("Summary");
  out.table(
    ["scene", "what", "outcome"],
    run.scenes.map((s) => [String(s.n), s.title, s.outcome]),
  );
  out.line();
  out.table(
    ["trade", "status", "chain events", ...run.banks.map((b) => `${b.short} log`)],
    e.trades.map((t) => [
      t.ref,
      t.status,
      String(t.timeline.length),
      ...run.banks.map((b) => String(t.audit.find((a) => a.bank === b.name)?.records.length ?? 0)),
    ]),
  );
  out.line();
  out.table(
    ["bank", "bundle", "audit records", "head", "anchored", "verifies"],
    e.banks.map((b) => [
      b.name,
      `v${b.bundleVersion}`,
      String(b.records),
      `${b.head.seq} ${b.head.hash.slice(0, 12)}…`,
      `block ${b.anchoredAt}`,
      b.verified ? "yes" : `NO: ${b.problem}`,
    ]),
  );
  out.line();
  out.line(`Report: ${path.relative(run.hre.config.paths.root, e.report)}`);
}
