/**
 * The policy engine's active bundle. `activate` verifies a signed bundle, loads its Wasm once and swaps it
 * in with one assignment, so the next `evaluate` uses it without a restart; a refused bundle leaves the
 * active one in force. `rollback` returns to the previous bundle, kept loaded in memory. Every activation,
 * refusal and rollback is appended to the audit log before it takes effect (an audit failure means no
 * change). With no active bundle every evaluation is a deny.
 *
 * Versions must rise above the highest version ever activated against this audit log, rollbacks included: a
 * bundle rolled back from cannot be activated again, compliance signs a new version. The high-water mark is
 * the audit log itself: `PolicyRegistry.open` reads the highest activated version back from it, so a
 * restarted engine refuses an old bundle too, but may activate again the very bundle (version and hash) that
 * was active last. The mark is only as good as the log: `open` verifies the log's hash chain (and the heads
 * anchored elsewhere, when given) before it reads a single record, and fails closed with
 * POLICY_BUNDLE_AUDIT_UNVERIFIED when it does not verify, so a removed activation record cannot bring an older,
 * looser bundle back.
 */
import type { AuditHead, AuditStore, JsonValue } from "../audit";
import { parseBundleTrust, verifyBundle, type BundleTrust, type PolicyBundle, type VerifiedBundle } from "./bundle";
import { PolicyBundleError } from "./bundle-errors";
import { decide } from "./decide";
import { denyDecision, type Decision } from "./decision";
import { codeFamily, isFrameworkError } from "../errors";

/** Which bundle decided. */
export interface PolicyVersion {
  version: number;
  policyHash: string;
}

/** A decision with the bundle that made it (`null` when no bundle was active and the engine failed closed). */
export interface RegistryDecision {
  decision: Decision;
  policyVersion: PolicyVersion | null;
}

/** Options of `activate`. */
export interface ActivateOptions {
  /** The consortium's on-chain shared-policy version; a bundle approved against another one is refused. */
  onChainVersion?: number;
}

export interface PolicyRegistryOptions extends BundleTrust {
  audit: AuditStore;
  /** Previous bundles kept loaded for `rollback` (default 4). */
  history?: number;
  /** Heads of the audit log recorded elsewhere (anchors) that `open` checks the log still reaches. */
  anchors?: readonly AuditHead[];
}

/** The deny returned while no bundle is active. */
export const NO_ACTIVE_BUNDLE_REASON = "POLICY_ERROR: POLICY_BUNDLE_NONE_ACTIVE: no signed policy bundle is active";

export class PolicyRegistry {
  readonly #trust: BundleTrust;
  readonly #audit: AuditStore;
  readonly #history: number;
  /** Loaded bundles, oldest first; the last one is active. */
  #stack: VerifiedBundle[] = [];
  #highest = 0;
  /** The bundle active when the log was last written (read back by `open`): a restart may activate it again. */
  #lastActive: PolicyVersion | null = null;
  /** Serializes activations and rollbacks. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: PolicyRegistryOptions) {
    const { audit, history = 4, complianceKeys, threshold, chainId } = options;
    this.#trust = parseBundleTrust({ complianceKeys, threshold, chainId });
    if (!Number.isSafeInteger(history) || history < 1) {
      throw new PolicyBundleError("POLICY_BUNDLE_CONFIG_INVALID", "history must be an integer >= 1", { history });
    }
    this.#audit = audit;
    this.#history = history;
  }

  /** The active bundle's version and hash, or `null`. */
  get active(): PolicyVersion | null {
    const top = this.#stack.at(-1);
    return top === undefined ? null : versionOf(top.bundle);
  }

  /**
   * Opens a registry whose version high-water mark is read back from `options.audit`: the highest version of
   * every `bundle_activation` record that activated a bundle. Use this in place of `new` for a long-lived
   * engine; no bundle is active until `activate` is called.
   */
  static async open(options: PolicyRegistryOptions): Promise<PolicyRegistry> {
    const registry = new PolicyRegistry(options);
    const verified = await options.audit.verify({ anchors: options.anchors ?? [] });
    if (!verified.ok) {
      const { seq, problem, detail } = verified.firstBad;
      throw new PolicyBundleError(
        "POLICY_BUNDLE_AUDIT_UNVERIFIED",
        `the audit log does not verify (record ${seq} ${problem}: ${detail}); no bundle version can be trusted`,
        { seq, problem },
      );
    }
    for await (const record of options.audit.records()) {
      const p = record.payload as { outcome?: unknown; version?: unknown; policyHash?: unknown; to?: unknown };
      if (record.kind === "bundle_activation" && p.outcome === "activated" && typeof p.version === "number") {
        registry.#highest = Math.max(registry.#highest, p.version);
        registry.#lastActive = asVersion(p);
      }
      if (record.kind === "bundle_rollback" && p.outcome === "rolled_back") registry.#lastActive = asVersion(p.to);
    }
    return registry;
  }

