/**
 * AuditAnchor: members' operators anchor the heads of their off-chain audit logs; seqs rise per member.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anchorFixture, governedCall } from "../../fixtures";
import { enact } from "../governance/consortium.behavior";

const HEAD_1 = ethers.id("head-1");
const HEAD_2 = ethers.id("head-2");

describe("AuditAnchor", () => {
  describe("constructor", () => {
    it("refuses the zero consortium address", async () => {
      const { anchor } = await loadFixture(anchorFixture);
      const factory = await ethers.getContractFactory("AuditAnchor");
      await expect(factory.deploy(ethers.ZeroAddress)).to.be.revertedWithCustomError(anchor, "AuditAnchorZeroAddress");
    });

    it("keeps the consortium address", async () => {
      const { anchor, consortium } = await loadFixture(anchorFixture);
      expect(await anchor.consortium()).to.equal(await consortium.getAddress());
    });
  });

  describe("anchor", () => {
    it("stores the head, seq and time and emits AuditHeadAnchored", async () => {
      const { anchor, banks } = await loadFixture(anchorFixture);
      const [a] = banks;
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(anchor.connect(a.operator).anchor(5, HEAD_1))
        .to.emit(anchor, "AuditHeadAnchored")
        .withArgs(a.id, a.operator.address, 5n, HEAD_1);
      const latest = await anchor.latest(a.id);
      expect(latest.head).to.equal(HEAD_1);
      expect(latest.seq).to.equal(5n);
      expect(latest.anchoredAt).to.equal(BigInt(at));
    });

    it("replaces the latest anchor with a higher seq", async () => {
      const { anchor, banks } = await loadFixture(anchorFixture);
      const [a] = banks;
      await anchor.connect(a.operator).anchor(5, HEAD_1);
      await expect(anchor.connect(a.operator).anchor(9, HEAD_2))
        .to.emit(anchor, "AuditHeadAnchored")
        .withArgs(a.id, a.operator.address, 9n, HEAD_2);
      const latest = await anchor.latest(a.id);
      expect([latest.head, latest.seq]).to.deep.equal([HEAD_2, 9n]);
    });

    it("reports an all-zero anchor for a member that never anchored", async () => {
      const { anchor, banks } = await loadFixture(anchorFixture);
      const latest = await anchor.latest(banks[1].id);
      expect([latest.head, latest.seq, latest.anchoredAt]).to.deep.equal([ethers.ZeroHash, 0n, 0n]);
    });

    it("refuses a seq that does not rise", async () => {
      const { anchor, banks } = await loadFixture(anchorFixture);
      const [a] = banks;
      await anchor.connect(a.operator).anchor(5, HEAD_1);
      await expect(anchor.connect(a.operator).anchor(5, HEAD_2))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorSeqNotRising")
        .withArgs(a.id, 5n, 5n);
      await expect(anchor.connect(a.operator).anchor(4, HEAD_2))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorSeqNotRising")
        .withArgs(a.id, 4n, 5n);
    });

    it("refuses seq 0 as a first anchor (an empty log has nothing to anchor)", async () => {
      const { anchor, banks } = await loadFixture(anchorFixture);
      await expect(anchor.connect(banks[0].operator).anchor(0, HEAD_1))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorSeqNotRising")
        .withArgs(banks[0].id, 0n, 0n);
    });

    it("keeps seqs rising per member independently", async () => {
      const { anchor, banks } = await loadFixture(anchorFixture);
      const [a, b] = banks;
      await anchor.connect(a.operator).anchor(10, HEAD_1);
      await expect(anchor.connect(b.operator).anchor(3, HEAD_2))
        .to.emit(anchor, "AuditHeadAnchored")
        .withArgs(b.id, b.operator.address, 3n, HEAD_2);
      await expect(anchor.connect(b.operator).anchor(3, HEAD_1))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorSeqNotRising")
        .withArgs(b.id, 3n, 3n);
      expect((await anchor.latest(a.id)).seq).to.equal(10n);
      expect((await anchor.latest(b.id)).seq).to.equal(3n);
    });

    it("refuses a zero head", async () => {
      const { anchor, banks } = await loadFixture(anchorFixture);
      await expect(anchor.connect(banks[0].operator).anchor(1, ethers.ZeroHash)).to.be.revertedWithCustomError(
        anchor,
        "AuditAnchorZeroHead",
      );
    });

    it("refuses an address that acts for no member", async () => {
      const { anchor, outsider, banks } = await loadFixture(anchorFixture);
      await expect(anchor.connect(outsider).anchor(1, HEAD_1))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorNotMember")
        .withArgs(outsider.address);
      // A member's account is not an operator.
      await expect(anchor.connect(banks[0].account).anchor(1, HEAD_1))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorNotMember")
        .withArgs(banks[0].account.address);
    });

    it("refuses the operator of a removed member", async () => {
      const { anchor, consortium, banks } = await loadFixture(anchorFixture);
      const [a, b, c] = banks;
      await anchor.connect(c.operator).anchor(1, HEAD_1);
      await enact(consortium, [a.operator, b.operator], governedCall(consortium, "removeMember", [c.id]));
      await expect(anchor.connect(c.operator).anchor(2, HEAD_2))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorNotMember")
        .withArgs(c.operator.address);
      expect((await anchor.latest(c.id)).seq).to.equal(1n);
    });
  });

  describe("reset", () => {
    const MAX_SEQ = (1n << 64n) - 1n;

    it("accepts honest anchors again after the consortium resets an enormous seq (anchoring bricked by one bad anchor)", async () => {
      const { anchor, consortium, banks } = await loadFixture(anchorFixture);
      const [a, b] = banks;
      await anchor.connect(a.operator).anchor(7, HEAD_1);
      await anchor.connect(a.operator).anchor(MAX_SEQ, HEAD_2);
      await expect(anchor.connect(a.operator).anchor(8, HEAD_2))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorSeqNotRising")
        .withArgs(a.id, 8n, MAX_SEQ);

      const data = governedCall(consortium, "resetAnchor", [await anchor.getAddress(), a.id, 7, HEAD_1, "wrong seq"]);
      const tx = enact(consortium, [b.operator, a.operator], data);
      await expect(tx).to.emit(anchor, "AuditAnchorReset").withArgs(a.id, MAX_SEQ, 7n, HEAD_1, "wrong seq");
      const at = BigInt(await time.latest());
      const latest = await anchor.latest(a.id);
      expect([latest.head, latest.seq, latest.anchoredAt]).to.deep.equal([HEAD_1, 7n, at]);
      await expect(anchor.connect(a.operator).anchor(8, HEAD_2))
        .to.emit(anchor, "AuditHeadAnchored")
        .withArgs(a.id, a.operator.address, 8n, HEAD_2);
    });

    it("refuses a reset from anyone but the consortium's governance, the member's own operator included", async () => {
      const { anchor, consortium, banks } = await loadFixture(anchorFixture);
      const a = banks[0];
      await expect(anchor.connect(a.operator).reset(a.id, 0, ethers.ZeroHash, "rewind"))
        .to.be.revertedWithCustomError(anchor, "AuditAnchorOnlyConsortium")
        .withArgs(a.operator.address);
      await expect(
        consortium.connect(a.operator).resetAnchor(await anchor.getAddress(), a.id, 0, ethers.ZeroHash, "rewind"),
      )
        .to.be.revertedWithCustomError(consortium, "ConsortiumOnlyGovernance")
        .withArgs(a.operator.address);
    });
  });
});
