/**
 * The policy's decision document and its zod schema. Every decision leaving this module has been
 * validated: a document that does not match is an error, never an allow.
 */
import { z } from "zod";

/** The three outcomes, by precedence: deny wins over approval_required, which wins over allow. */
export const OUTCOMES = ["allow", "deny", "approval_required"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A reason opens with its stable code: `COUNTERPARTY_UNKNOWN: ...`. */
export const REASON_PATTERN = /^[A-Z][A-Z0-9_]*: /;

export const decisionSchema = z
  .object({
    outcome: z.enum(OUTCOMES),
    reasons: z.array(z.string().regex(REASON_PATTERN, "must open with a stable code and a colon")),
    approvals: z
      .object({
        /** Distinct approvers needed by the most demanding pending or met requirement (0 if none). */
        required: z.number().int().nonnegative(),
        /** Roles that count for at least one requirement. */
        roles: z.array(z.string()),
        /** Codes of the approval requirements not met yet. */
        pending: z.array(z.string()),
      })
      .strict(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.reasons.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["reasons"], message: "a decision always has a reason" });
    }
    if (d.outcome === "approval_required" && d.approvals.pending.length === 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["approvals", "pending"],
        message: "approval_required without a pending requirement",
      });
    }
    if (d.outcome === "allow" && d.approvals.pending.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["approvals", "pending"],
        message: "allow with pending approvals",
      });
    }
  });

/** A validated decision document. */
export type Decision = z.infer<typeof decisionSchema>;

/** The stable code of a reason: `"AML_HIT: ..."` -> `"AML_HIT"`. */
export function reasonCode(reason: string): string {
  const colon = reason.indexOf(":");
  return colon < 0 ? reason : reason.slice(0, colon);
}

/** A deny decision with the given reasons (used to fail closed outside the policy). */
export function denyDecision(reasons: readonly string[]): Decision {
  return { outcome: "deny", reasons: [...reasons], approvals: { required: 0, roles: [], pending: [] } };
}
