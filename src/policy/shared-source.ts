/**
 * The engine's cached view of the shared parameters. `current()` serves the snapshot while it is younger than the
 * refresh interval, reads the chain again after that, and when the chain cannot be read serves the last snapshot
 * only while it is younger than the maximum age; beyond it, it throws POLICY_SHARED_STALE and the engine denies
 * (fail closed). Both durations come from a configuration validated once (`parseSharedSourceConfig`).
 */
import { z } from "zod";
import { schemaIssues } from "../errors";
import type { SharedGuard } from "./engine";
import {
  dependencyChanges,
  ESCROW_RETURN_ACTIONS,
  readSharedParameters,
  sharedChecks,
  systemClock,
  type Clock,
  type ConsortiumSource,
  type SharedAsset,
  type SharedParameters,
} from "./shared";
import { SharedPolicyError } from "./shared-errors";

const seconds = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const sharedSourceConfigSchema = z
  .object({
    /** Seconds a snapshot is served before the chain is read again. */
    refreshIntervalSeconds: seconds,
    /** Seconds a snapshot may still be served while the chain cannot be read; older, the engine denies. */
    maxAgeSeconds: seconds,
    /** Milliseconds one read of the chain may take before it counts as failed. */
    readTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
    /**
     * The bank's choice on a shared-policy version change: `strict` (default) denies every action but those
     * returning escrow until compliance signs a bundle against the new version, and refuses to activate a
     * bundle approved against another; `compatible` keeps deciding under the bundle in force, held to the live
     * caps, listing and pause read from the chain and to the shared state its manifest says it depends on
     * (`dependsOn`), so a consortium change that touches none of them does not halt the bank.
     */
    versionPolicy: z.enum(["strict", "compatible"]).default("strict"),
  })
  .strict()
  .refine((c) => c.maxAgeSeconds >= c.refreshIntervalSeconds, {
    message: "must be at least refreshIntervalSeconds",
    path: ["maxAgeSeconds"],
  });
/** A validated source configuration. */
export type SharedSourceConfig = z.infer<typeof sharedSourceConfigSchema>;
/** What callers may hand in before validation (`readTimeoutMs` may be omitted). */
export type SharedSourceConfigInput = z.input<typeof sharedSourceConfigSchema>;

/** Validates the configuration; throws POLICY_SHARED_CONFIG_INVALID listing paths and messages. */
export function parseSharedSourceConfig(input: unknown): SharedSourceConfig {
  const parsed = sharedSourceConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = schemaIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
  throw new SharedPolicyError("POLICY_SHARED_CONFIG_INVALID", `invalid shared-parameter source: ${issues.join("; ")}`, {
    issues,
  });
}

/** A change of the consortium's shared-policy version, seen between two reads. */
export interface SharedChange {
  from: SharedParameters;
  to: SharedParameters;
}

export interface SharedParametersSourceOptions {
  /** Reads the chain (`readSharedParameters` bound to a consortium and its assets). */
  read: () => Promise<SharedParameters>;
  /**
   * Told at once, inside the read that saw it, when the shared-policy version differs from the last snapshot's (a
   * governance proposal executed). A failure of its own is its own: it never fails the read.
   */
  onChange?: (change: SharedChange) => Promise<void> | void;
  config: SharedSourceConfigInput;
  /** Unix seconds; the system clock by default. */
  clock?: Clock;
}

export class SharedParametersSource {
  readonly config: SharedSourceConfig;
  readonly #read: () => Promise<SharedParameters>;
  readonly #clock: Clock;
  readonly #onChange: SharedParametersSourceOptions["onChange"];
  #snapshot: SharedParameters | null = null;
  #inflight: Promise<SharedParameters> | null = null;

  constructor(options: SharedParametersSourceOptions) {
    this.config = parseSharedSourceConfig(options.config);
    this.#read = options.read;
    this.#clock = options.clock ?? systemClock;
    this.#onChange = options.onChange;
  }

