import { expect } from "chai";
import hre from "hardhat";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { buildConsortiumModule } from "../../deploy/consortium";
import { loadConsortiumConfig, resolveConsortiumConfig } from "../../src/config";
import { deployConsortium, FileDeploymentStore, type DeploymentRecord } from "../../src/deploy";
import { ChainStateError, ErrorCode } from "../../src/errors";
import { DEMO_CONFIG, expectTaskError, isolateChain, runHuman, runJson, tempDir, writeTempConfig } from "./helpers";

interface DeployOutput {
  status: string;
  network: string;
  record: DeploymentRecord;
  funding: { symbol: string; account: string; amount: string }[];
}

describe("deploy task", function () {
  isolateChain();
  let first: DeployOutput;

  before(async function () {
    first = await runJson<DeployOutput>("deploy", { consortiumConfig: DEMO_CONFIG });
  });

  it("deploys and bootstraps the consortium the configuration describes", async function () {
    expect(first.status).to.equal("deployed");
    expect(first.network).to.equal("hardhat");
    const { record } = first;
    const consortium = await hre.ethers.getContractAt("Consortium", record.consortium);
    const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
    expect(await consortium.bootstrapped()).to.equal(true);
    expect(await engine.consortium()).to.equal(record.consortium);
    expect(await consortium.activeMemberCount()).to.equal(3n);
    expect((await consortium.member(2)).lei).to.equal("DEMO00BETABANK000096");
    const params = await consortium.params();
    expect([params.reversalWindow, params.affirmationWindow, params.policyVersion]).to.deep.equal([86400n, 7200n, 1n]);
    const [aEUR, B30] = record.tokens;
    expect(await consortium.assetCap(aEUR.address)).to.equal(1_000_000_000n);
    expect(await consortium.assetCap(B30.address)).to.equal(100_000n);
    const bond = await hre.ethers.getContractAt("PermissionedToken", B30.address);
    expect([await bond.symbol(), await bond.decimals(), await bond.settlementEngine()]).to.deep.equal([
      "B30",
      0n,
      record.engine,
    ]);
  });

  it("funds every member account on a local network and lets the engine escrow", async function () {
    const { record } = first;
    const cash = await hre.ethers.getContractAt("PermissionedToken", record.tokens[0].address);
    for (const member of record.members) {
      expect(await cash.balanceOf(member.accounts[0])).to.equal(500_000_000n);
      expect(await cash.allowance(member.accounts[0], record.engine)).to.equal(hre.ethers.MaxUint256);
    }
    expect(first.funding).to.have.length(6);
  });

  it("does nothing when re-run where the recorded consortium exists and matches", async function () {
    const blockBefore = await hre.ethers.provider.getBlockNumber();
    const again = await runJson<DeployOutput>("deploy", { consortiumConfig: DEMO_CONFIG });
    expect(again.status).to.equal("unchanged");
    expect(again.record).to.deep.equal(first.record);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(blockBefore);
    const human = await runHuman("deploy", { consortiumConfig: DEMO_CONFIG });
    expect(human).to.match(/already deployed on hardhat and matches: nothing to do/);
  });

  it("refuses a malformed configuration with the path of the bad field", async function () {
    const raw = JSON.parse(await readFile(DEMO_CONFIG, "utf8")) as { members: { lei: string }[] };
    raw.members[1].lei = "NOT-AN-LEI";
    const file = await writeTempConfig(raw);
    await expectTaskError(
      hre.run("deploy", { consortiumConfig: file, json: true }),
      ErrorCode.ConfigInvalid,
      /consortium\.json: members\[1\]\.lei: must be a 20-character LEI/,
    );
    await expectTaskError(
      hre.run("deploy", { consortiumConfig: "deploy/consortia/nope.json", json: true }),
      ErrorCode.ConfigNotFound,
    );
  });

  it("builds an Ignition module named after the consortium, bootstrapping each token", async function () {
    const signers = (await hre.ethers.getSigners()).map((s) => s.address);
    const module = buildConsortiumModule(resolveConsortiumConfig(await loadConsortiumConfig(DEMO_CONFIG), signers));
    expect(module.id).to.equal("DemoThreeBankConsortium");
    const futures = [...module.futures].map((f) => f.id).sort();
    expect(futures).to.deep.equal(
      [
        "DemoThreeBankConsortium#Consortium",
        "DemoThreeBankConsortium#SettlementEngine",
        "DemoThreeBankConsortium#AuditAnchor",
        "DemoThreeBankConsortium#PermissionedToken_aEUR",
        "DemoThreeBankConsortium#PermissionedToken_B30",
        "DemoThreeBankConsortium#setAsset_aEUR",
        "DemoThreeBankConsortium#setAsset_B30",
        "DemoThreeBankConsortium#Consortium.completeBootstrap",
      ].sort(),
    );
  });
});

describe("deploy library with a file store", function () {
  isolateChain();
  let dir: string;
  let store: FileDeploymentStore;

  before(async function () {
    dir = await tempDir("deployments-");
    store = new FileDeploymentStore(dir);
  });

  it("records addresses in <dir>/<network>.json and re-runs as a no-op", async function () {
    const deployed = await deployConsortium(hre, { configFile: DEMO_CONFIG, store });
    expect(deployed.status).to.equal("deployed");
    const file = JSON.parse(await readFile(path.join(dir, "hardhat.json"), "utf8")) as {
      network: string;
      consortia: Record<string, DeploymentRecord>;
    };
    expect(file.network).to.equal("hardhat");
    expect(file.consortia["demo-three-bank-consortium"].consortium).to.equal(deployed.record.consortium);
    expect(file.consortia["demo-three-bank-consortium"].configFile).to.equal(DEMO_CONFIG);

    const again = await deployConsortium(hre, { configFile: DEMO_CONFIG, store });
    expect(again.status).to.equal("unchanged");
    expect(again.notes[0]).to.match(/matches: nothing to do/);
  });

  it("refuses to redeploy a recorded consortium from a changed configuration", async function () {
    const raw = JSON.parse(await readFile(DEMO_CONFIG, "utf8")) as { settings: Record<string, string> };
    raw.settings.reversalWindow = "2d";
    const file = await writeTempConfig(raw);
    const error = await deployConsortium(hre, { configFile: file, store }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ChainStateError);
    expect((error as ChainStateError).code).to.equal(ErrorCode.DeploymentMismatch);
    expect((error as ChainStateError).message).to.match(/deployed from a different configuration/);
  });

  it("deploys again when the recorded consortium is gone from a reset chain", async function () {
    const snapshot = (await hre.network.provider.request({ method: "evm_snapshot", params: [] })) as string;
    const otherStore = new FileDeploymentStore(await tempDir("deployments-"));
    const gone = await deployConsortium(hre, { configFile: DEMO_CONFIG, store: otherStore });
    await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
    const redeployed = await deployConsortium(hre, { configFile: DEMO_CONFIG, store: otherStore });
    expect(redeployed.status).to.equal("deployed");
    expect(redeployed.notes[0]).to.match(/is gone from the chain/);
    expect(await hre.ethers.provider.getCode(redeployed.record.consortium)).to.not.equal("0x");
    expect(gone.record.key).to.equal(redeployed.record.key);
  });
});
