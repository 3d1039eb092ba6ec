/**
 * Shadow mode: a candidate policy (signed or still a draft) evaluated beside the active bundle on the same
 * intents, never deciding anything. Every decision records what the candidate would have said; the engine
 * keeps a report of where the two differ, so compliance sees a rule change's effect before activating it.
 * Two decisions differ when their outcome, their reason codes or the approvals they demand differ.
 */
import { decideValid } from "./decide";
import { reasonCode, type Decision } from "./decision";
import type { Intent } from "./intent";
import type { WasmPolicy } from "./wasm";

/** A policy to shadow the active bundle with, and the name it is reported under. */
export interface ShadowCandidate {
  label: string;
  policy: WasmPolicy;
}

/** What the candidate said about one intent. */
export interface ShadowOutcome {
  label: string;
  outcome: Decision["outcome"];
  reasons: string[];
  agrees: boolean;
}

/** One intent the two policies decided differently. */
export interface ShadowDisagreement {
  intentId: string;
  action: string;
  active: Pick<Decision, "outcome" | "reasons">;
  candidate: Pick<Decision, "outcome" | "reasons">;
}

export interface ShadowReport {
  label: string;
  compared: number;
  disagreements: number;
  /** The first disagreements (up to the engine's `shadowReportLimit`). */
  samples: ShadowDisagreement[];
}

/** True when two decisions differ in outcome, reason codes or demanded approvals. */
export function decisionsDiffer(a: Decision, b: Decision): boolean {
  if (a.outcome !== b.outcome || a.approvals.required !== b.approvals.required) return true;
  const codes = (d: Decision): string => [...new Set(d.reasons.map(reasonCode))].sort().join(",");
  const pending = (d: Decision): string => [...d.approvals.pending].sort().join(",");
  return codes(a) !== codes(b) || pending(a) !== pending(b);
}

export class ShadowRun {
  #compared = 0;
  #disagreements = 0;
  readonly #samples: ShadowDisagreement[] = [];

  constructor(
    private readonly candidate: ShadowCandidate,
    private readonly limit: number,
  ) {}

  /** Evaluates the candidate on `intent` and counts a disagreement with `active`. */
  compare(intent: Intent, active: Decision): ShadowOutcome {
    const theirs = decideValid(this.candidate.policy, intent);
    const agrees = !decisionsDiffer(active, theirs);
    this.#compared += 1;
    if (!agrees) {
      this.#disagreements += 1;
      if (this.#samples.length < this.limit) {
        this.#samples.push({
          intentId: intent.intent_id,
          action: intent.action,
          active: { outcome: active.outcome, reasons: active.reasons },
          candidate: { outcome: theirs.outcome, reasons: theirs.reasons },
        });
      }
    }
    return { label: this.candidate.label, outcome: theirs.outcome, reasons: theirs.reasons, agrees };
  }

  report(): ShadowReport {
    return {
      label: this.candidate.label,
      compared: this.#compared,
      disagreements: this.#disagreements,
      samples: [...this.#samples],
    };
  }
}
