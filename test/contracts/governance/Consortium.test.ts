import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { CAPS, DAY, governedCall } from "../../fixtures";
import {
  Parameter,
  deployBootstrapping,
  enact,
  governanceFixture,
  lei,
  maskOf,
  proposeAs,
  shouldAnswerOnlyToGovernance,
} from "./consortium.behavior";
import { shouldValidateTheLaunchConfiguration } from "./constructor.behavior";
import { shouldExecuteOnlyWithQuorumAndTimelock } from "./execution.behavior";
import { shouldCarryOutGovernedFunctions } from "./governed.behavior";
import { shouldManageProposals } from "./proposals.behavior";

/** A consortium whose member ids 1..255 are all assigned; ids 4..255 have no operators. */
async function fullConsortiumFixture() {
  const f = await deployBootstrapping();
  for (let id = 4; id <= 255; id++) {
    await f.consortium.addMember(`Bank ${id}`, lei(id), []);
  }
  return f;
}

/** Reference population count. */
function popcount(x: bigint): number {
  let n = 0;
  for (let v = x; v !== 0n; v >>= 1n) n += Number(v & 1n);
  return n;
}

describe("Consortium", () => {
  shouldValidateTheLaunchConfiguration();

  describe("bootstrap", () => {
    shouldAnswerOnlyToGovernance();

    it("is open until the deployer completes it, which emits BootstrapCompleted", async () => {
      const { consortium, deployer } = await loadFixture(deployBootstrapping);
      expect(await consortium.bootstrapped()).to.equal(false);
      await expect(consortium.completeBootstrap())
        .to.emit(consortium, "BootstrapCompleted")
        .withArgs(deployer.address, 1n);
      expect(await consortium.bootstrapped()).to.equal(true);
    });

    it("refuses completeBootstrap from anyone but the deployer", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      await expect(consortium.connect(banks[0].operator).completeBootstrap())
        .to.be.revertedWithCustomError(consortium, "ConsortiumOnlyGovernance")
        .withArgs(banks[0].operator.address);
    });

    it("refuses a second completeBootstrap", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      await consortium.completeBootstrap();
      await expect(consortium.completeBootstrap()).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumBootstrapCompleted",
      );
      await expect(consortium.connect(banks[0].operator).completeBootstrap()).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumBootstrapCompleted",
      );
    });

    it("keeps policy version 1 through bootstrap changes, proposals included, and raises it afterwards", async () => {
      const { consortium, banks } = await loadFixture(deployBootstrapping);
      const operators = banks.map((b) => b.operator);
      await consortium.setParameter(Parameter.ReversalWindow, 2 * DAY);
      await enact(consortium, operators, governedCall(consortium, "setQuorum", [1, 1]));
      expect(await consortium.policyVersion()).to.equal(1n);
      await consortium.completeBootstrap();
      await expect(enact(consortium, operators, governedCall(consortium, "setParameter", [0, 3 * DAY])))
        .to.emit(consortium, "ParameterChanged")
        .withArgs(Parameter.ReversalWindow, 2 * DAY, 3 * DAY, 2n);
      expect(await consortium.policyVersion()).to.equal(2n);
    });
  });

  shouldManageProposals();
  shouldExecuteOnlyWithQuorumAndTimelock();
  shouldCarryOutGovernedFunctions();

  describe("accounts", () => {
    it("registers an account of the caller's member", async () => {
      const { consortium, banks, outsider } = await loadFixture(governanceFixture);
      const b = banks[1];
      await expect(consortium.connect(b.operator).registerAccount(outsider.address))
        .to.emit(consortium, "AccountSet")
        .withArgs(b.id, outsider.address, true, b.operator.address);
      expect(await consortium.accountMember(outsider.address)).to.equal(b.id);
      expect(await consortium.isEligibleHolder(outsider.address)).to.equal(true);
    });

    it("refuses an account registered to another member", async () => {
      const { consortium, banks } = await loadFixture(governanceFixture);
      await expect(consortium.connect(banks[1].operator).registerAccount(banks[0].account.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
        .withArgs(banks[0].account.address, banks[0].id);
    });

    it("refuses the zero address", async () => {
      const { consortium, banks } = await loadFixture(governanceFixture);
      await expect(
        consortium.connect(banks[1].operator).registerAccount(ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(consortium, "ConsortiumZeroAddress");
    });

    it("refuses a caller that acts for no member", async () => {
      const { consortium, banks, outsider } = await loadFixture(governanceFixture);
      await expect(consortium.connect(banks[0].account).registerAccount(outsider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(banks[0].account.address);
      await expect(consortium.connect(outsider).deregisterAccount(banks[0].account.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });

    it("deregisters an account of the caller's member", async () => {
      const { consortium, banks } = await loadFixture(governanceFixture);
      const b = banks[0];
      await expect(consortium.connect(b.operator).deregisterAccount(b.account.address))
        .to.emit(consortium, "AccountSet")
        .withArgs(b.id, b.account.address, false, b.operator.address);
      expect(await consortium.accountMember(b.account.address)).to.equal(0);
      expect(await consortium.isEligibleHolder(b.account.address)).to.equal(false);
    });

    it("refuses to deregister another member's account or an unregistered address", async () => {
      const { consortium, banks, outsider } = await loadFixture(governanceFixture);
      for (const addr of [banks[1].account.address, outsider.address]) {
        await expect(consortium.connect(banks[0].operator).deregisterAccount(addr))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotOwnAccount")
          .withArgs(addr, banks[0].id);
      }
    });

    it("refuses another member claiming an account of a removed member (account takeover)", async () => {
      const { consortium, operators, banks, call } = await loadFixture(governanceFixture);
      await enact(consortium, operators, call("removeMember", [3]));
      expect(await consortium.accountMember(banks[2].account.address)).to.equal(0);
      await expect(consortium.connect(banks[0].operator).registerAccount(banks[2].account.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
        .withArgs(banks[2].account.address, 3);
    });

    it("refuses another member claiming an account its member deregistered", async () => {
      const { consortium, banks } = await loadFixture(governanceFixture);
      await consortium.connect(banks[2].operator).deregisterAccount(banks[2].account.address);
      await expect(consortium.connect(banks[0].operator).registerAccount(banks[2].account.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
        .withArgs(banks[2].account.address, 3);
    });

    it("lets a member register its own deregistered account again", async () => {
      const { consortium, banks } = await loadFixture(governanceFixture);
      const c = banks[2];
      await consortium.connect(c.operator).deregisterAccount(c.account.address);
      await expect(consortium.connect(c.operator).deregisterAccount(c.account.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotOwnAccount")
        .withArgs(c.account.address, c.id);
      await expect(consortium.connect(c.operator).registerAccount(c.account.address))
        .to.emit(consortium, "AccountSet")
        .withArgs(c.id, c.account.address, true, c.operator.address);
      expect(await consortium.accountMember(c.account.address)).to.equal(c.id);
    });

    it("refuses an account the caller's member holds already", async () => {
      const { consortium, banks } = await loadFixture(governanceFixture);
      await expect(consortium.connect(banks[0].operator).registerAccount(banks[0].account.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAddressTaken")
        .withArgs(banks[0].account.address, banks[0].id);
    });
  });

  describe("views", () => {
    it("refuses member() for id 0 and ids never assigned", async () => {
      const { consortium } = await loadFixture(governanceFixture);
      for (const id of [0, 4, 255]) {
        await expect(consortium.member(id))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownMember")
          .withArgs(id);
      }
    });

    it("reads parties, caps and parameters for a settlement in one call", async () => {
      const { consortium, banks, outsider, cash, bond } = await loadFixture(governanceFixture);
      const [a, b] = banks;
      const ctx = await consortium.settlementContext(
        a.operator.address,
        a.account.address,
        b.account.address,
        await bond.getAddress(),
        await cash.getAddress(),
      );
      expect([ctx.operatorMember, ctx.sellerMember, ctx.buyerMember]).to.deep.equal([1n, 1n, 2n]);
      expect([ctx.assetCap, ctx.cashCap]).to.deep.equal([CAPS.bond, CAPS.cash]);
      expect([...ctx.params]).to.deep.equal([...(await consortium.params())]);

      const none = await consortium.settlementContext(
        outsider.address,
        outsider.address,
        a.operator.address,
        ethers.ZeroAddress,
        ethers.ZeroAddress,
      );
      expect([none.operatorMember, none.sellerMember, none.buyerMember, none.assetCap, none.cashCap]).to.deep.equal([
        0n,
        0n,
        0n,
        0n,
        0n,
      ]);
    });

    it("reads the parties, the pause, the reversal window and the policy version in one flat call", async () => {
      const { consortium, banks, outsider } = await loadFixture(governanceFixture);
      const [a, b] = banks;
      const params = await consortium.params();
      expect([
        ...(await consortium.partyContext(a.operator.address, a.account.address, b.account.address)),
      ]).to.deep.equal([1n, 1n, 2n, params.paused, params.reversalWindow, params.policyVersion]);
      const none = await consortium.partyContext(outsider.address, outsider.address, a.operator.address);
      expect([none[0], none[1], none[2]]).to.deep.equal([0n, 0n, 0n]);
    });

    it("skips the cap of a leg given as the zero address", async () => {
      const { consortium, banks, cash, bond } = await loadFixture(governanceFixture);
      const [a, b] = banks;
      const fop = await consortium.settlementContext(
        a.operator.address,
        a.account.address,
        b.account.address,
        await bond.getAddress(),
        ethers.ZeroAddress,
      );
      expect([fop.assetCap, fop.cashCap]).to.deep.equal([CAPS.bond, 0n]);
      const cashOnly = await consortium.settlementContext(
        a.operator.address,
        a.account.address,
        b.account.address,
        ethers.ZeroAddress,
        await cash.getAddress(),
      );
      expect([cashOnly.assetCap, cashOnly.cashCap]).to.deep.equal([0n, CAPS.cash]);
    });

    it("reports approvals, the active mask and counts", async () => {
      const { consortium, banks, call } = await loadFixture(governanceFixture);
      expect(await consortium.activeMemberMask()).to.equal(maskOf([1, 2, 3]));
      expect(await consortium.approvalCount(1n)).to.equal(0n);
      const id = await proposeAs(consortium, banks[2].operator, call("pause"));
      await consortium.connect(banks[0].operator).approve(id);
      expect(await consortium.approvalCount(id)).to.equal(2n);
      expect((await consortium.proposal(id)).approvals).to.equal(maskOf([1, 3]));
      expect(await consortium.proposalCount()).to.equal(1n);
      const unknown = await consortium.proposal(7n);
      expect([unknown.state, unknown.approvals, unknown.data]).to.deep.equal([0n, 0n, "0x"]);
    });
  });

  describe("member limit", () => {
    it("assigns ids up to 255, then refuses more, even after a removal", async function () {
      this.timeout(60_000);
      const { consortium, spare } = await loadFixture(fullConsortiumFixture);
      expect(await consortium.memberIdCount()).to.equal(255);
      expect(await consortium.activeMemberCount()).to.equal(255n);
      expect(await consortium.activeMemberMask()).to.equal(ethers.MaxUint256 - 1n);
      expect(await consortium.requiredApprovals()).to.equal(170n);
      await expect(consortium.addMember("One Too Many", lei(256), [spare[0].address]))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberLimit")
        .withArgs(255);
      await consortium.removeMember(200);
      expect(await consortium.activeMemberCount()).to.equal(254n);
      await expect(consortium.addMember("One Too Many", lei(256), []))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberLimit")
        .withArgs(255);
    });
  });

  describe("MemberSet", () => {
    async function harnessFixture() {
      return { set: await ethers.deployContract("MemberSetHarness") };
    }

    /** Deterministic 256-bit masks without bit 0 (never a member id), from a fixed-seed xorshift. */
    function masks(): bigint[] {
      const all = ethers.MaxUint256 - 1n;
      const fixed = [
        0n,
        1n << 1n,
        1n << 255n,
        all,
        maskOf([1, 2, 3]),
        BigInt(`0x${"aa".repeat(32)}`),
        BigInt(`0x${"55".repeat(32)}`) - 1n,
        (1n << 128n) - 2n,
        all - (1n << 255n),
      ];
      let x = 0x2545f4914f6cdd1dn;
      const mask64 = (1n << 64n) - 1n;
      const next = () => {
        x ^= (x << 13n) & mask64;
        x ^= x >> 7n;
        x ^= (x << 17n) & mask64;
        return x;
      };
      const random = Array.from(
        { length: 24 },
        () => ((next() << 192n) | (next() << 128n) | (next() << 64n) | next()) & all,
      );
      return [...fixed, ...random];
    }

    it("counts members like a reference popcount, up to all ids 1..255", async () => {
      const { set } = await loadFixture(harnessFixture);
      for (const m of masks()) {
        expect(await set.count(m), `0x${m.toString(16)}`).to.equal(BigInt(popcount(m)));
      }
      expect(await set.count(ethers.MaxUint256 - 1n)).to.equal(255n);
    });

    it("counts every single id", async () => {
      const { set } = await loadFixture(harnessFixture);
      for (let id = 1; id <= 255; id++) {
        expect(await set.count(1n << BigInt(id))).to.equal(1n);
      }
    });

    it("sets and tests single bits", async () => {
      const { set } = await loadFixture(harnessFixture);
      const m = maskOf([1, 7, 255]);
      for (const id of [0, 1, 2, 7, 128, 254, 255]) {
        expect(await set.bit(id)).to.equal(1n << BigInt(id));
        expect(await set.contains(m, id)).to.equal([1, 7, 255].includes(id));
      }
    });
  });
});
