/**
 * Typed errors of the approval workflow: `FrameworkError`s with a stable APPROVAL_* `code`, structured
 * `details` (intent id, approver id, digests; never signatures' secrets) and the underlying `cause`.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/** Stable codes of every error the approval workflow raises (the APPROVAL_* members of `ErrorCode`). */
export type ApprovalErrorCode = Extract<ErrorCode, `APPROVAL_${string}`>;

/** Base class of every approval error. Branch with `isFrameworkError(error, code)`. */
export class ApprovalError extends FrameworkError<ApprovalErrorCode> {}
