/** Consortium proposals: `propose`, `approve` and `cancel`, with the errors of each. */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, HOUR, SETTINGS } from "../../fixtures";
import { Parameter, ProposalState, enact, governanceFixture, proposeAs } from "./consortium.behavior";

/** Shared behaviour: proposing, approving and cancelling. */
export function shouldManageProposals(): void {
  describe("propose", () => {
    it("creates a pending proposal approved by the proposer's member", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const [a] = banks;
      const data = call("setParameter", [Parameter.ReversalWindow, 2 * DAY]);
      const tx = await consortium.connect(a.operator).propose(data, "longer reversal window");
      const now = await time.latest();
      const expiresAt = now + SETTINGS.proposalLifetime;
      await expect(tx)
        .to.emit(consortium, "ProposalCreated")
        .withArgs(1n, a.id, a.operator.address, data, "longer reversal window", expiresAt, 1n)
        .and.to.emit(consortium, "ProposalApproved")
        .withArgs(1n, a.id, a.operator.address, 1n, 1n)
        .and.not.to.emit(consortium, "ProposalQueued");
      const p = await consortium.proposal(1n);
      expect([p.state, p.proposer, p.createdAt, p.expiresAt, p.eta, p.approvals, p.data]).to.deep.equal([
        BigInt(ProposalState.Pending),
        BigInt(a.id),
        BigInt(now),
        BigInt(expiresAt),
        0n,
        1n << BigInt(a.id),
        data,
      ]);
      expect(await consortium.approvalCount(1n)).to.equal(1n);
      expect(await consortium.proposalCount()).to.equal(1n);
    });

    it("numbers proposals sequentially from 1", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      expect(await consortium.proposalCount()).to.equal(0n);
      expect(await proposeAs(consortium, banks[0].operator, call("pause"))).to.equal(1n);
      expect(await proposeAs(consortium, banks[1].operator, call("unpause"))).to.equal(2n);
      expect((await consortium.proposal(2n)).proposer).to.equal(BigInt(banks[1].id));
    });

    it("refuses a caller that acts for no member", async () => {
      const { consortium, banks, outsider, call } = await loadFixture(governanceFixture);
      for (const who of [outsider, banks[0].account]) {
        await expect(consortium.connect(who).propose(call("pause"), ""))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(who.address);
      }
    });

    describe("refuses a call that is not a governed function", () => {
      it("such as completeBootstrap", async () => {
        const { consortium, banks, call } = await loadFixture(governanceFixture);
        const data = call("completeBootstrap");
        await expect(consortium.connect(banks[0].operator).propose(data, ""))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownAction")
          .withArgs(data.slice(0, 10));
      });

      it("such as registerAccount", async () => {
        const { consortium, banks, outsider, call } = await loadFixture(governanceFixture);
        const data = call("registerAccount", [outsider.address]);
        await expect(consortium.connect(banks[0].operator).propose(data, ""))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownAction")
          .withArgs(data.slice(0, 10));
      });

      it("such as empty data", async () => {
        const { consortium, banks } = await loadFixture(governanceFixture);
        await expect(consortium.connect(banks[0].operator).propose("0x", ""))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownAction")
          .withArgs("0x00000000");
      });

      it("such as data shorter than a selector", async () => {
        const { consortium, banks, call } = await loadFixture(governanceFixture);
        const truncated = call("pause").slice(0, 8);
        await expect(consortium.connect(banks[0].operator).propose(truncated, ""))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownAction")
          .withArgs(`${truncated}00`);
      });
    });
  });

  describe("approve", () => {
    it("queues the proposal with its timelock when quorum (2 of 3) is reached", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 1]));
      const tx = await consortium.connect(banks[1].operator).approve(id);
      const eta = (await time.latest()) + SETTINGS.proposalDelay;
      await expect(tx)
        .to.emit(consortium, "ProposalApproved")
        .withArgs(id, banks[1].id, banks[1].operator.address, 2n, 1n)
        .and.to.emit(consortium, "ProposalQueued")
        .withArgs(id, eta, 1n);
      expect((await consortium.proposal(id)).eta).to.equal(BigInt(eta));
    });

    it("does not restart the timelock on approvals after quorum", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("setQuorum", [1, 1]));
      await consortium.connect(banks[1].operator).approve(id);
      const { eta } = await consortium.proposal(id);
      await time.increase(HOUR);
      await expect(consortium.connect(banks[2].operator).approve(id))
        .to.emit(consortium, "ProposalApproved")
        .withArgs(id, banks[2].id, banks[2].operator.address, 3n, 1n)
        .and.not.to.emit(consortium, "ProposalQueued");
      expect((await consortium.proposal(id)).eta).to.equal(eta);
    });

    it("refuses a second approval from the same member", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await expect(consortium.connect(banks[0].operator).approve(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAlreadyApproved")
        .withArgs(id, banks[0].id);
    });

    it("refuses a caller that acts for no member", async () => {
      const { consortium, banks, outsider, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await expect(consortium.connect(outsider).approve(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });

    it("refuses an unknown proposal", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      await proposeAs(consortium, banks[0].operator, call("pause"));
      for (const id of [0n, 2n]) {
        await expect(consortium.connect(banks[1].operator).approve(id))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
          .withArgs(id);
      }
    });

    it("refuses a cancelled proposal", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await consortium.connect(banks[0].operator).cancel(id, "withdrawn");
      await expect(consortium.connect(banks[1].operator).approve(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
        .withArgs(id, ProposalState.Cancelled);
    });

    it("refuses an executed proposal", async () => {
      const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
      await enact(consortium, operators, call("setQuorum", [1, 2]));
      await expect(consortium.connect(banks[2].operator).approve(1n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
        .withArgs(1n, ProposalState.Executed);
    });

    it("refuses an expired proposal", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      const { expiresAt } = await consortium.proposal(id);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(consortium.connect(banks[1].operator).approve(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalExpired")
        .withArgs(id, expiresAt);
    });

    it("accepts an approval in the last second before expiry", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      const { expiresAt } = await consortium.proposal(id);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await expect(consortium.connect(banks[1].operator).approve(id)).to.emit(consortium, "ProposalQueued");
    });
  });

  describe("cancel", () => {
    it("lets any operator of the proposer's member withdraw the proposal, with a reason", async () => {
      const { consortium, operators, banks, spare, call } = await loadFixture(governanceFixture);
      await enact(consortium, operators, call("setOperator", [banks[0].id, spare[0].address, true]));
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await expect(consortium.connect(spare[0]).cancel(id, "raised in error"))
        .to.emit(consortium, "ProposalCancelled")
        .withArgs(id, spare[0].address, "raised in error", 2n);
      expect((await consortium.proposal(id)).state).to.equal(BigInt(ProposalState.Cancelled));
      await expect(consortium.connect(banks[0].operator).cancel(id, "again"))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalClosed")
        .withArgs(id, ProposalState.Cancelled);
    });

    it("refuses another member, even one that approved", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await consortium.connect(banks[1].operator).approve(id);
      await expect(consortium.connect(banks[1].operator).cancel(id, "not mine"))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotProposer")
        .withArgs(id, banks[1].operator.address);
    });

    it("refuses a caller that acts for no member, and an unknown proposal", async () => {
      const { consortium, banks, outsider, call } = await loadFixture(governanceFixture);
      const id = await proposeAs(consortium, banks[0].operator, call("pause"));
      await expect(consortium.connect(outsider).cancel(id, ""))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
      await expect(consortium.connect(banks[0].operator).cancel(id + 1n, ""))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
        .withArgs(id + 1n);
    });
  });
}
