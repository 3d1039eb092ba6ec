import { expect } from "chai";
import hre from "hardhat";
import type { DeploymentRecord } from "../../src/deploy";
import { ErrorCode } from "../../src/errors";
import { DEMO_CONFIG, expectTaskError, increaseTime, isolateChain, runHuman, runJson, SIGNER } from "./helpers";

interface ProposalOutput {
  id: number;
  phase: string;
  approvals: number;
  required: number;
  approvedBy: string[];
  eta: number;
  expiresAt: number;
  action: { fn: string; args: string[]; text: string };
  description: string;
  events: string[];
  policyVersion?: number;
}

const DAY = 86400;
const DELTA_OPERATOR = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

describe("governance tasks", function () {
  isolateChain();
  let record: DeploymentRecord;

  before(async function () {
    ({ record } = await runJson<{ record: DeploymentRecord }>("deploy", { consortiumConfig: DEMO_CONFIG }));
  });

  describe("a parameter change through proposal, quorum and timelock", function () {
    let id: string;

    it("proposes by kind with arguments by name; the proposer's bank approves", async function () {
      const out = await runJson<ProposalOutput>("proposal:propose", {
        kind: "set-parameter",
        parameter: "reversal-window",
        value: "2d",
        description: "Longer window for bonds",
        from: SIGNER.alpha,
      });
      id = String(out.id);
      expect(out.id).to.equal(1);
      expect(out.phase).to.equal("AwaitingQuorum");
      expect([out.approvals, out.required]).to.deep.equal([1, 2]);
      expect(out.action.text).to.equal("setParameter(ReversalWindow, 2d)");
      expect(out.description).to.equal("Longer window for bonds");
      expect(out.events).to.deep.equal(["ProposalCreated", "ProposalApproved"]);
    });

    it("reaches quorum on a second approval, which starts the timelock", async function () {
      const out = await runJson<ProposalOutput>("proposal:approve", { id, from: SIGNER.beta });
      expect(out.phase).to.equal("Queued");
      expect(out.approvedBy).to.deep.equal(["Alpha Bank (1)", "Beta Bank (2)"]);
      expect(out.events).to.deep.equal(["ProposalApproved", "ProposalQueued"]);
      const block = await hre.ethers.provider.getBlock("latest");
      expect(out.eta).to.equal((block?.timestamp ?? 0) + DAY);
    });

    it("refuses to execute before the timelock elapsed, decoding the contract's error", async function () {
      await expectTaskError(
        hre.run("proposal:execute", { id, from: SIGNER.gamma, json: true }),
        ErrorCode.ContractReverted,
        /^CONTRACT_REVERTED: ConsortiumTimelockActive\(proposalId=1, eta=\d+ \(\d{4}-\d\d-\d\dT[\d:]+Z\)\)$/,
      );
    });

    it("executes after the timelock, raising the shared-policy version", async function () {
      await increaseTime(DAY);
      const out = await runJson<ProposalOutput>("proposal:execute", { id, from: SIGNER.gamma });
      expect(out.phase).to.equal("Executed");
      expect(out.policyVersion).to.equal(2);
      const consortium = await hre.ethers.getContractAt("Consortium", record.consortium);
      expect((await consortium.params()).reversalWindow).to.equal(2n * BigInt(DAY));
    });
  });

  describe("every proposal kind", function () {
    const cases: [Record<string, string>, string][] = [
      [
        { kind: "add-member", name: "Delta Bank", lei: "DEMO00DELTABANK00080", operators: DELTA_OPERATOR },
        `addMember("Delta Bank", DEMO00DELTABANK00080, [${DELTA_OPERATOR}])`,
      ],
      [{ kind: "remove-member", member: "gamma bank" }, "removeMember(Gamma Bank (3))"],
      [
        { kind: "set-operator", member: "2", operator: DELTA_OPERATOR },
        `setOperator(Beta Bank (2), ${DELTA_OPERATOR}, true)`,
      ],
      [{ kind: "set-quorum", numerator: "1", denominator: "2" }, "setQuorum(1, 2)"],
      [{ kind: "set-asset", asset: "aEUR", cap: "2500000.50" }, "setAsset(aEUR, 2,500,000.50)"],
      [
        { kind: "set-policy-document", documentHash: `0x${"ab".repeat(32)}`, documentUri: "ipfs://v2" },
        "setPolicyDocument",
      ],
      [{ kind: "unpause" }, "unpause()"],
    ];
    for (const [flags, text] of cases) {
      it(`encodes and lists ${flags.kind}`, async function () {
        const out = await runJson<ProposalOutput>("proposal:propose", { ...flags, from: SIGNER.alpha });
        expect(out.action.text.startsWith(text)).to.equal(true, out.action.text);
        const { proposals } = await runJson<{ proposals: ProposalOutput[] }>("proposal:list", { id: String(out.id) });
        expect(proposals.map((p) => p.action.text)).to.deep.equal([out.action.text]);
      });
    }

    it("pauses as soon as quorum is reached, without the timelock, halting settlement", async function () {
      const proposed = await runJson<ProposalOutput>("proposal:propose", { kind: "pause", from: SIGNER.beta });
      const approved = await runJson<ProposalOutput>("proposal:approve", {
        id: String(proposed.id),
        from: SIGNER.gamma,
      });
      expect(approved.phase).to.equal("Ready");
      await runJson("proposal:execute", { id: String(proposed.id), from: SIGNER.alpha });
      const consortium = await hre.ethers.getContractAt("Consortium", record.consortium);
      expect(await consortium.paused()).to.equal(true);
      await expectTaskError(
        hre.run("settlement:instruct", {
          tradeRef: "T-PAUSED",
          kind: "fop",
          seller: "Beta Bank",
          buyer: "Alpha Bank",
          asset: "B30",
          assetAmount: "1",
          from: SIGNER.beta,
        }),
        ErrorCode.ContractReverted,
        /SettlementPaused\(\)$/,
      );
    });

    it("lists every proposal with state, approvals, eta, expiry and action", async function () {
      const { proposals } = await runJson<{ proposals: ProposalOutput[] }>("proposal:list");
      expect(proposals.map((p) => p.id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(proposals[0]).to.include({ phase: "Executed", description: "Longer window for bonds" });
      expect(proposals[1]).to.include({ phase: "AwaitingQuorum", approvals: 1, eta: 0 });
      expect(proposals[1].expiresAt).to.be.greaterThan(0);
      const human = await runHuman("proposal:list");
      expect(human).to.match(/^id\s+state\s+approvals\s+eta\s+expires\s+action\s+description$/m);
      expect(human).to.match(/setParameter\(ReversalWindow, 2d\)/);
    });
  });

  describe("bad input", function () {
    it("names the flags a kind needs, and refuses flags that do not apply", async function () {
      await expectTaskError(
        hre.run("proposal:propose", { kind: "set-quorum", numerator: "1", from: SIGNER.alpha }),
        ErrorCode.InputMissing,
        /--kind set-quorum needs --denominator$/,
      );
      await expectTaskError(
        hre.run("proposal:propose", { kind: "pause", cap: "5", from: SIGNER.alpha }),
        ErrorCode.InputInvalid,
        /--cap 5: does not apply to --kind pause$/,
      );
      await expectTaskError(
        hre.run("proposal:propose", { kind: "dissolve", from: SIGNER.alpha }),
        ErrorCode.InputInvalid,
        /--kind dissolve: not one of add-member, /,
      );
    });

    it("checks values before anything is sent", async function () {
      await expectTaskError(
        hre.run("proposal:propose", {
          kind: "add-member",
          name: "X",
          lei: "DEMO00DELTABANK00081",
          operators: DELTA_OPERATOR,
        }),
        ErrorCode.InputInvalid,
        /--lei DEMO00DELTABANK00081: not a 20-character LEI/,
      );
      await expectTaskError(
        hre.run("proposal:propose", { kind: "remove-member", member: "Omega Bank", from: SIGNER.alpha }),
        ErrorCode.UnknownMember,
        /--member Omega Bank: no such member \(members: 1 Alpha Bank, 2 Beta Bank, 3 Gamma Bank\)/,
      );
      await expectTaskError(
        hre.run("proposal:propose", { kind: "set-parameter", parameter: "Quorum", value: "1", from: SIGNER.alpha }),
        ErrorCode.InputInvalid,
        /--parameter Quorum: not one of ReversalWindow/,
      );
      await expectTaskError(
        hre.run("proposal:propose", { kind: "set-asset", asset: "aEUR", cap: "1.001", from: SIGNER.alpha }),
        ErrorCode.InputInvalid,
        /--cap 1\.001: not an amount with at most 2 decimals/,
      );
    });

    it("refuses unknown proposals, double approvals and signers that are not members", async function () {
      await expectTaskError(
        hre.run("proposal:approve", { id: "99", from: SIGNER.beta }),
        ErrorCode.ProposalNotFound,
        /no proposal #99 \(the consortium has \d+ proposals\)/,
      );
      await expectTaskError(
        hre.run("proposal:approve", { id: "2", from: SIGNER.alpha }),
        ErrorCode.ContractReverted,
        /ConsortiumAlreadyApproved\(proposalId=2, memberId=1\)$/,
      );
      const deployer = (await hre.ethers.getSigners())[0].address;
      await expectTaskError(
        hre.run("proposal:propose", { kind: "unpause" }),
        ErrorCode.ContractReverted,
        new RegExp(`ConsortiumNotMember\\(actor=${deployer}\\)$`),
      );
      await expectTaskError(hre.run("proposal:list", { id: "zero" }), ErrorCode.InputInvalid, /--id zero/);
    });
  });
});
