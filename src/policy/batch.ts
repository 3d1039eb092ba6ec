/**
 * One batch of the decision engine's group commit, decided in order: each intent's exposure is what its
 * counterparty and asset have reserved (in the store and earlier in the batch, its own reservation aside), the
 * policy decides with it, and an allow that moves exposure is queued for the batch's reservation transaction.
 */
import type { WriteSet } from "../audit";
import { decideValid } from "./decide";
import { denyDecision, type Decision } from "./decision";
import type { VerifiedBundle } from "./bundle";
import type { EngineDecision } from "./engine";
import type { Intent } from "./intent";
import { NO_ACTIVE_BUNDLE_REASON } from "./registry";
import type { Reservation, ReservationStore } from "./reservations";

/** Actions whose amount counts against a counterparty's limits (the policy's `exposure_actions`). */
export const EXPOSURE_ACTIONS: readonly string[] = ["instruct", "affirm", "affirm_and_settle", "settle", "transfer"];

/** Largest `exposure_used` the intent schema accepts; a larger usage is passed as this (and exceeds any limit). */
const MAX_MINOR_UNITS = 999_999_999_999_999n;

/** What happened to the intent's limit usage. */
export interface ReservationOutcome {
  /** `reserved` now, or `held` when a retry found its earlier reservation. */
  state: "reserved" | "held";
  amount: string;
  day: number;
}

/** One call waiting in the engine's queue. */
export interface Request {
  bundle: VerifiedBundle | null;
  intent: Intent | null;
  early: Decision | null;
  resolve: (d: EngineDecision) => void;
  reject: (e: unknown) => void;
  /** Where the decision is staged instead of committed (see `PolicyEngine.evaluate`). */
  writes?: WriteSet;
}

/**
 * Where a decision was made: before the policy (malformed intent, clock skew, shared parameters, no bundle),
 * at the reservation (an intent id reused with other terms), or by the policy. Replay re-evaluates only the last.
 */
export type DecisionStage = "precheck" | "reservation" | "policy";

export interface Planned {
  stage: DecisionStage;
  decision: Decision;
  reservation: ReservationOutcome | null;
}

/** Evaluates the requests of one batch in order, keeping the usage reserved earlier in the batch. */
export class BatchPlanner {
  readonly toReserve: (Omit<Reservation, "state" | "releasedReason"> & { decisionId: string })[] = [];
  readonly #extra = new Map<string, bigint>();
  readonly #inBatch = new Map<string, { counterparty: string; asset: string; amount: bigint; day: number }>();

  constructor(
    private readonly store: ReservationStore,
    private readonly ttl: number,
  ) {}

  decide(req: Request, decisionId: string): Planned {
    if (req.early !== null || req.intent === null || req.bundle === null) {
      return { stage: "precheck", decision: req.early ?? denyDecision([NO_ACTIVE_BUNDLE_REASON]), reservation: null };
    }
    const intent = req.intent;
    if (
      !EXPOSURE_ACTIONS.includes(intent.action) ||
      intent.counterparty === undefined ||
      intent.asset === undefined ||
      intent.amount === undefined
    ) {
      return { stage: "policy", decision: decideValid(req.bundle.policy, intent), reservation: null };
    }
    const amount = intent.amount;
    const terms = {
      counterparty: intent.counterparty,
      asset: intent.asset,
      amount: BigInt(amount),
      day: localDay(intent.time_unix, req.bundle.bundle.data),
    };
    const stored = this.store.get(intent.intent_id);
    const earlier = this.#inBatch.get(intent.intent_id) ?? (stored?.state === "reserved" ? stored : undefined);
    if (earlier !== undefined && !sameTerms(earlier, terms)) {
      const reason = `RESERVATION_CONFLICT: intent ${intent.intent_id} was already decided with other terms`;
      return { stage: "reservation", decision: denyDecision([reason]), reservation: null };
    }
    const held = earlier !== undefined;
    const day = earlier?.day ?? terms.day;
    const key = `${terms.counterparty}\u0000${terms.asset}\u0000${day}`;
    const batchUsage = (this.#extra.get(key) ?? 0n) - (held && this.#inBatch.has(intent.intent_id) ? terms.amount : 0n);
    const used = this.store.used(terms.counterparty, terms.asset, day, intent.intent_id) + batchUsage;
    intent.exposure_used = (used > MAX_MINOR_UNITS ? MAX_MINOR_UNITS : used).toString();
    const decision = decideValid(req.bundle.policy, intent);
    if (decision.outcome !== "allow") return { stage: "policy", decision, reservation: null };
    if (held) return { stage: "policy", decision, reservation: { state: "held", amount, day } };
    this.toReserve.push({
      intentId: intent.intent_id,
      ...terms,
      expiresAt: intent.time_unix + this.ttl,
      decisionId,
    });
    this.#inBatch.set(intent.intent_id, terms);
    this.#extra.set(key, (this.#extra.get(key) ?? 0n) + terms.amount);
    return { stage: "policy", decision, reservation: { state: "reserved", amount, day } };
  }
}

function sameTerms(
  a: { counterparty: string; asset: string; amount: bigint },
  b: { counterparty: string; asset: string; amount: bigint },
): boolean {
  return a.counterparty === b.counterparty && a.asset === b.asset && a.amount === b.amount;
}

/**
 * The bank's local day number for `timeUnix`, with the `timezone_offset_minutes` of the bundle's data (under
 * `bank`, as the bank policy mounts it); 0 when absent.
 */
export function localDay(timeUnix: number, data: Record<string, unknown>): number {
  const bank = data.bank;
  const offset =
    bank !== null && typeof bank === "object" ? (bank as Record<string, unknown>).timezone_offset_minutes : undefined;
  const minutes = typeof offset === "number" && Number.isInteger(offset) ? offset : 0;
  return Math.floor((timeUnix + minutes * 60) / 86_400);
}
