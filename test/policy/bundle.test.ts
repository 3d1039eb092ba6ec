// Signed policy bundles through the real bank policy (scripts/build-policy.sh, real Wasm) and a real
// SQLite audit file: the digest and signature scheme, the bundle directory, and the registry's activation,
// refusals (each failure mode by name, the active bundle staying in force), new bundles and rollback.
import { expect } from "chai";
import { AbiCoder, concat, id, keccak256, toUtf8Bytes } from "ethers";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAuditStore, type AuditRecord, type AuditStore } from "../../src/audit";
import { canonicalJson } from "../../src/core";
import {
  computePolicyHash,
  createBundle,
  manifestDigest,
  NO_ACTIVE_BUNDLE_REASON,
  PolicyRegistry,
  readBundle,
  readPolicyFiles,
  verifyBundle,
  writeBundle,
  type PolicyBundle,
  type PolicyBundleErrorCode,
  type RegistryDecision,
} from "../../src/policy";
import {
  CHAIN_ID,
  compliance,
  CREATED_AT,
  complianceKeys,
  outsider,
  rejection,
  signedBy,
  SHARED_VERSION,
  unsigned,
  withEurtLimit,
  type BankDocument,
} from "./bundles";
import { baseIntent, buildBankPolicy } from "./helpers";
import { codeFamily, isFrameworkError } from "../../src/errors";

/** Decodes an EIP-712 digest by hand (not through ethers' encoder): \x19\x01 ‖ domainSeparator ‖ structHash. */
function handDigest(manifest: PolicyBundle["manifest"], chainId: number): string {
  const abi = AbiCoder.defaultAbiCoder();
  const domainSeparator = keccak256(
    abi.encode(
      ["bytes32", "bytes32", "bytes32", "uint256"],
      [id("EIP712Domain(string name,string version,uint256 chainId)"), id("ConsortiumPolicyBundle"), id("1"), chainId],
    ),
  );
  const structHash = keccak256(
    abi.encode(
      ["bytes32", "uint64", "bytes32", "uint64", "uint64"],
      [
        id("PolicyBundle(uint64 version,bytes32 policyHash,uint64 sharedPolicyVersion,uint64 createdAt)"),
        manifest.version,
        manifest.policyHash,
        manifest.sharedPolicyVersion,
        manifest.createdAt,
      ],
    ),
  );
  return keccak256(concat(["0x1901", domainSeparator, structHash]));
}