  /** The highest version activated so far (0 if none): the next bundle must be above it. */
  get highestVersion(): number {
    return this.#highest;
  }

  /** The active bundle (policy, manifest and data read together), or `null`. */
  current(): VerifiedBundle | null {
    return this.#stack.at(-1) ?? null;
  }

  /** Decides on `intent` with the active bundle (one read, so decision and version always match). */
  evaluate(intent: unknown): RegistryDecision {
    const top = this.#stack.at(-1);
    if (top === undefined) return { decision: denyDecision([NO_ACTIVE_BUNDLE_REASON]), policyVersion: null };
    return { decision: decide(top.policy, intent), policyVersion: versionOf(top.bundle) };
  }

  /**
   * Verifies `bundle` and makes it active. A refusal is audited, then thrown as a `PolicyBundleError`;
   * the active bundle stays in force.
   */
  activate(bundle: PolicyBundle, options: ActivateOptions = {}): Promise<PolicyVersion> {
    return this.#serialized(async () => {
      const previous = this.active;
      let verified: VerifiedBundle;
      try {
        // After a restart, the bundle that was active last (same version, same hash) may be activated again.
        const last = this.#lastActive;
        const restart =
          this.#stack.length === 0 &&
          last !== null &&
          bundle.manifest?.version === last.version &&
          bundle.manifest?.policyHash === last.policyHash;
        verified = await verifyBundle(bundle, {
          ...this.#trust,
          minVersionExclusive: restart ? last.version - 1 : this.#highest,
          onChainVersion: options.onChainVersion,
        });
      } catch (error) {
        if (!isFrameworkError(error, codeFamily("POLICY_BUNDLE_"))) throw error;
        await this.#audit.append({
          kind: "bundle_activation",
          payload: {
            outcome: "refused",
            code: error.code,
            reason: error.message,
            claimed: claimedVersion(bundle),
            active: json(previous),
          },
        });
        throw error;
      }
      const activated = versionOf(verified.bundle);
      const { sharedPolicyVersion, createdAt } = verified.bundle.manifest;
      await this.#audit.append({
        kind: "bundle_activation",
        payload: {
          outcome: "activated",
          ...activated,
          sharedPolicyVersion,
          createdAt,
          signers: [...verified.signers],
          previous: json(previous),
        },
      });
      this.#stack = [...this.#stack, verified].slice(-(this.#history + 1));
      this.#highest = Math.max(this.#highest, activated.version);
      this.#lastActive = activated;
      return activated;
    });
  }

  /** Returns to the previous bundle; with none, audits the refusal and throws POLICY_BUNDLE_NO_PREVIOUS. */
  rollback(): Promise<PolicyVersion> {
    return this.#serialized(async () => {
      const from = this.active;
      const target = this.#stack.at(-2);
      if (target === undefined) {
        const error = new PolicyBundleError("POLICY_BUNDLE_NO_PREVIOUS", "no previous bundle to roll back to");
        await this.#audit.append({
          kind: "bundle_rollback",
          payload: { outcome: "refused", code: error.code, reason: error.message, active: json(from) },
        });
        throw error;
      }
      const to = versionOf(target.bundle);
      await this.#audit.append({
        kind: "bundle_rollback",
        payload: { outcome: "rolled_back", from: json(from), to: json(to) },
      });
      this.#stack = this.#stack.slice(0, -1);
      this.#lastActive = to;
      return to;
    });
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** A `{ version, policyHash }` read back from an audit payload, or null. */
function asVersion(value: unknown): PolicyVersion | null {
  const v = value as { version?: unknown; policyHash?: unknown } | null;
  return v !== null && typeof v === "object" && typeof v.version === "number" && typeof v.policyHash === "string"
    ? { version: v.version, policyHash: v.policyHash }
    : null;
}

function versionOf(bundle: PolicyBundle): PolicyVersion {
  return { version: bundle.manifest.version, policyHash: bundle.manifest.policyHash };
}

function json(version: PolicyVersion | null): JsonValue {
  return version === null ? null : { version: version.version, policyHash: version.policyHash };
}

/** The version and hash a refused bundle claims, kept only when they are plain values. */
function claimedVersion(bundle: PolicyBundle): JsonValue {
  const manifest: unknown = (bundle as { manifest?: unknown }).manifest;
  if (manifest === null || typeof manifest !== "object") return null;
  const { version, policyHash } = manifest as Record<string, unknown>;
  return {
    version: typeof version === "number" && Number.isFinite(version) ? version : null,
    policyHash: typeof policyHash === "string" ? policyHash.slice(0, 66) : null,
  };
}
