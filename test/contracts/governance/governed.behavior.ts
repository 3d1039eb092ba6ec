/** Consortium governed functions, each carried out through an executed proposal, with their events and errors. */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, LEIS, NAMES, SETTINGS } from "../../fixtures";
import {
  MAX_DURATION,
  Parameter,
  deployBootstrapping,
  enact,
  governanceFixture,
  lei,
  maskOf,
  proposeAs,
} from "./consortium.behavior";

/** Shared behaviour: every governed function carried out through a proposal. */
export function shouldCarryOutGovernedFunctions(): void {
  describe("governed functions through proposals", () => {
    describe("addMember", () => {
      it("admits a bank under the next id with its operators", async () => {
        const { consortium, operators, self, spare, call } = await loadFixture(governanceFixture);
        const ops = [spare[0].address, spare[1].address];
        const tx = await enact(consortium, operators, call("addMember", ["Delta Bank", lei(4), ops]));
        await expect(tx)
          .to.emit(consortium, "MemberAdded")
          .withArgs(4, "Delta Bank", lei(4), self, 2n)
          .and.to.emit(consortium, "OperatorSet")
          .withArgs(4, ops[0], true, 2n)
          .and.to.emit(consortium, "OperatorSet")
          .withArgs(4, ops[1], true, 2n);
        const m = await consortium.member(4);
        expect([m.name, m.lei, m.active, m.joinedAt]).to.deep.equal([
          "Delta Bank",
          lei(4),
          true,
          BigInt(await time.latest()),
        ]);
        expect(await consortium.memberIdCount()).to.equal(4);
        expect(await consortium.activeMemberMask()).to.equal(maskOf([1, 2, 3, 4]));
        expect(await consortium.operatorMember(ops[1])).to.equal(4);
        expect(await consortium.policyVersion()).to.equal(2n);
      });

      it("refuses an LEI that belongs to a member", async () => {
        const { consortium, operators, call } = await loadFixture(governanceFixture);
        await expect(enact(consortium, operators, call("addMember", ["Copy", LEIS[1], []])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumDuplicateLei")
          .withArgs(LEIS[1], 2);
      });

      it("refuses an invalid LEI", async () => {
        const { consortium, operators, call } = await loadFixture(governanceFixture);
        await expect(enact(consortium, operators, call("addMember", ["Bad", "TOO-SHORT", []])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidLei")
          .withArgs("TOO-SHORT");
      });

      it("refuses an operator that acts for another member", async () => {
        const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
        const taken = banks[2].operator.address;
        await expect(enact(consortium, operators, call("addMember", ["Delta Bank", lei(4), [taken]])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
          .withArgs(taken, 3);
      });
    });

    describe("removeMember", () => {
      it("removes a bank: its operators and accounts resolve to 0 and its approvals stop counting", async () => {
        const { consortium, operators, banks, self, call } = await loadFixture(governanceFixture);
        const c = banks[2];
        await expect(enact(consortium, operators, call("removeMember", [c.id])))
          .to.emit(consortium, "MemberRemoved")
          .withArgs(c.id, self, 2n);
        const m = await consortium.member(c.id);
        expect([m.name, m.lei, m.active]).to.deep.equal([NAMES[2], LEIS[2], false]);
        expect(await consortium.operatorMember(c.operator.address)).to.equal(0);
        expect(await consortium.accountMember(c.account.address)).to.equal(0);
        expect(await consortium.isEligibleHolder(c.account.address)).to.equal(false);
        expect(await consortium.activeMemberCount()).to.equal(2n);
        expect(await consortium.activeMemberMask()).to.equal(maskOf([1, 2]));
        expect(await consortium.memberIdCount()).to.equal(3);
        await expect(consortium.connect(c.operator).propose(call("pause"), ""))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(c.operator.address);
      });

      it("lets the LEI rejoin under a new id, with the old operator, and the old account only by reassignment", async () => {
        const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
        const c = banks[2];
        await enact(consortium, operators, call("removeMember", [c.id]));
        await expect(enact(consortium, operators, call("addMember", [NAMES[2], LEIS[2], [c.operator.address]])))
          .to.emit(consortium, "MemberAdded")
          .withArgs(4, NAMES[2], LEIS[2], await consortium.getAddress(), 3n);
        expect(await consortium.operatorMember(c.operator.address)).to.equal(4);
        expect(await consortium.accountMember(c.account.address)).to.equal(0);
        await expect(consortium.connect(c.operator).registerAccount(c.account.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
          .withArgs(c.account.address, c.id);
        await enact(consortium, operators.slice(0, 2), call("reassignAccount", [c.account.address, 4, "rejoined"]));
        expect(await consortium.accountMember(c.account.address)).to.equal(4);
        expect((await consortium.member(c.id)).active).to.equal(false);
      });

      it("refuses an unknown or already removed member", async () => {
        const { consortium, operators, call } = await loadFixture(governanceFixture);
        for (const id of [0, 4, 200]) {
          await expect(enact(consortium, operators, call("removeMember", [id])))
            .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownMember")
            .withArgs(id);
        }
        await enact(consortium, operators, call("removeMember", [3]));
        await expect(enact(consortium, operators, call("removeMember", [3])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownMember")
          .withArgs(3);
      });

      it("refuses to remove the last member", async () => {
        const { consortium } = await loadFixture(deployBootstrapping);
        await consortium.removeMember(1);
        await consortium.removeMember(2);
        await expect(consortium.removeMember(3))
          .to.be.revertedWithCustomError(consortium, "ConsortiumLastMember")
          .withArgs(3);
        expect(await consortium.activeMemberCount()).to.equal(1n);
      });

      it("refuses to remove the last member through a proposal", async () => {
        const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
        await enact(consortium, operators, call("removeMember", [3]));
        await enact(consortium, operators, call("removeMember", [2]));
        // One member left: the quorum is 1, so the proposer's own approval queues the proposal.
        await expect(enact(consortium, [banks[0].operator], call("removeMember", [1])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumLastMember")
          .withArgs(1);
      });
    });

    describe("reassignAccount", () => {
      it("gives a removed member's account to a member, with the reason in AccountReassigned", async () => {
        const { consortium, operators, banks, self, call } = await loadFixture(governanceFixture);
        const c = banks[2];
        await enact(consortium, operators, call("removeMember", [c.id]));
        const tx = enact(consortium, operators.slice(0, 2), call("reassignAccount", [c.account.address, 1, "merger"]));
        await expect(tx)
          .to.emit(consortium, "AccountReassigned")
          .withArgs(c.account.address, c.id, 1, "merger", 3n)
          .and.to.emit(consortium, "AccountSet")
          .withArgs(1, c.account.address, true, self);
        expect(await consortium.accountMember(c.account.address)).to.equal(1);
      });

      it("gives a deregistered or never registered account, reporting member 0 for the latter", async () => {
        const { consortium, operators, banks, outsider, call } = await loadFixture(governanceFixture);
        await consortium.connect(banks[2].operator).deregisterAccount(banks[2].account.address);
        await expect(enact(consortium, operators, call("reassignAccount", [banks[2].account.address, 2, "moved"])))
          .to.emit(consortium, "AccountReassigned")
          .withArgs(banks[2].account.address, 3, 2, "moved", 2n);
        await expect(enact(consortium, operators, call("reassignAccount", [outsider.address, 2, "new client"])))
          .to.emit(consortium, "AccountReassigned")
          .withArgs(outsider.address, 0, 2, "new client", 3n);
        expect(await consortium.accountMember(outsider.address)).to.equal(2);
      });

      it("refuses an account an active member holds", async () => {
        const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
        await expect(enact(consortium, operators, call("reassignAccount", [banks[1].account.address, 1, "grab"])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
          .withArgs(banks[1].account.address, 2);
      });

      it("refuses a member that is not active, and the zero address", async () => {
        const { consortium, operators, outsider, call } = await loadFixture(governanceFixture);
        await expect(enact(consortium, operators, call("reassignAccount", [outsider.address, 4, "none"])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownMember")
          .withArgs(4);
        await expect(
          enact(consortium, operators, call("reassignAccount", [ethers.ZeroAddress, 1, "none"])),
        ).to.be.revertedWithCustomError(consortium, "ConsortiumZeroAddress");
      });
    });

    describe("setOperator", () => {
      it("lets a new address act for a member", async () => {
        const { consortium, operators, spare, call } = await loadFixture(governanceFixture);
        await expect(enact(consortium, operators, call("setOperator", [2, spare[0].address, true])))
          .to.emit(consortium, "OperatorSet")
          .withArgs(2, spare[0].address, true, 2n);
        expect(await consortium.operatorMember(spare[0].address)).to.equal(2);
        await expect(consortium.connect(spare[0]).propose(call("pause"), ""))
          .to.emit(consortium, "ProposalApproved")
          .withArgs(2n, 2, spare[0].address, 1n, 2n);
      });

      it("stops an address acting for a member", async () => {
        const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
        const op = banks[1].operator.address;
        await expect(enact(consortium, operators, call("setOperator", [2, op, false])))
          .to.emit(consortium, "OperatorSet")
          .withArgs(2, op, false, 2n);
        expect(await consortium.operatorMember(op)).to.equal(0);
      });

      it("refuses to disable an address that does not act for the member", async () => {
        const { consortium, operators, banks, outsider, call } = await loadFixture(governanceFixture);
        for (const addr of [banks[0].operator.address, outsider.address]) {
          await expect(enact(consortium, operators, call("setOperator", [2, addr, false])))
            .to.be.revertedWithCustomError(consortium, "ConsortiumNotOperator")
            .withArgs(addr, 2);
        }
      });

      it("refuses an address taken by another member, the zero address and an unknown member", async () => {
        const { consortium, operators, banks, spare, call } = await loadFixture(governanceFixture);
        const taken = banks[0].operator.address;
        await expect(enact(consortium, operators, call("setOperator", [2, taken, true])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
          .withArgs(taken, 1);
        await expect(
          enact(consortium, operators, call("setOperator", [2, ethers.ZeroAddress, true])),
        ).to.be.revertedWithCustomError(consortium, "ConsortiumZeroAddress");
        await expect(enact(consortium, operators, call("setOperator", [9, spare[0].address, true])))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownMember")
          .withArgs(9);
      });
    });

    describe("setParameter", () => {
      const changes: [string, number, number, number][] = [
        ["reversal window", Parameter.ReversalWindow, SETTINGS.reversalWindow, 0],
        ["affirmation window", Parameter.AffirmationWindow, SETTINGS.affirmationWindow, MAX_DURATION],
        ["proposal delay", Parameter.ProposalDelay, SETTINGS.proposalDelay, 7 * DAY - 1],
        ["proposal lifetime", Parameter.ProposalLifetime, SETTINGS.proposalLifetime, MAX_DURATION],
      ];
      const fields = ["reversalWindow", "affirmationWindow", "proposalDelay", "proposalLifetime"] as const;
      for (const [what, parameter, oldValue, newValue] of changes) {
        it(`changes the ${what}`, async () => {
          const { consortium, operators, call } = await loadFixture(governanceFixture);
          await expect(enact(consortium, operators, call("setParameter", [parameter, newValue])))
            .to.emit(consortium, "ParameterChanged")
            .withArgs(parameter, oldValue, newValue, 2n);
          expect((await consortium.params())[fields[parameter]]).to.equal(BigInt(newValue));
        });
      }

      const invalid: [string, number, number][] = [
        ["a reversal window above 365 days", Parameter.ReversalWindow, MAX_DURATION + 1],
        ["an affirmation window of 0", Parameter.AffirmationWindow, 0],
        ["an affirmation window above 365 days", Parameter.AffirmationWindow, MAX_DURATION + 1],
        ["a proposal delay equal to the lifetime", Parameter.ProposalDelay, 7 * DAY],
        ["a proposal delay above 365 days", Parameter.ProposalDelay, MAX_DURATION + 1],
        ["a proposal lifetime equal to the delay", Parameter.ProposalLifetime, DAY],
        ["a proposal lifetime above 365 days", Parameter.ProposalLifetime, MAX_DURATION + 1],
        ["a value that does not fit 32 bits", Parameter.ReversalWindow, 2 ** 32 + 1],
      ];
      for (const [what, parameter, value] of invalid) {
        it(`refuses ${what}`, async () => {
          const { consortium, operators, call } = await loadFixture(governanceFixture);
          await expect(enact(consortium, operators, call("setParameter", [parameter, value])))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidParameter")
            .withArgs(parameter, value);
        });
      }
    });

    describe("setQuorum", () => {
      it("changes the quorum fraction", async () => {
        const { consortium, operators, call } = await loadFixture(governanceFixture);
        await expect(enact(consortium, operators, call("setQuorum", [1, 1])))
          .to.emit(consortium, "QuorumChanged")
          .withArgs(1, 1, 2n);
        const p = await consortium.params();
        expect([p.quorumNumerator, p.quorumDenominator]).to.deep.equal([1n, 1n]);
        expect(await consortium.requiredApprovals()).to.equal(3n);
      });

      for (const [n, d] of [
        [0, 3],
        [1, 0],
        [0, 0],
        [4, 3],
      ]) {
        it(`refuses ${n}/${d}`, async () => {
          const { consortium, operators, call } = await loadFixture(governanceFixture);
          await expect(enact(consortium, operators, call("setQuorum", [n, d])))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidQuorum")
            .withArgs(n, d);
        });
      }
    });

    describe("setAsset", () => {
      it("makes an asset eligible with a cap, and ineligible with cap 0", async () => {
        const { consortium, operators, cash, call } = await loadFixture(governanceFixture);
        const asset = await cash.getAddress();
        await expect(enact(consortium, operators, call("setAsset", [asset, 42n])))
          .to.emit(consortium, "AssetConfigured")
          .withArgs(asset, 42n, 2n);
        expect(await consortium.assetCap(asset)).to.equal(42n);
        await expect(enact(consortium, operators, call("setAsset", [asset, 0n])))
          .to.emit(consortium, "AssetConfigured")
          .withArgs(asset, 0n, 3n);
        expect(await consortium.assetCap(asset)).to.equal(0n);
      });

      it("refuses an address without code", async () => {
        const { consortium, operators, outsider, call } = await loadFixture(governanceFixture);
        for (const cap of [100n, 0n]) {
          await expect(enact(consortium, operators, call("setAsset", [outsider.address, cap])))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAsset")
            .withArgs(outsider.address, cap);
        }
      });
    });

    describe("setPolicyDocument", () => {
      it("records a new policy document", async () => {
        const { consortium, operators, call } = await loadFixture(governanceFixture);
        const hash = ethers.id("shared-policy-v2");
        await expect(enact(consortium, operators, call("setPolicyDocument", [hash, "ipfs://shared-policy-v2"])))
          .to.emit(consortium, "PolicyDocumentChanged")
          .withArgs(hash, "ipfs://shared-policy-v2", 2n);
        expect(await consortium.policyDocument()).to.deep.equal([hash, "ipfs://shared-policy-v2"]);
      });
    });

    describe("pause and unpause", () => {
      it("pauses as soon as quorum is reached, without the timelock", async () => {
        const { consortium, banks, self, call } = await loadFixture(governanceFixture);
        const id = await proposeAs(consortium, banks[0].operator, call("pause"));
        const tx = await consortium.connect(banks[1].operator).approve(id);
        await expect(tx)
          .to.emit(consortium, "ProposalQueued")
          .withArgs(id, await time.latest(), 1n);
        await expect(consortium.connect(banks[1].operator).execute(id))
          .to.emit(consortium, "ConsortiumPaused")
          .withArgs(self, 1n)
          .and.to.emit(consortium, "ProposalExecuted")
          .withArgs(id, banks[1].operator.address, 1n);
        expect(await consortium.paused()).to.equal(true);
        expect((await consortium.params()).paused).to.equal(true);
        expect(await consortium.policyVersion()).to.equal(1n);
      });

      it("unpauses only after the timelock", async () => {
        const { consortium, operators, banks, self, call } = await loadFixture(governanceFixture);
        await enact(consortium, operators, call("pause"));
        const id = await proposeAs(consortium, banks[0].operator, call("unpause"));
        const tx = await consortium.connect(banks[1].operator).approve(id);
        const eta = (await time.latest()) + SETTINGS.proposalDelay;
        await expect(tx).to.emit(consortium, "ProposalQueued").withArgs(id, eta, 1n);
        await expect(consortium.connect(banks[0].operator).execute(id))
          .to.be.revertedWithCustomError(consortium, "ConsortiumTimelockActive")
          .withArgs(id, eta);
        await time.increaseTo(eta);
        await expect(consortium.connect(banks[0].operator).execute(id))
          .to.emit(consortium, "ConsortiumUnpaused")
          .withArgs(self, 1n);
        expect(await consortium.paused()).to.equal(false);
      });
    });
  });
}
