/**
 * `PolicyEngine.evaluate(intent)`: the one decision a bank makes before it signs. In order: the intent is
 * validated (the engine fills `time_unix` from its own clock and `exposure_used` from its reservations),
 * checked against the consortium's shared parameters, evaluated by the active signed bundle, and, when it is
 * allowed and moves exposure, its limit usage is reserved; then the decision is appended to the audit log.
 * Only once both the reservation and the audit record are durably committed does `evaluate` resolve.
 *
 * Decisions that arrive together are committed together (group commit): one reservation transaction and one
 * audit append per batch, so durability costs two commits per batch rather than per decision. Evaluation
 * within a batch is sequential, and usage reserved earlier in the batch counts for the next intent.
 *
 * A decision asked for with a write set (`evaluate(intent, writes)`, the signing path's one commit per signature)
 * is not committed here: its reservation is held in memory (counted for every later decision) and staged in the
 * write set with its audit record, and the decision resolves at once; its `auditSeq` is set when the write set
 * commits. Dropped, the reservation was never there.
 *
 * Every failure is a deny or a thrown `PolicyEngineError`, never an allow: no bundle, shared parameters that
 * cannot be read, a reservation conflict, a clock too far off. If the audit append fails, the batch's
 * reservations are undone and every caller in it gets POLICY_ENGINE_AUDIT_FAILED.
 */
import { randomUUID } from "node:crypto";
import { keccak256, toUtf8Bytes } from "ethers";
import type { AuditEntry, AuditStore, JsonValue } from "../audit";
import { canonicalJson } from "../core";
import type { WriteSet } from "../audit";
import { denyDecision, type Decision } from "./decision";
import { parseEngineConfig, type EngineConfig, type EngineConfigInput } from "./engine-config";
import { PolicyEngineError } from "./engine-errors";
import { validateIntent, type Intent } from "./intent";
import type { PolicyRegistry, PolicyVersion } from "./registry";
import { NO_ACTIVE_BUNDLE_REASON } from "./registry";
import { ReservationStore, type ReleaseReason, type Reservation, type ReservationWrite } from "./reservations";
import {
  BatchPlanner,
  EXPOSURE_ACTIONS,
  localDay,
  type DecisionStage,
  type Planned,
  type Request,
  type ReservationOutcome,
} from "./batch";
import { ShadowRun, type ShadowCandidate, type ShadowOutcome, type ShadowReport } from "./shadow";
import type { BundleDependencies, VerifiedBundle } from "./bundle";

export { EXPOSURE_ACTIONS, localDay, type DecisionStage, type ReservationOutcome };

/** Checks an intent against the consortium's shared parameters (see `SharedParametersSource`). */
export interface SharedGuard {
  /** Deny reasons (`CODE: message`), empty when the shared parameters allow the intent. May throw: a deny. */
  check(intent: Intent, approvedSharedVersion: number, dependsOn?: BundleDependencies): Promise<string[]> | string[];
}

export interface PolicyEngineOptions {
  config: EngineConfigInput;
  registry: PolicyRegistry;
  audit: AuditStore;
  shared?: SharedGuard;
  /** The engine's clock in Unix seconds (tests drive time with it). */
  now?: () => number;
  /**
   * Reservations already open (on a connection shared with the signing path's other stores, see `SigningLedger`);
   * then `config.reservationsPath` is not used. The engine closes it on `close`.
   */
  reservations?: ReservationStore;
}

/** A decision with everything needed to act on it and to find it in the audit log. */
export interface EngineDecision extends Decision {
  decisionId: string;
  intentId: string | null;
  /** keccak256 of the canonical JSON of the intent as evaluated (`null` if it was malformed). */
  inputDigest: string | null;
  policyVersion: PolicyVersion | null;
  /** The intent as evaluated, with the engine's time and exposure (`null` if it was malformed). */
  intent: Intent | null;
  reservation: ReservationOutcome | null;
  /** Seq of the decision's audit record. */
  auditSeq: number;
  shadow?: ShadowOutcome;
}

export class PolicyEngine {
  readonly #config: EngineConfig;
  readonly #registry: PolicyRegistry;
  readonly #audit: AuditStore;
  readonly #shared: SharedGuard | undefined;
  readonly #now: () => number;
  readonly #reservations: ReservationStore;
  #pending: Request[] = [];
  #flushing: Promise<void> | null = null;
  #shadow: ShadowRun | null = null;
  #closed = false;

  private constructor(options: PolicyEngineOptions, config: EngineConfig, reservations: ReservationStore) {
    this.#config = config;
    this.#registry = options.registry;
    this.#audit = options.audit;
    this.#shared = options.shared;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#reservations = reservations;
  }

  /** Validates the configuration and opens the reservation store (this process becomes its only owner). */
  static open(options: PolicyEngineOptions): PolicyEngine {
    const config = parseEngineConfig(options.config);
    if (options.reservations !== undefined) return new PolicyEngine(options, config, options.reservations);
    if (config.reservationsPath === undefined) {
      throw new PolicyEngineError(
        "POLICY_ENGINE_CONFIG_INVALID",
        "invalid engine configuration: reservationsPath: Required",
        {
          issues: ["reservationsPath: Required"],
        },
      );
    }
    return new PolicyEngine(options, config, ReservationStore.open(config.reservationsPath, config.busyTimeoutMs));
  }

