/**
 * `readiness`: the three production questions, answered with evidence gathered by running them on the
 * in-process network (src/demo/readiness.ts says how each is answered): (1) a settlement rule changed without
 * a redeployment; (2) every decision point of the demo's settlements in chain events and in the deciding
 * party's audit log, every log verified; (3) time to resume settlement after an HSM session is lost (measured)
 * and after a validator stops (on the qbft devnet: a validator killed, two stopped and one restarted, each timed to
 * the next settlement receipt and answered against the recovery time the bank states, `--rto`; in-process not
 * measured: no validators). Prints the three answers with their
 * evidence, writes them as Markdown (--report), and fails with READINESS_FAILED when question 1 or 2 is NO;
 * NOT MEASURED does not fail. With --json, the evidence is the one JSON document (under `error.details.result`
 * when the task fails).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { types } from "hardhat/config";
import { devnetDir } from "../devnet/state";
import { ChainStateError, ErrorCode } from "../errors";
import { commandTask } from "../tasks/define";
import { formatTable, short, type Output } from "../tasks/output";
import { DEMO_CONSORTIUM_CONFIGS, DEVNET_NETWORK } from "./networks";
import type { ReadinessEvidence } from "./readiness";

interface ReadinessArgs {
  consortiumConfig?: string;
  rto: string;
  runDir: string;
  report: string;
  samples: number;
  outageMs: number;
  json: boolean;
}

interface Table {
  headers: string[];
  rows: string[][];
}

/** One question: its answer, lines of evidence, tables, and notes (gaps, what was not counted or measured). */
interface Section {
  title: string;
  answer: string;
  lines: string[];
  tables: Table[];
  notes: string[];
}

function policySection(q: ReadinessEvidence["policyChange"]): Section {
  const c = q.change;
  const lines =
    c === null
      ? ["No decision of the same kind came out differently after a bundle with changed rules was activated."]
      : [
          `${c.bank} activated bundle v${c.activation.version} (policy ${short(c.activation.policyHash)}) over ` +
            `v${c.activation.previous.version} (policy ${short(c.activation.previous.policyHash)}), audit record ` +
            `${c.activation.auditSeq}; the same kind of step (${c.after.action}, counterparty ${c.after.counterparty}, ` +
            `${c.after.asset}) was decided ${c.before.outcome} before and ${c.after.outcome} after.`,
        ];
  const row = (when: string, d: NonNullable<typeof c>["before"]) => [
    when,
    d.trade,
    d.action,
    `${d.amount} ${d.asset}`,
    d.bundle === null ? "-" : `v${d.bundle.version} ${short(d.bundle.policyHash)}`,
    d.outcome,
    d.reasons.join(", "),
    String(d.auditSeq),
  ];
  const tables: Table[] = [
    ...(c === null
      ? []
      : [
          {
            headers: ["", "trade", "step", "amount", "bundle", "outcome", "reasons", "audit record"],
            rows: [row("before", c.before), row("after", c.after)],
          },
        ]),
    {
      headers: ["contract", "address", `code hash, block ${q.blocks.before}`, `block ${q.blocks.after}`, ""],
      rows: q.code.map((k) => [
        k.contract,
        k.address,
        short(k.before),
        short(k.after),
        k.unchanged ? "unchanged" : "CHANGED",
      ]),
    },
  ];
  lines.push(`${q.deployments} contract(s) created between block ${q.blocks.before} and block ${q.blocks.after}.`);
  return { title: "1. A settlement rule changed without a redeployment", answer: q.answer, lines, tables, notes: [] };
}

