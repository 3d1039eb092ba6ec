/**
 * Why the engine cannot hold the bank's policy against the consortium's shared parameters: one `PolicyError`
 * subclass whose stable `code` names the failure. Every one of them means deny (fail closed).
 */
import type { ErrorCode } from "../errors";
import { PolicyError } from "./errors";

/**
 * POLICY_SHARED_CONFIG_INVALID (the source's configuration or the asset list is invalid),
 * POLICY_SHARED_READ_FAILED (the consortium could not be read: node down, wrong address, no contract),
 * POLICY_SHARED_STALE (the chain cannot be read and the last snapshot is older than the maximum age, or there is
 * none), POLICY_SHARED_DATA_INVALID (the bank's policy data document is malformed where it is checked against the
 * chain), POLICY_SHARED_CONFLICTS (the bank's policy data conflicts with the shared parameters),
 * POLICY_SHARED_VERSION_CHANGED (the consortium's shared-policy version changed in a way the active bundle does not
 * accept: every decision but escrow returns is denied until compliance signs a bundle for it).
 */
export type SharedPolicyErrorCode = Extract<ErrorCode, `POLICY_SHARED_${string}`>;

/** The shared parameters could not be read, are too old, or the bank's policy data does not fit them. */
export class SharedPolicyError extends PolicyError<SharedPolicyErrorCode> {}
