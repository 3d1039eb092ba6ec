/**
 * The one call most callers need: validate the intent, evaluate the policy, and fail closed. A malformed
 * intent, a failed evaluation or an unexpected result all come back as a deny decision.
 */
import { denyDecision, type Decision } from "./decision";
import { validateIntent, type Intent } from "./intent";
import type { WasmPolicy } from "./wasm";
import { codeFamily, isFrameworkError } from "../errors";

/**
 * Decides on a raw intent. Never throws for a policy problem: a `PolicyError` becomes a deny with
 * reason `POLICY_ERROR: <code>: <message>`. Other errors (bugs) are rethrown.
 */
export function decide(policy: WasmPolicy, rawIntent: unknown): Decision {
  const validation = validateIntent(rawIntent);
  if (!validation.ok) return validation.decision;
  return decideValid(policy, validation.intent);
}

/** `decide` for an intent that has already passed `validateIntent`. */
export function decideValid(policy: WasmPolicy, intent: Intent): Decision {
  try {
    return policy.evaluate(intent);
  } catch (error) {
    if (isFrameworkError(error, codeFamily("POLICY_")))
      return denyDecision([`POLICY_ERROR: ${error.code}: ${error.message}`]);
    throw error;
  }
}
