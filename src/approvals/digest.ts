/**
 * What an approval is bound to, and how it is signed. Exact scheme (so another party can recompute it):
 *
 *   intentDigest = keccak256( UTF-8( canonicalJson(intent without its `approvals` field) ) )
 *     - canonical JSON is RFC 8785 / JCS (sorted keys, no whitespace), as in the audit log; fields whose
 *       value is `undefined` are left out, exactly as `JSON.stringify` would;
 *     - `approvals` is left out because it is what approvals are collected INTO: adding them to the intent for
 *       re-evaluation must not change what they approved. Every other field (intent_id, initiator, amount,
 *       counterparty, time_unix, ...) is covered, so an approval is worthless for any other transaction.
 *
 *   Each approval is an EIP-712 signature (eth_signTypedData_v4):
 *     domain  { name: "ConsortiumApproval", version: "1", chainId }  (the consortium network's chain id)
 *     type    Approval(bytes32 intentDigest,string approverId,string decision,uint64 expiresAt)
 *   decision: "approve" or "reject"; approverId: the approver's id in the directory (the recovered address must
 *   be the one configured for that id); expiresAt: Unix seconds after which the signature is void.
 */
import { keccak256, toUtf8Bytes, TypedDataEncoder, verifyTypedData, type Signer, type TypedDataDomain } from "ethers";
import { z } from "zod";
import { canonicalJson, CoreJsonInvalidError } from "../core";
import type { ApprovalIntent } from "./subject";
import { ApprovalError } from "./errors";
import { schemaIssues } from "../errors";

export const APPROVAL_DOMAIN_NAME = "ConsortiumApproval";
export const APPROVAL_DOMAIN_VERSION = "1";
export const APPROVAL_TYPES = {
  Approval: [
    { name: "intentDigest", type: "bytes32" },
    { name: "approverId", type: "string" },
    { name: "decision", type: "string" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const satisfies Record<string, { name: string; type: string }[]>;

export const VOTES = ["approve", "reject"] as const;
export type Vote = (typeof VOTES)[number];

export const approvalMessageSchema = z
  .object({
    intentDigest: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes of lowercase 0x hex"),
    approverId: z.string().min(1),
    decision: z.enum(VOTES),
    expiresAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  })
  .strict();
/** What an approver signs. */
export type ApprovalMessage = z.infer<typeof approvalMessageSchema>;

export const signedApprovalSchema = z
  .object({
    intentId: z.string().min(1),
    message: approvalMessageSchema,
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature"),
  })
  .strict();
/** A signed approval (or rejection) for the request of `intentId`. */
export type SignedApproval = z.infer<typeof signedApprovalSchema>;

/** What `signApproval` needs of a signer: an ethers `Wallet`, the HSM signer, ... */
export type ApprovalSigner = Pick<Signer, "signTypedData">;

/**
 * The digest approvals are bound to (see the module comment). An intent that is not plain JSON (a bigint, a
 * nested `undefined`) is APPROVAL_MALFORMED, with the path of the offending field.
 */
export function intentDigest(intent: ApprovalIntent): string {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(intent)) {
    if (key !== "approvals" && value !== undefined) rest[key] = value;
  }
  let json: string;
  try {
    json = canonicalJson(rest, "intent");
  } catch (error) {
    if (!(error instanceof CoreJsonInvalidError)) throw error;
    const { reason, path } = error;
    throw new ApprovalError(
      "APPROVAL_MALFORMED",
      `the intent is not plain JSON: ${reason} at ${path}`,
      {
        intentId: intent.intent_id,
        reason,
        path,
      },
      error,
    );
  }
  return keccak256(toUtf8Bytes(json));
}

/** The EIP-712 domain of approvals on network `chainId`. */
export function approvalDomain(chainId: number): TypedDataDomain {
  return { name: APPROVAL_DOMAIN_NAME, version: APPROVAL_DOMAIN_VERSION, chainId };
}

/** The EIP-712 digest an approver signs for `message` on network `chainId`. */
export function approvalTypedDigest(message: ApprovalMessage, chainId: number): string {
  return TypedDataEncoder.hash(approvalDomain(chainId), mutableTypes(), message);
}

/** Signs `message` for `intentId` with `signer` on network `chainId`. */
export async function signApproval(
  signer: ApprovalSigner,
  intentId: string,
  message: ApprovalMessage,
  chainId: number,
): Promise<SignedApproval> {
  const parsed = parseSignedApproval({ intentId, message, signature: `0x${"00".repeat(65)}` });
  const signature = await signer.signTypedData(approvalDomain(chainId), mutableTypes(), parsed.message);
  return { intentId, message: parsed.message, signature };
}

/** The address that signed `approval` on network `chainId`, or undefined when the signature is unusable. */
export function recoverApprover(approval: SignedApproval, chainId: number): string | undefined {
  try {
    return verifyTypedData(approvalDomain(chainId), mutableTypes(), approval.message, approval.signature);
  } catch {
    return undefined;
  }
}

/** Validates a signed approval's shape; throws APPROVAL_MALFORMED. */
export function parseSignedApproval(value: unknown): SignedApproval {
  const parsed = signedApprovalSchema.safeParse(value);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
    throw new ApprovalError("APPROVAL_MALFORMED", `malformed approval: ${issues.join("; ")}`, { issues });
  }
  return parsed.data;
}

function mutableTypes(): Record<string, { name: string; type: string }[]> {
  return { Approval: APPROVAL_TYPES.Approval.map((f) => ({ ...f })) };
}
