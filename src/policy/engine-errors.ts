/**
 * Failures of the decision engine itself, as opposed to a policy's deny: the reservation store cannot be
 * opened (or another process owns it), an intent id was reserved with other terms, the audit append of a batch
 * failed (its reservations are undone and nothing is returned as allowed), the engine is closed or misconfigured.
 */
import type { ErrorCode } from "../errors";
import { PolicyError } from "./errors";

export type PolicyEngineErrorCode = Extract<ErrorCode, `POLICY_ENGINE_${string}` | `POLICY_RESERVATION${string}`>;

export class PolicyEngineError extends PolicyError<PolicyEngineErrorCode> {}
