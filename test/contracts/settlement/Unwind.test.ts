/**
 * No escrow is ever stuck and no account can be taken over: the attacks and accidents that used to leave legs in
 * escrow for good (the instructing member removed, a frozen seller, a token paused for good, a party's member
 * removed after affirmation) each end with every leg back with its owner; the unwind of an affirmed settlement
 * with its approvals, events and errors; escrow of bound tokens only; and the governed recovery of stray tokens.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  deployConsortium,
  dvpTerms,
  fopTerms,
  governedCall,
  lockedChanges,
  OPENING,
  SETTINGS,
  Status,
  type Terms,
} from "../../fixtures";
import { enact } from "../governance/consortium.behavior";

const BONDS = 1_000n;
const PRICE = 1_000_000_00n;
const REASON = "seller's account frozen by compliance";

async function unwindFixture() {
  const f = await deployConsortium();
  const [a, b, c] = f.banks;
  const engineAddress = await f.engine.getAddress();
  const plain = await ethers.deployContract("PlainERC20", ["Plain", "PLN"]);
  /** Carries a governed call through a proposal made and approved by the given banks' operators. */
  const govern = (operators: HardhatEthersSigner[], fn: string, args: unknown[]) =>
    enact(f.consortium, operators, governedCall(f.consortium, fn, args));
  return { ...f, a, b, c, engineAddress, plain, govern };
}
type Fixture = Awaited<ReturnType<typeof unwindFixture>>;

/** A DvP (or FoP) in which bank A sells BONDS bonds to bank B, instructed by A and affirmed by B. */
async function affirmed(f: Fixture, kind: "dvp" | "fop" = "dvp"): Promise<{ t: Terms; id: bigint }> {
  const t = kind === "dvp" ? await dvpTerms(f, f.a, f.b, BONDS, PRICE) : await fopTerms(f, f.a, f.b, BONDS);
  await f.engine.connect(f.a.operator).instruct(t);
  await f.engine.connect(f.b.operator).affirm(t);
  return { t, id: await f.engine.settlementId(t) };
}

/** Every account holds its opening balance again with nothing locked, and the engine holds nothing, in either token. */
async function expectEveryLegHome(f: Fixture): Promise<void> {
  for (const bank of f.banks) {
    expect(await f.cash.balanceOf(bank.account.address)).to.equal(OPENING.cash);
    expect(await f.bond.balanceOf(bank.account.address)).to.equal(OPENING.bond);
    for (const token of [f.cash, f.bond]) expect(await token.lockedOf(bank.account.address)).to.equal(0n);
  }
  for (const token of [f.cash, f.bond]) expect(await token.balanceOf(f.engineAddress)).to.equal(0n);
}

