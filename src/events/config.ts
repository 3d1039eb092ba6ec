/**
 * Configuration of the follower, the webhook dispatcher and the live stream, validated once with zod: every
 * interval, limit and retry schedule comes from here, never from literals in the code.
 */
import { z } from "zod";
import { schemaIssues } from "../errors";
import { EventsError } from "./errors";

export const FollowerConfigSchema = z
  .object({
    /**
     * Blocks that must be built on top of a block before its events are read. QBFT blocks are final once
     * built, so 1 (the default) only keeps the follower one block behind the head; 0 reads the head itself
     * (the in-process network, which builds a block per transaction and none after).
     */
    confirmations: z.number().int().min(0).max(1_000).default(1),
    /** The first block to read when the store holds no position yet (the consortium's deployment block). */
    fromBlock: z.number().int().min(0).default(0),
    /** How often the follower asks the node for new blocks. */
    pollIntervalMs: z.number().int().min(1).max(600_000).default(1_000),
    /** Blocks read and recorded in one transaction at most. */
    maxBlocksPerBatch: z.number().int().min(1).max(10_000).default(200),
  })
  .strict();
export type FollowerConfig = z.output<typeof FollowerConfigSchema>;
export type FollowerConfigInput = z.input<typeof FollowerConfigSchema>;

export const WebhookConfigSchema = z
  .object({
    /**
     * Waits before each retry of a failed delivery, in milliseconds; once they are used up the delivery is a
     * dead letter. Default: 5 s, 30 s, 2 min, 10 min, 30 min, 2 h.
     */
    retryScheduleMs: z
      .array(z.number().int().min(0).max(86_400_000))
      .max(50)
      .default([5_000, 30_000, 120_000, 600_000, 1_800_000, 7_200_000]),
    /** Each wait is scaled by a random factor in [1 - jitter, 1 + jitter]. */
    jitter: z.number().min(0).max(1).default(0.2),
    /** How long one delivery attempt may take before it counts as failed. */
    timeoutMs: z.number().int().min(1).max(120_000).default(10_000),
    /** How often the dispatcher looks for due deliveries when nothing wakes it. */
    pollIntervalMs: z.number().int().min(1).max(600_000).default(1_000),
    /** Deliveries attempted at once at most. */
    batchSize: z.number().int().min(1).max(1_000).default(20),
  })
  .strict();
export type WebhookConfig = z.output<typeof WebhookConfigSchema>;
export type WebhookConfigInput = z.input<typeof WebhookConfigSchema>;

export const StreamConfigSchema = z
  .object({
    /** A comment line sent when nothing else was, so that proxies keep the stream open; also re-reads the store. */
    heartbeatMs: z.number().int().min(10).max(600_000).default(15_000),
    /** Events read from the store per page when replaying or listing. */
    pageSize: z.number().int().min(1).max(1_000).default(100),
  })
  .strict();
export type StreamConfig = z.output<typeof StreamConfigSchema>;
export type StreamConfigInput = z.input<typeof StreamConfigSchema>;

/** Validates `input` against `schema`; throws EVENTS_CONFIG_INVALID listing paths and messages (never values). */
export function parseEventsConfig<S extends z.ZodTypeAny>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error);
    throw new EventsError(
      "EVENTS_CONFIG_INVALID",
      `invalid ${what} configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      { issues },
    );
  }
  return parsed.data as z.output<S>;
}
