/**
 * Configuration of the decision engine, validated once at start: where the reservation store lives, how long
 * a reservation is held, how far a caller's clock may differ from the engine's, and how large a group commit
 * may grow.
 */
import { z } from "zod";
import { schemaIssues } from "../errors";
import { PolicyEngineError } from "./engine-errors";

export const engineConfigSchema = z
  .object({
    /**
     * SQLite file of exposure reservations (created if missing; owned by one process). Required unless the
     * engine is given its reservation store (the signing path's one store).
     */
    reservationsPath: z.string().min(1).optional(),
    /** How long to wait for the reservation file's lock when opening it, in milliseconds. */
    busyTimeoutMs: z.number().int().nonnegative().default(5000),
    /** Seconds a reservation is held before `releaseExpired` gives it back (default: one day). */
    reservationTtlSeconds: z.number().int().min(1).default(86_400),
    /** How far an intent's `time_unix` may be from the engine's clock, in seconds. */
    maxClockSkewSeconds: z.number().int().nonnegative().default(30),
    /** Most decisions committed together in one reservation transaction and one audit append. */
    maxBatch: z.number().int().min(1).max(10_000).default(256),
    /** Most shadow disagreements kept in memory for `shadowReport` (all are in the audit log). */
    shadowReportLimit: z.number().int().min(0).default(1000),
  })
  .strict();

export type EngineConfig = z.infer<typeof engineConfigSchema>;
export type EngineConfigInput = z.input<typeof engineConfigSchema>;

/** Validates the configuration; throws POLICY_ENGINE_CONFIG_INVALID listing paths and messages. */
export function parseEngineConfig(input: unknown): EngineConfig {
  const parsed = engineConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = schemaIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
  throw new PolicyEngineError("POLICY_ENGINE_CONFIG_INVALID", `invalid engine configuration: ${issues.join("; ")}`, {
    issues,
  });
}