  /** A source reading `consortium` and the caps of `assets`. */
  static forConsortium(
    consortium: ConsortiumSource,
    assets: readonly SharedAsset[],
    config: SharedSourceConfigInput,
    clock?: Clock,
    onChange?: SharedParametersSourceOptions["onChange"],
  ): SharedParametersSource {
    return new SharedParametersSource({
      read: () => readSharedParameters(consortium, assets, { clock }),
      config,
      clock,
      onChange,
    });
  }

  /**
   * Reads the chain every refresh interval from now on, whether or not decisions ask, so that a version change is
   * seen (and `onChange` told) as it happens rather than at the next decision. A failed read is left to the next
   * one (decisions deny on a stale snapshot as always). Returns the function that stops it.
   */
  watch(): () => void {
    const timer = setInterval(() => {
      this.refresh().catch(() => undefined);
    }, this.config.refreshIntervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * This source as the policy engine's `SharedGuard`: each intent is checked with `sharedChecks` against the
   * current snapshot; when there is none fresh enough, `current` throws and the engine denies.
   */
  asGuard(): SharedGuard {
    return {
      check: async (intent, approvedSharedVersion, dependsOn) => {
        const shared = await this.current();
        if (this.config.versionPolicy === "strict") return sharedChecks(intent, approvedSharedVersion, shared);
        // Compatible: held to the live caps, listing and pause, and to what the bundle says it depends on.
        const changed = ESCROW_RETURN_ACTIONS.includes(intent.action) ? [] : dependencyChanges(dependsOn, shared);
        return [...sharedChecks(intent, shared.policyVersion, shared), ...changed].sort();
      },
    };
  }

  /** The last snapshot read, whatever its age, or null. */
  get snapshot(): SharedParameters | null {
    return this.#snapshot;
  }

  /** The snapshot to decide with (see the module comment); throws POLICY_SHARED_STALE when there is none. */
  async current(): Promise<SharedParameters> {
    const last = this.#snapshot;
    if (last !== null && this.#clock() - last.readAt < this.config.refreshIntervalSeconds) return last;
    try {
      return await this.refresh();
    } catch (error) {
      const age = last === null ? null : this.#clock() - last.readAt;
      if (last !== null && age !== null && age <= this.config.maxAgeSeconds) return last;
      const { maxAgeSeconds } = this.config;
      throw new SharedPolicyError(
        "POLICY_SHARED_STALE",
        age === null
          ? "the shared parameters cannot be read and no earlier snapshot exists"
          : `the shared parameters cannot be read and the last snapshot is ${age}s old, more than the maximum of ${maxAgeSeconds}s`,
        {
          ageSeconds: age,
          maxAgeSeconds,
          lastReadAt: last?.readAt ?? null,
          lastBlockNumber: last?.blockNumber ?? null,
        },
        error,
      );
    }
  }

  /** Reads the chain now (one read at a time: concurrent callers share it) and keeps the result. */
  refresh(): Promise<SharedParameters> {
    this.#inflight ??= this.#readOnce().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #readOnce(): Promise<SharedParameters> {
    const startedAt = this.#clock();
    const { readTimeoutMs } = this.config;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new SharedPolicyError(
            "POLICY_SHARED_READ_FAILED",
            `reading the shared parameters took over ${readTimeoutMs}ms`,
            {
              readTimeoutMs,
            },
          ),
        );
      }, readTimeoutMs);
      timer.unref();
    });
    try {
      // The age of a snapshot counts from the start of its read, whatever clock the reader used.
      const read = await Promise.race([this.#read(), timeout]);
      const previous = this.#snapshot;
      const next = { ...read, readAt: startedAt };
      this.#snapshot = next;
      if (previous !== null && previous.policyVersion !== next.policyVersion && this.#onChange !== undefined) {
        try {
          await this.#onChange({ from: previous, to: next });
        } catch {
          // The listener reports its own failures; the read stands.
        }
      }
      return next;
    } finally {
      clearTimeout(timer);
    }
  }
}
