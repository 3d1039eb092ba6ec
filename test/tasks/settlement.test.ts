import { expect } from "chai";
import hre from "hardhat";
import type { DeploymentRecord } from "../../src/deploy";
import { findTerms, settlementIdOf, settlementTimeline } from "../../src/settlement";
import { DEMO_CONFIG, dvpFlags, increaseTime, isolateChain, runHuman, runJson, SIGNER } from "./helpers";

interface StepOutput {
  id: string;
  action: string;
  status: string;
  finalAt: number;
  events: string[];
  approvedBy?: string[];
  terms?: {
    tradeRef: string;
    kind: string;
    seller: { account: string; member: string };
    asset: { symbol: string; amount: string };
    cash: { symbol: string; amount: string } | null;
  };
}

interface StatusOutput {
  id: string;
  status: string;
  record: { status: string; finalAt: string; policyVersion: string };
  instructedBy: string;
  timeline: { event: string; args: Record<string, string | number | boolean> }[];
}

const DAY = 86400;

/** DvP flags: Beta Bank delivers bonds to Alpha Bank against tokenized deposits. */
const dvp = (tradeRef: string, bonds = "1000", cash = "101000.00") => dvpFlags(tradeRef, bonds, cash);

describe("settlement tasks", function () {
  isolateChain();
  let record: DeploymentRecord;

  before(async function () {
    ({ record } = await runJson<{ record: DeploymentRecord }>("deploy", { consortiumConfig: DEMO_CONFIG }));
  });

  describe("a DvP settlement through its whole lifecycle", function () {
    let id: string;

    it("instructs with terms in human units, locking the seller's leg in its account", async function () {
      const out = await runJson<StepOutput>("settlement:instruct", { ...dvp("T-LIFECYCLE-1"), from: SIGNER.beta });
      id = out.id;
      expect(out.status).to.equal("Instructed");
      expect(out.events).to.deep.equal(["SettlementInstructed"]);
      expect(out.terms?.kind).to.equal("DvP");
      expect(out.terms?.tradeRef).to.equal("T-LIFECYCLE-1");
      expect(out.terms?.seller).to.deep.equal({ account: record.members[1].accounts[0], member: "Beta Bank (2)" });
      expect(out.terms?.asset).to.include({ symbol: "B30", amount: "1,000" });
      expect(out.terms?.cash).to.include({ symbol: "aEUR", amount: "101,000.00" });
      const bond = await hre.ethers.getContractAt("PermissionedToken", record.tokens[1].address);
      expect(await bond.lockedOf(record.members[1].accounts[0])).to.equal(1000n);
      expect(await bond.balanceOf(record.engine)).to.equal(0n);
    });

    it("recovers the full terms from the instruction event by id", async function () {
      const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
      const terms = await findTerms(engine, BigInt(id), record.blockNumber);
      expect(settlementIdOf(terms)).to.equal(BigInt(id));
      expect(await engine.settlementId(terms)).to.equal(BigInt(id));
      expect(terms.cashAmount).to.equal(10_100_000n);
    });

    it("affirms as the counterparty: both legs locked", async function () {
      const out = await runJson<StepOutput>("settlement:affirm", { id, from: SIGNER.alpha });
      expect(out.status).to.equal("Affirmed");
      expect(out.events).to.deep.equal(["SettlementAffirmed", "SettlementLocked"]);
    });

    it("settles, opening the reversal window", async function () {
      const out = await runJson<StepOutput>("settlement:settle", { id, from: SIGNER.beta });
      expect(out.status).to.equal("Settled");
      expect(out.events).to.deep.equal(["SettlementSettled"]);
      const block = await hre.ethers.provider.getBlock("latest");
      expect(out.finalAt).to.equal((block?.timestamp ?? 0) + DAY);
    });

    it("reports the status, the record and the timeline of events", async function () {
      const out = await runJson<StatusOutput>("settlement:status", { id });
      expect(out.status).to.equal("Settled");
      expect(out.instructedBy).to.equal("Beta Bank (2)");
      expect(out.record.policyVersion).to.equal("1");
      expect(out.timeline.map((e) => e.event)).to.deep.equal([
        "SettlementInstructed",
        "SettlementAffirmed",
        "SettlementLocked",
        "SettlementSettled",
      ]);
      expect(out.timeline[1].args).to.include({ memberId: 1, actor: record.members[0].operators[0] });
      const human = await runHuman("settlement:status", { id });
      expect(human).to.match(/status\s+Settled/);
      expect(human).to.match(/SettlementLocked/);
    });

    it("is final once the reversal window has passed", async function () {
      await increaseTime(DAY);
      const out = await runJson<StatusOutput>("settlement:status", { id });
      expect(out.status).to.equal("Final");
      expect(out.record.status).to.equal("Settled");
      const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
      expect(await engine.isFinal(BigInt(id))).to.equal(true);
    });
  });

  describe("a reversal inside the window", function () {
    it("is proposed by one party and executed when the other approves", async function () {
      const { id } = await runJson<StepOutput>("settlement:instruct", { ...dvp("T-REVERSAL-1"), from: SIGNER.beta });
      await runJson("settlement:affirm", { id, from: SIGNER.alpha });
      await runJson("settlement:settle", { id, from: SIGNER.alpha });

      const proposed = await runJson<StepOutput>("settlement:reverse", {
        id,
        from: SIGNER.alpha,
        reason: "wrong client",
      });
      expect(proposed.action).to.equal("reversal proposed");
      expect(proposed.status).to.equal("Settled");
      expect(proposed.approvedBy).to.deep.equal(["Alpha Bank (1)"]);
      expect(proposed.events).to.deep.equal(["ReversalProposed", "ReversalApproved"]);

      const approved = await runJson<StepOutput>("settlement:reverse", { id, from: SIGNER.beta });
      expect(approved.action).to.equal("reversal approved");
      expect(approved.status).to.equal("Reversed");
      expect(approved.events).to.deep.equal(["ReversalApproved", "ReversalExecuted"]);

      const engine = await hre.ethers.getContractAt("SettlementEngine", record.engine);
      const timeline = await settlementTimeline(engine, BigInt(id), record.blockNumber);
      expect(timeline.find((e) => e.event === "ReversalProposed")?.args.reason).to.equal("wrong client");
      expect(timeline.at(-1)?.args).to.include({ byParties: true });
    });
  });

  describe("an affirmed settlement that cannot settle", function () {
    it("is unwound when both parties' banks approve: both escrowed legs go back", async function () {
      const { id } = await runJson<StepOutput>("settlement:instruct", { ...dvp("T-UNWIND-1"), from: SIGNER.beta });
      await runJson("settlement:affirm", { id, from: SIGNER.alpha });
      const proposed = await runJson<StepOutput>("settlement:unwind", {
        id,
        from: SIGNER.alpha,
        reason: "cash account frozen",
      });
      expect(proposed.action).to.equal("unwind proposed");
      expect(proposed.status).to.equal("Affirmed");
      expect(proposed.approvedBy).to.deep.equal(["Alpha Bank (1)"]);
      const approved = await runJson<StepOutput>("settlement:unwind", { id, from: SIGNER.beta });
      expect(approved.action).to.equal("unwind approved");
      expect(approved.status).to.equal("Unwound");
      expect(approved.events).to.include("SettlementUnwound");
    });
  });

  describe("affirm and settle in one call", function () {
    it("settles straight from the instruction, opening the reversal window", async function () {
      const { id } = await runJson<StepOutput>("settlement:instruct", { ...dvp("T-AAS-1"), from: SIGNER.beta });
      const out = await runJson<StepOutput>("settlement:affirm-and-settle", { id, from: SIGNER.alpha });
      expect(out.status).to.equal("Settled");
      expect(out.events).to.deep.equal(["SettlementAffirmed", "SettlementSettled"]);
    });
  });

  describe("an instruction left unaffirmed", function () {
    it("expires after the affirmation window and is released by anyone", async function () {
      const fop = { ...dvp("T-RELEASE-1", "10"), kind: "fop", cash: undefined, cashAmount: undefined };
      const { id } = await runJson<StepOutput>("settlement:instruct", { ...fop, from: SIGNER.beta });
      await increaseTime(2 * 3600 + 1);
      expect((await runJson<StatusOutput>("settlement:status", { id })).status).to.equal("Expired");
      const released = await runJson<StepOutput>("settlement:release", { id, from: SIGNER.deployer });
      expect(released.status).to.equal("Released");
      expect(released.events).to.deep.equal(["SettlementExpired", "SettlementReleased"]);
    });
  });
});
