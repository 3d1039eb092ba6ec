/**
 * Unit tests of the settlement engine: every step of the lifecycle (instruct, affirm, settle, cancel, release,
 * reversal, finality), every error with its arguments, the events of every decision point, and a settlement's
 * history rebuilt from events alone.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { BaseContract } from "ethers";
import {
  CAPS,
  DAY,
  deployConsortium,
  dvpTerms,
  fopTerms,
  governedCall,
  lockedChanges,
  HOUR,
  Kind,
  OPENING,
  SETTINGS,
  Status,
  type Terms,
} from "../../fixtures";

const BONDS = 100n;
const PRICE = 1_000_000_00n;
const REASON = "client withdrew the order";

/** The shared fixture, plus the three banks by name and an asset the consortium never made eligible. */
async function engineFixture() {
  const f = await deployConsortium();
  const [a, b, c] = f.banks;
  const unlisted = await ethers.deployContract("PermissionedToken", [
    "Unlisted",
    "UNL",
    0,
    await f.consortium.getAddress(),
    await f.engine.getAddress(),
    a.operator.address,
  ]);
  return { ...f, a, b, c, unlisted, engineAddress: await f.engine.getAddress() };
}

type Fixture = Awaited<ReturnType<typeof engineFixture>>;

/** The terms as the event encodes them (a tuple, in declaration order). */
function tuple(t: Terms): unknown[] {
  return [t.tradeRef, t.kind, t.seller, t.buyer, t.asset, t.assetAmount, t.cash, t.cashAmount];
}

/** Pins the next block's timestamp so deadlines in events can be asserted exactly. */
async function nextTimestamp(offset = 10): Promise<number> {
  const ts = (await time.latest()) + offset;
  await time.setNextBlockTimestamp(ts);
  return ts;
}

/** Runs a governed call through a proposal: bank A proposes, bank B approves, the timelock elapses, A executes. */
async function govern(f: Fixture, fn: string, args: unknown[]): Promise<void> {
  await f.consortium.connect(f.a.operator).propose(governedCall(f.consortium, fn, args), `test: ${fn}`);
  const proposalId = await f.consortium.proposalCount();
  await f.consortium.connect(f.b.operator).approve(proposalId);
  if (fn !== "pause") await time.increase(SETTINGS.proposalDelay);
  await f.consortium.connect(f.a.operator).execute(proposalId);
}

/** Cash and bond balances of the three bank accounts and the engine, then their locked balances, in that order. */
async function balances(f: Fixture): Promise<bigint[]> {
  const holders = [f.a.account.address, f.b.account.address, f.c.account.address, f.engineAddress];
  const out: bigint[] = [];
  for (const token of [f.cash, f.bond]) for (const h of holders) out.push(await token.balanceOf(h));
  for (const token of [f.cash, f.bond]) for (const h of holders) out.push(await token.lockedOf(h));
  return out;
}

/** A DvP in which bank A sells BONDS bonds to bank B for PRICE, instructed by A. */
async function instructed(f: Fixture, kind: "dvp" | "fop" = "dvp"): Promise<{ t: Terms; id: bigint }> {
  const t = kind === "dvp" ? await dvpTerms(f, f.a, f.b, BONDS, PRICE) : await fopTerms(f, f.a, f.b, BONDS);
  await f.engine.connect(f.a.operator).instruct(t);
  return { t, id: await f.engine.settlementId(t) };
}

async function affirmed(f: Fixture, kind: "dvp" | "fop" = "dvp"): Promise<{ t: Terms; id: bigint }> {
  const s = await instructed(f, kind);
  await f.engine.connect(f.b.operator).affirm(s.t);
  return s;
}

async function settled(f: Fixture, kind: "dvp" | "fop" = "dvp"): Promise<{ t: Terms; id: bigint; finalAt: number }> {
  const s = await affirmed(f, kind);
  await f.engine.connect(f.a.operator).settle(s.t);
  return { ...s, finalAt: (await time.latest()) + SETTINGS.reversalWindow };
}

