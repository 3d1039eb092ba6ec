/**
 * Conflicts between a bank's policy data (policies/bank/data.json) and the consortium's shared parameters: rules
 * the bank wrote that the chain will not honour. Only the parts of the document compared here are validated.
 *
 * Not reported: a daily limit above the cap (the chain bounds one settlement, not a day, so several settlements a
 * day are legitimate), and an approval threshold above the cap (the threshold also governs transfers, mints and
 * burns, which the consortium does not cap).
 */
import { z } from "zod";
import { schemaIssues } from "../errors";
import { minorUnitsSchema } from "./intent";
import { listedCap, type SharedParameters } from "./shared";
import { SharedPolicyError } from "./shared-errors";

/**
 * LIMIT_ABOVE_CAP: a counterparty's per-settlement limit for an eligible asset is above its on-chain cap.
 * ASSET_NOT_LISTED: an asset the bank enables is not eligible on chain (no such token, or cap 0).
 * APPROVAL_DEADLINE_BEYOND_AFFIRMATION_WINDOW: approval requests stay open longer than the affirmation window,
 * so an approval may complete after the counterparty's instruction can no longer be affirmed.
 */
export const CONFLICT_CODES = [
  "LIMIT_ABOVE_CAP",
  "ASSET_NOT_LISTED",
  "APPROVAL_DEADLINE_BEYOND_AFFIRMATION_WINDOW",
] as const;
export type ConflictCode = (typeof CONFLICT_CODES)[number];

/** One conflict; values are decimal strings (minor units, or seconds). */
export interface SharedConflict {
  code: ConflictCode;
  /** Dotted path of the bank's value (`counterparties.<id>.limits.<symbol>.per_settlement`). */
  path: string;
  bankValue: string;
  sharedValue: string;
  message: string;
}

export interface FindConflictsOptions {
  /** `requestTtlSeconds` of the approval configuration (src/approvals), when known. */
  approvalTtlSeconds?: number;
}

const limitsSchema = z.object({ per_settlement: minorUnitsSchema, daily: minorUnitsSchema }).passthrough();

/** The parts of the bank's data document compared with the chain. */
export const bankSharedDataSchema = z
  .object({
    assets: z.record(
      z.string(),
      /** As in the policy, only `enabled: true` enables an asset. */
      z.object({ enabled: z.boolean().optional() }).passthrough(),
    ),
    counterparties: z.record(
      z.string(),
      z.object({ status: z.string().optional(), limits: z.record(z.string(), limitsSchema).default({}) }).passthrough(),
    ),
  })
  .passthrough();
export type BankSharedData = z.infer<typeof bankSharedDataSchema>;

/** Validates the compared parts of the data document; throws POLICY_SHARED_DATA_INVALID listing the problems. */
export function parseBankSharedData(policyData: unknown): BankSharedData {
  const parsed = bankSharedDataSchema.safeParse(policyData);
  if (parsed.success) return parsed.data;
  const issues = schemaIssues(parsed.error);
  const text = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  throw new SharedPolicyError("POLICY_SHARED_DATA_INVALID", `the bank's policy data is malformed: ${text}`, {
    issues,
  });
}

/**
 * Every conflict between `policyData` and `shared`: enabled assets not listed (by symbol), then limits above
 * caps (by counterparty, then asset; limits of assets not eligible on chain are left to ASSET_NOT_LISTED), then
 * the approval deadline. Throws POLICY_SHARED_DATA_INVALID for a malformed document and
 * POLICY_SHARED_CONFIG_INVALID for a bad `approvalTtlSeconds`.
 */
export function findConflicts(
  policyData: unknown,
  shared: SharedParameters,
  options: FindConflictsOptions = {},
): SharedConflict[] {
  const data = parseBankSharedData(policyData);
  const conflicts: SharedConflict[] = [];

  for (const [symbol, asset] of Object.entries(data.assets)) {
    if (asset.enabled !== true || listedCap(shared, symbol) !== undefined) continue;
    const cap = shared.caps.get(symbol);
    conflicts.push({
      code: "ASSET_NOT_LISTED",
      path: `assets.${symbol}.enabled`,
      bankValue: "true",
      sharedValue: cap === undefined ? "not deployed" : "0",
      message:
        cap === undefined
          ? `${symbol} is enabled but the consortium has no token of that symbol`
          : `${symbol} is enabled but not eligible on chain (cap 0)`,
    });
  }

  for (const [id, counterparty] of Object.entries(data.counterparties)) {
    for (const [symbol, limits] of Object.entries(counterparty.limits)) {
      const cap = listedCap(shared, symbol);
      if (cap === undefined || BigInt(limits.per_settlement) <= cap) continue;
      conflicts.push({
        code: "LIMIT_ABOVE_CAP",
        path: `counterparties.${id}.limits.${symbol}.per_settlement`,
        bankValue: limits.per_settlement,
        sharedValue: cap.toString(),
        message: `the per-settlement limit for ${symbol} with ${id} is above the consortium's cap: the chain refuses the excess`,
      });
    }
  }

  const ttl = options.approvalTtlSeconds;
  if (ttl !== undefined) {
    if (!Number.isSafeInteger(ttl) || ttl < 1) {
      throw new SharedPolicyError("POLICY_SHARED_CONFIG_INVALID", "approvalTtlSeconds must be a positive integer", {
        approvalTtlSeconds: ttl,
      });
    }
    if (ttl > shared.affirmationWindow) {
      conflicts.push({
        code: "APPROVAL_DEADLINE_BEYOND_AFFIRMATION_WINDOW",
        path: "requestTtlSeconds",
        bankValue: String(ttl),
        sharedValue: String(shared.affirmationWindow),
        message:
          `approval requests stay open ${ttl}s, longer than the ${shared.affirmationWindow}s affirmation window: ` +
          "an approval may complete after the instruction can no longer be affirmed",
      });
    }
  }
  return conflicts;
}
