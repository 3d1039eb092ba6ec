/**
 * A participant's Prometheus metrics, on a registry of its own (never prom-client's global default, so two
 * participants in one process never mix), every series labelled with the participant:
 *
 *   consortium_decisions_total{outcome,stage}       decisions recorded in the audit log (allow, deny, approval_required)
 *   consortium_signatures_total                     signatures recorded in the audit log
 *   consortium_durable_commits_total{store}         durable commits of the audit log (a group commit counts once)
 *   consortium_signing_duration_seconds{result}     one gated signature: decision, approvals and the HSM
 *   consortium_hsm_errors_total{code}               PKCS#11 operations given up
 *   consortium_hsm_retries_total{code}              PKCS#11 operations recovered and tried again
 *   consortium_anchor_age_seconds                   seconds since the last anchored head (NaN before the first)
 *
 * Commits per signature is the ratio of the commit and signature counters. Decisions, signatures, commits and
 * anchors are read from the audit records the participant commits (`observeAudit`), so the gate is not touched.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AuditRecord, AuditStore } from "../audit";
import { onHsmEvent } from "../signer/hsm-events";

/** The outcomes a decision record may carry. */
export const DECISION_OUTCOMES = ["allow", "deny", "approval_required"] as const;

/** Signing latency buckets in seconds: a software HSM signs in under a millisecond, a remote approval in seconds. */
export const SIGNING_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSettings {
  /** The participant's name, on every series as `participant`. */
  participant: string;
  /** Histogram buckets of the signing latency, in seconds (default `SIGNING_BUCKETS`). */
  signingBuckets?: readonly number[];
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

export class ParticipantMetrics {
  readonly registry = new Registry();
  readonly decisions: Counter<"outcome" | "stage">;
  readonly signatures: Counter;
  readonly commits: Counter<"store">;
  readonly signingSeconds: Histogram<"result">;
  readonly hsmErrors: Counter<"code">;
  readonly hsmRetries: Counter<"code">;
  readonly anchorAge: Gauge;
  readonly #now: () => number;
  readonly #stops: (() => void)[] = [];
  #anchoredAt: number | null = null;

  constructor(settings: MetricsSettings) {
    this.#now = settings.now ?? Date.now;
    this.registry.setDefaultLabels({ participant: settings.participant });
    const registers = [this.registry];
    this.decisions = new Counter({
      name: "consortium_decisions_total",
      help: "Policy and gate decisions recorded in the audit log, by outcome and stage",
      labelNames: ["outcome", "stage"],
      registers,
    });
    this.signatures = new Counter({
      name: "consortium_signatures_total",
      help: "Signatures recorded in the audit log",
      registers,
    });
    this.commits = new Counter({
      name: "consortium_durable_commits_total",
      help: "Durable commits (a group commit counts once); divide by signatures for commits per signature",
      labelNames: ["store"],
      registers,
    });
    this.signingSeconds = new Histogram({
      name: "consortium_signing_duration_seconds",
      help: "Time to sign one call through the gate: decision, approvals and the HSM",
      labelNames: ["result"],
      buckets: [...(settings.signingBuckets ?? SIGNING_BUCKETS)],
      registers,
    });
    this.hsmErrors = new Counter({
      name: "consortium_hsm_errors_total",
      help: "HSM operations given up (not recoverable, or out of retries)",
      labelNames: ["code"],
      registers,
    });
    this.hsmRetries = new Counter({
      name: "consortium_hsm_retries_total",
      help: "HSM operations whose session was recovered and that were tried again",
      labelNames: ["code"],
      registers,
    });
    const age = (): number =>
      this.#anchoredAt === null ? Number.NaN : Math.max(0, (this.#now() - this.#anchoredAt) / 1000);
    this.anchorAge = new Gauge({
      name: "consortium_anchor_age_seconds",
      help: "Seconds since the audit log's head was last anchored on chain (NaN before the first anchor)",
      registers,
      collect() {
        this.set(age());
      },
    });
  }

  /** Counts what `store` commits from now on (decisions, signatures, anchors, commits); a no-op without observers. */
  observeAudit(store: AuditStore): AuditStore {
    const stop = store.observeCommits?.((records) => this.recordCommit(records));
    if (stop !== undefined) this.#stops.push(stop);
    return store;
  }

  /** Counts one durable commit of the audit log and the records it holds. */
  recordCommit(records: readonly AuditRecord[]): void {
    this.commits.inc({ store: "audit" });
    for (const record of records) {
      const payload = record.payload as { outcome?: unknown; stage?: unknown } | null;
      if (record.kind === "signature") this.signatures.inc();
      else if (record.kind === "anchor") this.anchored(Date.parse(record.at));
      else if (record.kind === "decision" && typeof payload === "object" && payload !== null) {
        const outcome = payload.outcome;
        if (!(DECISION_OUTCOMES as readonly unknown[]).includes(outcome)) continue;
        this.decisions.inc({
          outcome: outcome as string,
          stage: typeof payload.stage === "string" ? payload.stage : "",
        });
      }
    }
  }

  /** Records that the head was anchored at `at` (milliseconds; default now). */
  anchored(at: number = this.#now()): void {
    if (Number.isFinite(at) && (this.#anchoredAt === null || at > this.#anchoredAt)) this.#anchoredAt = at;
  }

  /** Counts the HSM retries and errors of the token labelled `tokenLabel` from now on. */
  observeHsm(tokenLabel: string): void {
    this.#stops.push(
      onHsmEvent((event) => {
        if (event.tokenLabel !== tokenLabel) return;
        (event.kind === "retry" ? this.hsmRetries : this.hsmErrors).inc({ code: event.code });
      }),
    );
  }

  /** Runs one signature and records its duration (`result` ok or error). */
  async timeSigning<T>(sign: () => Promise<T>): Promise<T> {
    const end = this.signingSeconds.startTimer();
    try {
      const signed = await sign();
      end({ result: "ok" });
      return signed;
    } catch (error) {
      end({ result: "error" });
      throw error;
    }
  }

  /** The metrics in Prometheus' text format, and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /** Stops observing the audit log and the HSM. */
  close(): void {
    this.#stops.splice(0).forEach((stop) => stop());
  }
}
