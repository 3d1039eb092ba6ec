import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployConsortium, dvpTerms, governedCall, DAY, HOUR, type ConsortiumFixture } from "../../fixtures";

/** Raises the shared-policy version to 2 by a proposal that changes the affirmation window. */
async function bumpPolicyVersion(f: ConsortiumFixture): Promise<void> {
  const [a, b] = f.banks;
  await f.consortium.connect(a.operator).propose(governedCall(f.consortium, "setParameter", [1, 3 * HOUR]), "v2");
  await f.consortium.connect(b.operator).approve(1);
  await time.increase(DAY);
  await f.consortium.connect(a.operator).execute(1);
}

describe("SettlementEngine policy versions", () => {
  async function instructedUnderVersionOne() {
    const f = await deployConsortium();
    const [a, b] = f.banks;
    const terms = await dvpTerms(f, a, b, 10n, 1_000_00n);
    await f.engine.connect(a.operator).instruct(terms);
    const id = await f.engine.settlementId(terms);
    await bumpPolicyVersion(f);
    return { ...f, terms, id };
  }

  it("keeps the instruction's version in the record", async () => {
    const { engine, consortium, id } = await loadFixture(instructedUnderVersionOne);
    expect(await consortium.policyVersion()).to.equal(2n);
    expect((await engine.record(id)).policyVersion).to.equal(1n);
  });

  it("stamps a cancellation with the version in force when it happens", async () => {
    const { engine, banks, terms, id } = await loadFixture(instructedUnderVersionOne);
    await expect(engine.connect(banks[0].operator).cancel(terms, "duplicate booking"))
      .to.emit(engine, "SettlementCancelled")
      .withArgs(id, banks[0].operator.address, "duplicate booking", 2n);
  });

  it("stamps an expiry and release with the version in force when they happen", async () => {
    const { engine, banks, terms, id } = await loadFixture(instructedUnderVersionOne);
    const { affirmDeadline } = await engine.record(id);
    // The day-long timelock of the version change already carried the chain past the two-hour deadline.
    expect(await time.latest()).to.be.greaterThan(affirmDeadline);
    const release = engine.connect(banks[2].operator).release(terms);
    await expect(release).to.emit(engine, "SettlementExpired").withArgs(id, affirmDeadline, 2n);
    await expect(release).to.emit(engine, "SettlementReleased").withArgs(id, banks[2].operator.address, 2n);
  });
});