  /** The registry whose active bundle decides. */
  get registry(): PolicyRegistry {
    return this.#registry;
  }

  /**
   * Decides on `raw`; resolves once the decision (and any reservation) is durable, or, with `writes`, once both
   * are staged there. See the module comment.
   */
  async evaluate(raw: unknown, writes?: WriteSet): Promise<EngineDecision> {
    this.#assertOpen();
    const bundle = this.#registry.current();
    const prepared = this.#prepare(raw);
    const intent = prepared.intent;
    let early = prepared.early;
    if (early === null && intent !== null && bundle === null) early = denyDecision([NO_ACTIVE_BUNDLE_REASON]);
    if (early === null && intent !== null && bundle !== null && this.#shared !== undefined) {
      const { sharedPolicyVersion, dependsOn } = bundle.bundle.manifest;
      const reasons = await this.#sharedReasons(intent, sharedPolicyVersion, dependsOn);
      if (reasons.length > 0) early = denyDecision(reasons);
    }
    return new Promise<EngineDecision>((resolve, reject) => {
      this.#pending.push({ bundle, intent, early, resolve, reject, writes });
      this.#schedule();
    });
  }

  /** The reservation of `intentId`, if any. */
  reservation(intentId: string): Reservation | undefined {
    return this.#reservations.get(intentId);
  }

  /** How many signatures the policy gate recorded under `signingKey` (see `ReservationStore.signed`). */
  signatures(signingKey: string): number {
    this.#assertOpen();
    return this.#reservations.signed(signingKey);
  }

  /** Records the gate's signature number `ordinal` under `signingKey`, made for `intentId` as `txHash`. */
  recordSignature(signingKey: string, ordinal: number, intentId: string, txHash: string): void {
    this.#assertOpen();
    this.#reservations.recordSigned(signingKey, ordinal, intentId, txHash);
  }

