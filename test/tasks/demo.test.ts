import { expect } from "chai";
import hre from "hardhat";
import { existsSync, readFileSync } from "node:fs";
import type { DemoEvidence } from "../../src/demo/evidence";
import { captureStdout, DEMO_CONFIG, isolateChain } from "./helpers";

describe("demo task", function () {
  isolateChain();
  let evidence: DemoEvidence;
  let stdout: string;

  before(async function () {
    // The whole demo under coverage instrumentation can pass the suite's per-test default of 2 minutes.
    this.timeout(15 * 60_000);
    const ran = await captureStdout(
      () =>
        hre.run("demo", {
          consortiumConfig: DEMO_CONFIG,
          runDir: "reports/demo-test",
          json: false,
        }) as Promise<DemoEvidence>,
    );
    evidence = ran.result;
    stdout = ran.stdout;
  });

  it("runs the six scenes to the outcomes the issue names", function () {
    const status = Object.fromEntries(evidence.trades.map((t) => [t.ref, t.status]));
    expect(status).to.deep.equal({
      "DEMO-DVP-0001": "Final",
      "DEMO-DVP-0002": "None",
      "DEMO-DVP-0003": "Final",
      "DEMO-DVP-0004": "Cancelled",
      "DEMO-DVP-0005": "Final",
      "DEMO-DVP-0006": "Reversed",
    });
    const notes = Object.fromEntries(evidence.trades.map((t) => [t.ref, t.notes]));
    expect(notes["DEMO-DVP-0002"]).to.deep.equal(["instruct denied by Alpha Bank: SETTLEMENT_LIMIT_EXCEEDED"]);
    expect(notes["DEMO-DVP-0004"]).to.deep.equal(["affirm denied by Alpha Bank: SETTLEMENT_LIMIT_EXCEEDED"]);
    expect(notes["DEMO-DVP-0005"]).to.deep.equal(["instruct denied by Beta Bank: SHARED_VERSION_MISMATCH"]);
    expect(notes["DEMO-DVP-0001"][0]).to.match(/^requestReversal refused by the chain: SettlementFinal\(/);
    expect(evidence.scenes[3].outcome).to.match(/code hashes unchanged$/);
    expect(evidence.scenes[4].outcome).to.match(/^shared version 2; /);
  });

  it("leaves each bank's audit log verified against the head it anchored on chain", function () {
    expect(evidence.banks.map((b) => [b.name, b.verified])).to.deep.equal([
      ["Alpha Bank", true],
      ["Beta Bank", true],
      ["Gamma Bank", true],
    ]);
    expect(evidence.banks.map((b) => b.bundleVersion)).to.deep.equal([3, 2, 2]);
  });

  it("finds every signed step of a trade in the signing bank's log, beside the chain's events", function () {
    const t1 = evidence.trades.find((t) => t.ref === "DEMO-DVP-0001")!;
    expect(t1.timeline.map((e) => e.event)).to.deep.equal([
      "SettlementInstructed",
      "SettlementAffirmed",
      "SettlementLocked",
      "SettlementSettled",
    ]);
    const txs = (bank: string) =>
      t1.audit
        .find((a) => a.bank === bank)!
        .records.filter((r) => r.kind === "signature")
        .map((r) => r.summary);
    expect(txs("Beta Bank")).to.have.length(2);
    expect(txs("Alpha Bank")).to.have.length(1);
    const reversed = evidence.trades.find((t) => t.ref === "DEMO-DVP-0006")!;
    expect(reversed.audit.map((a) => a.bank)).to.deep.equal(["Beta Bank", "Alpha Bank", "Gamma Bank"]);
  });

  it("prints each step and the summary, and writes the HTML report", function () {
    for (const label of [
      "instruct",
      "affirm",
      "settle",
      "denied",
      "pending",
      "approved",
      "activate",
      "code",
      "propose",
      "execute",
      "reverse",
      "refused",
    ]) {
      expect(stdout).to.match(new RegExp(`^  ${label}\\s`, "m"));
    }
    expect(stdout).to.match(/too early, refused: ConsortiumTimelockActive\(proposalId=1, /);
    expect(stdout).to.match(/^Summary$/m);
    expect(existsSync(evidence.report)).to.equal(true);
    const html = readFileSync(evidence.report, "utf8");
    for (const t of evidence.trades) expect(html).to.include(t.ref);
    expect(html).to.include("Alpha Bank's audit log");
  });
});
