import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployConsortium, governedCall } from "../../fixtures";
import { enact, proposeAs } from "./consortium.behavior";

/** Deterministic validator addresses (node keys are not needed to govern the set). */
const validatorAddress = (i: number) => ethers.getAddress(`0x${(0x1000 + i).toString(16).padStart(40, "0")}`);
const GENESIS = [1, 2, 3, 4].map(validatorAddress);

/** The three-bank consortium with a validator set of four whose governor is bound to it. */
async function validatorSetFixture() {
  const f = await deployConsortium();
  const set = await ethers.deployContract("ValidatorSet", [GENESIS, f.deployer.address]);
  const setAddress = await set.getAddress();
  const consortiumAddress = await f.consortium.getAddress();
  await set.bindGovernor(consortiumAddress);
  const operators = f.banks.map((b) => b.operator);
  const change = (validator: string, enabled: boolean) =>
    governedCall(f.consortium, "setValidator", [setAddress, validator, enabled]);
  return { ...f, set, setAddress, consortiumAddress, operators, change };
}

/** A validator set whose governor is not bound yet. */
async function unboundFixture() {
  const f = await deployConsortium();
  const set = await ethers.deployContract("ValidatorSet", [GENESIS, f.deployer.address]);
  return { ...f, set, consortiumAddress: await f.consortium.getAddress() };
}

