/**
 * Signed policy bundles: the compiled Wasm, its data document, a manifest and the compliance team's
 * signatures. Ownership apart from enforcement: the engine runs a bundle only if enough configured
 * compliance keys signed its manifest.
 *
 * Exact scheme (so another party can recompute and verify without this code):
 *
 *   policyHash = keccak256( keccak256(wasm) ‖ keccak256( UTF-8( canonicalJson(data) ) ) )
 *     - wasm: the module's bytes as stored (policy.wasm); data: the data document (data.json) in canonical
 *       JSON (RFC 8785 / JCS: sorted keys, no whitespace), so reformatting data.json changes nothing;
 *     - ‖ is the concatenation of the two 32-byte hashes (64 bytes); policyHash is 0x-prefixed lowercase hex.
 *
 *   Each signature is an EIP-712 signature (eth_signTypedData_v4) of the manifest:
 *     domain  { name: "ConsortiumPolicyBundle", version: "1", chainId }  (the consortium network's chain id,
 *             so a signature for one network is worthless on another)
 *     type    PolicyBundle(uint64 version,bytes32 policyHash,uint64 sharedPolicyVersion,uint64 createdAt)
 *   version: a positive integer that must rise from bundle to bundle; sharedPolicyVersion: the consortium's
 *   on-chain shared-policy version the bundle was approved against; createdAt: Unix time in seconds.
 *
 *   A manifest may also state what of the consortium's shared state the bundle depends on (`dependsOn`: the
 *   policy document hash, the per-settlement caps of named assets, the reversal and affirmation windows). Then
 *   the signed type is PolicyBundle(uint64 version,bytes32 policyHash,uint64 sharedPolicyVersion,uint64 createdAt,
 *   bytes32 dependencies) with dependencies = keccak256(UTF-8(canonicalJson(dependsOn))), so the declaration is
 *   signed with the rest. A bank in `compatible` mode keeps deciding under such a bundle after a consortium change
 *   that touches none of them, and denies (but cancel, release and unwinds) once one of them changed.
 */
import { getAddress, keccak256, TypedDataEncoder, verifyTypedData, type Signer, type TypedDataDomain } from "ethers";
import { z } from "zod";
import { canonicalJson } from "../core";
import { PolicyBundleError } from "./bundle-errors";
import { WasmPolicy } from "./wasm";
import { codeFamily, isFrameworkError, schemaIssues } from "../errors";

/** EIP-712 domain name and version of bundle signatures. */
export const BUNDLE_DOMAIN_NAME = "ConsortiumPolicyBundle";
export const BUNDLE_DOMAIN_VERSION = "1";
/** EIP-712 types of the signed manifest. */
export const BUNDLE_TYPES = {
  PolicyBundle: [
    { name: "version", type: "uint64" },
    { name: "policyHash", type: "bytes32" },
    { name: "sharedPolicyVersion", type: "uint64" },
    { name: "createdAt", type: "uint64" },
  ],
} as const satisfies Record<string, { name: string; type: string }[]>;

/** EIP-712 types of a signed manifest that states its dependencies. */
export const BUNDLE_TYPES_WITH_DEPENDENCIES = {
  PolicyBundle: [...BUNDLE_TYPES.PolicyBundle, { name: "dependencies", type: "bytes32" }],
} as const satisfies Record<string, { name: string; type: string }[]>;

const uint64 = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** What of the consortium's shared state a bundle depends on (each part optional). */
export const dependenciesSchema = z
  .object({
    /** The consortium's policy document hash (`policyDocument()`). */
    policyDocumentHash: z
      .string()
      .regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes of lowercase 0x hex")
      .optional(),
    /** Per-settlement caps by asset symbol, in base units as decimal strings ("0": not eligible). */
    assetCaps: z
      .record(z.string().min(1), z.string().regex(/^(0|[1-9][0-9]*)$/, "must be a decimal integer"))
      .optional(),
    /** Consortium parameters in seconds. */
    parameters: z
      .object({ reversalWindow: uint64.optional(), affirmationWindow: uint64.optional() })
      .strict()
      .optional(),
  })
  .strict();
