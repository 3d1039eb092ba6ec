/**
 * The health checks of a participant: audit log writable, policy bundle active, HSM session usable, chain
 * reachable. Each takes only the part it checks, so this module never imports the participant.
 */
import { access, constants } from "node:fs/promises";
import { keccak256, toUtf8Bytes, type Provider } from "ethers";
import type { AuditStore } from "../audit";
import type { HealthCheck } from "./server";

/** The digest the HSM check signs: a fixed, recognisable value that is never a transaction's. */
export const HEALTH_DIGEST = keccak256(toUtf8Bytes("consortium-health/v1"));

export interface ParticipantParts {
  audit: AuditStore;
  /** The audit store's configuration: a SQLite file is also checked for write access. */
  auditConfig: { backend: "sqlite"; path: string } | { backend: "postgres" };
  /** The active bundle's version, `null` when none is active. */
  policyVersion: () => { version: number } | null;
  /** Signs a 32-byte digest in a local HSM (one PKCS#11 signature); absent for a remote signer (no check). */
  signDigest?: (digest: string) => Promise<unknown>;
  provider: Provider;
}

/** The checks of `ParticipantParts`, by name (`hsm_session_usable` only with a local HSM). */
export function participantChecks(parts: ParticipantParts): Record<string, HealthCheck> {
  const { signDigest } = parts;
  return {
    audit_log_writable: async () => {
      await parts.audit.head();
      if (parts.auditConfig.backend === "sqlite") await access(parts.auditConfig.path, constants.W_OK);
    },
    policy_bundle_active: () => {
      if (parts.policyVersion() === null)
        throw Object.assign(new Error("no policy bundle is active"), { code: "POLICY_BUNDLE_INACTIVE" });
    },
    ...(signDigest === undefined ? {} : { hsm_session_usable: () => signDigest(HEALTH_DIGEST) }),
    chain_reachable: () => parts.provider.getBlockNumber(),
  };
}
