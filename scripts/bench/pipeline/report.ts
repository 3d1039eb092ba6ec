/**
 * Figures of the pipeline benchmark: summaries of the samples, the tables printed to the console and written
 * to reports/bench-pipeline.md, the chart (chart.ts) in reports/bench-pipeline.svg, and everything measured in
 * reports/bench-pipeline.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chart } from "./chart";
import { mean, percentile, STAGE_LABELS, STAGES, type Breakdown, type Stage } from "./timing";

/** One intent's figures in milliseconds. */
export interface Sample {
  total: number;
  /** Pipeline only: time by stage (they add up to `total`). */
  stages?: Record<Stage, number>;
  hsm?: number;
  audit?: number;
  /** JSON-RPC calls to the network by method. */
  rpc: Record<string, { count: number; ms: number }>;
  /** SQLite commits (each waits for the disk) and their milliseconds. */
  sqlite: { count: number; ms: number };
  /** Above the approval threshold (the pipeline collected two officers' votes). */
  approvals: boolean;
}

export interface Figures {
  mean: number;
  p50: number;
  p99: number;
}

export interface Measurement {
  label: string;
  n: number;
  seconds: number;
  perSecond: number;
  latency: Figures;
  /** End to end of the intents below the approval threshold only. */
  latencyBelowThreshold: Figures;
  approvalIntents: number;
  /** Mean JSON-RPC calls per intent and their mean milliseconds, by method. */
  rpc: Record<string, { count: number; ms: number }>;
  /** Mean SQLite commits per intent and their mean milliseconds. */
  sqlite: { count: number; ms: number };
  /** Pipeline only. */
  stages?: Record<Breakdown, Figures>;
  /** Pipeline only: mean of the approvals stage over the intents that needed approvals. */
  approvalsWhenNeeded?: number;
}

const figures = (values: readonly number[]): Figures => ({
  mean: mean(values),
  p50: percentile(values, 50),
  p99: percentile(values, 99),
});

export function summarise(label: string, run: { samples: Sample[]; seconds: number }): Measurement {
  const { samples, seconds } = run;
  const m: Measurement = {
    label,
    n: samples.length,
    seconds,
    perSecond: samples.length / seconds,
    latency: figures(samples.map((s) => s.total)),
    latencyBelowThreshold: figures(samples.filter((s) => !s.approvals).map((s) => s.total)),
    approvalIntents: samples.filter((s) => s.approvals).length,
    rpc: {},
    sqlite: { count: mean(samples.map((s) => s.sqlite.count)), ms: mean(samples.map((s) => s.sqlite.ms)) },
  };
  for (const s of samples) {
    for (const [method, { count, ms }] of Object.entries(s.rpc)) {
      const entry = (m.rpc[method] ??= { count: 0, ms: 0 });
      entry.count += count / samples.length;
      entry.ms += ms / samples.length;
    }
  }
  if (samples.every((s) => s.stages !== undefined)) {
    const by = (f: (s: Sample) => number) => figures(samples.map(f));
    m.stages = {
      ...(Object.fromEntries(STAGES.map((st) => [st, by((s) => s.stages![st])])) as Record<Stage, Figures>),
      hsm: by((s) => s.hsm ?? 0),
      audit: by((s) => s.audit ?? 0),
    };
    m.approvalsWhenNeeded = mean(samples.filter((s) => s.approvals).map((s) => s.stages!.approvals));
  }
  return m;
}

const METHOD = [
  "Intent: one DvP instruct by Beta Bank (seller) to Alpha Bank with its own trade ref, awaited to its receipt.",
  "Baseline: the same instruct (same terms, same escrow) from a plain ethers Wallet that is a Beta Bank operator.",
  "Both one at a time (the network automines and refuses out-of-order nonces), in alternating rounds.",
  "intents/s = intents / wall time; latency from the call to the receipt.",
  "Stages: the participant's engine, approval store, audit log and HSM signer, the protectTransaction of",
  "ProtectedSigner and PolicyGatedSigner and the SigningLedger's commit, are wrapped for the run",
  "(AsyncLocalStorage per intent); submission =",
  "from the gate's signature to the receipt; other = end to end minus the timed stages. An intent above the",
  "approval threshold counts its first round (to GATE_APPROVALS_PENDING) and the officers' votes as approvals.",
  "I/O: provider.send (JSON-RPC) and better-sqlite3 commits are counted per intent the same way.",
];

export interface Report {
  n: number;
  warmup: number;
  rounds: number;
  approvalEvery: number;
  goal: number;
  baseline: Measurement;
  pipeline: Measurement;
}

interface Table {
  head: string[];
  rows: string[][];
}

const ms = (v: number): string => v.toFixed(2);