describe("SettlementEngine", () => {
  describe("deployment", () => {
    it("refuses a zero consortium address", async () => {
      const factory = await ethers.getContractFactory("SettlementEngine");
      await expect(factory.deploy(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "SettlementZeroAddress")
        .withArgs();
    });

    it("serves the consortium it was deployed for", async () => {
      const f = await loadFixture(engineFixture);
      expect(await f.engine.consortium()).to.equal(await f.consortium.getAddress());
    });

    it("gives terms the id keccak256(abi.encode(terms))", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
        ["tuple(bytes32,uint8,address,address,address,uint256,address,uint256)"],
        [tuple(t)],
      );
      expect(await f.engine.settlementId(t)).to.equal(BigInt(ethers.keccak256(encoded)));
      expect(await f.engine.connect(f.a.operator).instruct.staticCall(t)).to.equal(BigInt(ethers.keccak256(encoded)));
    });
  });

  describe("instruct", () => {
    it("locks the seller's asset in place when the seller instructs a DvP", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const id = await f.engine.settlementId(t);
      const ts = await nextTimestamp();
      const tx = f.engine.connect(f.a.operator).instruct(t);
      await expect(tx)
        .to.emit(f.engine, "SettlementInstructed")
        .withArgs(id, t.tradeRef, f.a.id, f.a.operator.address, tuple(t), ts + SETTINGS.affirmationWindow, 1n);
      await expect(tx).to.emit(f.bond, "TokensLocked").withArgs(f.a.account.address, BONDS, id);
      await expect(tx).to.changeTokenBalances(f.bond, [f.a.account, f.engine], [0n, 0n]);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([BONDS]);
      expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([0n]);
      const r = await f.engine.record(id);
      expect(r.status).to.equal(Status.Instructed);
      expect(r.sellerInstructed).to.equal(true);
      expect(r.affirmDeadline).to.equal(ts + SETTINGS.affirmationWindow);
      expect(r.finalAt).to.equal(0n);
      expect(r.policyVersion).to.equal(1n);
    });

    it("locks the buyer's cash in place when the buyer instructs a DvP", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const id = await f.engine.settlementId(t);
      const tx = f.engine.connect(f.b.operator).instruct(t);
      await expect(tx)
        .to.emit(f.engine, "SettlementInstructed")
        .withArgs(id, t.tradeRef, f.b.id, f.b.operator.address, tuple(t), (d: bigint) => d > 0n, 1n);
      await expect(tx).to.changeTokenBalances(f.cash, [f.b.account, f.engine], [0n, 0n]);
      expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([PRICE]);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([0n]);
      expect((await f.engine.record(id)).sellerInstructed).to.equal(false);
    });

    it("locks the seller's asset when the seller instructs a FoP", async () => {
      const f = await loadFixture(engineFixture);
      const t = await fopTerms(f, f.a, f.b, BONDS);
      const tx = f.engine.connect(f.a.operator).instruct(t);
      expect(await lockedChanges(f.bond, [f.a.account, f.engine], tx)).to.deep.equal([BONDS, 0n]);
    });

    it("locks nothing when the buyer instructs a FoP, until the seller affirms", async () => {
      const f = await loadFixture(engineFixture);
      const t = await fopTerms(f, f.a, f.b, BONDS);
      const before = await balances(f);
      await f.engine.connect(f.b.operator).instruct(t);
      expect(await balances(f)).to.deep.equal(before);
      const tx = f.engine.connect(f.a.operator).affirm(t);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([BONDS]);
    });

    it("accepts legs exactly at the caps", async () => {
      const f = await loadFixture(engineFixture);
      await f.bond.connect(f.b.operator).mint(f.a.account.address, CAPS.bond);
      await f.cash.connect(f.a.operator).mint(f.b.account.address, CAPS.cash);
      const t = await dvpTerms(f, f.a, f.b, CAPS.bond, CAPS.cash);
      await f.engine.connect(f.a.operator).instruct(t);
      await f.engine.connect(f.b.operator).affirm(t);
      expect(await f.bond.lockedOf(f.a.account)).to.equal(CAPS.bond);
      expect(await f.cash.lockedOf(f.b.account)).to.equal(CAPS.cash);
    });

    it("refuses while the consortium is paused", async () => {
      const f = await loadFixture(engineFixture);
      await govern(f, "pause", []);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementPaused")
        .withArgs();
    });

    it("refuses a caller that acts for no member", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await expect(f.engine.connect(f.outsider).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.outsider.address);
      // An account is not an operator: holding tokens for a bank does not let an address act for it.
      await expect(f.engine.connect(f.a.account).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.a.account.address);
    });

    it("refuses an unregistered seller", async () => {
      const f = await loadFixture(engineFixture);
      const t = { ...(await dvpTerms(f, f.a, f.b, BONDS, PRICE)), seller: f.outsider.address };
      await expect(f.engine.connect(f.b.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementAccountNotRegistered")
        .withArgs(f.outsider.address);
    });

    it("refuses an unregistered buyer", async () => {
      const f = await loadFixture(engineFixture);
      const t = { ...(await dvpTerms(f, f.a, f.b, BONDS, PRICE)), buyer: f.outsider.address };
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementAccountNotRegistered")
        .withArgs(f.outsider.address);
    });

    it("refuses seller and buyer of the same member", async () => {
      const f = await loadFixture(engineFixture);
      const second = f.spare[0];
      await f.consortium.connect(f.a.operator).registerAccount(second.address);
      const t = { ...(await dvpTerms(f, f.a, f.b, BONDS, PRICE)), buyer: second.address };
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementSameMember")
        .withArgs(f.a.id);
    });

    it("refuses a zero asset amount", async () => {
      const f = await loadFixture(engineFixture);
      for (const t of [await dvpTerms(f, f.a, f.b, 0n, PRICE), await fopTerms(f, f.a, f.b, 0n)]) {
        await expect(f.engine.connect(f.a.operator).instruct(t))
          .to.be.revertedWithCustomError(f.engine, "SettlementInvalidTerms")
          .withArgs(t.tradeRef);
      }
    });

    it("refuses a DvP with a zero cash amount", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, 0n);
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementInvalidTerms")
        .withArgs(t.tradeRef);
    });

    it("refuses a FoP with a cash token or a cash amount", async () => {
      const f = await loadFixture(engineFixture);
      const fop = await fopTerms(f, f.a, f.b, BONDS);
      for (const t of [
        { ...fop, cash: await f.cash.getAddress() },
        { ...fop, cashAmount: 1n },
      ]) {
        await expect(f.engine.connect(f.a.operator).instruct(t))
          .to.be.revertedWithCustomError(f.engine, "SettlementInvalidTerms")
          .withArgs(t.tradeRef);
      }
    });

    it("refuses an asset that is not eligible", async () => {
      const f = await loadFixture(engineFixture);
      const t = { ...(await dvpTerms(f, f.a, f.b, BONDS, PRICE)), asset: await f.unlisted.getAddress() };
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementAssetNotEligible")
        .withArgs(await f.unlisted.getAddress());
    });

    it("refuses a cash leg that is not eligible", async () => {
      const f = await loadFixture(engineFixture);
      const t = { ...(await dvpTerms(f, f.a, f.b, BONDS, PRICE)), cash: await f.unlisted.getAddress() };
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementAssetNotEligible")
        .withArgs(await f.unlisted.getAddress());
    });

    it("refuses an asset leg above the cap", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, CAPS.bond + 1n, PRICE);
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementCapExceeded")
        .withArgs(await f.bond.getAddress(), CAPS.bond + 1n, CAPS.bond);
    });

    it("refuses a cash leg above the cap", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, CAPS.cash + 1n);
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementCapExceeded")
        .withArgs(await f.cash.getAddress(), CAPS.cash + 1n, CAPS.cash);
    });

    it("refuses the same terms twice", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      for (const op of [f.a.operator, f.b.operator]) {
        await expect(f.engine.connect(op).instruct(t))
          .to.be.revertedWithCustomError(f.engine, "SettlementDuplicate")
          .withArgs(id);
      }
    });

    it("refuses a member that is neither seller nor buyer", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await expect(f.engine.connect(f.c.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
        .withArgs(await f.engine.settlementId(t), f.c.operator.address);
    });

    it("refuses an instruction the instructing account cannot fund", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, OPENING.bond + 1n, PRICE);
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.bond, "ERC20InsufficientBalance")
        .withArgs(f.a.account.address, OPENING.bond, OPENING.bond + 1n);
      expect(await f.engine.statusOf(await f.engine.settlementId(t))).to.equal(Status.None);
    });
  });

  describe("affirm", () => {
    it("locks both legs when the buyer affirms the seller's instruction", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      const tx = f.engine.connect(f.b.operator).affirm(t);
      await expect(tx)
        .to.emit(f.engine, "SettlementAffirmed")
        .withArgs(id, f.b.id, f.b.operator.address, 1n)
        .and.to.emit(f.engine, "SettlementLocked")
        .withArgs(id, 1n);
      expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([PRICE]);
      expect(await f.bond.lockedOf(f.a.account)).to.equal(BONDS);
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
    });

    it("locks both legs when the seller affirms the buyer's instruction", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const id = await f.engine.settlementId(t);
      await f.engine.connect(f.b.operator).instruct(t);
      const tx = f.engine.connect(f.a.operator).affirm(t);
      await expect(tx).to.emit(f.engine, "SettlementAffirmed").withArgs(id, f.a.id, f.a.operator.address, 1n);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([BONDS]);
      expect(await f.cash.lockedOf(f.b.account)).to.equal(PRICE);
    });

    it("locks nothing when the buyer affirms a FoP", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await instructed(f, "fop");
      const before = await balances(f);
      await f.engine.connect(f.b.operator).affirm(t);
      expect(await balances(f)).to.deep.equal(before);
    });

    it("accepts an affirmation at the last second of the deadline", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      await time.setNextBlockTimestamp((await f.engine.record(id)).affirmDeadline);
      await f.engine.connect(f.b.operator).affirm(t);
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
    });

    it("refuses unknown terms", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await expect(f.engine.connect(f.b.operator).affirm(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
        .withArgs(await f.engine.settlementId(t));
    });

    it("refuses a second affirmation", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await expect(f.engine.connect(f.b.operator).affirm(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Affirmed);
    });

    it("refuses an affirmation after the deadline", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      const deadline = (await f.engine.record(id)).affirmDeadline;
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.engine.connect(f.b.operator).affirm(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementAffirmationExpired")
        .withArgs(id, deadline);
    });

    it("refuses a member that is not the counterparty", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      await expect(f.engine.connect(f.c.operator).affirm(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
        .withArgs(id, f.c.operator.address);
    });

    it("the instructor cannot affirm its own instruction", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      await expect(f.engine.connect(f.a.operator).affirm(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
        .withArgs(id, f.a.operator.address);
    });

    it("refuses a caller that acts for no member", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await instructed(f);
      await expect(f.engine.connect(f.outsider).affirm(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.outsider.address);
    });

    it("refuses while the consortium is paused", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await instructed(f);
      await govern(f, "pause", []);
      await expect(f.engine.connect(f.b.operator).affirm(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementPaused")
        .withArgs();
    });
  });

  describe("settle", () => {
    it("moves both legs at once and opens the reversal window", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      const ts = await nextTimestamp();
      const tx = f.engine.connect(f.a.operator).settle(t);
      await expect(tx)
        .to.emit(f.engine, "SettlementSettled")
        .withArgs(id, f.a.operator.address, ts + SETTINGS.reversalWindow, 1n);
      await expect(tx).to.changeTokenBalances(f.bond, [f.a.account, f.b.account], [-BONDS, BONDS]);
      await expect(tx).to.changeTokenBalances(f.cash, [f.b.account, f.a.account], [-PRICE, PRICE]);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([-BONDS]);
      expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([-PRICE]);
      const r = await f.engine.record(id);
      expect(r.status).to.equal(Status.Settled);
      expect(r.finalAt).to.equal(ts + SETTINGS.reversalWindow);
    });

    it("settles a FoP: the asset moves, nothing is paid", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await affirmed(f, "fop");
      const tx = f.engine.connect(f.b.operator).settle(t);
      await expect(tx).to.changeTokenBalances(f.bond, [f.a.account, f.b.account], [-BONDS, BONDS]);
      await expect(tx).to.changeTokenBalances(f.cash, [f.engine, f.a.account, f.b.account], [0n, 0n, 0n]);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([-BONDS]);
    });

    it("lets the buyer's member settle too", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await expect(f.engine.connect(f.b.operator).settle(t))
        .to.emit(f.engine, "SettlementSettled")
        .withArgs(id, f.b.operator.address, (x: bigint) => x > 0n, 1n);
    });

    it("moves nothing when the cash token is paused", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await f.cash.connect(f.a.operator).pause();
      const before = await balances(f);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.be.revertedWithCustomError(f.cash, "EnforcedPause")
        .withArgs();
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
    });

    it("moves nothing when the buyer is frozen", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await f.bond.connect(f.b.operator).setAddressFrozen(f.b.account.address, true);
      const before = await balances(f);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.be.revertedWithCustomError(f.bond, "TokenAddressFrozen")
        .withArgs(f.b.account.address);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
    });

    it("moves no asset when the seller cannot receive the cash", async () => {
      // The asset leg moves first; the cash leg then fails, and the asset transfer is undone with it.
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await f.cash.connect(f.a.operator).setAddressFrozen(f.a.account.address, true);
      const before = await balances(f);
      await expect(f.engine.connect(f.b.operator).settle(t))
        .to.be.revertedWithCustomError(f.cash, "TokenAddressFrozen")
        .withArgs(f.a.account.address);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
    });

    it("refuses a member that is not a party", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await expect(f.engine.connect(f.c.operator).settle(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
        .withArgs(id, f.c.operator.address);
    });

    it("refuses a caller that acts for no member", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await affirmed(f);
      await expect(f.engine.connect(f.outsider).settle(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.outsider.address);
    });

    it("refuses an instruction that was not affirmed", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Instructed);
    });

    it("refuses to settle twice", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await settled(f);
      await expect(f.engine.connect(f.b.operator).settle(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Settled);
    });

    it("refuses unknown terms", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
        .withArgs(await f.engine.settlementId(t));
    });

    it("refuses while the consortium is paused", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await affirmed(f);
      await govern(f, "pause", []);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementPaused")
        .withArgs();
    });
  });

  describe("cancel", () => {
    it("unlocks the seller's leg with the reason in the event", async () => {
      const f = await loadFixture(engineFixture);
      const before = await balances(f);
      const { t, id } = await instructed(f);
      const tx = f.engine.connect(f.a.operator).cancel(t, REASON);
      await expect(tx).to.emit(f.engine, "SettlementCancelled").withArgs(id, f.a.operator.address, REASON, 1n);
      await expect(tx).to.emit(f.bond, "TokensUnlocked").withArgs(f.a.account.address, BONDS, id);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([-BONDS]);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(id)).to.equal(Status.Cancelled);
    });

    it("unlocks the buyer's cash when the buyer's member cancels its instruction", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await f.engine.connect(f.b.operator).instruct(t);
      const tx = f.engine.connect(f.b.operator).cancel(t, REASON);
      expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([-PRICE]);
    });

    it("cancels a buyer's FoP instruction with nothing to return", async () => {
      const f = await loadFixture(engineFixture);
      const t = await fopTerms(f, f.a, f.b, BONDS);
      const before = await balances(f);
      await f.engine.connect(f.b.operator).instruct(t);
      await f.engine.connect(f.b.operator).cancel(t, REASON);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(await f.engine.settlementId(t))).to.equal(Status.Cancelled);
    });

    it("refuses the counterparty", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      await expect(f.engine.connect(f.b.operator).cancel(t, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
        .withArgs(id, f.b.operator.address);
    });

    it("refuses a caller that acts for no member", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      await expect(f.engine.connect(f.outsider).cancel(t, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
        .withArgs(id, f.outsider.address);
    });

    it("refuses to cancel once the counterparty affirmed", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await expect(f.engine.connect(f.a.operator).cancel(t, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Affirmed);
    });

    it("refuses unknown terms", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await expect(f.engine.connect(f.a.operator).cancel(t, REASON))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
        .withArgs(await f.engine.settlementId(t));
    });
  });

  describe("release", () => {
    it("lets anyone unlock the leg once the deadline passed", async () => {
      const f = await loadFixture(engineFixture);
      const before = await balances(f);
      const { t, id } = await instructed(f);
      const deadline = (await f.engine.record(id)).affirmDeadline;
      await time.setNextBlockTimestamp(deadline + 1n);
      const tx = f.engine.connect(f.outsider).release(t);
      await expect(tx)
        .to.emit(f.engine, "SettlementExpired")
        .withArgs(id, deadline, 1n)
        .and.to.emit(f.engine, "SettlementReleased")
        .withArgs(id, f.outsider.address, 1n);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([-BONDS]);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(id)).to.equal(Status.Released);
    });

    it("returns the buyer's cash of a buyer's instruction", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await f.engine.connect(f.b.operator).instruct(t);
      await time.increase(SETTINGS.affirmationWindow + 1);
      const tx = f.engine.connect(f.c.operator).release(t);
      expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([-PRICE]);
    });

    it("releases a buyer's FoP instruction with nothing to return", async () => {
      const f = await loadFixture(engineFixture);
      const t = await fopTerms(f, f.a, f.b, BONDS);
      const before = await balances(f);
      await f.engine.connect(f.b.operator).instruct(t);
      await time.increase(SETTINGS.affirmationWindow + 1);
      await f.engine.connect(f.outsider).release(t);
      expect(await balances(f)).to.deep.equal(before);
    });

    it("refuses to release at the deadline itself", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await instructed(f);
      const deadline = (await f.engine.record(id)).affirmDeadline;
      await time.setNextBlockTimestamp(deadline);
      await expect(f.engine.connect(f.outsider).release(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotExpired")
        .withArgs(id, deadline);
    });

    it("refuses to release an affirmed settlement", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await time.increase(SETTINGS.affirmationWindow + 1);
      await expect(f.engine.connect(f.outsider).release(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Affirmed);
    });

    it("refuses unknown terms", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await expect(f.engine.connect(f.outsider).release(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
        .withArgs(await f.engine.settlementId(t));
    });
  });

  describe("reversal", () => {
    it("reverses when both parties approve, restoring both legs exactly", async () => {
      const f = await loadFixture(engineFixture);
      const before = await balances(f);
      const { t, id } = await settled(f);
      await expect(f.engine.connect(f.a.operator).proposeReversal(t, "wrong ISIN"))
        .to.emit(f.engine, "ReversalProposed")
        .withArgs(id, f.a.id, f.a.operator.address, "wrong ISIN", 1n)
        .and.to.emit(f.engine, "ReversalApproved")
        .withArgs(id, f.a.id, f.a.operator.address, 1n, 1n);
      expect(await f.engine.statusOf(id)).to.equal(Status.Settled);
      const tx = f.engine.connect(f.b.operator).approveReversal(t);
      await expect(tx)
        .to.emit(f.engine, "ReversalApproved")
        .withArgs(id, f.b.id, f.b.operator.address, 2n, 1n)
        .and.to.emit(f.engine, "ReversalExecuted")
        .withArgs(id, f.b.operator.address, true, 1n);
      await expect(tx)
        .to.emit(f.bond, "ForcedTransfer")
        .withArgs(f.b.account.address, f.a.account.address, BONDS, id)
        .and.to.emit(f.cash, "ForcedTransfer")
        .withArgs(f.a.account.address, f.b.account.address, PRICE, id);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(id)).to.equal(Status.Reversed);
      expect(await f.engine.reversalApprovals(id)).to.equal((1n << 1n) | (1n << 2n));
    });

    it("reverses by a consortium quorum when bank C and one party approve", async () => {
      const f = await loadFixture(engineFixture);
      const before = await balances(f);
      const { t, id } = await settled(f);
      expect(await f.consortium.requiredApprovals()).to.equal(2n);
      await f.engine.connect(f.c.operator).proposeReversal(t, "court order");
      await expect(f.engine.connect(f.a.operator).approveReversal(t))
        .to.emit(f.engine, "ReversalApproved")
        .withArgs(id, f.a.id, f.a.operator.address, 2n, 1n)
        .and.to.emit(f.engine, "ReversalExecuted")
        .withArgs(id, f.a.operator.address, false, 1n);
      expect(await balances(f)).to.deep.equal(before);
    });

    it("reverses by a quorum of members that are not parties", async () => {
      const f = await loadFixture(engineFixture);
      await govern(f, "setQuorum", [1, 3]);
      expect(await f.consortium.requiredApprovals()).to.equal(1n);
      const before = await balances(f);
      const { t, id } = await settled(f);
      await expect(f.engine.connect(f.c.operator).proposeReversal(t, "court order"))
        .to.emit(f.engine, "ReversalExecuted")
        .withArgs(id, f.c.operator.address, false, 2n);
      expect(await balances(f)).to.deep.equal(before);
    });

    it("reverses a FoP: only the asset returns", async () => {
      const f = await loadFixture(engineFixture);
      const before = await balances(f);
      const { t, id } = await settled(f, "fop");
      await f.engine.connect(f.b.operator).proposeReversal(t, "sent to the wrong account");
      await expect(f.engine.connect(f.a.operator).approveReversal(t))
        .to.emit(f.engine, "ReversalExecuted")
        .withArgs(id, f.a.operator.address, true, 1n)
        .and.not.to.emit(f.cash, "ForcedTransfer");
      expect(await balances(f)).to.deep.equal(before);
    });

    it("approvals of a member removed from the consortium stop counting", async () => {
      const f = await loadFixture(engineFixture);
      // Queue bank C's removal first, so that it executes inside the reversal window of the settlement below.
      await f.consortium
        .connect(f.a.operator)
        .propose(governedCall(f.consortium, "removeMember", [f.c.id]), "leaves the consortium");
      const proposalId = await f.consortium.proposalCount();
      await f.consortium.connect(f.b.operator).approve(proposalId);
      const eta = (await f.consortium.proposal(proposalId)).eta;
      await time.increase(HOUR);
      const { t, id, finalAt } = await settled(f);
      expect(finalAt).to.be.greaterThan(Number(eta));
      await f.engine.connect(f.c.operator).proposeReversal(t, "court order");
      await time.increaseTo(eta);
      await f.consortium.connect(f.a.operator).execute(proposalId);
      expect(await f.consortium.requiredApprovals()).to.equal(2n);

      // C's approval no longer counts: A's approval makes one of two, and nothing executes.
      await expect(f.engine.connect(f.a.operator).approveReversal(t))
        .to.emit(f.engine, "ReversalApproved")
        .withArgs(id, f.a.id, f.a.operator.address, 1n, 2n)
        .and.not.to.emit(f.engine, "ReversalExecuted");
      expect(await f.engine.statusOf(id)).to.equal(Status.Settled);
      await expect(f.engine.connect(f.c.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.c.operator.address);
      await expect(f.engine.connect(f.b.operator).approveReversal(t))
        .to.emit(f.engine, "ReversalExecuted")
        .withArgs(id, f.b.operator.address, true, 2n);
      expect((await f.engine.record(id)).policyVersion).to.equal(1n);
    });

    it("a reversal the buyer can no longer fund fails whole, and succeeds once funded", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await settled(f);
      await f.bond.connect(f.b.account).transfer(f.c.account.address, OPENING.bond + BONDS);
      await f.engine.connect(f.a.operator).proposeReversal(t, "wrong price");
      const before = await balances(f);
      await expect(f.engine.connect(f.b.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.bond, "ERC20InsufficientBalance")
        .withArgs(f.b.account.address, 0n, BONDS);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.reversalApprovals(id)).to.equal(1n << 1n);
      await f.bond.connect(f.c.account).transfer(f.b.account.address, BONDS);
      await expect(f.engine.connect(f.b.operator).approveReversal(t))
        .to.emit(f.engine, "ReversalExecuted")
        .withArgs(id, f.b.operator.address, true, 1n);
    });

    it("refuses to reverse a settlement that has not settled", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await affirmed(f);
      await expect(f.engine.connect(f.a.operator).proposeReversal(t, "x"))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Affirmed);
      await expect(f.engine.connect(f.a.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Affirmed);
    });

    it("refuses to reverse unknown terms", async () => {
      const f = await loadFixture(engineFixture);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const id = await f.engine.settlementId(t);
      await expect(f.engine.connect(f.a.operator).proposeReversal(t, "x"))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
        .withArgs(id);
      await expect(f.engine.connect(f.a.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
        .withArgs(id);
    });

    it("refuses a second request for the same settlement", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await settled(f);
      await f.engine.connect(f.a.operator).proposeReversal(t, "x");
      await expect(f.engine.connect(f.c.operator).proposeReversal(t, "y"))
        .to.be.revertedWithCustomError(f.engine, "SettlementReversalAlreadyRequested")
        .withArgs(id);
    });

    it("refuses an approval of a reversal never requested", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await settled(f);
      await expect(f.engine.connect(f.b.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementReversalNotRequested")
        .withArgs(id);
    });

    it("refuses a member approving twice", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id } = await settled(f);
      await f.engine.connect(f.a.operator).proposeReversal(t, "x");
      await expect(f.engine.connect(f.a.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementReversalAlreadyApproved")
        .withArgs(id, f.a.id);
    });

    it("accepts a reversal at the last second of the window", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id, finalAt } = await settled(f);
      await f.engine.connect(f.a.operator).proposeReversal(t, "x");
      await time.setNextBlockTimestamp(finalAt - 1);
      await f.engine.connect(f.b.operator).approveReversal(t);
      expect(await f.engine.statusOf(id)).to.equal(Status.Reversed);
    });

    it("refuses to reverse once the window closed", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id, finalAt } = await settled(f);
      await f.engine.connect(f.a.operator).proposeReversal(t, "x");
      await time.setNextBlockTimestamp(finalAt);
      await expect(f.engine.connect(f.b.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementFinal")
        .withArgs(id, finalAt);
      await expect(f.engine.connect(f.c.operator).proposeReversal(t, "y"))
        .to.be.revertedWithCustomError(f.engine, "SettlementFinal")
        .withArgs(id, finalAt);
    });

    it("refuses a caller that acts for no member", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await settled(f);
      await expect(f.engine.connect(f.outsider).proposeReversal(t, "x"))
        .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
        .withArgs(f.outsider.address);
    });

    it("refuses while the consortium is paused", async () => {
      const f = await loadFixture(engineFixture);
      const { t } = await settled(f);
      await f.engine.connect(f.a.operator).proposeReversal(t, "x");
      await govern(f, "pause", []);
      await expect(f.engine.connect(f.b.operator).approveReversal(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementPaused")
        .withArgs();
      await expect(f.engine.connect(f.c.operator).proposeReversal(t, "y"))
        .to.be.revertedWithCustomError(f.engine, "SettlementPaused")
        .withArgs();
    });
  });

  describe("status and finality", () => {
    it("reports every status, including the computed Expired and Final", async () => {
      const f = await loadFixture(engineFixture);
      expect(await f.engine.statusOf(ethers.MaxUint256)).to.equal(Status.None);

      const expiring = await instructed(f);
      const cancelled = await instructed(f);
      expect(await f.engine.statusOf(expiring.id)).to.equal(Status.Instructed);
      await f.engine.connect(f.a.operator).cancel(cancelled.t, REASON);
      expect(await f.engine.statusOf(cancelled.id)).to.equal(Status.Cancelled);
      await time.increaseTo((await f.engine.record(expiring.id)).affirmDeadline + 1n);
      expect(await f.engine.statusOf(expiring.id)).to.equal(Status.Expired);
      expect((await f.engine.record(expiring.id)).status).to.equal(Status.Instructed);
      await f.engine.connect(f.outsider).release(expiring.t);
      expect(await f.engine.statusOf(expiring.id)).to.equal(Status.Released);

      const { t, id } = await affirmed(f);
      expect(await f.engine.statusOf(id)).to.equal(Status.Affirmed);
      await f.engine.connect(f.a.operator).settle(t);
      expect(await f.engine.statusOf(id)).to.equal(Status.Settled);
      expect(await f.engine.isFinal(id)).to.equal(false);
      await time.increaseTo((await f.engine.record(id)).finalAt);
      expect(await f.engine.statusOf(id)).to.equal(Status.Final);
      expect(await f.engine.isFinal(id)).to.equal(true);
      expect((await f.engine.record(id)).status).to.equal(Status.Settled);

      const reversed = await settled(f);
      await f.engine.connect(f.a.operator).proposeReversal(reversed.t, "x");
      await f.engine.connect(f.b.operator).approveReversal(reversed.t);
      expect(await f.engine.statusOf(reversed.id)).to.equal(Status.Reversed);
      await time.increase(SETTINGS.reversalWindow);
      expect(await f.engine.isFinal(reversed.id)).to.equal(false);
      expect(await f.engine.statusOf(reversed.id)).to.equal(Status.Reversed);
    });

    it("a final settlement never changes again", async () => {
      const f = await loadFixture(engineFixture);
      const { t, id, finalAt } = await settled(f);
      await time.increaseTo(finalAt);
      const record = await f.engine.record(id);
      const before = await balances(f);
      await expect(f.engine.connect(f.a.operator).proposeReversal(t, "late"))
        .to.be.revertedWithCustomError(f.engine, "SettlementFinal")
        .withArgs(id, finalAt);
      await expect(f.engine.connect(f.b.operator).settle(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Settled);
      await expect(f.engine.connect(f.a.operator).cancel(t, "late"))
        .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
        .withArgs(id, Status.Settled);
      await expect(f.engine.connect(f.a.operator).instruct(t))
        .to.be.revertedWithCustomError(f.engine, "SettlementDuplicate")
        .withArgs(id);
      await time.increase(365 * DAY);
      expect(await f.engine.record(id)).to.deep.equal(record);
      expect(await balances(f)).to.deep.equal(before);
      expect(await f.engine.statusOf(id)).to.equal(Status.Final);
    });

    it("records the policy version in force at instruction", async () => {
      const f = await loadFixture(engineFixture);
      await govern(f, "setPolicyDocument", [ethers.id("shared-policy-v2"), "ipfs://shared-policy-v2"]);
      expect(await f.consortium.policyVersion()).to.equal(2n);
      const t = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const id = await f.engine.settlementId(t);
      await expect(f.engine.connect(f.b.operator).instruct(t))
        .to.emit(f.engine, "SettlementInstructed")
        .withArgs(id, t.tradeRef, f.b.id, f.b.operator.address, tuple(t), (d: bigint) => d > 0n, 2n);
      const r = await f.engine.record(id);
      expect(r.policyVersion).to.equal(2n);
      expect(r.sellerInstructed).to.equal(false);

      // A later change applies to later instructions only: the record keeps its version and deadline.
      await govern(f, "setParameter", [1, 4 * HOUR]);
      expect(await f.engine.record(id)).to.deep.equal(r);
      const later = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      const ts = await nextTimestamp();
      await f.engine.connect(f.a.operator).instruct(later);
      const r2 = await f.engine.record(await f.engine.settlementId(later));
      expect(r2.policyVersion).to.equal(3n);
      expect(r2.affirmDeadline).to.equal(ts + 4 * HOUR);
    });

    it("steps after instruction carry the policy version in force when they happen", async () => {
      const f = await loadFixture(engineFixture);
      // Queue a policy change, instruct once its timelock elapsed, then execute it before the affirmation.
      const call = governedCall(f.consortium, "setPolicyDocument", [ethers.id("v2"), "ipfs://v2"]);
      await f.consortium.connect(f.a.operator).propose(call, "new policy");
      const proposalId = await f.consortium.proposalCount();
      await f.consortium.connect(f.b.operator).approve(proposalId);
      await time.increase(SETTINGS.proposalDelay);
      const { t, id } = await instructed(f);
      await f.consortium.connect(f.c.operator).execute(proposalId);
      await expect(f.engine.connect(f.b.operator).affirm(t))
        .to.emit(f.engine, "SettlementAffirmed")
        .withArgs(id, f.b.id, f.b.operator.address, 2n)
        .and.to.emit(f.engine, "SettlementLocked")
        .withArgs(id, 2n);
      await expect(f.engine.connect(f.a.operator).settle(t))
        .to.emit(f.engine, "SettlementSettled")
        .withArgs(id, f.a.operator.address, (x: bigint) => x > 0n, 2n);
      expect((await f.engine.record(id)).policyVersion).to.equal(1n);
    });
  });

  describe("history from events", () => {
    /** A settlement's history as the parties' systems see it: only events, no engine state. */
    interface Entry {
      event: string;
      actor?: string;
      memberId?: bigint;
    }

    /** Status, deadlines and terms folded from the events, as a party's system would keep them. */
    interface History {
      terms?: Terms;
      entries: Entry[];
      status: number;
      affirmDeadline?: bigint;
      finalAt?: bigint;
    }

    const FOLD: Record<string, number | undefined> = {
      SettlementInstructed: Status.Instructed,
      SettlementAffirmed: Status.Affirmed,
      SettlementSettled: Status.Settled,
      SettlementCancelled: Status.Cancelled,
      SettlementReleased: Status.Released,
      ReversalExecuted: Status.Reversed,
    };

    async function timeline(f: Fixture, id: bigint): Promise<History> {
      // Every engine event, of every kind; each one carries the settlement id as its first indexed topic.
      const engine: BaseContract = f.engine;
      const logs = await engine.queryFilter("*");
      const h: History = { entries: [], status: Status.None };
      for (const log of logs) {
        if (!("args" in log) || log.args.id !== id) continue;
        const a = log.args.toObject() as Record<string, unknown>;
        if (log.eventName === "SettlementInstructed") {
          const x = a.terms as Terms;
          h.terms = {
            tradeRef: x.tradeRef,
            kind: Number(x.kind),
            seller: x.seller,
            buyer: x.buyer,
            asset: x.asset,
            assetAmount: x.assetAmount,
            cash: x.cash,
            cashAmount: x.cashAmount,
          };
          h.affirmDeadline = a.affirmDeadline as bigint;
        }
        if (log.eventName === "SettlementSettled") h.finalAt = a.finalAt as bigint;
        h.status = FOLD[log.eventName] ?? h.status;
        const entry: Entry = { event: log.eventName };
        if ("actor" in a) entry.actor = a.actor as string;
        if ("memberId" in a) entry.memberId = a.memberId as bigint;
        h.entries.push(entry);
      }
      return h;
    }

    it("rebuilds a settlement's timeline and terms from engine events alone", async () => {
      const f = await loadFixture(engineFixture);
      const noise = await dvpTerms(f, f.c, f.a, 7n, 7_00n);
      await f.engine.connect(f.c.operator).instruct(noise);
      const original = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
      await f.engine.connect(f.a.operator).instruct(original);
      const id = await f.engine.settlementId(original);

      // Bank B knows only the id; it rebuilds the terms from the event and affirms with them.
      const seen = await timeline(f, id);
      expect(seen.terms).to.deep.equal({ ...original, kind: Kind.DvP });
      const terms = seen.terms!;
      expect(await f.engine.settlementId(terms)).to.equal(id);
      await f.engine.connect(f.b.operator).affirm(terms);
      await f.engine.connect(f.a.operator).affirm(noise);
      await f.engine.connect(f.b.operator).settle(terms);
      await f.engine.connect(f.c.operator).proposeReversal(terms, "court order");
      await f.engine.connect(f.a.operator).approveReversal(terms);

      const { entries, status, affirmDeadline, finalAt } = await timeline(f, id);
      const record = await f.engine.record(id);
      expect(status).to.equal(await f.engine.statusOf(id));
      expect(affirmDeadline).to.equal(record.affirmDeadline);
      expect(finalAt).to.equal(record.finalAt);
      expect(entries).to.deep.equal([
        { event: "SettlementInstructed", actor: f.a.operator.address, memberId: BigInt(f.a.id) },
        { event: "SettlementAffirmed", actor: f.b.operator.address, memberId: BigInt(f.b.id) },
        { event: "SettlementLocked" },
        { event: "SettlementSettled", actor: f.b.operator.address },
        { event: "ReversalProposed", actor: f.c.operator.address, memberId: BigInt(f.c.id) },
        { event: "ReversalApproved", actor: f.c.operator.address, memberId: BigInt(f.c.id) },
        { event: "ReversalApproved", actor: f.a.operator.address, memberId: BigInt(f.a.id) },
        { event: "ReversalExecuted", actor: f.a.operator.address },
      ]);
      expect(await f.engine.statusOf(id)).to.equal(Status.Reversed);
    });

    it("rebuilds the timelines of a cancelled and a released instruction", async () => {
      const f = await loadFixture(engineFixture);
      const cancelled = await instructed(f);
      const released = await instructed(f, "fop");
      await f.engine.connect(f.a.operator).cancel(cancelled.t, REASON);
      await time.increase(SETTINGS.affirmationWindow + 1);
      await f.engine.connect(f.outsider).release(released.t);
      expect((await timeline(f, cancelled.id)).status).to.equal(Status.Cancelled);
      expect((await timeline(f, released.id)).status).to.equal(Status.Released);
      expect((await timeline(f, cancelled.id)).entries).to.deep.equal([
        { event: "SettlementInstructed", actor: f.a.operator.address, memberId: BigInt(f.a.id) },
        { event: "SettlementCancelled", actor: f.a.operator.address },
      ]);
      expect((await timeline(f, released.id)).entries).to.deep.equal([
        { event: "SettlementInstructed", actor: f.a.operator.address, memberId: BigInt(f.a.id) },
        { event: "SettlementExpired" },
        { event: "SettlementReleased", actor: f.outsider.address },
      ]);
    });
  });
});