/** A bundle's declared dependencies on shared state. */
export type BundleDependencies = z.infer<typeof dependenciesSchema>;
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address");

export const manifestSchema = z
  .object({
    version: uint64.min(1),
    policyHash: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes of lowercase 0x hex"),
    sharedPolicyVersion: uint64,
    createdAt: uint64,
    dependsOn: dependenciesSchema.optional(),
  })
  .strict();
/** What compliance signs. */
export type BundleManifest = z.infer<typeof manifestSchema>;

export const bundleSignatureSchema = z
  .object({ signer: address, signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature") })
  .strict();
/** One compliance signature over the manifest, with the address it claims to come from. */
export type BundleSignature = z.infer<typeof bundleSignatureSchema>;

/** A policy bundle: Wasm bytes, data document (a JSON object), manifest and signatures. */
export interface PolicyBundle {
  readonly wasm: Uint8Array;
  readonly data: Record<string, unknown>;
  readonly manifest: BundleManifest;
  readonly signatures: readonly BundleSignature[];
}

/** Who may sign, how many must, and on which network. */
export const verifyOptionsSchema = z
  .object({
    complianceKeys: z.array(address).min(1),
    threshold: z.number().int().min(1),
    chainId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  })
  .strict()
  .refine((o) => o.threshold <= new Set(o.complianceKeys.map((k) => k.toLowerCase())).size, {
    message: "threshold exceeds the number of distinct compliance keys",
    path: ["threshold"],
  });
export type BundleTrust = z.infer<typeof verifyOptionsSchema>;

/** `verifyBundle` options: the trust configuration plus what the caller knows of the current state. */
export interface VerifyBundleOptions extends BundleTrust {
  /** The bundle's version must exceed this (the highest version activated so far). */
  minVersionExclusive?: number;
  /** The consortium's on-chain shared-policy version; the bundle must have been approved against it. */
  onChainVersion?: number;
}

/** A bundle that passed every check, with its policy loaded once and ready to evaluate. */
export interface VerifiedBundle {
  readonly bundle: PolicyBundle;
  readonly policy: WasmPolicy;
  /** The distinct compliance keys that signed, checksummed, in signature order. */
  readonly signers: readonly string[];
}

/** What `signBundle` needs of a signer: an ethers `Signer` (a `Wallet`, the HSM signer, ...) fits. */
export type BundleSigner = Pick<Signer, "getAddress" | "signTypedData">;

/** Validates the trust configuration once; throws POLICY_BUNDLE_CONFIG_INVALID listing the problems. */
export function parseBundleTrust(input: unknown): BundleTrust {
  const parsed = verifyOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
    throw new PolicyBundleError("POLICY_BUNDLE_CONFIG_INVALID", `invalid bundle trust: ${issues.join("; ")}`, {
      issues,
    });
  }
  return parsed.data;
}

/** The EIP-712 domain of bundle signatures on network `chainId`. */
export function bundleDomain(chainId: number): TypedDataDomain {
  return { name: BUNDLE_DOMAIN_NAME, version: BUNDLE_DOMAIN_VERSION, chainId };
}

/** The EIP-712 digest compliance signs for `manifest` on network `chainId`. */
export function manifestDigest(manifest: BundleManifest, chainId: number): string {
  const { types, value } = signedManifest(manifest);
  return TypedDataEncoder.hash(bundleDomain(chainId), types, value);
}

/** keccak256 of the canonical JSON of declared dependencies (the signed `dependencies` field). */
export function dependenciesHash(dependsOn: BundleDependencies): string {
  return keccak256(Buffer.from(canonicalJson(dependsOn, "dependsOn"), "utf8"));
}

/** The EIP-712 types and value signed for `manifest` (with `dependencies` when it states any). */
function signedManifest(manifest: BundleManifest): {
  types: Record<string, { name: string; type: string }[]>;
  value: Record<string, unknown>;
} {
  const { dependsOn, ...fields } = manifest;
  if (dependsOn === undefined) return { types: mutableTypes(), value: fields };
  return {
    types: { PolicyBundle: BUNDLE_TYPES_WITH_DEPENDENCIES.PolicyBundle.map((f) => ({ ...f })) },
    value: { ...fields, dependencies: dependenciesHash(dependsOn) },
  };
}

/** `policyHash` of the Wasm bytes and data document (see the module comment). */
export function computePolicyHash(wasm: Uint8Array, data: unknown): string {
  let dataJson: string;
  try {
    dataJson = canonicalJson(data, "data");
  } catch (error) {
    throw new PolicyBundleError("POLICY_BUNDLE_MALFORMED", "the data document is not plain JSON", {}, error);
  }
  const parts = new Uint8Array(64);
  parts.set(bytes(keccak256(wasm)), 0);
  parts.set(bytes(keccak256(Buffer.from(dataJson, "utf8"))), 32);
  return keccak256(parts);
}

/** Builds an unsigned bundle; `createdAt` defaults to now (Unix seconds). */
export function createBundle(input: {
  wasm: Uint8Array;
  data: Record<string, unknown>;
  version: number;
  sharedPolicyVersion: number;
  createdAt?: number;
  dependsOn?: BundleDependencies;
}): PolicyBundle {
  const manifest = parseManifest({
    version: input.version,
    policyHash: computePolicyHash(input.wasm, input.data),
    sharedPolicyVersion: input.sharedPolicyVersion,
    createdAt: input.createdAt ?? Math.floor(Date.now() / 1000),
    ...(input.dependsOn === undefined ? {} : { dependsOn: input.dependsOn }),
  });
  return { wasm: input.wasm, data: input.data, manifest, signatures: [] };
}

/** Returns `bundle` with one more signature: `signer`'s EIP-712 signature of the manifest on `chainId`. */
export async function signBundle(bundle: PolicyBundle, signer: BundleSigner, chainId: number): Promise<PolicyBundle> {
  const manifest = parseManifest(bundle.manifest);
  const { types, value } = signedManifest(manifest);
  const signature = await signer.signTypedData(bundleDomain(chainId), types, value);
  const entry = { signer: getAddress(await signer.getAddress()), signature };
  return { ...bundle, signatures: [...bundle.signatures, entry] };
}

/**
 * Checks `bundle` and loads its policy, in this order: manifest well formed, signed, every signature valid
 * under this network's domain and from a configured compliance key, enough distinct keys, Wasm and data
 * matching `policyHash`, version rising, shared-policy version matching, Wasm loading. Throws the first
 * failure as a `PolicyBundleError`.
 */
export async function verifyBundle(bundle: PolicyBundle, options: VerifyBundleOptions): Promise<VerifiedBundle> {
  const trust = parseBundleTrust({
    complianceKeys: options.complianceKeys,
    threshold: options.threshold,
    chainId: options.chainId,
  });
  const manifest = parseManifest(bundle.manifest);
  const signers = checkSignatures(manifest, bundle.signatures, trust);
  const actualHash = computePolicyHash(bundle.wasm, bundle.data);
  if (actualHash !== manifest.policyHash) {
    throw new PolicyBundleError("POLICY_BUNDLE_TAMPERED", "the Wasm or data do not match the signed policyHash", {
      signed: manifest.policyHash,
      actual: actualHash,
    });
  }
  if (options.minVersionExclusive !== undefined && manifest.version <= options.minVersionExclusive) {
    throw new PolicyBundleError(
      "POLICY_BUNDLE_VERSION_NOT_RISING",
      `version ${manifest.version} is not above ${options.minVersionExclusive}`,
      { version: manifest.version, mustExceed: options.minVersionExclusive },
    );
  }
  if (options.onChainVersion !== undefined && manifest.sharedPolicyVersion !== options.onChainVersion) {
    throw new PolicyBundleError(
      "POLICY_BUNDLE_SHARED_VERSION_MISMATCH",
      `approved against shared policy ${manifest.sharedPolicyVersion}, the chain is at ${options.onChainVersion}`,
      { sharedPolicyVersion: manifest.sharedPolicyVersion, onChainVersion: options.onChainVersion },
    );
  }
  let policy: WasmPolicy;
  try {
    policy = await WasmPolicy.load(bundle.wasm, bundle.data);
  } catch (error) {
    if (!isFrameworkError(error, codeFamily("POLICY_"))) throw error;
    throw new PolicyBundleError("POLICY_BUNDLE_UNPARSEABLE", `the policy does not load: ${error.message}`, {}, error);
  }
  return { bundle: { ...bundle, manifest }, policy, signers };
}

/** Recovers every signature; returns the distinct signers or throws the first signature problem. */
function checkSignatures(
  manifest: BundleManifest,
  signatures: readonly BundleSignature[],
  trust: BundleTrust,
): string[] {
  if (!Array.isArray(signatures) || signatures.length === 0) {
    throw new PolicyBundleError("POLICY_BUNDLE_UNSIGNED", "the bundle carries no signature");
  }
  const allowed = new Set(trust.complianceKeys.map((k) => k.toLowerCase()));
  const distinct = new Map<string, string>();
  signatures.forEach((raw, index) => {
    const entry = bundleSignatureSchema.safeParse(raw);
    if (!entry.success) {
      throw new PolicyBundleError("POLICY_BUNDLE_MALFORMED", `signature ${index} is malformed`, { index });
    }
    let recovered: string;
    try {
      const { types, value } = signedManifest(manifest);
      recovered = verifyTypedData(bundleDomain(trust.chainId), types, value, entry.data.signature);
    } catch (error) {
      throw new PolicyBundleError(
        "POLICY_BUNDLE_SIGNATURE_INVALID",
        `signature ${index} does not parse`,
        { index },
        error,
      );
    }
    if (recovered.toLowerCase() !== entry.data.signer.toLowerCase()) {
      throw new PolicyBundleError(
        "POLICY_BUNDLE_SIGNATURE_INVALID",
        `signature ${index} is not ${entry.data.signer}'s over this manifest on chain ${trust.chainId}`,
        { index, claimed: entry.data.signer, chainId: trust.chainId },
      );
    }
    if (!allowed.has(recovered.toLowerCase())) {
      throw new PolicyBundleError("POLICY_BUNDLE_UNKNOWN_SIGNER", `${recovered} is not a compliance key`, {
        index,
        signer: recovered,
      });
    }
    distinct.set(recovered.toLowerCase(), recovered);
  });
  if (distinct.size < trust.threshold) {
    throw new PolicyBundleError(
      "POLICY_BUNDLE_THRESHOLD_NOT_MET",
      `${distinct.size} distinct compliance signature(s), ${trust.threshold} required`,
      { distinct: distinct.size, threshold: trust.threshold },
    );
  }
  return [...distinct.values()];
}

/** Validates a manifest; throws POLICY_BUNDLE_MALFORMED listing the problems. */
export function parseManifest(input: unknown): BundleManifest {
  const parsed = manifestSchema.safeParse(input);
  if (!parsed.success) {
    const issues = schemaIssues(parsed.error).map((i) => `${i.path}: ${i.message}`);
    throw new PolicyBundleError("POLICY_BUNDLE_MALFORMED", `invalid manifest: ${issues.join("; ")}`, { issues });
  }
  return parsed.data;
}

/** ethers wants mutable arrays. */
function mutableTypes(): Record<string, { name: string; type: string }[]> {
  return { PolicyBundle: BUNDLE_TYPES.PolicyBundle.map((f) => ({ ...f })) };
}

function bytes(hex: string): Uint8Array {
  return Buffer.from(hex.slice(2), "hex");
}
