/**
 * What a participant does when the consortium's shared-policy version changes under it (the shared-parameter
 * source's watch sees it within one refresh interval, or a decision's read does): the change is audited at once,
 * and a conflict with the active bundle is reported to the operator as a typed error, not only at the next decision.
 */
import type { AuditStore } from "../audit";
import { logger } from "../observability/log";
import {
  dependencyChanges,
  SharedPolicyError,
  type PolicyRegistry,
  type SharedChange,
  type SharedParametersSource,
} from "../policy";

/**
 * A change of the consortium's shared-policy version, seen as it happens: audited at once (the versions, the block,
 * and whether the active bundle still decides), and when the bundle no longer accepts it the operator is told with a
 * typed error (POLICY_SHARED_VERSION_CHANGED); decisions deny from then on, as the shared checks say.
 */
export async function reportVersionChange(
  change: SharedChange,
  registry: PolicyRegistry,
  source: SharedParametersSource,
  audit: AuditStore,
  onConflict: ((error: SharedPolicyError) => void) | undefined,
): Promise<void> {
  const { from, to } = change;
  const manifest = registry.current()?.bundle.manifest;
  const versionPolicy = source.config.versionPolicy;
  let reasons: string[] = [];
  if (manifest !== undefined && versionPolicy === "strict" && manifest.sharedPolicyVersion !== to.policyVersion) {
    reasons = [
      `SHARED_VERSION_MISMATCH: the policy bundle was approved against shared-policy version ` +
        `${manifest.sharedPolicyVersion}, the consortium is at version ${to.policyVersion}`,
    ];
  } else if (manifest !== undefined && versionPolicy === "compatible") {
    reasons = dependencyChanges(manifest.dependsOn, to);
  }
  const details = {
    from: from.policyVersion,
    to: to.policyVersion,
    blockNumber: to.blockNumber,
    versionPolicy,
    bundleVersion: manifest?.version ?? null,
    reasons,
  };
  try {
    await audit.append({
      kind: "decision",
      subject: "shared-policy:version",
      payload: {
        stage: "shared",
        event: "version_changed",
        outcome: reasons.length > 0 ? "deny" : "allow",
        ...details,
      },
    });
  } finally {
    if (reasons.length > 0) {
      const error = new SharedPolicyError(
        "POLICY_SHARED_VERSION_CHANGED",
        `the consortium moved from shared-policy version ${from.policyVersion} to ${to.policyVersion}; the active ` +
          `bundle no longer decides (${reasons.map((r) => r.split(":")[0]).join(", ")}): every step but escrow ` +
          `returns is denied until compliance signs a bundle for it`,
        details,
      );
      (onConflict ?? reportSharedConflict)(error);
    }
  }
}

/** The default report of a shared-policy conflict: one log line with the error's code, message and details. */
function reportSharedConflict(error: SharedPolicyError): void {
  logger().warn({ err: error }, "shared policy conflict");
}
