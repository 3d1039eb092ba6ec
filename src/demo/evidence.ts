/**
 * What the demo leaves behind as evidence: each bank anchors its audit head on chain and verifies its log
 * against every anchored head; each trade's chain events are put beside the records of the banks' audit logs
 * about it, every transaction linked to the signature record (and the decision before it) in its sender's log,
 * as the readiness task matches them; the summary table is printed and the HTML report written.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { AuditRecord } from "../audit";
import { formatAmount } from "../config";
import { settlementTimeline, STATUS_NAMES, type TimelineEntry } from "../settlement";
import { obj, str } from "./readiness-checks";
import { chainErrorText, reasonText, recordText, statusText, stepText, type Vocabulary } from "./record-text";
import { renderDemoReport } from "./report";
import { cashText, statusOf, type DemoRun, type SceneResult } from "./scenes";

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
  /** The sender's signature record of this transaction and the policy decision it followed (null: none found). */
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

const decisionOf = (r: AuditRecord): { seq: number; outcome: string; bundle: number | null } => {
  const version = obj(obj(r.payload).policyVersion).version;
  return { seq: r.seq, outcome: str(obj(r.payload).outcome), bundle: typeof version === "number" ? version : null };
};

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
  const engine = await hre.ethers.getContractAt("SettlementEngine", run.record.engine);
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
  const refs = new Map(run.trades.map((t) => [t.id.toLowerCase(), t.ref]));
  const blockTimes = new Map<number, number>();
  const blockTime = async (n: number) => {
    if (!blockTimes.has(n)) blockTimes.set(n, (await provider.getBlock(n))?.timestamp ?? 0);
    return blockTimes.get(n)!;
  };
  const trades: TradeEvidence[] = [];
  for (const t of run.trades) {
    const id = t.id.toLowerCase();
    const entries = await settlementTimeline(engine, BigInt(t.id), run.record.blockNumber);
    const mined = new Map<string, { from: string; blockNumber: number }>();
    for (const e of entries)
      if (!mined.has(e.transactionHash))
        mined.set(e.transactionHash, {
          from: (await provider.getTransaction(e.transactionHash))?.from ?? "",
          blockNumber: e.blockNumber,
        });
    const ofTrade = (bank: string) =>
      (logs.get(bank) ?? []).filter((r) => r.subject !== null && r.subject.toLowerCase().split("/")[0] === id);
    const timeline: ChainEvent[] = entries.map((e) => {
      const sender = v.bank(mined.get(e.transactionHash)!.from);
      const records = logs.get(sender) ?? [];
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
        by: v.bank(String(e.args.actor ?? "")) || sender,
        signedIn:
          sig === undefined
            ? null
            : {
                bank: sender,
                seq: sig.seq,
                decision: decision === undefined ? null : decisionOf(decision),
              },
      };
    });
    const parties = [t.seller, t.buyer, ...run.banks.filter((b) => b !== t.seller && b !== t.buyer)];
    const audit: TradeEvidence["audit"] = [];
    for (const [i, b] of parties.entries()) {
      const records: AuditLine[] = [];
      for (const r of ofTrade(b.name)) {
        const p = obj(r.payload);
        let tx: AuditLine["tx"] = null;
        let chainTime = r.kind === "decision" ? Number(obj(p.intent).time_unix) || null : null;
        if (r.kind === "signature") {
          const hash = str(p.txHash);
          const blockNumber = mined.get(hash)?.blockNumber ?? (await provider.getTransactionReceipt(hash))?.blockNumber;
          tx = { hash, blockNumber: blockNumber ?? null };
          if (blockNumber !== undefined) chainTime = await blockTime(blockNumber);
        }
        records.push({ seq: r.seq, kind: r.kind, at: r.at, chainTime, summary: recordText(r, v), hash: r.hash, tx });
      }
      if (i < 2 || records.length > 0) audit.push({ bank: b.name, short: b.short, records });
    }
    const findings: Finding[] = [];
    for (const b of run.banks)
      for (const r of ofTrade(b.name).filter((x) => x.kind === "decision" && obj(x.payload).outcome === "deny")) {
        const p = obj(r.payload);
        const intent = obj(p.intent);
        const reasons = (Array.isArray(p.reasons) ? p.reasons : []).map((x) => reasonText(str(x), v));
        findings.push({
          kind: "denied",
          bank: b.name,
          step: str(intent.action),
          text: `${b.name}'s policy (bundle v${str(obj(p.policyVersion).version)}) denied the ${stepText(
            str(intent.action),
          )}: ${reasons.map((x) => `${x.text} [${x.code}]`).join("; ")}`,
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
    const status = await statusOf(run, t);
    const bonds = `${formatAmount(t.bonds, v.decimals.get("B30") ?? 0, { grouped: true })} B30`;
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
      findings,
      timeline,
      audit,
    });
  }
  const readable = (outcome: string) =>
    trades.reduce((text, t) => {
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
        (_, s: string) => `${t.ref} ${statusText(s)}`,
      );
    }, outcome);
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
    scenes: run.scenes.map((s) => ({ ...s, readable: readable(s.outcome) })),
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
