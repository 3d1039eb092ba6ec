import { expect } from "chai";
import hre from "hardhat";
import type { DeploymentRecord } from "../../src/deploy";
import { Status } from "../fixtures";
import { DEMO_CONFIG, isolateChain, runHuman, runJson } from "./helpers";

interface DemoOutput {
  consortium: DeploymentRecord;
  settlements: { id: string; tradeRef: string; status: string; policyVersion: number }[];
  proposals: { id: number; phase: string; action: { text: string } }[];
  balances: Record<string, string>[];
}

describe("demo task", function () {
  isolateChain();

  it("runs to the end: a DvP final, a rule changed by quorum and timelock, a reversal inside the window", async function () {
    const out = await runJson<DemoOutput>("demo", { consortiumConfig: DEMO_CONFIG });
    const [final, reversed] = out.settlements;
    expect(final).to.include({ tradeRef: "DEMO-DVP-0001", status: "Final", policyVersion: 1 });
    expect(reversed).to.include({ tradeRef: "DEMO-DVP-0002", status: "Reversed", policyVersion: 2 });
    expect(out.proposals[0]).to.deep.include({
      phase: "Executed",
      action: { fn: "setParameter", args: ["ReversalWindow", "2d"], text: "setParameter(ReversalWindow, 2d)" },
    });

    const engine = await hre.ethers.getContractAt("SettlementEngine", out.consortium.engine);
    expect(await engine.statusOf(final.id)).to.equal(BigInt(Status.Final));
    expect(await engine.isFinal(final.id)).to.equal(true);
    expect(await engine.statusOf(reversed.id)).to.equal(BigInt(Status.Reversed));
    // Alpha bought 1,000 bonds for 101,000.00; the reversed trade left no trace in the balances.
    expect(out.balances.map((b) => [b.bank, b.aEUR, b.B30])).to.deep.equal([
      ["Alpha Bank", "4,899,000.00", "51,000"],
      ["Beta Bank", "5,101,000.00", "49,000"],
      ["Gamma Bank", "5,000,000.00", "50,000"],
    ]);
  });

  it("prints each step and a summary table", async function () {
    const text = await runHuman("demo", { consortiumConfig: DEMO_CONFIG });
    for (const step of [
      "instruct",
      "affirm",
      "locked",
      "settle",
      "window",
      "finality",
      "propose",
      "approve",
      "execute",
      "reverse",
    ]) {
      expect(text).to.match(new RegExp(`^  ${step}\\s`, "m"));
    }
    expect(text).to.match(/too early, refused: ConsortiumTimelockActive\(proposalId=1, /);
    expect(text).to.match(/^Summary$/m);
    expect(text).to.match(/^DEMO-DVP-0001\s+0x[0-9a-f]{64}\s+Final\s+1$/m);
  });
});
