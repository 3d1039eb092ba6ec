/**
 * Periodic anchoring: `AuditAnchorSchedule` posts the log's head on chain every `intervalMs`, when at least
 * `minNewRecords` records were appended since the head it anchored last, so counterparties and auditors can
 * check a bank's log against heads it committed to at known times, and a truncated or rewritten log is caught
 * against the latest of them. The schedule never throws from its timer: a failed anchor (the chain or the
 * operator key unavailable, a revert) is reported to `onError`, nothing is recorded for it, and the next tick
 * tries again. `stop()` waits for an anchor in flight, so closing the store after it is safe.
 */
import { AuditConfigError } from "./errors";
import type { AnchorResult } from "./anchor";
import type { AuditStore } from "./store";

export interface AuditAnchorScheduleOptions {
  store: AuditStore;
  /** Posts the store's head and records the anchor (`anchorHead` bound to the contract and operator). */
  anchor: (store: AuditStore) => Promise<AnchorResult>;
  intervalMs: number;
  /** Records appended since the last anchored head that make the next tick anchor (default 1). */
  minNewRecords?: number;
  onAnchored?: (result: AnchorResult) => void;
  onError?: (error: unknown) => void;
}

export class AuditAnchorSchedule {
  readonly #o: Required<Omit<AuditAnchorScheduleOptions, "onAnchored" | "onError">> &
    Pick<AuditAnchorScheduleOptions, "onAnchored" | "onError">;
  /** Seq of the log's own `anchor` record after the last anchor (records up to it need no new anchor). */
  #covered = 0;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<AnchorResult | null> | null = null;
  #stopped = false;

  constructor(options: AuditAnchorScheduleOptions) {
    const minNewRecords = options.minNewRecords ?? 1;
    const issues = [];
    if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs < 1)
      issues.push({ path: "intervalMs", message: "not a positive integer" });
    if (!Number.isSafeInteger(minNewRecords) || minNewRecords < 1)
      issues.push({ path: "minNewRecords", message: "not a positive integer" });
    if (issues.length > 0) throw new AuditConfigError(issues);
    this.#o = { ...options, minNewRecords };
  }

  /** Starts the timer (the first tick after one interval). Idempotent; a stopped schedule stays stopped. */
  start(): void {
    if (this.#timer !== null || this.#stopped) return;
    const arm = (): void => {
      this.#timer = setTimeout(() => {
        void this.tick()
          .catch(() => null) // reported by tick
          .finally(() => {
            if (!this.#stopped) arm();
          });
      }, this.#o.intervalMs);
      this.#timer.unref();
    };
    arm();
  }

  /**
   * One round: anchors the head if enough records are new, returns what was anchored (`null` when nothing was
   * due). A failure is reported to `onError` and rethrown; nothing is recorded for it.
   */
  tick(): Promise<AnchorResult | null> {
    this.#inFlight ??= this.#round().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  /** Stops the timer and waits for an anchor in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#inFlight?.catch(() => null);
  }

  async #round(): Promise<AnchorResult | null> {
    try {
      const head = await this.#o.store.head();
      if (head.seq - this.#covered < this.#o.minNewRecords) return null;
      const result = await this.#o.anchor(this.#o.store);
      this.#covered = result.record.seq;
      this.#o.onAnchored?.(result);
      return result;
    } catch (error) {
      this.#o.onError?.(error);
      throw error;
    }
  }
}
