/**
 * The settlement intent: the input of the bank's policy (policies/bank/policy.rego documents the same
 * shape). `validateIntent` turns a malformed intent into a deny decision, never into an allow.
 */
import { z } from "zod";
import { denyDecision, type Decision } from "./decision";

export const ACTIONS = [
  "instruct",
  "affirm",
  "settle",
  "reverse",
  "transfer",
  "mint",
  "burn",
  "cancel",
  "release",
  "approve_reversal",
  "affirm_and_settle",
  "unwind",
  "approve_unwind",
  "govern",
  "fill_nonce",
] as const;
export type Action = (typeof ACTIONS)[number];

/** Actions without a counterparty (the issuer desk's own supply). */
export const ISSUER_ACTIONS: readonly Action[] = ["mint", "burn"];

/**
 * Actions without a counterparty, asset or amount: a consortium governed call this bank proposes or votes for, and a
 * zero-value self-transfer filling a nonce whose transaction can no longer be mined.
 */
export const OPERATIONAL_ACTIONS: readonly Action[] = ["govern", "fill_nonce"];

export const AML_RESULTS = ["clear", "medium", "hit"] as const;
export const KEY_TIERS = ["hot", "warm", "cold"] as const;

/**
 * An amount in integer minor units, as a decimal string: digits only, no sign, no leading zero, at most
 * 15 digits, so that sums stay exact in the policy (below 2^53).
 */
export const minorUnitsSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,14})$/, "must be an integer in minor units: digits only, no leading zero, at most 15");

/** One side of a transfer under the travel rule (FATF recommendation 16): name, account, and LEI or address. */
export const travelRulePartySchema = z
  .object({
    name: z.string().min(1).max(140),
    account: z.string().min(1).max(64),
    lei: z
      .string()
      .regex(/^[A-Z0-9]{18}[0-9]{2}$/, "must be an LEI")
      .optional(),
    /** Postal address, one line per element, when the party has no LEI. */
    address: z.string().min(1).max(350).optional(),
  })
  .strict();

/** Originator and beneficiary of a transfer, passed to the policy exactly as given. */
export const travelRuleSchema = z
  .object({ originator: travelRulePartySchema, beneficiary: travelRulePartySchema })
  .strict();
export type TravelRule = z.infer<typeof travelRuleSchema>;

/** What a screening provider matched before the trade: the provider and each list entry that matched. */
export const screeningInputSchema = z
  .object({
    provider: z.string().min(1),
    matches: z.array(
      z
        .object({
          party: z.enum(["counterparty", "client"]),
          list: z.string().min(1),
          entry: z.string().min(1),
          name: z.string(),
          matchedOn: z.enum(["identifier", "name"]),
        })
        .strict(),
    ),
  })
  .strict();
export type ScreeningInput = z.infer<typeof screeningInputSchema>;

const partySchema = z
  .object({
    id: z.string().min(1),
    roles: z.array(z.string().min(1)),
  })
  .strict();

export const intentSchema = z
  .object({
    action: z.enum(ACTIONS),
    intent_id: z.string().min(1),
    initiator: partySchema,
    /** LEI or consortium member id; required unless the action is mint, burn or govern. */
    counterparty: z.string().min(1).optional(),
    /** The asset's symbol; required unless the action is govern. */
    asset: z.string().min(1).optional(),
    /** Required unless the action is govern. */
    amount: minorUnitsSchema.optional(),
    /** The consortium governed function a `govern` intent proposes or votes for (e.g. `reassignAccount`). */
    governed_function: z.string().min(1).optional(),
    /** The nonce a `fill_nonce` intent fills. */
    nonce: z.number().int().min(0).safe().optional(),
    /** Today's cumulative exposure already used for (counterparty, asset), given by the engine. */
    exposure_used: minorUnitsSchema,
    /** Seconds since the epoch (UTC). */
    time_unix: z.number().int().positive().safe(),
    aml: z.enum(AML_RESULTS),
    /** The provider's matches behind `aml`, when a screening provider screened the parties. */
    screening: screeningInputSchema.optional(),
    /** Travel-rule data of the instruction, as the bank gave it. */
    travel_rule: travelRuleSchema.optional(),
    key_tier: z.enum(KEY_TIERS),
    /**
     * keccak256 of the exact call to be signed (chain id, target, value, calldata), set by the policy gate so
     * that approvals, which cover every field but `approvals`, are bound to that one transaction.
     */
    payload_hash: z
      .string()
      .regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes of lowercase 0x hex")
      .optional(),
    /** Approvals already collected; the initiator's own never counts, duplicates count once. */
    approvals: z.array(partySchema).default([]),
  })
  .strict()
  .superRefine((intent, ctx) => {
    const operational = OPERATIONAL_ACTIONS.includes(intent.action);
    if (intent.counterparty === undefined && !ISSUER_ACTIONS.includes(intent.action) && !operational) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["counterparty"], message: `required for ${intent.action}` });
    }
    const required =
      {
        govern: ["governed_function"] as const,
        fill_nonce: ["nonce"] as const,
      }[intent.action as string] ?? (operational ? [] : (["asset", "amount"] as const));
    for (const field of required) {
      if (intent[field] === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `required for ${intent.action}` });
      }
    }
  });

/** A validated settlement intent (the policy's input). */
export type Intent = z.infer<typeof intentSchema>;
/** What callers may hand in before validation (approvals may be omitted). */
export type IntentInput = z.input<typeof intentSchema>;

export type IntentValidation = { ok: true; intent: Intent } | { ok: false; decision: Decision };

/**
 * Parses an intent. A malformed one yields a deny decision with one `INTENT_INVALID: <path>: <message>`
 * reason per problem (`<path>` is dotted, `(root)` for the intent itself).
 */
export function validateIntent(value: unknown): IntentValidation {
  const parsed = intentSchema.safeParse(value);
  if (parsed.success) return { ok: true, intent: parsed.data };
  const reasons = parsed.error.issues.map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.join(".");
    return `INTENT_INVALID: ${path}: ${issue.message}`;
  });
  return { ok: false, decision: denyDecision(reasons) };
}