/** The verdict on the goal: pipeline over baseline throughput. */
function verdict(r: Report): string {
  const ratio = r.pipeline.perSecond / r.baseline.perSecond;
  return `pipeline / baseline throughput: ${ratio.toFixed(2)} (goal >= ${r.goal}: ${ratio >= r.goal ? "met" : "missed"})`;
}

function tables(r: Report): Table[] {
  const runs: Table = {
    head: ["run", "intents/s", "mean ms", "p50 ms", "p99 ms", "p50 / p99 ms below threshold"],
    rows: [r.baseline, r.pipeline].map((m) => [
      m.label,
      m.perSecond.toFixed(1),
      ms(m.latency.mean),
      ms(m.latency.p50),
      ms(m.latency.p99),
      `${ms(m.latencyBelowThreshold.p50)} / ${ms(m.latencyBelowThreshold.p99)}`,
    ]),
  };
  const p = r.pipeline;
  const stages: Table = {
    head: ["pipeline stage", "mean ms", "p50 ms", "p99 ms", "share of mean"],
    rows: (["policy", "approvals", "signing", "hsm", "commit", "submission", "other", "audit"] as const).map((s) => [
      STAGE_LABELS[s],
      ms(p.stages![s].mean),
      ms(p.stages![s].p50),
      ms(p.stages![s].p99),
      `${((100 * p.stages![s].mean) / p.latency.mean).toFixed(1)}%`,
    ]),
  };
  const methods = [...new Set([...Object.keys(r.baseline.rpc), ...Object.keys(p.rpc)])].sort(
    (a, b) => (p.rpc[b]?.ms ?? 0) - (p.rpc[a]?.ms ?? 0),
  );
  const cell = (m: Measurement, method: string) =>
    m.rpc[method] === undefined ? "-" : `${m.rpc[method].count.toFixed(2)} / ${ms(m.rpc[method].ms)}`;
  const all = (m: Measurement) => {
    const calls = Object.values(m.rpc);
    return `${calls.reduce((s, e) => s + e.count, 0).toFixed(2)} / ${ms(calls.reduce((s, e) => s + e.ms, 0))}`;
  };
  const commits = (m: Measurement) => `${m.sqlite.count.toFixed(2)} / ${ms(m.sqlite.ms)}`;
  const io: Table = {
    head: ["I/O per intent", "baseline calls / ms", "pipeline calls / ms"],
    rows: [
      ...methods.map((method) => [method, cell(r.baseline, method), cell(p, method)]),
      ["all JSON-RPC", all(r.baseline), all(p)],
      ["SQLite commits (synchronous = FULL)", commits(r.baseline), commits(p)],
    ],
  };
  return [runs, stages, io];
}

function plain(t: Table): string[] {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.filter((r) => r[1] !== "").map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells[1] === ""
      ? cells[0]
      : cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(t.head), ...t.rows.map(line)];
}

const markdown = (t: Table): string[] => [
  `| ${t.head.join(" | ")} |`,
  `|${t.head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`,
  ...t.rows.map((r) => `| ${r.join(" | ")} |`),
];

/** Prints the tables and writes the markdown, SVG and JSON reports into `dir`. */
export function writeReports(dir: string, report: Report, log: (line: string) => void): void {
  const parts = tables(report);
  const p = report.pipeline;
  const note =
    `${report.n} intents each after ${report.warmup} warm-up, in ${report.rounds} alternating rounds; every ` +
    `${report.approvalEvery}th above the approval threshold (${p.approvalIntents} intents, approvals stage ` +
    `${ms(p.approvalsWhenNeeded ?? 0)} ms each)`;
  log("");
  for (const [i, t] of parts.entries()) {
    for (const l of plain(t)) log(`  ${l}`);
    if (i === 0) log(`  ${verdict(report)}`);
    log("");
  }
  log(`  ${note}`);
  for (const l of METHOD) log(`  ${l}`);
  mkdirSync(dir, { recursive: true });
  const md = [
    "# Settlement pipeline against a plain wallet",
    "",
    `In-process Hardhat network, ${new Date().toISOString()}. ${note}.`,
    "",
    ...parts.flatMap((t, i) => [...markdown(t), "", ...(i === 0 ? [`**${verdict(report)}**`, ""] : [])]),
    "Method:",
    "",
    ...METHOD.map((l) => `> ${l}`),
    "",
    "![chart](bench-pipeline.svg)",
    "",
  ];
  writeFileSync(path.join(dir, "bench-pipeline.md"), md.join("\n"));
  writeFileSync(path.join(dir, "bench-pipeline.svg"), chart(report));
  const ratio = p.perSecond / report.baseline.perSecond;
  const json = { ...report, ratio, goalMet: ratio >= report.goal, method: METHOD };
  writeFileSync(path.join(dir, "bench-pipeline.json"), `${JSON.stringify(json, null, 2)}\n`);
  log(`  wrote ${path.join(dir, "bench-pipeline.{md,svg,json}")}`);
}