describe("policy bundles", function () {
  let wasm: Uint8Array;
  let data: BankDocument;
  /** Bank B's EURT limit lowered below the base intent's amount: activating it changes the decision. */
  let strict: BankDocument;
  let dir: string;

  before(async function () {
    const files = await readPolicyFiles(await buildBankPolicy());
    wasm = files.wasm;
    data = files.data as BankDocument;
    strict = withEurtLimit(data, "10000000");
    dir = await mkdtemp(path.join(tmpdir(), "policy-bundle-"));
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  describe("digest and signature scheme", function () {
    it("hashes keccak256(keccak256(wasm) ‖ keccak256(canonical data JSON)) as policyHash", function () {
      const expected = keccak256(concat([keccak256(wasm), keccak256(toUtf8Bytes(canonicalJson(data)))]));
      expect(computePolicyHash(wasm, data)).to.equal(expected);
      expect(unsigned(wasm, data, 1).manifest.policyHash).to.equal(expected);
      expect(computePolicyHash(wasm, strict)).to.not.equal(expected);
    });

    it("signs the EIP-712 digest of the manifest under the ConsortiumPolicyBundle domain and chain id", async function () {
      const bundle = await signedBy(unsigned(wasm, data, 3), [compliance[0]]);
      const digest = handDigest(bundle.manifest, CHAIN_ID);
      expect(manifestDigest(bundle.manifest, CHAIN_ID)).to.equal(digest);
      expect(manifestDigest(bundle.manifest, 1)).to.not.equal(digest);
      expect(bundle.signatures).to.deep.equal([
        { signer: compliance[0].address, signature: compliance[0].signingKey.sign(digest).serialized },
      ]);
    });

    it("signs a manifest's declared dependencies with it: their canonical JSON hash is a sixth signed field", async function () {
      const dependsOn = { assetCaps: { B30: "100000" }, parameters: { reversalWindow: 86400 } };
      const bundle = createBundle({
        wasm,
        data: data as unknown as Record<string, unknown>,
        version: 3,
        sharedPolicyVersion: SHARED_VERSION,
        createdAt: CREATED_AT,
        dependsOn,
      });
      const abi = AbiCoder.defaultAbiCoder();
      const domainSeparator = keccak256(
        abi.encode(
          ["bytes32", "bytes32", "bytes32", "uint256"],
          [
            id("EIP712Domain(string name,string version,uint256 chainId)"),
            id("ConsortiumPolicyBundle"),
            id("1"),
            CHAIN_ID,
          ],
        ),
      );
      const structHash = keccak256(
        abi.encode(
          ["bytes32", "uint64", "bytes32", "uint64", "uint64", "bytes32"],
          [
            id(
              "PolicyBundle(uint64 version,bytes32 policyHash,uint64 sharedPolicyVersion,uint64 createdAt,bytes32 dependencies)",
            ),
            3,
            bundle.manifest.policyHash,
            SHARED_VERSION,
            CREATED_AT,
            keccak256(toUtf8Bytes(canonicalJson(dependsOn))),
          ],
        ),
      );
      expect(manifestDigest(bundle.manifest, CHAIN_ID)).to.equal(
        keccak256(concat(["0x1901", domainSeparator, structHash])),
      );
      const signed = await signedBy(bundle, [compliance[0], compliance[1]]);
      const trust = { complianceKeys, threshold: 2, chainId: CHAIN_ID };
      expect((await verifyBundle(signed, trust)).bundle.manifest.dependsOn).to.deep.equal(dependsOn);
      // A dependency changed after signing is not what compliance signed.
      const altered = { ...signed, manifest: { ...signed.manifest, dependsOn: { assetCaps: { B30: "1" } } } };
      const error = await rejection(verifyBundle(altered, trust));
      expect(isFrameworkError(error, codeFamily("POLICY_BUNDLE_")), String(error)).to.be.true;
    });

    it("verifies a bundle written to and read back from its directory", async function () {
      const bundleDir = path.join(dir, "bundle-v1");
      await writeBundle(bundleDir, await signedBy(unsigned(wasm, data, 1), [compliance[0], compliance[2]]));
      const read = await readBundle(bundleDir);
      const verified = await verifyBundle(read, { complianceKeys, threshold: 2, chainId: CHAIN_ID });
      expect(verified.signers).to.deep.equal([compliance[0].address, compliance[2].address]);
      expect(verified.policy.evaluate(baseIntent()).outcome).to.equal("allow");
    });

    it("refuses a bundle directory that does not exist as not found", async function () {
      const error = await rejection(readBundle(path.join(dir, "no-such-bundle")));
      expect(isFrameworkError(error, "POLICY_BUNDLE_NOT_FOUND"), String(error)).to.be.true;
      expect((error as Error).message).to.include("no such directory");
    });

    it("refuses a bundle directory with a missing file as malformed", async function () {
      const bundleDir = path.join(dir, "bundle-without-manifest");
      await writeBundle(bundleDir, await signedBy(unsigned(wasm, data, 1), [compliance[0]]));
      await rm(path.join(bundleDir, "manifest.json"));
      const error = await rejection(readBundle(bundleDir));
      expect(isFrameworkError(error, "POLICY_BUNDLE_MALFORMED"), String(error)).to.be.true;
      expect((error as Error).message).to.include("cannot read manifest.json");
    });
  });

  describe("PolicyRegistry", function () {
    let audit: AuditStore;
    let registry: PolicyRegistry;
    let v1: PolicyBundle;
    let stores = 0;

    beforeEach(async function () {
      audit = await openAuditStore({ path: path.join(dir, `audit-${++stores}.sqlite`) });
      registry = new PolicyRegistry({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
      v1 = await signedBy(unsigned(wasm, data, 1), [compliance[0], compliance[1]]);
      await registry.activate(v1);
    });

    afterEach(async function () {
      await audit.close();
    });

    const decideBase = (): RegistryDecision => registry.evaluate(baseIntent());

    /** Activating `bundle` fails with `code`, and the decision before and after is identical. */
    async function expectRefused(
      bundle: PolicyBundle,
      code: PolicyBundleErrorCode,
      onChainVersion?: number,
    ): Promise<void> {
      const before = decideBase();
      expect(before.decision.outcome).to.equal("allow");
      const error = await rejection(registry.activate(bundle, { onChainVersion }));
      expect(isFrameworkError(error, code), String(error)).to.be.true;
      expect(decideBase()).to.deep.equal(before);
      expect(registry.active).to.deep.equal({ version: 1, policyHash: v1.manifest.policyHash });
    }

    it("denies every intent while no bundle is active (fails closed)", async function () {
      const empty = new PolicyRegistry({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
      expect(empty.active).to.be.null;
      const { decision, policyVersion } = empty.evaluate(baseIntent());
      expect(policyVersion).to.be.null;
      expect(decision.outcome).to.equal("deny");
      expect(decision.reasons).to.deep.equal([NO_ACTIVE_BUNDLE_REASON]);
      const error = await rejection(empty.rollback());
      expect(isFrameworkError(error, "POLICY_BUNDLE_NO_PREVIOUS"), String(error)).to.be.true;
    });

    it("refuses a configuration whose threshold exceeds the distinct compliance keys", function () {
      const keys = [complianceKeys[0], complianceKeys[0].toLowerCase()];
      let error: unknown;
      try {
        new PolicyRegistry({ complianceKeys: keys, threshold: 2, chainId: CHAIN_ID, audit });
      } catch (caught) {
        error = caught;
      }
      expect(isFrameworkError(error, "POLICY_BUNDLE_CONFIG_INVALID"), String(error)).to.be.true;
    });

    it("returns each decision with the version and hash of the bundle that made it", function () {
      expect(decideBase()).to.deep.equal({
        decision: {
          outcome: "allow",
          reasons: ["ALLOWED: every rule passed"],
          approvals: { required: 0, roles: [], pending: [] },
        },
        policyVersion: { version: 1, policyHash: v1.manifest.policyHash },
      });
    });

    it("refuses an unsigned bundle", async function () {
      await expectRefused(unsigned(wasm, strict, 2), "POLICY_BUNDLE_UNSIGNED");
    });

    it("refuses a bundle signed by an unknown key", async function () {
      await expectRefused(
        await signedBy(unsigned(wasm, strict, 2), [compliance[0], outsider]),
        "POLICY_BUNDLE_UNKNOWN_SIGNER",
      );
    });

    it("refuses a bundle below the threshold (1 of the 2 required compliance keys)", async function () {
      await expectRefused(
        await signedBy(unsigned(wasm, strict, 2), [compliance[2]]),
        "POLICY_BUNDLE_THRESHOLD_NOT_MET",
      );
    });

    it("counts a duplicate signature from one key once", async function () {
      const twice = await signedBy(unsigned(wasm, strict, 2), [compliance[1], compliance[1]]);
      expect(twice.signatures).to.have.length(2);
      await expectRefused(twice, "POLICY_BUNDLE_THRESHOLD_NOT_MET");
    });

    it("refuses tampered wasm", async function () {
      const bundle = await signedBy(unsigned(wasm, strict, 2), [compliance[0], compliance[1]]);
      const altered = Uint8Array.from(bundle.wasm);
      altered[altered.length - 1] ^= 0x01;
      await expectRefused({ ...bundle, wasm: altered }, "POLICY_BUNDLE_TAMPERED");
    });

    it("refuses tampered data (a limit raised after signing)", async function () {
      const bundle = await signedBy(unsigned(wasm, strict, 2), [compliance[0], compliance[1]]);
      const raised = withEurtLimit(strict, "900000000000") as unknown as Record<string, unknown>;
      await expectRefused({ ...bundle, data: raised }, "POLICY_BUNDLE_TAMPERED");
    });

    it("refuses unparseable wasm (garbage bytes with valid signatures over their hash)", async function () {
      const garbage = Uint8Array.from(Buffer.from("not a wasm module, but signed all the same"));
      const bundle = await signedBy(unsigned(garbage, strict, 2), [compliance[0], compliance[1]]);
      await expectRefused(bundle, "POLICY_BUNDLE_UNPARSEABLE");
    });

    it("refuses signatures made for another chain id", async function () {
      const bundle = await signedBy(unsigned(wasm, strict, 2), [compliance[0], compliance[1]], 1);
      await expectRefused(bundle, "POLICY_BUNDLE_SIGNATURE_INVALID");
    });

    it("refuses a version that does not rise", async function () {
      await expectRefused(
        await signedBy(unsigned(wasm, strict, 1), [compliance[0], compliance[1]]),
        "POLICY_BUNDLE_VERSION_NOT_RISING",
      );
    });

    it("refuses a bundle approved against another on-chain shared-policy version", async function () {
      const bundle = await signedBy(unsigned(wasm, strict, 2, SHARED_VERSION - 1), [compliance[0], compliance[1]]);
      await expectRefused(bundle, "POLICY_BUNDLE_SHARED_VERSION_MISMATCH", SHARED_VERSION);
    });

    it("applies a new bundle (a lower limit) to the next decision without restart", async function () {
      const v2 = await signedBy(unsigned(wasm, strict, 2), [compliance[2], compliance[0]]);
      expect(await registry.activate(v2, { onChainVersion: SHARED_VERSION })).to.deep.equal({
        version: 2,
        policyHash: v2.manifest.policyHash,
      });
      const { decision, policyVersion } = decideBase();
      expect(decision.outcome).to.equal("deny");
      expect(decision.reasons.map((r) => r.split(":")[0])).to.include("SETTLEMENT_LIMIT_EXCEEDED");
      expect(policyVersion).to.deep.equal({ version: 2, policyHash: v2.manifest.policyHash });
    });

    it("rolls back to the previous bundle and its decision", async function () {
      const before = decideBase();
      await registry.activate(await signedBy(unsigned(wasm, strict, 2), [compliance[0], compliance[1]]));
      expect(decideBase().decision.outcome).to.equal("deny");
      expect(await registry.rollback()).to.deep.equal({ version: 1, policyHash: v1.manifest.policyHash });
      expect(decideBase()).to.deep.equal(before);
      // The version rolled back from cannot come back: compliance signs a higher one.
      await expectRefused(
        await signedBy(unsigned(wasm, strict, 2), [compliance[0], compliance[1]]),
        "POLICY_BUNDLE_VERSION_NOT_RISING",
      );
    });

    it("audits every activation, refusal and rollback in a chain that verifies", async function () {
      const v2 = await signedBy(unsigned(wasm, strict, 2), [compliance[0], compliance[1]]);
      await rejection(registry.activate(unsigned(wasm, strict, 2)));
      await registry.activate(v2);
      await registry.rollback();
      const records: AuditRecord[] = [];
      for await (const record of audit.records()) records.push(record);
      const first = { version: 1, policyHash: v1.manifest.policyHash };
      const second = { version: 2, policyHash: v2.manifest.policyHash };
      expect(records.map((r) => [r.kind, r.payload])).to.deep.equal([
        [
          "bundle_activation",
          {
            outcome: "activated",
            ...first,
            sharedPolicyVersion: SHARED_VERSION,
            createdAt: CREATED_AT,
            signers: [compliance[0].address, compliance[1].address],
            previous: null,
          },
        ],
        [
          "bundle_activation",
          {
            outcome: "refused",
            code: "POLICY_BUNDLE_UNSIGNED",
            reason: "the bundle carries no signature",
            claimed: second,
            active: first,
          },
        ],
        [
          "bundle_activation",
          {
            outcome: "activated",
            ...second,
            sharedPolicyVersion: SHARED_VERSION,
            createdAt: CREATED_AT,
            signers: [compliance[0].address, compliance[1].address],
            previous: first,
          },
        ],
        ["bundle_rollback", { outcome: "rolled_back", from: second, to: first }],
      ]);
      expect(await audit.verify()).to.deep.include({ ok: true, count: 4 });
    });
  });
});
