/**
 * `policy:replay`: re-evaluates the past decisions in a bank's audit log with a candidate policy (a built policy
 * directory or a bundle directory: `policy.wasm` and `data.json`) and prints every decision it would have made
 * differently, so compliance sees a rule change's effect before signing and activating it.
 */
import { loadPolicyFromDirectory, replayDecisions } from "../policy";
import { TaskInputError, ErrorCode } from "../errors";
import { openTaskAudit, type AuditArgs } from "./audit-input";
import { commandTask } from "./define";

type ReplayArgs = AuditArgs & { candidate: string; fromSeq?: string; json: boolean };

commandTask(
  "policy:replay",
  "Re-evaluate past decisions from the audit log with a candidate policy and print where it differs",
  (t) =>
    t
      .addOptionalParam("audit", "The bank's SQLite audit log file")
      .addOptionalParam("auditConfig", "A JSON audit store configuration (SQLite path or PostgreSQL connection string)")
      .addParam("candidate", "Directory holding the candidate's policy.wasm and data.json")
      .addOptionalParam("fromSeq", "First audit record to replay (default 1)"),
  async (args: ReplayArgs, out) => {
    if (args.fromSeq !== undefined && !/^[1-9]\d*$/.test(args.fromSeq)) {
      throw new TaskInputError(ErrorCode.InputInvalid, `--from-seq ${args.fromSeq}: not a positive integer`);
    }
    const candidate = await loadPolicyFromDirectory(args.candidate);
    const store = await openTaskAudit(args);
    try {
      const report = await replayDecisions(store.records(), candidate, {
        fromSeq: args.fromSeq === undefined ? 1 : Number(args.fromSeq),
      });
      out.line(
        `replayed ${report.replayed} decisions (${report.skipped} not made by the policy skipped): ` +
          `${report.differences.length} would change`,
      );
      for (const [change, count] of Object.entries(report.changes)) out.line(`  ${change}: ${count}`);
      if (report.differences.length > 0) {
        out.line();
        out.table(
          ["seq", "intent", "action", "recorded", "candidate", "candidate reasons"],
          report.differences.map((d) => [
            String(d.seq),
            d.intentId,
            d.action,
            d.recorded.outcome,
            d.candidate.outcome,
            d.candidate.reasons.map((r) => r.split(":")[0]).join(", "),
          ]),
        );
      }
      return out.result(report);
    } finally {
      await store.close();
    }
  },
);
