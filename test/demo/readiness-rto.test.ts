import { expect } from "chai";
import hre from "hardhat";
import { ErrorCode, TaskInputError } from "../../src/errors";
import { parseRecoveryObjective } from "../../src/demo/readiness";
import { expectTaskError } from "../tasks/helpers";

describe("readiness: the recovery time a bank states (--rto)", function () {
  it("reads seconds, minutes, hours and milliseconds", function () {
    expect(["30s", "2m", "1h", "500ms", "1.5s", " 45s "].map(parseRecoveryObjective)).to.deep.equal([
      30_000, 120_000, 3_600_000, 500, 1_500, 45_000,
    ]);
  });

  it("refuses a duration without a unit, with an unknown unit, zero, negative or past a day", function () {
    for (const bad of ["30", "soon", "2 weeks", "0s", "-5s", "25h", "", "1d"]) {
      let caught: unknown;
      try {
        parseRecoveryObjective(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).to.be.instanceOf(TaskInputError);
      expect((caught as TaskInputError).code, bad).to.equal(ErrorCode.InputInvalid);
      expect((caught as TaskInputError).details.rto, bad).to.equal(bad);
    }
  });

  it("refuses a bad --rto before anything is deployed or run", async function () {
    const blockBefore = await hre.ethers.provider.getBlockNumber();
    await expectTaskError(
      hre.run("readiness", { rto: "thirty seconds", json: true }),
      ErrorCode.InputInvalid,
      /^INPUT_INVALID: --rto "thirty seconds": give a recovery time such as 30s, 2m or 1h/,
    );
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(blockBefore);
  });
});
