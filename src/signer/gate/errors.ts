/**
 * Why the policy gate did not sign: the policy denied (with its reasons and the decision id that records
 * them), approvals are still pending for this exact call, the call could not be decoded and its target is not
 * allowed, the audit record of a signature could not be written (the signature is withheld), or the gate is
 * misconfigured. The remote signing module maps these codes to HTTP statuses; tasks map them to exit codes.
 */
import { FrameworkError, type ErrorCode } from "../../errors";

export type GateErrorCode = Extract<ErrorCode, `GATE_${string}`>;

export class GateError extends FrameworkError<GateErrorCode> {}

/** The policy denied the call. */
export class GateDeniedError extends GateError {
  constructor(
    readonly reasons: readonly string[],
    details: { intentId: string | null; decisionId: string | null; action?: string },
  ) {
    super("GATE_DENIED", `the policy denied ${details.action ?? "the call"}: ${reasons.join("; ")}`, {
      ...details,
      reasons: [...reasons],
    });
  }
}

/** The policy requires approvals that are not complete yet; the request for them is open. */
export class GateApprovalsPendingError extends GateError {
  constructor(details: {
    intentId: string;
    approvalId: string;
    digest: string;
    required: number;
    roles: readonly string[];
    approved: number;
    decisionId: string;
  }) {
    super(
      "GATE_APPROVALS_PENDING",
      `approvals pending for ${details.approvalId}: ${details.approved} of ${details.required}` +
        (details.roles.length > 0 ? ` (roles ${details.roles.join(", ")})` : ""),
      { ...details, roles: [...details.roles] },
    );
  }
}
