import { expect } from "chai";
import hre from "hardhat";
import { parseDevnetSpec, validatorContractGenesis } from "../../src/devnet";
import type { DeploymentRecord } from "../../src/deploy";
import { ErrorCode } from "../../src/errors";
import { DEMO_CONFIG, expectTaskError, increaseTime, isolateChain, runJson, SIGNER } from "./helpers";

const SET = "0x0000000000000000000000000000000000007777";
const GENESIS = [1, 2, 3, 4].map((i) => hre.ethers.getAddress(`0x${(0x1000 + i).toString(16).padStart(40, "0")}`));
const FIFTH = hre.ethers.getAddress(`0x${"55".repeat(20)}`);
const DAY = 86400;

interface SetOutput {
  validatorSet: string;
  validators: string[];
  governor: string | null;
  binder: string;
}

/** Puts the validator set where a contract-mode genesis puts it, with the same code and storage. */
async function predeploy(): Promise<void> {
  const code = (await hre.artifacts.readArtifact("ValidatorSet")).deployedBytecode;
  const spec = parseDevnetSpec({ validatorSelection: "contract" });
  const contract = validatorContractGenesis(spec, GENESIS, code);
  if (contract === undefined) throw new Error("contract mode yields a contract");
  await hre.network.provider.send("hardhat_setCode", [SET, contract.code]);
  for (const [slot, value] of Object.entries(contract.storage)) {
    await hre.network.provider.send("hardhat_setStorageAt", [SET, `0x${slot}`, `0x${value}`]);
  }
}

describe("validator set tasks", function () {
  isolateChain();
  let record: DeploymentRecord;

  before(async function () {
    ({ record } = await runJson<{ record: DeploymentRecord }>("deploy", { consortiumConfig: DEMO_CONFIG }));
  });

  it("validators:list refuses a network without the validator set contract", async function () {
    await expectTaskError(hre.run("validators:list", { json: true }), ErrorCode.DeploymentNotFound, /no validator set/);
  });

  it("validators:list shows the genesis validators and an unbound governor", async function () {
    await predeploy();
    const out = await runJson<SetOutput>("validators:list");
    const [deployer] = await hre.ethers.getSigners();
    expect(out).to.deep.equal({ validatorSet: SET, validators: GENESIS, governor: null, binder: deployer.address });
  });

  it("validators:bind refuses anyone but the binder, decoding the contract's error", async function () {
    await expectTaskError(
      hre.run("validators:bind", { from: SIGNER.alpha, json: true }),
      ErrorCode.ContractReverted,
      /ValidatorSetOnlyBinder\(actor=0x/,
    );
  });

  it("validators:bind binds the governor to the recorded consortium, once", async function () {
    const { governor } = await runJson<SetOutput & { transactionHash: string }>("validators:bind", {});
    expect(governor).to.equal(record.consortium);
    await expectTaskError(
      hre.run("validators:bind", { json: true }),
      ErrorCode.ContractReverted,
      /ValidatorSetGovernorAlreadyBound/,
    );
  });

  it("adds a validator through proposal, quorum and timelock", async function () {
    const proposed = await runJson<{ id: number; action: { text: string } }>("proposal:propose", {
      kind: "add-validator",
      validator: FIFTH,
      description: "Delta Bank's validator",
      from: SIGNER.alpha,
    });
    expect(proposed.action.text).to.equal(`setValidator(${SET}, ${FIFTH}, true)`);
    await runJson("proposal:approve", { id: String(proposed.id), from: SIGNER.beta });
    await increaseTime(DAY);
    await runJson("proposal:execute", { id: String(proposed.id), from: SIGNER.gamma });
    expect((await runJson<SetOutput>("validators:list")).validators).to.deep.equal([...GENESIS, FIFTH]);
  });

  it("removes a validator the same way, and refuses one that is not in the set at execution", async function () {
    /** Proposes removing `validator`, reaches quorum and waits out the timelock; returns the proposal id. */
    const queueRemoval = async (validator: string) => {
      const { id } = await runJson<{ id: number }>("proposal:propose", {
        kind: "remove-validator",
        validator,
        from: SIGNER.alpha,
      });
      await runJson("proposal:approve", { id: String(id), from: SIGNER.beta });
      return String(id);
    };
    const first = await queueRemoval(FIFTH);
    const second = await queueRemoval(FIFTH);
    await increaseTime(DAY);
    await runJson("proposal:execute", { id: first, from: SIGNER.gamma });
    expect((await runJson<SetOutput>("validators:list")).validators).to.deep.equal(GENESIS);
    await expectTaskError(
      hre.run("proposal:execute", { id: second, from: SIGNER.gamma, json: true }),
      ErrorCode.ContractReverted,
      /ValidatorSetNotValidator\(validator=0x5555/,
    );
  });

  it("refuses a validator that is not an address, and --validator-set on other kinds", async function () {
    await expectTaskError(
      hre.run("proposal:propose", { kind: "add-validator", validator: "node-4", from: SIGNER.alpha, json: true }),
      ErrorCode.InputInvalid,
      /--validator node-4: not an address/,
    );
    await expectTaskError(
      hre.run("proposal:propose", { kind: "pause", validatorSet: SET, from: SIGNER.alpha, json: true }),
      ErrorCode.InputInvalid,
      /--validator-set .* does not apply to --kind pause/,
    );
  });
});
