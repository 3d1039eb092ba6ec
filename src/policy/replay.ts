/**
 * Replay: re-evaluates past decisions from the audit log with a candidate policy, so compliance sees what a
 * rule change would have done before signing it. Only decisions the policy itself made are replayed (stage
 * `policy`), each with the intent exactly as it was evaluated (same time, same exposure used); decisions made
 * before the policy (malformed intent, shared parameters, no bundle) or at the reservation are skipped.
 */
import type { AuditRecord } from "../audit";
import { decide } from "./decide";
import { decisionSchema, type Decision } from "./decision";
import { decisionsDiffer } from "./shadow";
import type { WasmPolicy } from "./wasm";

/** One past decision the candidate would have made differently. */
export interface ReplayDifference {
  seq: number;
  intentId: string;
  action: string;
  recorded: Pick<Decision, "outcome" | "reasons">;
  candidate: Pick<Decision, "outcome" | "reasons">;
}

export interface ReplayReport {
  /** Decisions re-evaluated. */
  replayed: number;
  /** Decision records not replayed (not made by the policy, or unreadable). */
  skipped: number;
  differences: ReplayDifference[];
  /** Counts per change of outcome, e.g. `{ "allow->deny": 3 }`. */
  changes: Record<string, number>;
}

export interface ReplayOptions {
  /** First audit seq to replay (default 1). */
  fromSeq?: number;
}

/** Replays every `decision` record of `records` (seq >= `fromSeq`) with `candidate`. */
export async function replayDecisions(
  records: AsyncIterable<AuditRecord>,
  candidate: WasmPolicy,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: 0, skipped: 0, differences: [], changes: {} };
  for await (const record of records) {
    if (record.kind !== "decision" || record.seq < (options.fromSeq ?? 1)) continue;
    const payload = record.payload as Record<string, unknown> | null;
    const recorded = decisionSchema.safeParse({
      outcome: payload?.outcome,
      reasons: payload?.reasons,
      approvals: payload?.approvals,
    });
    if (payload?.stage !== "policy" || payload.intent == null || !recorded.success) {
      report.skipped += 1;
      continue;
    }
    const intent = payload.intent as { intent_id?: unknown; action?: unknown };
    const theirs = decide(candidate, intent);
    report.replayed += 1;
    if (!decisionsDiffer(recorded.data, theirs)) continue;
    const change = `${recorded.data.outcome}->${theirs.outcome}`;
    report.changes[change] = (report.changes[change] ?? 0) + 1;
    report.differences.push({
      seq: record.seq,
      intentId: String(intent.intent_id),
      action: String(intent.action),
      recorded: { outcome: recorded.data.outcome, reasons: recorded.data.reasons },
      candidate: { outcome: theirs.outcome, reasons: theirs.reasons },
    });
  }
  return report;
}
