/**
 * Configuration of the approval workflow, validated once at start: the network whose chain id binds every
 * signature, how long a request stays open, the SQLite busy timeout, and the approver directory (each approver
 * known by id, with the Ethereum address that signs for them and the roles they hold).
 */
import { getAddress } from "ethers";
import { z } from "zod";
import { ApprovalError } from "./errors";
import { schemaIssues } from "../errors";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address")
  .transform((a) => getAddress(a.toLowerCase()));

export const approverSchema = z
  .object({
    id: z.string().min(1),
    address,
    roles: z.array(z.string().min(1)).min(1),
  })
  .strict();
/** One entry of the approver directory (address checksummed). */
export type Approver = z.infer<typeof approverSchema>;

export const approvalConfigSchema = z
  .object({
    /** The consortium network's chain id: part of the EIP-712 domain. */
    chainId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    /** Seconds a request stays open after it is created. */
    requestTtlSeconds: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    /** How long to wait for another connection's write lock, in milliseconds. */
    busyTimeoutMs: z.number().int().nonnegative().default(5000),
    approvers: z.array(approverSchema).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.approvers.forEach((a, i) => {
      if (ids.has(a.id))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["approvers", i, "id"], message: "duplicate" });
      ids.add(a.id);
    });
  });
/** A validated approval configuration. */
export type ApprovalConfig = z.infer<typeof approvalConfigSchema>;
/** What callers may hand in before validation. */
export type ApprovalConfigInput = z.input<typeof approvalConfigSchema>;

/** Validates the configuration; throws APPROVAL_CONFIG_INVALID listing paths and messages. */
export function parseApprovalConfig(input: unknown): ApprovalConfig {
  const parsed = approvalConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
    throw new ApprovalError("APPROVAL_CONFIG_INVALID", `invalid approval configuration: ${issues.join("; ")}`, {
      issues,
    });
  }
  return parsed.data;
}
