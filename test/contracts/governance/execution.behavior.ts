/** Consortium proposals from quorum to execution: counting active approvals, `queue`, the timelock, `execute`. */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { SETTINGS } from "../../fixtures";
import {
  ProposalState,
  deployBootstrapping,
  enact,
  fourMemberFixture,
  governanceFixture,
  lei,
  maskOf,
  proposeAs,
} from "./consortium.behavior";

/** Shared behaviour: quorum of active members, queueing and execution after the timelock. */
export function shouldExecuteOnlyWithQuorumAndTimelock(): void {
  describe("quorum", () => {
    it("is ceil(2/3) of active members: 2 of 3", async () => {
      const { consortium } = await loadFixture(governanceFixture);
      expect(await consortium.requiredApprovals()).to.equal(2n);
    });

    it("follows ceil(active * numerator / denominator) as members and fractions change", async () => {
      const { consortium, spare } = await loadFixture(deployBootstrapping);
      const fractions: [number, number][] = [
        [2, 3],
        [1, 2],
        [1, 1],
        [3, 4],
        [1, 255],
        [254, 255],
      ];
      for (let active = 3; active <= 9; active++) {
        if (active > 3) await consortium.addMember(`Bank ${active}`, lei(active), [spare[active].address]);
        for (const [n, d] of fractions) {
          await consortium.setQuorum(n, d);
          const expected = BigInt(Math.ceil((active * n) / d));
          expect(await consortium.requiredApprovals(), `${active} members at ${n}/${d}`).to.equal(expected);
        }
      }
    });

    it("counts only approvals of active members (a removed member's approval stops counting)", async () => {
      const { consortium, operators, banks, delta, call } = await loadFixture(fourMemberFixture);
      expect(await consortium.requiredApprovals()).to.equal(3n);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 1]));
      await consortium.connect(delta.operator).approve(id);
      expect(await consortium.approvalCount(id)).to.equal(2n);
      await enact(consortium, operators, call("removeMember", [delta.id]));
      expect(await consortium.requiredApprovals()).to.equal(2n);
      expect(await consortium.approvalCount(id)).to.equal(1n);
      expect((await consortium.proposal(id)).approvals).to.equal(maskOf([banks[0].id, delta.id]));
      await expect(consortium.connect(banks[0].operator).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumQuorumNotReached")
        .withArgs(id, 1n, 2n);
    });

    it("is checked again at execution: members admitted after queueing can take quorum away", async () => {
      const { consortium, operators, banks, spare, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 1]));
      await consortium.connect(banks[1].operator).approve(id);
      // Quorum of 2 of 3 reached; admitting a fourth bank raises it to 3.
      await enact(consortium, operators, call("addMember", ["Delta Bank", lei(4), [spare[0].address]]));
      await expect(consortium.connect(banks[0].operator).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumQuorumNotReached")
        .withArgs(id, 2n, 3n);
      await consortium.connect(spare[0]).approve(id);
      await expect(consortium.connect(banks[0].operator).execute(id)).to.emit(consortium, "ProposalExecuted");
    });
  });

  describe("queue", () => {
    /** Four banks; proposal 2 approved by banks 1 and 2 (short of 3), then bank 4 removed so 2 suffice. */
    async function quorumLoweredFixture() {
      const f = await fourMemberFixture();
      const { consortium, banks, operators, delta, call } = f;
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 2]));
      await consortium.connect(banks[1].operator).approve(id);
      await enact(consortium, operators, call("removeMember", [delta.id]));
      return { ...f, id };
    }

    it("starts the timelock of a proposal that reached quorum only because a removal lowered it", async () => {
      const { consortium, banks, id } = await loadFixture(quorumLoweredFixture);
      expect(await consortium.approvalCount(id)).to.equal(2n);
      expect((await consortium.proposal(id)).eta).to.equal(0n);
      await expect(consortium.connect(banks[0].operator).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTimelockActive")
        .withArgs(id, 0n);
      const tx = await consortium.connect(banks[2].operator).queue(id);
      const eta = (await time.latest()) + SETTINGS.proposalDelay;
      await expect(tx).to.emit(consortium, "ProposalQueued").withArgs(id, eta, 3n);
      await time.increaseTo(eta);
      await expect(consortium.connect(banks[2].operator).execute(id))
        .to.emit(consortium, "QuorumChanged")
        .withArgs(1, 2, 4n);
    });

    it("refuses a proposal already queued", async () => {
      const { consortium, banks, id } = await loadFixture(quorumLoweredFixture);
      await consortium.connect(banks[0].operator).queue(id);
      const { eta } = await consortium.proposal(id);
      await expect(consortium.connect(banks[0].operator).queue(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTimelockActive")
        .withArgs(id, eta);
    });

    it("refuses a proposal without quorum", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await expect(consortium.connect(banks[0].operator).queue(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumQuorumNotReached")
        .withArgs(id, 1n, 2n);
    });

    it("refuses a caller that acts for no member", async () => {
      const { consortium, outsider, id } = await loadFixture(quorumLoweredFixture);
      await expect(consortium.connect(outsider).queue(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });

    it("refuses an unknown, closed or expired proposal", async () => {
      const { consortium, banks, id } = await loadFixture(quorumLoweredFixture);
      const op = banks[0].operator;
      await expect(consortium.connect(op).queue(99n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
        .withArgs(99n);
      const { expiresAt } = await consortium.proposal(id);
      await time.increaseTo(expiresAt);
      await expect(consortium.connect(op).queue(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalExpired")
        .withArgs(id, expiresAt);
      // The proposal that removed the fourth bank comes right after it, and was executed.
      await expect(consortium.connect(op).queue(id + 1n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
        .withArgs(id + 1n, ProposalState.Executed);
    });
  });

  describe("execute", () => {
    it("carries out the call after the timelock and emits ProposalExecuted", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 2]));
      await consortium.connect(banks[1].operator).approve(id);
      await time.increase(SETTINGS.proposalDelay);
      await expect(consortium.connect(banks[2].operator).execute(id))
        .to.emit(consortium, "QuorumChanged")
        .withArgs(1, 2, 2n)
        .and.to.emit(consortium, "ProposalExecuted")
        .withArgs(id, banks[2].operator.address, 2n);
      expect((await consortium.proposal(id)).state).to.equal(BigInt(ProposalState.Executed));
      expect(await consortium.policyVersion()).to.equal(2n);
    });

    it("refuses a proposal without quorum", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 2]));
      await expect(consortium.connect(banks[0].operator).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumQuorumNotReached")
        .withArgs(id, 1n, 2n);
    });

    it("refuses a proposal before its timelock elapsed, up to the last second", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 2]));
      await consortium.connect(banks[1].operator).approve(id);
      const { eta } = await consortium.proposal(id);
      await expect(consortium.connect(banks[0].operator).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTimelockActive")
        .withArgs(id, eta);
      await time.setNextBlockTimestamp(eta - 1n);
      await expect(consortium.connect(banks[0].operator).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTimelockActive")
        .withArgs(id, eta);
      await time.setNextBlockTimestamp(eta);
      await expect(consortium.connect(banks[0].operator).execute(id)).to.emit(consortium, "ProposalExecuted");
    });

    it("refuses a queued proposal once it expired", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 2]));
      await consortium.connect(banks[1].operator).approve(id);
      const { expiresAt } = await consortium.proposal(id);
      await time.increaseTo(expiresAt);
      await expect(consortium.connect(banks[0].operator).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalExpired")
        .withArgs(id, expiresAt);
    });

    it("refuses to execute a proposal twice", async () => {
      const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
      await enact(consortium, operators, call("setQuorum", [1, 2]));
      await expect(consortium.connect(banks[1].operator).execute(1n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
        .withArgs(1n, ProposalState.Executed);
    });

    it("refuses a caller that acts for no member", async () => {
      const { consortium, banks, outsider, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await consortium.connect(banks[1].operator).approve(id);
      await expect(consortium.connect(outsider).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });

    it("bubbles up the governed function's custom error and leaves the proposal pending", async () => {
      const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
      await expect(enact(consortium, operators, call("setQuorum", [3, 2])))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidQuorum")
        .withArgs(3, 2);
      expect((await consortium.proposal(1n)).state).to.equal(BigInt(ProposalState.Pending));
      await consortium.connect(banks[0].operator).cancel(1n, "cannot execute");
    });

    it("bubbles up an empty revert when the arguments do not decode", async () => {
      const { consortium, operators, call } = await loadFixture(governanceFixture);
      const truncated = call("setQuorum", [1, 2]).slice(0, 10 + 64); // selector and one argument only
      await expect(enact(consortium, operators, truncated)).to.be.revertedWithoutReason();
    });
  });
}