  /** `recordSignature` staged in `writes` (counted at once by `signatures`). */
  stageSignature(writes: WriteSet, signingKey: string, ordinal: number, intentId: string, txHash: string): void {
    this.#assertOpen();
    writes.stage(this.#reservations.stageSigned(signingKey, ordinal, intentId, txHash));
  }

  /**
   * Gives back the usage reserved for `intentId` (its transaction failed, expired, was cancelled or
   * reversed). Audited before it takes effect; `undefined` (and nothing logged) when nothing was reserved.
   * With `writes`, the release and its audit record are staged there (the usage is given back at once).
   */
  async release(intentId: string, reason: ReleaseReason, writes?: WriteSet): Promise<Reservation | undefined> {
    this.#assertOpen();
    if (writes !== undefined) {
      const staged = this.#reservations.stageRelease(intentId, reason);
      if (staged === undefined) return undefined;
      writes.stage(staged.write);
      writes.record({
        kind: "reservation",
        subject: intentId,
        payload: { event: "released", reason, ...reservationJson(staged.released) },
      });
      return staged.released;
    }
    const held = this.#reservations.get(intentId);
    if (held === undefined || held.state !== "reserved") return undefined;
    await this.#audit.append({
      kind: "reservation",
      subject: intentId,
      payload: { event: "released", reason, ...reservationJson(held) },
    });
    return this.#reservations.release(intentId, reason);
  }

  /** Releases every reservation past its expiry; returns them. */
  async releaseExpired(): Promise<Reservation[]> {
    const released: Reservation[] = [];
    for (const r of this.#reservations.expired(this.#now())) {
      const done = await this.release(r.intentId, "expired");
      if (done !== undefined) released.push(done);
    }
    return released;
  }

  /** Runs `candidate` beside the active bundle on every decision from now on, recording where they differ. */
  startShadow(candidate: ShadowCandidate): void {
    this.#shadow = new ShadowRun(candidate, this.#config.shadowReportLimit);
  }

  /** What the shadow run has seen so far (`null` when none is running). */
  shadowReport(): ShadowReport | null {
    return this.#shadow?.report() ?? null;
  }

  /** Stops the shadow run and returns its final report. */
  stopShadow(): ShadowReport | null {
    const report = this.shadowReport();
    this.#shadow = null;
    return report;
  }

  /** Waits for decisions in flight, then closes the reservation store (the audit store is the caller's). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing !== null) await this.#flushing;
    this.#reservations.close();
  }

  #prepare(raw: unknown): { intent: Intent | null; early: Decision | null } {
    const now = this.#now();
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      const v = validateIntent(raw);
      return { intent: null, early: v.ok ? null : v.decision };
    }
    const given = (raw as { time_unix?: unknown }).time_unix;
    if (typeof given === "number" && Math.abs(given - now) > this.#config.maxClockSkewSeconds) {
      const reason = `INTENT_TIME_SKEW: time_unix ${given} is more than ${this.#config.maxClockSkewSeconds}s from the engine's clock`;
      return { intent: null, early: denyDecision([reason]) };
    }
    const v = validateIntent({ ...raw, time_unix: given ?? now, exposure_used: "0" });
    return v.ok ? { intent: v.intent, early: null } : { intent: null, early: v.decision };
  }

  async #sharedReasons(intent: Intent, approvedVersion: number, dependsOn?: BundleDependencies): Promise<string[]> {
    try {
      return await this.#shared!.check(intent, approvedVersion, dependsOn);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return [
        `SHARED_PARAMETERS_UNAVAILABLE: ${typeof code === "string" ? code : "the shared parameters could not be read"}`,
      ];
    }
  }

  #schedule(): void {
    if (this.#flushing !== null) return;
    this.#flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#drain());
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#config.maxBatch);
      await this.#commit(batch);
    }
    this.#flushing = null;
  }

  async #commit(batch: Request[]): Promise<void> {
    const planner = new BatchPlanner(this.#reservations, this.#config.reservationTtlSeconds);
    const shadow = this.#shadow;
    const results = batch.map((req) => {
      const decisionId = randomUUID();
      const { stage, decision, reservation } = planner.decide(req, decisionId);
      const compared = req.intent !== null && shadow !== null && stage === "policy";
      const shadowOutcome = compared ? shadow.compare(req.intent!, decision) : undefined;
      const digest = req.intent === null ? null : inputDigest(req.intent);
      return { req, decisionId, stage, decision, reservation, shadow: shadowOutcome, digest };
    });
    // Decisions for a write set are staged there, with their reservations; the rest are committed here.
    const deferred = new Set<string>(results.filter((r) => r.req.writes !== undefined).map((r) => r.decisionId));
    for (const r of results) {
      if (r.req.writes === undefined) continue;
      const writes = r.req.writes;
      try {
        writes.stage(this.#reservations.stage(planner.toReserve.filter((t) => t.decisionId === r.decisionId)));
      } catch (error) {
        r.req.reject(error);
        continue;
      }
      const decision = engineDecision(r, 0);
      writes.record(decisionEntry(r), (seq) => (decision.auditSeq = seq));
      r.req.resolve(decision);
    }
    const now = results.filter((r) => !deferred.has(r.decisionId));
    if (now.length === 0) return;
    batch = now.map((r) => r.req);
    let added: ReservationWrite[];
    try {
      added = this.#reservations.reserveAll(planner.toReserve.filter((t) => !deferred.has(t.decisionId)));
    } catch (error) {
      batch.forEach((r) => r.reject(error));
      return;
    }
    const entries: AuditEntry[] = now.map((r) => decisionEntry(r));
    try {
      const records = await this.#audit.appendMany(entries);
      now.forEach((r, i) => r.req.resolve(engineDecision(r, records[i].seq)));
    } catch (error) {
      this.#reservations.undo(added);
      const failure = new PolicyEngineError(
        "POLICY_ENGINE_AUDIT_FAILED",
        "the decision could not be recorded in the audit log; nothing was allowed",
        { batch: batch.length },
        error,
      );
      batch.forEach((r) => r.reject(failure));
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new PolicyEngineError("POLICY_ENGINE_CLOSED", "the policy engine is closed");
  }
}

/** keccak256 of the canonical JSON of an evaluated intent. */
export function inputDigest(intent: Intent): string {
  return keccak256(toUtf8Bytes(canonicalJson(intent)));
}

interface Result extends Planned {
  req: Request;
  decisionId: string;
  /** The intent's input digest, computed once for the audit record and the returned decision. */
  digest: string | null;
  shadow?: ShadowOutcome;
}

function versionOf(bundle: VerifiedBundle | null): PolicyVersion | null {
  if (bundle === null) return null;
  return { version: bundle.bundle.manifest.version, policyHash: bundle.bundle.manifest.policyHash };
}

function decisionEntry(r: Result): AuditEntry {
  const { intent, bundle } = r.req;
  const payload: Record<string, JsonValue> = {
    decisionId: r.decisionId,
    stage: r.stage,
    inputDigest: r.digest,
    outcome: r.decision.outcome,
    reasons: r.decision.reasons,
    approvals: r.decision.approvals,
    policyVersion: versionOf(bundle) as JsonValue,
    intent,
    reservation: r.reservation as unknown as JsonValue,
  };
  if (r.shadow !== undefined) payload.shadow = r.shadow as unknown as JsonValue;
  return { kind: "decision", subject: intent?.intent_id, payload };
}

function engineDecision(r: Result, auditSeq: number): EngineDecision {
  const { intent, bundle } = r.req;
  return {
    ...r.decision,
    decisionId: r.decisionId,
    intentId: intent?.intent_id ?? null,
    inputDigest: r.digest,
    policyVersion: versionOf(bundle),
    intent,
    reservation: r.reservation,
    auditSeq,
    ...(r.shadow === undefined ? {} : { shadow: r.shadow }),
  };
}

function reservationJson(r: Reservation): Record<string, JsonValue> {
  return {
    counterparty: r.counterparty,
    asset: r.asset,
    amount: r.amount.toString(),
    day: r.day,
    decisionId: r.decisionId,
  };
}
