/**
 * Compliance's own tools for a rule change, with no developer and no contract involved:
 * - `policy:bundle` checks, tests and compiles the Rego rules (`scripts/build-policy.sh`: fmt, check, tests
 *   with the coverage floor, Wasm), takes the bank's data document, and writes an unsigned bundle directory
 *   with its version and the on-chain shared-policy version it is approved against;
 * - `policy:sign` adds one compliance officer's EIP-712 signature (key from an environment variable or a file,
 *   never a flag, never printed);
 * - `policy:verify` checks a bundle exactly as a participant will before activating it (signatures under this
 *   network's domain, compliance keys and threshold, hashes, Wasm loading, and optionally the version).
 * Before signing, `policy:replay` shows what the candidate would have decided differently.
 */
import { Wallet } from "ethers";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { readJsonFile, readSecret, type SecretSource } from "../core";
import { ConfigError, ErrorCode, schemaIssues, TaskInputError } from "../errors";
import {
  createBundle,
  dependenciesSchema,
  readBundle,
  readPolicyFiles,
  signBundle,
  verifyBundle,
  writeBundle,
  type BundleDependencies,
} from "../policy";
import { commandTask } from "./define";

const positive = (flag: string, value: string | undefined): number => {
  if (value === undefined || !/^[1-9]\d*$/.test(value)) {
    throw new TaskInputError(ErrorCode.InputInvalid, `--${flag} ${value ?? ""}: not a positive integer`);
  }
  return Number(value);
};

async function chainIdOf(hre: HardhatRuntimeEnvironment, given: string | undefined): Promise<number> {
  if (given !== undefined) return positive("chain-id", given);
  return Number((await hre.ethers.provider.getNetwork()).chainId);
}

type BundleArgs = {
  out: string;
  bundleVersion: string;
  sharedVersion: string;
  data?: string;
  dependsOn?: string;
  json: boolean;
};

