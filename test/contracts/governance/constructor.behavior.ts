/** Consortium constructor: the launch configuration, its events and every validation it refuses. */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, LEIS, NAMES, SETTINGS } from "../../fixtures";
import { MAX_DURATION, Parameter, deployBootstrapping, governanceFixture, initialMembers } from "./consortium.behavior";

/** Shared behaviour: what the constructor admits, records and refuses. */
export function shouldValidateTheLaunchConfiguration(): void {
  describe("constructor", () => {
    it("admits the initial members with their operators and accounts", async () => {
      const { consortium, banks } = await loadFixture(governanceFixture);
      expect(await consortium.memberIdCount()).to.equal(3);
      expect(await consortium.activeMemberCount()).to.equal(3n);
      for (const [i, b] of banks.entries()) {
        const m = await consortium.member(b.id);
        expect([m.name, m.lei, m.active]).to.deep.equal([NAMES[i], LEIS[i], true]);
        expect(m.joinedAt).to.be.greaterThan(0n);
        expect(await consortium.operatorMember(b.operator.address)).to.equal(b.id);
        expect(await consortium.accountMember(b.account.address)).to.equal(b.id);
        expect(await consortium.isEligibleHolder(b.account.address)).to.equal(true);
      }
    });

    it("starts at policy version 1 with a two-thirds quorum and the given settings", async () => {
      const { consortium } = await loadFixture(governanceFixture);
      const p = await consortium.params();
      expect(p.policyVersion).to.equal(1n);
      expect([p.reversalWindow, p.affirmationWindow, p.proposalDelay, p.proposalLifetime]).to.deep.equal([
        BigInt(SETTINGS.reversalWindow),
        BigInt(SETTINGS.affirmationWindow),
        BigInt(SETTINGS.proposalDelay),
        BigInt(SETTINGS.proposalLifetime),
      ]);
      expect([p.quorumNumerator, p.quorumDenominator, p.paused]).to.deep.equal([2n, 3n, false]);
      expect(await consortium.policyDocument()).to.deep.equal([SETTINGS.documentHash, SETTINGS.documentUri]);
      expect(await consortium.MAX_MEMBER_ID()).to.equal(255);
      expect(await consortium.MAX_DURATION()).to.equal(BigInt(MAX_DURATION));
    });

    it("records the launch configuration in events, every parameter as a change from zero", async () => {
      const { deployer, banks } = await loadFixture(deployBootstrapping);
      const c = await ethers.deployContract("Consortium", [initialMembers(banks), SETTINGS]);
      const tx = c.deploymentTransaction();
      for (const [i, b] of banks.entries()) {
        await expect(tx).to.emit(c, "MemberAdded").withArgs(b.id, NAMES[i], LEIS[i], deployer.address, 1n);
        await expect(tx).to.emit(c, "OperatorSet").withArgs(b.id, b.operator.address, true, 1n);
        await expect(tx).to.emit(c, "AccountSet").withArgs(b.id, b.account.address, true, deployer.address);
      }
      await expect(tx)
        .to.emit(c, "ParameterChanged")
        .withArgs(Parameter.ReversalWindow, 0n, SETTINGS.reversalWindow, 1n)
        .and.to.emit(c, "ParameterChanged")
        .withArgs(Parameter.AffirmationWindow, 0n, SETTINGS.affirmationWindow, 1n)
        .and.to.emit(c, "ParameterChanged")
        .withArgs(Parameter.ProposalDelay, 0n, SETTINGS.proposalDelay, 1n)
        .and.to.emit(c, "ParameterChanged")
        .withArgs(Parameter.ProposalLifetime, 0n, SETTINGS.proposalLifetime, 1n)
        .and.to.emit(c, "PolicyDocumentChanged")
        .withArgs(SETTINGS.documentHash, SETTINGS.documentUri, 1n);
      expect(await c.bootstrapped()).to.equal(false);
    });

    describe("refuses an invalid LEI", () => {
      const cases: [string, string][] = [
        ["19 characters", "5493001KJTIIGC8Y1R1"],
        ["21 characters", "5493001KJTIIGC8Y1R123"],
        ["a character below '0'", "5493001KJTIIGC8Y1R1/"],
        ["a character between '9' and 'A'", "5493001KJTIIGC8Y1R1:"],
        ["a lower-case letter", "5493001kjtiigc8y1r12"],
        ["a character above 'Z'", "5493001KJTIIGC8Y1R1["],
      ];
      for (const [what, bad] of cases) {
        it(`with ${what}`, async () => {
          const { consortium, banks } = await loadFixture(deployBootstrapping);
          const members = initialMembers(banks);
          members[1].lei = bad;
          await expect(ethers.deployContract("Consortium", [members, SETTINGS]))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidLei")
            .withArgs(bad);
        });
      }
    });

    it("refuses a duplicate LEI", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      const members = initialMembers(banks);
      members[2].lei = LEIS[0];
      await expect(ethers.deployContract("Consortium", [members, SETTINGS]))
        .to.be.revertedWithCustomError(consortium, "ConsortiumDuplicateLei")
        .withArgs(LEIS[0], 1);
    });

    it("refuses the zero address as an operator", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      const members = initialMembers(banks);
      members[1].operators = [ethers.ZeroAddress];
      await expect(ethers.deployContract("Consortium", [members, SETTINGS])).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumZeroAddress",
      );
    });

    it("refuses the zero address as an account", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      const members = initialMembers(banks);
      members[1].accounts = [ethers.ZeroAddress];
      await expect(ethers.deployContract("Consortium", [members, SETTINGS])).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumZeroAddress",
      );
    });

    it("refuses an operator address taken by another member", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      const members = initialMembers(banks);
      members[1].operators = [banks[0].operator.address];
      await expect(ethers.deployContract("Consortium", [members, SETTINGS]))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
        .withArgs(banks[0].operator.address, 1);
    });

    it("refuses an account taken by another member", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      const members = initialMembers(banks);
      members[2].accounts = [banks[2].account.address, banks[1].account.address];
      await expect(ethers.deployContract("Consortium", [members, SETTINGS]))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
        .withArgs(banks[1].account.address, 2);
    });

    describe("refuses invalid parameters", () => {
      const cases: [string, Partial<typeof SETTINGS>, number, number][] = [
        [
          "a reversal window above 365 days",
          { reversalWindow: MAX_DURATION + 1 },
          Parameter.ReversalWindow,
          MAX_DURATION + 1,
        ],
        ["an affirmation window of 0", { affirmationWindow: 0 }, Parameter.AffirmationWindow, 0],
        [
          "an affirmation window above 365 days",
          { affirmationWindow: MAX_DURATION + 1 },
          Parameter.AffirmationWindow,
          MAX_DURATION + 1,
        ],
        ["a proposal delay equal to the lifetime", { proposalDelay: 7 * DAY }, Parameter.ProposalDelay, 7 * DAY],
        ["a proposal delay above the lifetime", { proposalDelay: 8 * DAY }, Parameter.ProposalDelay, 8 * DAY],
        ["a proposal lifetime of 0", { proposalLifetime: 0, proposalDelay: 0 }, Parameter.ProposalLifetime, 0],
        [
          "a proposal lifetime above 365 days",
          { proposalLifetime: MAX_DURATION + 1 },
          Parameter.ProposalLifetime,
          MAX_DURATION + 1,
        ],
      ];
      for (const [what, change, parameter, value] of cases) {
        it(`such as ${what}`, async () => {
          const { consortium, banks } = await loadFixture(deployBootstrapping);
          await expect(ethers.deployContract("Consortium", [initialMembers(banks), { ...SETTINGS, ...change }]))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidParameter")
            .withArgs(parameter, value);
        });
      }

      it("but accepts every parameter at its bounds (0 or 1 second, and 365 days)", async () => {
        const { banks } = await loadFixture(deployBootstrapping);
        const bounds = { reversalWindow: 0, affirmationWindow: 1, proposalDelay: 0, proposalLifetime: 1 };
        const low = await ethers.deployContract("Consortium", [initialMembers(banks), { ...SETTINGS, ...bounds }]);
        expect((await low.params()).proposalLifetime).to.equal(1n);
        const top = { reversalWindow: MAX_DURATION, affirmationWindow: MAX_DURATION, proposalDelay: MAX_DURATION - 1 };
        const high = await ethers.deployContract("Consortium", [
          initialMembers(banks),
          { ...SETTINGS, ...top, proposalLifetime: MAX_DURATION },
        ]);
        expect((await high.params()).reversalWindow).to.equal(BigInt(MAX_DURATION));
      });
    });
  });
}