describe("ValidatorSet", () => {
  describe("creation", () => {
    it("holds the initial validators in order and the binder, with no governor", async () => {
      const { set, deployer } = await loadFixture(unboundFixture);
      expect(await set.getValidators()).to.deep.equal(GENESIS);
      expect(await set.binder()).to.equal(deployer.address);
      expect(await set.governor()).to.equal(ethers.ZeroAddress);
      expect(await set.isValidator(GENESIS[2])).to.equal(true);
      expect(await set.isValidator(validatorAddress(9))).to.equal(false);
    });

    it("refuses a zero binder", async () => {
      const factory = await ethers.getContractFactory("ValidatorSet");
      await expect(factory.deploy(GENESIS, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        factory,
        "ValidatorSetZeroAddress",
      );
    });

    it("refuses an empty set", async () => {
      const [binder] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ValidatorSet");
      await expect(factory.deploy([], binder.address)).to.be.revertedWithCustomError(factory, "ValidatorSetEmpty");
    });

    it("refuses a zero validator", async () => {
      const [binder] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ValidatorSet");
      await expect(factory.deploy([GENESIS[0], ethers.ZeroAddress], binder.address)).to.be.revertedWithCustomError(
        factory,
        "ValidatorSetZeroAddress",
      );
    });

    it("refuses a validator listed twice", async () => {
      const [binder] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ValidatorSet");
      await expect(factory.deploy([GENESIS[0], GENESIS[1], GENESIS[0]], binder.address))
        .to.be.revertedWithCustomError(factory, "ValidatorSetAlreadyValidator")
        .withArgs(GENESIS[0]);
    });

    it("refuses more than MAX_VALIDATORS validators", async () => {
      const [binder] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ValidatorSet");
      const many = Array.from({ length: 65 }, (_, i) => validatorAddress(i + 1));
      await expect(factory.deploy(many, binder.address))
        .to.be.revertedWithCustomError(factory, "ValidatorSetFull")
        .withArgs(64n);
      const set = await factory.deploy(many.slice(0, 64), binder.address);
      expect(await set.getValidators()).to.have.length(64);
    });
  });

  describe("bootstrap", () => {
    it("binds the governor once, from the binder, emitting GovernorBound", async () => {
      const { set, deployer, consortiumAddress } = await loadFixture(unboundFixture);
      await expect(set.bindGovernor(consortiumAddress))
        .to.emit(set, "GovernorBound")
        .withArgs(consortiumAddress, deployer.address);
      expect(await set.governor()).to.equal(consortiumAddress);
    });

    it("refuses a binding from anyone but the binder", async () => {
      const { set, banks, consortiumAddress } = await loadFixture(unboundFixture);
      const operator = banks[0].operator;
      await expect(set.connect(operator).bindGovernor(consortiumAddress))
        .to.be.revertedWithCustomError(set, "ValidatorSetOnlyBinder")
        .withArgs(operator.address);
    });

    it("refuses a second binding, also to another contract", async () => {
      const { set, consortiumAddress } = await loadFixture(validatorSetFixture);
      const other = await ethers.deployContract("PlainERC20", ["Other", "OTH"]);
      await expect(set.bindGovernor(await other.getAddress()))
        .to.be.revertedWithCustomError(set, "ValidatorSetGovernorAlreadyBound")
        .withArgs(consortiumAddress);
    });

    it("refuses a governor without code", async () => {
      const { set, outsider } = await loadFixture(unboundFixture);
      await expect(set.bindGovernor(outsider.address))
        .to.be.revertedWithCustomError(set, "ValidatorSetInvalidGovernor")
        .withArgs(outsider.address);
    });

    it("lets no one change the set before the governor is bound, not even the binder", async () => {
      const { set, deployer, banks } = await loadFixture(unboundFixture);
      for (const actor of [deployer, banks[0].operator]) {
        await expect(set.connect(actor).addValidator(validatorAddress(5)))
          .to.be.revertedWithCustomError(set, "ValidatorSetOnlyGovernor")
          .withArgs(actor.address);
        await expect(set.connect(actor).removeValidator(GENESIS[0]))
          .to.be.revertedWithCustomError(set, "ValidatorSetOnlyGovernor")
          .withArgs(actor.address);
      }
      // A call simulated from the zero address (the unbound governor's value) is refused as well.
      const data = set.interface.encodeFunctionData("addValidator", [validatorAddress(5)]);
      await expect(ethers.provider.call({ from: ethers.ZeroAddress, to: await set.getAddress(), data }))
        .to.be.revertedWithCustomError(set, "ValidatorSetOnlyGovernor")
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe("governed by the consortium", () => {
    it("adds a validator by an executed proposal, emitting ValidatorAdded", async () => {
      const { set, consortium, consortiumAddress, operators, change } = await loadFixture(validatorSetFixture);
      const fifth = validatorAddress(5);
      await expect(enact(consortium, operators, change(fifth, true)))
        .to.emit(set, "ValidatorAdded")
        .withArgs(fifth, consortiumAddress, 5n);
      expect(await set.getValidators()).to.deep.equal([...GENESIS, fifth]);
      expect(await set.isValidator(fifth)).to.equal(true);
    });

    it("removes a validator by an executed proposal, emitting ValidatorRemoved", async () => {
      const { set, consortium, consortiumAddress, operators, change } = await loadFixture(validatorSetFixture);
      await expect(enact(consortium, operators, change(GENESIS[1], false)))
        .to.emit(set, "ValidatorRemoved")
        .withArgs(GENESIS[1], consortiumAddress, 3n);
      // The last entry takes the removed one's place.
      expect(await set.getValidators()).to.deep.equal([GENESIS[0], GENESIS[3], GENESIS[2]]);
      expect(await set.isValidator(GENESIS[1])).to.equal(false);
      // The moved entry can still be removed: its position followed it.
      await enact(consortium, operators, change(GENESIS[3], false));
      expect(await set.getValidators()).to.deep.equal([GENESIS[0], GENESIS[2]]);
    });

    it("waits out quorum and timelock like every shared parameter", async () => {
      const { set, consortium, operators, change } = await loadFixture(validatorSetFixture);
      const id = await proposeAs(consortium, operators[0], change(validatorAddress(5), true));
      await expect(consortium.connect(operators[0]).execute(id)).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumQuorumNotReached",
      );
      await consortium.connect(operators[1]).approve(id);
      const { eta } = await consortium.proposal(id);
      await expect(consortium.connect(operators[0]).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTimelockActive")
        .withArgs(id, eta);
      expect(await set.getValidators()).to.deep.equal(GENESIS);
      await time.increaseTo(eta);
      await expect(consortium.connect(operators[0]).execute(id)).to.emit(set, "ValidatorAdded");
    });

    it("refuses a member's operator calling the set directly", async () => {
      const { set, operators } = await loadFixture(validatorSetFixture);
      await expect(set.connect(operators[0]).addValidator(validatorAddress(5)))
        .to.be.revertedWithCustomError(set, "ValidatorSetOnlyGovernor")
        .withArgs(operators[0].address);
    });

    it("refuses setValidator on the consortium outside a proposal once bootstrap completed", async () => {
      const { consortium, setAddress, deployer } = await loadFixture(validatorSetFixture);
      await expect(consortium.setValidator(setAddress, validatorAddress(5), true))
        .to.be.revertedWithCustomError(consortium, "ConsortiumOnlyGovernance")
        .withArgs(deployer.address);
    });

    it("refuses to add a validator already in the set", async () => {
      const { set, consortium, operators, change } = await loadFixture(validatorSetFixture);
      await expect(enact(consortium, operators, change(GENESIS[0], true)))
        .to.be.revertedWithCustomError(set, "ValidatorSetAlreadyValidator")
        .withArgs(GENESIS[0]);
    });

    it("refuses to add the zero address", async () => {
      const { set, consortium, operators, change } = await loadFixture(validatorSetFixture);
      await expect(enact(consortium, operators, change(ethers.ZeroAddress, true))).to.be.revertedWithCustomError(
        set,
        "ValidatorSetZeroAddress",
      );
    });

    it("refuses to remove an address that is not a validator", async () => {
      const { set, consortium, operators, change } = await loadFixture(validatorSetFixture);
      await expect(enact(consortium, operators, change(validatorAddress(9), false)))
        .to.be.revertedWithCustomError(set, "ValidatorSetNotValidator")
        .withArgs(validatorAddress(9));
    });

    it("refuses to remove the last validator", async () => {
      const { consortium, deployer, operators } = await loadFixture(validatorSetFixture);
      const single = await ethers.deployContract("ValidatorSet", [[GENESIS[0]], deployer.address]);
      await single.bindGovernor(await consortium.getAddress());
      const data = governedCall(consortium, "setValidator", [await single.getAddress(), GENESIS[0], false]);
      await expect(enact(consortium, operators, data))
        .to.be.revertedWithCustomError(single, "ValidatorSetLastValidator")
        .withArgs(GENESIS[0]);
    });
  });
});