/** The `dependsOn` declaration of a JSON file, validated as the manifest validates it. */
async function readDependencies(file: string): Promise<BundleDependencies> {
  const parsed = dependenciesSchema.safeParse(await readJsonFile(file, "dependencies file"));
  if (parsed.success) return parsed.data;
  const issues = schemaIssues(parsed.error);
  throw new ConfigError(
    ErrorCode.ConfigInvalid,
    `${file}: invalid dependencies: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { issues },
  );
}

commandTask(
  "policy:bundle",
  "Check, test and compile the Rego rules, and write an unsigned policy bundle with the bank's data",
  (t) =>
    t
      .addParam("out", "Directory to write the bundle to (policy.wasm, data.json, manifest.json, signatures.json)")
      .addParam("bundleVersion", "The bundle's version: above every version the bank has activated")
      .addParam("sharedVersion", "The consortium's on-chain shared-policy version this bundle is approved against")
      .addOptionalParam("data", "The bank's data document (shape of policies/bank/data.json; default that file)")
      .addOptionalParam(
        "dependsOn",
        "JSON file of what of the consortium's shared state the bundle depends on (policyDocumentHash, assetCaps, " +
          "parameters); a participant in compatible mode halts only when one of these changes",
      ),
  async (args: BundleArgs, out, hre) => {
    const version = positive("bundle-version", args.bundleVersion);
    const sharedPolicyVersion = positive("shared-version", args.sharedVersion);
    const root = hre.config.paths.root;
    const bankData = args.data === undefined ? undefined : await readJsonFile(args.data, "bank data file");
    if (bankData !== undefined && (bankData === null || typeof bankData !== "object" || Array.isArray(bankData))) {
      throw new ConfigError(ErrorCode.ConfigMalformed, `${args.data}: the bank data is not a JSON object`);
    }
    const dependsOn = args.dependsOn === undefined ? undefined : await readDependencies(args.dependsOn);
    const build = await mkdtemp(path.join(tmpdir(), "policy-build-"));
    try {
      try {
        await promisify(execFile)("bash", [path.join(root, "scripts", "build-policy.sh"), build], { cwd: root });
      } catch (error) {
        const output = (error as { stderr?: unknown }).stderr;
        const stderr = (typeof output === "string" ? output : "").trim();
        throw new TaskInputError(
          ErrorCode.InputInvalid,
          `the policy does not build: ${stderr.split("\n").pop()}`,
          { stderr },
          error,
        );
      }
      const files = await readPolicyFiles(build);
      const data = bankData === undefined ? (files.data as Record<string, unknown>) : { bank: bankData };
      const bundle = createBundle({
        wasm: files.wasm,
        data,
        version,
        sharedPolicyVersion,
        ...(dependsOn === undefined ? {} : { dependsOn }),
      });
      await writeBundle(args.out, bundle);
      out.line(`wrote bundle v${version} to ${args.out}: policy hash ${bundle.manifest.policyHash}`);
      out.line(`approved against shared-policy version ${sharedPolicyVersion}; unsigned: sign with policy:sign`);
      return out.result({ dir: args.out, manifest: bundle.manifest });
    } finally {
      await rm(build, { recursive: true, force: true });
    }
  },
);

type SignArgs = { bundle: string; keyEnv?: string; keyFile?: string; chainId?: string; json: boolean };

commandTask(
  "policy:sign",
  "Add a compliance officer's EIP-712 signature to a policy bundle (key from --key-env or --key-file)",
  (t) =>
    t
      .addParam("bundle", "The bundle directory")
      .addOptionalParam("keyEnv", "Environment variable holding the officer's private key (hex)")
      .addOptionalParam("keyFile", "File holding the officer's private key (hex)")
      .addOptionalParam("chainId", "Chain id of the signature's domain (default: the network's)"),
  async (args: SignArgs, out, hre) => {
    if ((args.keyEnv === undefined) === (args.keyFile === undefined)) {
      throw new TaskInputError(ErrorCode.InputInvalid, "give exactly one of --key-env and --key-file");
    }
    const source: SecretSource = args.keyEnv !== undefined ? { env: args.keyEnv } : { file: args.keyFile! };
    const unavailable = (cause?: unknown): Error =>
      new ConfigError(
        ErrorCode.ConfigInvalid,
        `no signing key in ${"env" in source ? `$${source.env}` : source.file}`,
        {},
        cause,
      );
    let signer: Wallet;
    try {
      signer = new Wallet(readSecret(source, unavailable));
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(ErrorCode.ConfigInvalid, "the signing key is not a private key"); // never echo it
    }
    const chainId = await chainIdOf(hre, args.chainId);
    const bundle = await readBundle(args.bundle);
    if (bundle.signatures.some((s) => s.signer === signer.address)) {
      throw new TaskInputError(ErrorCode.InputInvalid, `${signer.address} has already signed this bundle`);
    }
    const signed = await signBundle(bundle, signer, chainId);
    await writeBundle(args.bundle, signed);
    out.line(
      `signed bundle v${bundle.manifest.version} (${bundle.manifest.policyHash}) as ${signer.address} ` +
        `on chain ${chainId}: ${signed.signatures.length} signature(s)`,
    );
    return out.result({ signer: signer.address, chainId, signatures: signed.signatures.length });
  },
);

type VerifyArgs = {
  bundle: string;
  complianceKeys?: string;
  threshold?: string;
  participantConfig?: string;
  chainId?: string;
  aboveVersion?: string;
  json: boolean;
};

commandTask(
  "policy:verify",
  "Check a policy bundle as a participant will before activating it (signatures, keys, threshold, hashes, Wasm)",
  (t) =>
    t
      .addParam("bundle", "The bundle directory")
      .addOptionalParam("complianceKeys", "Comma-separated addresses of the compliance keys that may sign")
      .addOptionalParam("threshold", "How many distinct compliance keys must have signed")
      .addOptionalParam("participantConfig", "Take the keys and threshold from a participant configuration file")
      .addOptionalParam("chainId", "Chain id of the signatures' domain (default: the network's)")
      .addOptionalParam("aboveVersion", "The highest version activated so far: the bundle's must be above it"),
  async (args: VerifyArgs, out, hre) => {
    let complianceKeys: string[];
    let threshold: number;
    if (args.participantConfig !== undefined) {
      const config = (await readJsonFile(args.participantConfig, "participant configuration")) as {
        policy?: { complianceKeys?: unknown; threshold?: unknown };
      };
      complianceKeys = (config.policy?.complianceKeys as string[] | undefined) ?? [];
      threshold = Number(config.policy?.threshold);
    } else {
      if (args.complianceKeys === undefined || args.threshold === undefined) {
        throw new TaskInputError(
          ErrorCode.InputMissing,
          "give --compliance-keys and --threshold, or --participant-config",
        );
      }
      complianceKeys = args.complianceKeys.split(",").map((k) => k.trim());
      threshold = positive("threshold", args.threshold);
    }
    const chainId = await chainIdOf(hre, args.chainId);
    const bundle = await readBundle(args.bundle);
    const verified = await verifyBundle(bundle, {
      complianceKeys,
      threshold,
      chainId,
      ...(args.aboveVersion === undefined ? {} : { minVersionExclusive: positive("above-version", args.aboveVersion) }),
    });
    const m = bundle.manifest;
    out.line(
      `bundle v${m.version} verifies on chain ${chainId}: policy hash ${m.policyHash}, shared-policy version ` +
        `${m.sharedPolicyVersion}, signed by ${verified.signers.join(", ")}`,
    );
    return out.result({ manifest: m, signers: verified.signers, chainId });
  },
);