describe("SettlementEngine escrow liveness", () => {
  describe("findings", () => {
    it("releases the escrow of an instruction whose instructing member was removed (escrow stuck after removal)", async () => {
      const f = await loadFixture(unwindFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await f.engine.connect(f.a.operator).instruct(t);
      const id = await f.engine.settlementId(t);
      await f.govern([f.b.operator, f.c.operator], "removeMember", [f.a.id]);
      expect(await f.consortium.isEligibleHolder(f.a.account.address)).to.equal(false);
      await expect(f.engine.connect(f.a.operator).cancel(t, "withdrawn"))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
        .withArgs(id, f.a.operator.address);

      await time.increase(SETTINGS.affirmationWindow + 1);
      const tx = f.engine.connect(f.outsider).release(t);
      await expect(tx).to.emit(f.engine, "SettlementReleased").withArgs(id, f.outsider.address, 2n);
      await expect(tx).to.emit(f.bond, "TokensUnlocked").withArgs(f.a.account.address, BONDS, id);
      expect(await f.engine.statusOf(id)).to.equal(Status.Released);
      await expectEveryLegHome(f);
    });

    it("refuses a member claiming a removed member's account to pull from its standing approval (account takeover)", async () => {
      const f = await loadFixture(unwindFixture);
      await f.govern([f.a.operator, f.b.operator], "removeMember", [f.c.id]);
      await expect(f.consortium.connect(f.b.operator).registerAccount(f.c.account.address))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumAddressTaken")
        .withArgs(f.c.account.address, f.c.id);
      // With a colluding counterparty: the instruction that would pull the removed member's bonds is refused.
      const t = await fopTerms(f, f.c, f.a, BONDS);
      await expect(f.engine.connect(f.b.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementAccountNotRegistered")
        .withArgs(f.c.account.address);
      expect(await f.bond.balanceOf(f.c.account.address)).to.equal(OPENING.bond);
    });

    it("unwinds by both parties an affirmed DvP whose seller was frozen after affirmation (no way out)", async () => {
      const f = await loadFixture(unwindFixture);
      const { t, id } = await affirmed(f);
      await f.cash.connect(f.a.operator).setAddressFrozen(f.a.account.address, true);
      await f.bond.connect(f.b.operator).setAddressFrozen(f.a.account.address, true);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.be.revertedWithCustomError(f.bond, "TokenAddressFrozen")
        .withArgs(f.a.account.address);

      await expect(f.engine.connect(f.a.operator).proposeUnwind(t, REASON))
        .to.emit(f.engine, "UnwindProposed")
        .withArgs(id, f.a.id, f.a.operator.address, REASON, 1n)
        .and.to.emit(f.engine, "UnwindApproved")
        .withArgs(id, f.a.id, f.a.operator.address, 1n, 1n);
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
      const tx = f.engine.connect(f.b.operator).approveUnwind(t);
      await expect(tx)
        .to.emit(f.engine, "SettlementUnwound")
        .withArgs(id, f.b.operator.address, true, 1n)
        .and.to.emit(f.bond, "TokensUnlocked")
        .withArgs(f.a.account.address, BONDS, id)
        .and.to.emit(f.cash, "TokensUnlocked")
        .withArgs(f.b.account.address, PRICE, id);
      expect(await f.engine.statusOf(id)).to.equal(Status.Unwound);
      expect(await f.engine.unwindApprovals(id)).to.equal((1n << 1n) | (1n << 2n));
      await expectEveryLegHome(f);
      // The returned bonds are the seller's again, and its freeze still holds them.
      await expect(f.bond.connect(f.a.account).transfer(f.b.account.address, 1n))
        .to.be.revertedWithCustomError(f.bond, "TokenAddressFrozen")
        .withArgs(f.a.account.address);
    });

    it("unwinds by quorum an affirmed DvP whose token is paused for good, while the consortium is paused", async () => {
      const f = await loadFixture(unwindFixture);
      const { t, id } = await affirmed(f);
      await f.bond.connect(f.b.operator).pause();
      await expect(f.engine.connect(f.a.operator).settle(t)).to.be.revertedWithCustomError(f.bond, "EnforcedPause");
      await f.govern([f.a.operator, f.c.operator], "pause", []);

      await f.engine.connect(f.c.operator).proposeUnwind(t, "bond paused by its issuer");
      await expect(f.engine.connect(f.a.operator).approveUnwind(t))
        .to.emit(f.engine, "SettlementUnwound")
        .withArgs(id, f.a.operator.address, false, 1n);
      await expectEveryLegHome(f);
    });

    it("unwinds by quorum an affirmed DvP whose buyer's member was removed, returning the cash to its account", async () => {
      const f = await loadFixture(unwindFixture);
      const { t, id } = await affirmed(f);
      await f.govern([f.a.operator, f.c.operator], "removeMember", [f.b.id]);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.be.revertedWithCustomError(f.bond, "TokenNotEligible")
        .withArgs(f.b.account.address);
      await expect(f.engine.connect(f.b.operator).proposeUnwind(t, "buyer gone"))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.b.operator.address);

      await f.engine.connect(f.a.operator).proposeUnwind(t, "buyer's member removed");
      // Two active members and a quorum of two thirds: both must approve.
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
      await expect(f.engine.connect(f.c.operator).approveUnwind(t))
        .to.emit(f.engine, "SettlementUnwound")
        .withArgs(id, f.c.operator.address, false, 2n);
      await expectEveryLegHome(f);
    });
  });

  describe("unwind", () => {
    it("returns only the asset of an FoP", async () => {
      const f = await loadFixture(unwindFixture);
      const { t } = await affirmed(f, "fop");
      await f.engine.connect(f.b.operator).proposeUnwind(t, "booked twice");
      const tx = f.engine.connect(f.a.operator).approveUnwind(t);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([-BONDS]);
      await expect(tx).not.to.emit(f.cash, "TokensUnlocked");
      await expectEveryLegHome(f);
    });

    it("refuses a settlement that is not affirmed: unknown, instructed, settled or unwound", async () => {
      const f = await loadFixture(unwindFixture);
      const unknown = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const unknownId = await f.engine.settlementId(unknown);
      await expect(f.engine.connect(f.a.operator).proposeUnwind(unknown, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
        .withArgs(unknownId);
      await f.engine.connect(f.a.operator).instruct(unknown);
      await expect(f.engine.connect(f.a.operator).proposeUnwind(unknown, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(unknownId, Status.Instructed);

      const settled = await affirmed(f);
      await f.engine.connect(f.a.operator).settle(settled.t);
      await expect(f.engine.connect(f.a.operator).proposeUnwind(settled.t, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(settled.id, Status.Settled);

      const unwound = await affirmed(f);
      await f.engine.connect(f.a.operator).proposeUnwind(unwound.t, REASON);
      await f.engine.connect(f.b.operator).approveUnwind(unwound.t);
      for (const step of [
        () => f.engine.connect(f.c.operator).approveUnwind(unwound.t),
        () => f.engine.connect(f.a.operator).settle(unwound.t),
      ]) {
        await expect(step())
          .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
          .withArgs(unwound.id, Status.Unwound);
      }
    });

    it("refuses a second request, an approval without a request, and a member approving twice", async () => {
      const f = await loadFixture(unwindFixture);
      const { t, id } = await affirmed(f);
      await expect(f.engine.connect(f.a.operator).approveUnwind(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnwindNotRequested")
        .withArgs(id);
      await f.engine.connect(f.a.operator).proposeUnwind(t, REASON);
      await expect(f.engine.connect(f.b.operator).proposeUnwind(t, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnwindAlreadyRequested")
        .withArgs(id);
      await expect(f.engine.connect(f.a.operator).approveUnwind(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnwindAlreadyApproved")
        .withArgs(id, f.a.id);
    });

    it("refuses a caller that acts for no active member", async () => {
      const f = await loadFixture(unwindFixture);
      const { t } = await affirmed(f);
      await expect(f.engine.connect(f.a.account).proposeUnwind(t, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.a.account.address);
      await f.engine.connect(f.a.operator).proposeUnwind(t, REASON);
      await expect(f.engine.connect(f.outsider).approveUnwind(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.outsider.address);
    });

    it("keeps unwind and reversal approvals apart", async () => {
      const f = await loadFixture(unwindFixture);
      const { t, id } = await affirmed(f);
      await f.engine.connect(f.c.operator).proposeUnwind(t, REASON);
      await f.engine.connect(f.a.operator).settle(t);
      expect(await f.engine.reversalApprovals(id)).to.equal(0n);
      await expect(f.engine.connect(f.a.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementReversalNotRequested")
        .withArgs(id);
    });
  });

  describe("escrow count and stray tokens", () => {
    it("refuses to escrow a listed token that is not a permissioned token bound to this engine", async () => {
      const f = await loadFixture(unwindFixture);
      const plain = await f.plain.getAddress();
      const other = await ethers.deployContract("PermissionedToken", [
        "Other engine's bond",
        "OEB",
        0,
        await f.consortium.getAddress(),
        f.outsider.address,
        f.a.operator.address,
      ]);
      const otherAddress = await other.getAddress();
      for (const token of [plain, otherAddress]) {
        await f.govern([f.a.operator, f.b.operator], "setAsset", [token, 1_000n]);
        await f.plain.mint(f.a.account.address, 10n);
        const t = { ...(await fopTerms(f, f.a, f.b, 10n)), asset: token };
        await expect(f.engine.connect(f.a.operator).instruct(t))
          .to.be.revertedWithCustomError(f.engine, "SettlementAssetNotEligible")
          .withArgs(token);
      }
      // The cash leg too, when the buyer's side escrows it.
      const t = { ...(await dvpTerms(f, f.a, f.b, BONDS, 10n)), cash: plain };
      await expect(f.engine.connect(f.b.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementAssetNotEligible")
        .withArgs(plain);
    });

    it("recovers a stray foreign token by proposal", async () => {
      const f = await loadFixture(unwindFixture);
      const plain = await f.plain.getAddress();
      await f.plain.mint(f.engineAddress, 50n);
      await expect(
        f.govern([f.a.operator, f.b.operator], "recoverStray", [f.engineAddress, plain, f.outsider.address, 50n]),
      )
        .to.emit(f.engine, "StrayRecovered")
        .withArgs(plain, f.outsider.address, 50n, 1n);
      expect(await f.plain.balanceOf(f.outsider.address)).to.equal(50n);
    });

    it("never recovers escrow: refuses a token bound to the engine", async () => {
      const f = await loadFixture(unwindFixture);
      const bond = await f.bond.getAddress();
      await affirmed(f);
      await expect(
        f.govern([f.a.operator, f.b.operator], "recoverStray", [f.engineAddress, bond, f.c.account.address, 1n]),
      )
        .to.be.revertedWithCustomError(f.engine, "SettlementNotStray")
        .withArgs(bond);
    });

    it("refuses a recovery from anyone but the consortium's governance", async () => {
      const f = await loadFixture(unwindFixture);
      const plain = await f.plain.getAddress();
      await expect(f.engine.connect(f.a.operator).recoverStray(plain, f.a.account.address, 0n))
        .to.be.revertedWithCustomError(f.engine, "SettlementOnlyConsortium")
        .withArgs(f.a.operator.address);
      await expect(f.consortium.connect(f.a.operator).recoverStray(f.engineAddress, plain, f.a.account.address, 0n))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumOnlyGovernance")
        .withArgs(f.a.operator.address);
    });
  });
});