function auditSection(q: ReadinessEvidence["auditTrail"]): Section {
  const n = q.counts;
  return {
    title: "2. Every decision point in chain events and in the deciding party's audit log; every log verifies",
    answer: q.answer,
    lines: [
      `${n.trades} trades: ${n.chainPoints} on-chain decision points (${n.events} events), each matched to a signature ` +
        `record and an earlier allow decision in the sending bank's log; ${n.offChainPoints} off-chain decision ` +
        `points (denials, approval requests) in the deciding bank's log; ${n.matched} matched, ${q.gaps.length} gap(s).`,
      "Logs are checked from their JSON Lines exports, as a counterparty receives them, and verified against the " +
        "heads each bank anchored on chain.",
    ],
    tables: [
      {
        headers: ["trade", "decision point", "bank", "chain", "audit log", "ok"],
        rows: q.points.map((p) => [p.trade, p.what, p.bank, p.chain, p.log, p.gap === null ? "yes" : "GAP"]),
      },
      {
        headers: ["bank", "records", "head", "hash chain", "anchored heads", "export verified alone"],
        rows: q.logs.map((l) => [
          l.bank,
          String(l.records),
          l.head,
          l.hashChain.ok ? "verifies" : `NO: ${l.hashChain.problem}`,
          l.anchored.ok ? `${l.anchored.anchors} match` : `NO: ${l.anchored.problem}`,
          l.exported.ok ? path.basename(l.file) : `NO: ${l.exported.problem}`,
        ]),
      },
    ],
    notes: [...q.gaps.map((g) => `GAP: ${g}`), ...q.notCounted.map((g) => `not counted: ${g}`)],
  };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function recoverySection(q: ReadinessEvidence["recovery"]): Section {
  const o = q.outage;
  const outage =
    o.status === "not measured"
      ? `Token outage: NOT MEASURED: ${o.reason}.`
      : `Token outage (${o.bank}): token files offline for ${o.outageMs} ms while it kept trying to settle: ` +
        `${o.refusedAttempts} attempt(s) refused (HSM_UNAVAILABLE after ${o.refusedAfterMs} ms, p50), ` +
        `${o.signedDuringOutage} signed. ` +
        (o.status === "resumed"
          ? `Settlement resumed ${o.resumedAfterRestoreMs} ms after the token was restored.`
          : `Settlement did NOT resume: ${o.reason}.`);
  const title = "3. Time to resume settlement after an HSM session is lost and after a validator stops";
  const hsmTable: Table = {
    headers: ["fault", "bank", "p50 ms", "max ms", "samples ms"],
    rows: q.hsm.map((s) => [s.fault, s.bank, String(s.p50Ms), String(s.maxMs), s.samplesMs.join(" ")]),
  };
  const net = q.network;
  if (net === null) {
    return {
      title,
      answer: `${q.answer} (HSM: measured; validator: ${q.validator.status})`,
      lines: ["The seller's settle step through the participant, timed from the fault to its receipt:"],
      tables: [hsmTable],
      notes: [
        outage,
        `Validator stop: ${q.validator.status}: ${q.validator.reason}. What would be measured: ${q.validator.wouldMeasure}.`,
      ],
    };
  }
  const rp = net.recoveryPoint;
  const outageRow =
    q.outage.resumedAfterRestoreMs === null ? "did not resume" : seconds(q.outage.resumedAfterRestoreMs);
  return {
    title: `${title}, against a recovery time of ${seconds(q.rtoMs)}`,
    answer: q.answer,
    lines: [
      `Each fault timed to the next settlement receipt through the banks' participants, on ${net.validators} QBFT ` +
        `validators; YES when every sample is within the stated recovery time of ${seconds(q.rtoMs)}.`,
      `Recovery point: ${rp.acknowledged} settlement(s) acknowledged before or during a fault, ${rp.onChain} on chain ` +
        `afterwards${rp.lost.length === 0 ? ", none lost" : `, LOST: ${rp.lost.join(", ")}`}.`,
      `Validators after the measurements: ${net.restored ? "all running again" : "NOT all running"}.`,
    ],
    tables: [
      {
        headers: ["fault", "timed", "p50", "max", "samples", "within RTO"],
        rows: [
          ...[net.killed, net.halt].map((f) => [
            f.fault,
            f.timed,
            seconds(f.p50Ms),
            seconds(f.maxMs),
            f.samplesMs.map(seconds).join(", ") +
              (f.halted === null ? "" : ` (halted: ${f.halted.map((h) => (h ? "yes" : "NO")).join(", ")})`),
            f.answer,
          ]),
          [
            "HSM token offline for " + seconds(q.outage.outageMs),
            "from the token's restore to the settlement's receipt",
            outageRow,
            outageRow,
            outageRow,
            q.outageAnswer,
          ],
        ],
      },
      hsmTable,
    ],
    notes: [
      outage,
      ...[net.killed, net.halt].flatMap((f) => f.failures.map((x) => `${f.fault}: no receipt in time, ${x}`)),
    ],
  };
}

function readinessSections(evidence: ReadinessEvidence): Section[] {
  return [policySection(evidence.policyChange), auditSection(evidence.auditTrail), recoverySection(evidence.recovery)];
}

function print(out: Output, sections: readonly Section[]): void {
  for (const s of sections) {
    out.line();
    out.line(`${s.title}: ${s.answer}`);
    for (const l of s.lines) out.line(`  ${l}`);
    for (const t of s.tables) {
      out.line();
      for (const l of formatTable(t.headers, t.rows).trimEnd().split("\n")) out.line(`  ${l}`);
    }
    if (s.notes.length > 0) out.line();
    for (const n of s.notes) out.line(`  ${n}`);
  }
}

const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** The same sections as Markdown. */
function readinessMarkdown(evidence: ReadinessEvidence, sections: readonly Section[], root: string): string {
  const md = [
    "# Readiness",
    "",
    `Evidence gathered by running the demo (${evidence.demo.scenes} scenes, ${evidence.demo.trades} trades) on ` +
      `${evidence.network} (chain ${evidence.chainId}), consortium ${evidence.consortium.name} at ` +
      `${evidence.consortium.address}; transcript \`${path.relative(root, evidence.demo.transcript)}\`.`,
  ];
  for (const s of sections) {
    md.push("", `## ${s.title}: **${s.answer}**`, "", ...s.lines);
    for (const t of s.tables) {
      md.push("", `| ${t.headers.map(cell).join(" | ")} |`, `|${t.headers.map(() => " --- |").join("")}`);
      for (const r of t.rows) md.push(`| ${r.map(cell).join(" | ")} |`);
    }
    if (s.notes.length > 0) md.push("", ...s.notes.map((n) => `- ${n}`));
  }
  return `${md.join("\n")}\n`;
}

commandTask(
  "readiness",
  "Answer the three production-readiness questions by running the demo and measuring: a rule changed without redeployment, every decision point in chain events and audit logs, time to resume after HSM loss and, on the qbft devnet, after validator faults, against --rto",
  (t) =>
    t
      .addOptionalParam(
        "consortiumConfig",
        "Consortium configuration (JSON; default deploy/consortia/demo.json, on qbft deploy/consortia/devnet.json)",
      )
      .addOptionalParam("rto", "The recovery time the bank must meet (30s, 2m, 1h)", "30s")
      .addOptionalParam(
        "runDir",
        "Where the demo's tokens, logs and exports are written (emptied first)",
        "reports/readiness",
      )
      .addOptionalParam("report", "The Markdown report to write", "reports/readiness.md")
      .addOptionalParam("samples", "Measurements per HSM fault", 5, types.int)
      .addOptionalParam("outageMs", "How long the token outage lasts, in milliseconds", 1000, types.int),
  async (args: ReadinessArgs, out, hre) => {
    const config = DEMO_CONSORTIUM_CONFIGS[hre.network.name];
    if (config === undefined) {
      throw new ChainStateError(
        ErrorCode.WrongNetwork,
        `readiness runs the demo, which deploys afresh with development keys, so it runs on the in-process network or the qbft devnet, not ${hre.network.name}`,
        { network: hre.network.name },
      );
    }
    const { parseReadinessSettings, parseRecoveryObjective, ReadinessFailedError, runReadiness } =
      await import("./readiness");
    const rtoMs = parseRecoveryObjective(args.rto);
    const root = hre.config.paths.root;
    const devnet = hre.network.name === DEVNET_NETWORK ? devnetDir(root) : undefined;
    // On a real network a settle takes blocks, not milliseconds: after the token outage, wait up to the objective.
    const resume = devnet === undefined ? {} : { resumeTimeoutMs: Math.min(120_000, Math.max(5_000, rtoMs)) };
    const settings = parseReadinessSettings({ samples: args.samples, outageMs: args.outageMs, ...resume });
    const runDir = path.resolve(root, args.runDir);
    out.line(`Running the demo, then the measurements (transcript: ${path.relative(root, runDir)}/demo.txt)`);
    const evidence = await runReadiness(hre, {
      consortiumConfig: args.consortiumConfig ?? config,
      runDir,
      settings,
      rtoMs,
      devnetDir: devnet,
      onProgress: (message) => out.line(`  ${message}`),
    });
    const sections = readinessSections(evidence);
    print(out, sections);
    const report = path.resolve(root, args.report);
    mkdirSync(path.dirname(report), { recursive: true });
    writeFileSync(report, readinessMarkdown(evidence, sections, root));
    out.line();
    out.line(`Report: ${path.relative(root, report)}`);
    const result = { ...evidence, report };
    const failed = sections.filter((s) => s.answer === "NO").map((s) => `${s.title}: NO`);
    // Settlement that never resumed after the HSM came back is a failure, not a figure.
    if (evidence.recovery.outage.status === "not resumed") {
      failed.push("settlement did not resume after the HSM token was restored");
    }
    if (failed.length > 0) throw new ReadinessFailedError(failed, { result });
    return out.result(result);
  },
);
