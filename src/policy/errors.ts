/**
 * Typed errors of the policy evaluator: `FrameworkError`s with a stable `code` and structured `details`.
 * Callers treat every one of them as a deny (fail closed): see `decide`.
 */
import { FrameworkError, type ErrorCode } from "../errors";

/**
 * Stable codes of every error the policy evaluator raises: POLICY_LOAD_FAILED (the Wasm module or its data
 * could not be loaded), POLICY_EVALUATION_FAILED (the evaluation threw), POLICY_RESULT_INVALID (no result,
 * several, or not a valid decision document).
 */
export type PolicyErrorCode = Extract<ErrorCode, `POLICY_${string}`>;

/** Base class of every policy error. Branch with `isFrameworkError(error, code)`. */
export class PolicyError<C extends PolicyErrorCode = PolicyErrorCode> extends FrameworkError<C> {}

/** The Wasm module or its data could not be loaded. */
export class PolicyLoadError extends PolicyError {
  constructor(reason: string, cause?: unknown) {
    super("POLICY_LOAD_FAILED", `cannot load the policy: ${reason}`, { reason }, cause);
  }
}

/** The Wasm evaluation threw. */
export class PolicyEvaluationError extends PolicyError {
  constructor(entrypoint: string, cause: unknown) {
    super("POLICY_EVALUATION_FAILED", `evaluation of ${entrypoint} failed`, { entrypoint }, cause);
  }
}

/** The policy's result is not exactly one valid decision document. */
export class PolicyResultError extends PolicyError {
  constructor(entrypoint: string, issues: readonly string[]) {
    super("POLICY_RESULT_INVALID", `${entrypoint} returned an invalid decision: ${issues.join("; ")}`, {
      entrypoint,
      issues,
    });
  }
}
