/**
 * Stage timing for the pipeline benchmark, without touching src/: the objects the participant is made of are
 * wrapped at their seams for the duration of the run. Each intent runs in its own AsyncLocalStorage context,
 * so a wrapped call adds its time to the intent that made it (also when intents run concurrently):
 *
 * - policy:    `participant.engine.evaluate` (Wasm decision; reservation and audit record staged for the commit)
 * - approvals: `participant.approvals.status` and `.request`; for an intent that needs approvals, also its whole
 *              first round (up to GATE_APPROVALS_PENDING) and the officers' signed votes (`submitApproval`)
 * - signing:   `ProtectedSigner.prototype.protectTransaction` (nonce claim, HSM signature and its check); `hsm`
 *              is the part in `participant.hsm.signTransaction` alone
 * - commit:    `SigningLedger.prototype.commit` (the one durable transaction of decision, reservation, nonce
 *              claim and signature records)
 * - submission: from `PolicyGatedSigner.prototype.protectTransaction` resolving to the receipt (submission record,
 *              broadcast, mining, receipt)
 * - other:     the rest of end to end (calldata encoding, populate with estimateGas, decode, directory look-ups,
 *              audit record of the signature)
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { performance } from "node:perf_hooks";
import { ProtectedSigner } from "../../../src/signer";
import { PolicyGatedSigner, SigningLedger } from "../../../src/orchestrator";
import type { Participant } from "../../../src/participant";

export const STAGES = ["policy", "approvals", "signing", "commit", "submission", "other"] as const;
export type Stage = (typeof STAGES)[number];
/** The stages, and two measures inside them: the HSM signer alone, and audit log appends across stages. */
export type Breakdown = Stage | "hsm" | "audit";

export const STAGE_LABELS: Record<Breakdown, string> = {
  policy: "policy decision (engine.evaluate: Wasm; reservation staged)",
  approvals: "approvals (look-up; pending round + 2 officer votes)",
  signing: "signing (nonce claim + HSM)",
  commit: "commit (one durable transaction per signature)",
  hsm: "  of which HsmSigner.signTransaction",
  submission: "submission + receipt",
  other: "other (populate/estimateGas, decode, directory, audit)",
  audit: "across stages: audit log appends",
};

/** One intent's clock: stage totals in milliseconds, and when the gate released its signature. */
export interface IntentClock {
  stages: Record<Stage, number>;
  /** Within signing: the HSM signer alone. */
  hsm: number;
  /** Across stages: appends to the audit log. */
  audit: number;
  /** Across stages: JSON-RPC calls to the network by method (count and milliseconds). */
  rpc: Record<string, { count: number; ms: number }>;
  /** Across stages: SQLite commits (autocommit writes and outermost transactions) and their milliseconds. */
  sqlite: { count: number; ms: number };
  signedAt?: number;
}

export const newClock = (): IntentClock => ({
  stages: { policy: 0, approvals: 0, signing: 0, commit: 0, submission: 0, other: 0 },
  hsm: 0,
  audit: 0,
  rpc: {},
  sqlite: { count: 0, ms: 0 },
});

const context = new AsyncLocalStorage<IntentClock>();

/** Runs `fn` with `clock` receiving the time of every wrapped call it makes. */
export const withClock = <T>(clock: IntentClock, fn: () => Promise<T>): Promise<T> => context.run(clock, fn);

/** The clock of the intent running now, if any. */
export const currentClock = (): IntentClock | undefined => context.getStore();

type AnyAsync = (...args: unknown[]) => Promise<unknown>;

/** Replaces `target[key]` by a wrapper that reports its duration; returns the function that undoes it. */
function wrap(
  target: object,
  key: string,
  done: (clock: IntentClock, ms: number, args: unknown[]) => void,
): () => void {
  const holder = target as Record<string, AnyAsync>;
  const own = Object.prototype.hasOwnProperty.call(target, key);
  const original = holder[key];
  holder[key] = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const clock = context.getStore();
    if (clock === undefined) return original.apply(this, args);
    const start = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      done(clock, performance.now() - start, args);
    }
  };
  return () => {
    if (own) holder[key] = original;
    else delete holder[key];
  };
}

const add =
  (stage: Stage) =>
  (clock: IntentClock, ms: number): void => {
    clock.stages[stage] += ms;
  };

/** Wraps the seams of the signer classes (shared by every participant); returns the undo. */
export function instrumentSigners(): () => void {
  const undo = [
    wrap(ProtectedSigner.prototype, "protectTransaction", add("signing")),
    wrap(SigningLedger.prototype, "commit", add("commit")),
    wrap(PolicyGatedSigner.prototype, "protectTransaction", (clock) => (clock.signedAt = performance.now())),
  ];
  return () => undo.reverse().forEach((u) => u());
}

/** Wraps one participant's engine, approval store and HSM signer; returns the undo. */
export function instrumentParticipant(p: Participant): () => void {
  const undo = [
    wrap(p.engine, "evaluate", add("policy")),
    wrap(p.approvals, "status", add("approvals")),
    wrap(p.approvals, "request", add("approvals")),
    wrap(p.hsm, "signTransaction", (clock, ms) => (clock.hsm += ms)),
    wrap(p.audit, "append", (clock, ms) => (clock.audit += ms)),
  ];
  return () => undo.reverse().forEach((u) => u());
}

/** Counts and times the JSON-RPC calls made through `provider.send` (what hardhat-ethers' provider calls). */
export function instrumentRpc(provider: object): () => void {
  return wrap(provider, "send", (clock, ms, args) => {
    const entry = (clock.rpc[String(args[0])] ??= { count: 0, ms: 0 });
    entry.count += 1;
    entry.ms += ms;
  });
}

/** Closes an intent's clock: submission from the signature to `end`, other as what the stages leave over. */
export function finish(clock: IntentClock, start: number, end: number): number {
  const total = end - start;
  clock.stages.submission = clock.signedAt === undefined ? 0 : end - clock.signedAt;
  const { policy, approvals, signing, commit, submission } = clock.stages;
  const counted = policy + approvals + signing + commit + submission;
  clock.stages.other = Math.max(0, total - counted);
  return total;
}

/** Nearest-rank percentile of `values` (milliseconds). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
