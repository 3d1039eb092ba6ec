// Compliance's tools: policy:bundle builds the real Rego policy (fmt, check, tests, coverage, Wasm) into an
// unsigned bundle, policy:sign adds officers' signatures with keys from the environment or a file, and
// policy:verify accepts the bundle a participant would accept and refuses the ones it would refuse.
import { expect } from "chai";
import { Wallet, id } from "ethers";
import hre from "hardhat";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readBundle, verifyBundle, writeBundle } from "../../src/policy";
import { expectTaskError, runJson } from "./helpers";

const [alice, bob, carol] = ["alice", "bob", "carol"].map((n) => new Wallet(id(`policy-bundle-test:${n}`)));
const KEYS = [alice, bob, carol].map((w) => w.address).join(",");

describe("policy:bundle, policy:sign and policy:verify", function () {
  let dir: string;
  let bundle: string;
  let chainId: number;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "policy-bundle-"));
    bundle = path.join(dir, "v7");
    chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    process.env.POLICY_TEST_ALICE_KEY = alice.privateKey;
    process.env.POLICY_TEST_BOB_KEY = bob.privateKey;
  });

  after(async function () {
    delete process.env.POLICY_TEST_ALICE_KEY;
    delete process.env.POLICY_TEST_BOB_KEY;
    await rm(dir, { recursive: true, force: true });
  });

  it("builds the Rego policy into an unsigned bundle with the bank's data, version and shared version", async function () {
    const data = JSON.parse(await readFile("policies/bank/data.json", "utf8")) as { counterparties: object };
    const dataFile = path.join(dir, "bank-data.json");
    await writeFile(dataFile, JSON.stringify({ ...data, counterparties: {} }));
    const result = await runJson<{ manifest: { version: number; sharedPolicyVersion: number } }>("policy:bundle", {
      out: bundle,
      bundleVersion: "7",
      sharedVersion: "3",
      data: dataFile,
    });
    expect(result.manifest).to.include({ version: 7, sharedPolicyVersion: 3 });
    const written = await readBundle(bundle);
    expect(written.signatures).to.deep.equal([]);
    expect(written.data).to.deep.equal({ bank: { ...data, counterparties: {} } });
    expect(written.manifest).to.deep.equal(result.manifest);
  });

  it("declares in the manifest what the bundle depends on, from a --depends-on file", async function () {
    const dependsOn = { assetCaps: { B30: "100000" }, parameters: { reversalWindow: 86400 } };
    const file = path.join(dir, "depends-on.json");
    await writeFile(file, JSON.stringify(dependsOn));
    const out = path.join(dir, "v8-deps");
    const result = await runJson<{ manifest: { dependsOn?: unknown } }>("policy:bundle", {
      out,
      bundleVersion: "8",
      sharedVersion: "3",
      dependsOn: file,
    });
    expect(result.manifest.dependsOn).to.deep.equal(dependsOn);
    expect((await readBundle(out)).manifest.dependsOn).to.deep.equal(dependsOn);
  });

  it("refuses a malformed --depends-on file, naming the field, and writes no bundle", async function () {
    const file = path.join(dir, "bad-depends-on.json");
    await writeFile(file, JSON.stringify({ assetCaps: { B30: "-5" }, surprise: true }));
    const out = path.join(dir, "never-written");
    const error = await expectTaskError(
      hre.run("policy:bundle", { out, bundleVersion: "9", sharedVersion: "3", dependsOn: file }),
      "CONFIG_INVALID",
    );
    expect(error.message).to.include("assetCaps.B30");
    await expectMissing(out);
  });

  it("adds one signature per officer, from an environment variable or a file, and refuses a second by the same key", async function () {
    const first = await runJson<{ signer: string; signatures: number }>("policy:sign", {
      bundle,
      keyEnv: "POLICY_TEST_ALICE_KEY",
    });
    expect(first).to.deep.include({ signer: alice.address, signatures: 1, chainId });
    const keyFile = path.join(dir, "bob.key");
    await writeFile(keyFile, `${bob.privateKey}\n`, { mode: 0o600 });
    expect(await runJson("policy:sign", { bundle, keyFile })).to.deep.include({ signer: bob.address, signatures: 2 });
    await expectTaskError(hre.run("policy:sign", { bundle, keyEnv: "POLICY_TEST_ALICE_KEY" }), "INPUT_INVALID");
    const verified = await verifyBundle(await readBundle(bundle), {
      complianceKeys: [alice.address, bob.address],
      threshold: 2,
      chainId,
    });
    expect(verified.signers).to.deep.equal([alice.address, bob.address]);
  });

  it("refuses a missing or malformed key without printing it, and a call with both or neither source", async function () {
    await expectTaskError(hre.run("policy:sign", { bundle, keyEnv: "POLICY_TEST_UNSET_KEY" }), "CONFIG_INVALID");
    process.env.POLICY_TEST_BAD_KEY = "0xnot-a-key-secret";
    try {
      const error = await expectTaskError(
        hre.run("policy:sign", { bundle, keyEnv: "POLICY_TEST_BAD_KEY" }),
        "CONFIG_INVALID",
      );
      expect(error.message).to.not.include("not-a-key-secret");
    } finally {
      delete process.env.POLICY_TEST_BAD_KEY;
    }
    await expectTaskError(hre.run("policy:sign", { bundle }), "INPUT_INVALID");
    await expectTaskError(
      hre.run("policy:sign", { bundle, keyEnv: "POLICY_TEST_ALICE_KEY", keyFile: "x" }),
      "INPUT_INVALID",
    );
  });

  it("verifies the signed bundle as a participant would, and refuses it where a participant would", async function () {
    const ok = await runJson<{ signers: string[] }>("policy:verify", { bundle, complianceKeys: KEYS, threshold: "2" });
    expect(ok.signers).to.deep.equal([alice.address, bob.address]);
    await expectTaskError(
      hre.run("policy:verify", { bundle, complianceKeys: KEYS, threshold: "3" }),
      "POLICY_BUNDLE_THRESHOLD_NOT_MET",
    );
    await expectTaskError(
      hre.run("policy:verify", { bundle, complianceKeys: KEYS, threshold: "2", chainId: String(chainId + 1) }),
      "POLICY_BUNDLE_SIGNATURE_INVALID",
    );
    await expectTaskError(
      hre.run("policy:verify", { bundle, complianceKeys: KEYS, threshold: "2", aboveVersion: "7" }),
      "POLICY_BUNDLE_VERSION_NOT_RISING",
    );
    await expectTaskError(hre.run("policy:verify", { bundle, threshold: "2" }), "INPUT_MISSING");
  });

  it("refuses a bundle whose data was changed after signing", async function () {
    const tampered = path.join(dir, "tampered");
    const signed = await readBundle(bundle);
    await writeBundle(tampered, { ...signed, data: { bank: { ...(signed.data.bank as object), extra: true } } });
    await expectTaskError(
      hre.run("policy:verify", { bundle: tampered, complianceKeys: KEYS, threshold: "2" }),
      "POLICY_BUNDLE_TAMPERED",
    );
  });
});

async function expectMissing(file: string): Promise<void> {
  const found = await access(file).then(
    () => true,
    () => false,
  );
  expect(found, `${file} exists`).to.equal(false);
}
