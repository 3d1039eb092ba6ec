import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployConsortium, dvpTerms, Status } from "../../fixtures";

describe("smoke", () => {
  it("settles one DvP", async () => {
    const f = await loadFixture(deployConsortium);
    const [a, b] = f.banks;
    const t = await dvpTerms(f, a, b, 100n, 100_000_00n);
    await f.engine.connect(a.operator).instruct(t);
    await f.engine.connect(b.operator).affirm(t);
    await f.engine.connect(a.operator).settle(t);
    const id = await f.engine.settlementId(t);
    expect(await f.engine.statusOf(id)).to.equal(Status.Settled);
  });
});
