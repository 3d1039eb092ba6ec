/**
 * Why a signed policy bundle is refused: one `PolicyError` subclass whose stable `code` names the failure.
 * The registry records the code in the audit log; callers branch with `isFrameworkError(error, code)`.
 */
import type { ErrorCode } from "../errors";
import { PolicyError } from "./errors";

/**
 * POLICY_BUNDLE_NOT_FOUND (the bundle directory or one of its files does not exist),
 * POLICY_BUNDLE_MALFORMED (manifest, data or a signature entry is not well formed, or a file is missing),
 * POLICY_BUNDLE_UNSIGNED (no signature), POLICY_BUNDLE_SIGNATURE_INVALID (a signature does not recover to
 * the signer it names under this network's domain: wrong chain id, altered manifest or forgery),
 * POLICY_BUNDLE_UNKNOWN_SIGNER (signed by a key that is not a configured compliance key),
 * POLICY_BUNDLE_THRESHOLD_NOT_MET (fewer distinct compliance keys than the threshold),
 * POLICY_BUNDLE_TAMPERED (the Wasm or data do not hash to the signed `policyHash`),
 * POLICY_BUNDLE_UNPARSEABLE (the Wasm module does not load with its data),
 * POLICY_BUNDLE_VERSION_NOT_RISING (version not above every version activated before),
 * POLICY_BUNDLE_SHARED_VERSION_MISMATCH (approved against another on-chain shared-policy version),
 * POLICY_BUNDLE_NO_PREVIOUS (rollback with nothing to return to),
 * POLICY_BUNDLE_CONFIG_INVALID (compliance keys, threshold or chain id misconfigured),
 * POLICY_BUNDLE_AUDIT_UNVERIFIED (the audit log the version high-water mark is read from does not verify).
 */
export type PolicyBundleErrorCode = Extract<ErrorCode, `POLICY_BUNDLE_${string}`>;

/** A bundle was refused, or the bundle configuration is invalid. */
export class PolicyBundleError extends PolicyError<PolicyBundleErrorCode> {}
