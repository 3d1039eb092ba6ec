/**
 * Affirm and settle in one call: the counterparty's leg goes straight to the instructing party, the locked leg
 * to the counterparty, with the events of an affirmation and a settlement; every refusal leaves the instruction
 * and its locked leg as they were.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployConsortium,
  dvpTerms,
  fopTerms,
  governedCall,
  lockedChanges,
  SETTINGS,
  Status,
  type Terms,
} from "../../fixtures";
import { enact } from "../governance/consortium.behavior";

const BONDS = 100n;
const PRICE = 1_000_000_00n;

async function oneStepFixture() {
  const f = await deployConsortium();
  const [a, b, c] = f.banks;
  return { ...f, a, b, c, engineAddress: await f.engine.getAddress() };
}
type Fixture = Awaited<ReturnType<typeof oneStepFixture>>;

async function instructedBy(f: Fixture, side: "seller" | "buyer", kind: "dvp" | "fop" = "dvp") {
  const t: Terms = kind === "dvp" ? await dvpTerms(f, f.a, f.b, BONDS, PRICE) : await fopTerms(f, f.a, f.b, BONDS);
  await f.engine.connect(side === "seller" ? f.a.operator : f.b.operator).instruct(t);
  return { t, id: await f.engine.settlementId(t) };
}

describe("SettlementEngine affirmAndSettle", () => {
  it("settles a seller's instruction: locked bonds to the buyer, the buyer's cash straight to the seller", async () => {
    const f = await loadFixture(oneStepFixture);
    const { t, id } = await instructedBy(f, "seller");
    const at = (await time.latest()) + 10;
    await time.setNextBlockTimestamp(at);
    const tx = f.engine.connect(f.b.operator).affirmAndSettle(t);
    await expect(tx)
      .to.emit(f.engine, "SettlementAffirmed")
      .withArgs(id, f.b.id, f.b.operator.address, 1n)
      .and.to.emit(f.engine, "SettlementSettled")
      .withArgs(id, f.b.operator.address, at + SETTINGS.reversalWindow, 1n);
    await expect(tx).not.to.emit(f.engine, "SettlementLocked");
    await expect(tx).to.changeTokenBalances(f.bond, [f.a.account, f.b.account, f.engineAddress], [-BONDS, BONDS, 0n]);
    await expect(tx).to.changeTokenBalances(f.cash, [f.b.account, f.a.account, f.engineAddress], [-PRICE, PRICE, 0n]);
    expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([-BONDS]);
    expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([0n]);
    const r = await f.engine.record(id);
    expect([r.status, r.finalAt]).to.deep.equal([BigInt(Status.Settled), BigInt(at + SETTINGS.reversalWindow)]);
  });

  it("settles a buyer's instruction: the seller's bonds straight to the buyer, locked cash to the seller", async () => {
    const f = await loadFixture(oneStepFixture);
    const { t, id } = await instructedBy(f, "buyer");
    const tx = f.engine.connect(f.a.operator).affirmAndSettle(t);
    await expect(tx).to.changeTokenBalances(f.bond, [f.a.account, f.b.account, f.engineAddress], [-BONDS, BONDS, 0n]);
    await expect(tx).to.changeTokenBalances(f.cash, [f.b.account, f.a.account, f.engineAddress], [-PRICE, PRICE, 0n]);
    expect(await lockedChanges(f.cash, [f.b.account], tx)).to.deep.equal([-PRICE]);
    expect(await f.engine.statusOf(id)).to.equal(Status.Settled);
  });

  it("settles an FoP from either side, and the settlement can be reversed in its window", async () => {
    const f = await loadFixture(oneStepFixture);
    for (const side of ["seller", "buyer"] as const) {
      const { t, id } = await instructedBy(f, side, "fop");
      const counterparty = side === "seller" ? f.b.operator : f.a.operator;
      const tx = f.engine.connect(counterparty).affirmAndSettle(t);
      await expect(tx).to.changeTokenBalances(f.bond, [f.a.account, f.b.account], [-BONDS, BONDS]);
      expect(await lockedChanges(f.bond, [f.a.account], tx)).to.deep.equal([side === "seller" ? -BONDS : 0n]);
      await f.engine.connect(f.a.operator).proposeReversal(t, "booked twice");
      await f.engine.connect(f.b.operator).approveReversal(t);
      expect(await f.engine.statusOf(id)).to.equal(Status.Reversed);
    }
  });

  it("refuses the instructing party, a non-member, a known settlement past instruction and unknown terms", async () => {
    const f = await loadFixture(oneStepFixture);
    const { t, id } = await instructedBy(f, "seller");
    await expect(f.engine.connect(f.a.operator).affirmAndSettle(t))
      .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
      .withArgs(id, f.a.operator.address);
    await expect(f.engine.connect(f.c.operator).affirmAndSettle(t))
      .to.be.revertedWithCustomError(f.engine, "SettlementNotParty")
      .withArgs(id, f.c.operator.address);
    await expect(f.engine.connect(f.outsider).affirmAndSettle(t))
      .to.be.revertedWithCustomError(f.engine, "SettlementNotMember")
      .withArgs(f.outsider.address);
    await f.engine.connect(f.b.operator).affirm(t);
    await expect(f.engine.connect(f.b.operator).affirmAndSettle(t))
      .to.be.revertedWithCustomError(f.engine, "SettlementWrongStatus")
      .withArgs(id, Status.Affirmed);
    const unknown = await dvpTerms(f, f.a, f.b, BONDS, PRICE);
    await expect(f.engine.connect(f.b.operator).affirmAndSettle(unknown))
      .to.be.revertedWithCustomError(f.engine, "SettlementUnknown")
      .withArgs(await f.engine.settlementId(unknown));
  });

  it("refuses after the affirmation deadline and while the consortium is paused", async () => {
    const f = await loadFixture(oneStepFixture);
    const { t, id } = await instructedBy(f, "seller");
    const { affirmDeadline } = await f.engine.record(id);
    await enact(f.consortium, [f.a.operator, f.c.operator], governedCall(f.consortium, "pause", []));
    await expect(f.engine.connect(f.b.operator).affirmAndSettle(t)).to.be.revertedWithCustomError(
      f.engine,
      "SettlementPaused",
    );
    await enact(f.consortium, [f.a.operator, f.c.operator], governedCall(f.consortium, "unpause", []));
    // Unpausing waits out the timelock, which outlasts the affirmation window.
    expect(BigInt(await time.latest())).to.be.greaterThan(affirmDeadline);
    await expect(f.engine.connect(f.b.operator).affirmAndSettle(t))
      .to.be.revertedWithCustomError(f.engine, "SettlementAffirmationExpired")
      .withArgs(id, affirmDeadline);
  });

  it("moves nothing when a leg is refused: a frozen seller keeps the instruction and its locked leg", async () => {
    const f = await loadFixture(oneStepFixture);
    const { t, id } = await instructedBy(f, "seller");
    await f.cash.connect(f.a.operator).setAddressFrozen(f.a.account.address, true);
    await expect(f.engine.connect(f.b.operator).affirmAndSettle(t))
      .to.be.revertedWithCustomError(f.cash, "TokenAddressFrozen")
      .withArgs(f.a.account.address);
    expect(await f.engine.statusOf(id)).to.equal(Status.Instructed);
    expect(await f.bond.lockedOf(f.a.account)).to.equal(BONDS);
    expect(await f.bond.balanceOf(f.engineAddress)).to.equal(0n);
  });
});
