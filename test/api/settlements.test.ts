// Settlements through two banks' APIs over real HTTP: instruct, affirm and settle between Beta and Alpha with the
// timeline from the chain and both logs; refusals (bad input, a policy denial, an unknown id) leave the chain as
// it was; an instruction above the approval threshold waits for two officers' EIP-712 votes sent to the API.
import { expect } from "chai";
import hre from "hardhat";
import { signApproval } from "../../src/approvals";
import type { DemoApi, DemoApiBank } from "../../src/api/demo";
import { call, useDemoApi, type Answer } from "./helpers";

interface Step {
  settlementId: string;
  status: string;
  txHash: string;
}

describe("API settlements", function () {
  const fixture = useDemoApi();
  let api: DemoApi;
  let alpha: DemoApiBank;
  let beta: DemoApiBank;
  let n = 0;

  before(function () {
    api = fixture();
    [alpha, beta] = api.banks;
  });

  function dvp(bonds: string, cash: string, seller = beta, buyer = alpha) {
    return {
      tradeRef: `API-DVP-${++n}`,
      kind: "DvP",
      seller: seller.bank.address.toLowerCase(),
      buyer: buyer.bank.address,
      asset: "B30",
      assetAmount: bonds,
      cash: "aEUR",
      cashAmount: cash,
    };
  }

  const instruct = (bank: DemoApiBank, body: unknown): Promise<Answer> =>
    call(bank, "POST", "/v1/settlements", {
      token: bank.tokens.operations,
      headers: { "idempotency-key": `settlements-test-${++n}` },
      body,
    });

  const errorCode = (a: Answer): string | undefined => (a.body as { error?: { code?: string } }).error?.code;

  it("instructs, affirms and settles a DvP between two banks, and shows the timeline from the chain and the log", async function () {
    const instructed = await instruct(beta, dvp("10", "1010.00"));
    expect(instructed.status, instructed.text).to.equal(201);
    const { settlementId } = instructed.body as Step;
    expect(instructed.headers.get("location")).to.equal(`/v1/settlements/${settlementId}`);
    const affirmed = await call(alpha, "POST", `/v1/settlements/${settlementId}/affirm`, {
      token: alpha.tokens.operations,
    });
    expect(affirmed.status, affirmed.text).to.equal(200);
    expect(affirmed.body).to.include({ status: "Affirmed", step: "affirm" });
    const settled = await call(beta, "POST", `/v1/settlements/${settlementId}/settle`, {
      token: beta.tokens.operations,
    });
    expect(settled.body).to.include({ status: "Settled", step: "settle" });

    const view = await call(alpha, "GET", `/v1/settlements/${settlementId}`, { token: alpha.tokens.auditor });
    expect(view.status).to.equal(200);
    const body = view.body as {
      status: string;
      terms: { seller: string; cashAmount: string; assetAmount: string };
      seller: { bank: string };
      buyer: { bank: string };
      timeline: { source: string; event: string; details: Record<string, unknown> }[];
    };
    expect(body.status).to.equal("Settled");
    expect(body.terms).to.include({ seller: beta.bank.address, cashAmount: "1010.00", assetAmount: "10" });
    expect([body.seller.bank, body.buyer.bank]).to.deep.equal(["Beta Bank", "Alpha Bank"]);
    const chain = body.timeline.filter((e) => e.source === "chain").map((e) => e.event);
    expect(chain).to.include.members(["SettlementInstructed", "SettlementAffirmed", "SettlementSettled"]);
    const allowed = body.timeline.find((e) => e.source === "audit" && e.event === "decision:allow");
    expect(allowed?.details.initiator).to.deep.equal({ id: "api:alpha-operations", roles: ["operations"] });
    // Alpha's signature of the affirmation comes before the chain events of that transaction.
    const signature = body.timeline.findIndex((e) => e.event === "signature");
    const affirmation = body.timeline.findIndex((e) => e.event === "SettlementAffirmed");
    expect(signature).to.be.lessThan(affirmation);
  });

  it("records every write with the caller's subject and roles in the bank's audit log", async function () {
    const instructed = await instruct(beta, dvp("11", "1111.00"));
    const { settlementId } = instructed.body as Step;
    const found = [];
    for await (const r of beta.bank.participant.auditRecords()) {
      const p = r.payload as { stage?: string; caller?: unknown; status?: number };
      if (p.stage === "api" && r.subject === "api:POST /v1/settlements") found.push(p);
      if (r.kind === "decision" && r.subject === settlementId) {
        expect((r.payload as { intent: { initiator: unknown } }).intent.initiator).to.deep.equal({
          id: "api:beta-operations",
          roles: ["operations"],
        });
      }
    }
    expect(found.at(-1)).to.deep.include({
      caller: { subject: "beta-operations", roles: ["operations"] },
      status: 201,
    });
  });

  it("refuses a malformed instruction with 400 naming every wrong field, and the chain does not move", async function () {
    const block = await hre.ethers.provider.getBlockNumber();
    const cases: [unknown, string[]][] = [
      [{ ...dvp("1", "1.00"), seller: "0x1234" }, ["seller"]],
      [{ ...dvp("1", "1.00"), cashAmount: "1.001" }, ["cashAmount"]],
      [{ ...dvp("1", "1.00"), asset: "XYZ", assetAmount: "-1" }, ["assetAmount"]],
      [{ ...dvp("1", "1.00"), asset: "XYZ" }, ["asset"]],
      [{ ...dvp("1", "1.00"), extra: true }, ["(root)"]],
      [{ ...dvp("1", "1.00"), cashAmount: 1 }, ["cashAmount"]],
    ];
    for (const [body, fields] of cases) {
      const refused = await instruct(beta, body);
      expect(refused.status, refused.text).to.equal(400);
      expect(errorCode(refused)).to.equal("API_REQUEST_INVALID");
      const issues = (refused.body as { error: { details: { issues: { path: string }[] } } }).error.details.issues;
      expect(
        issues.map((i) => i.path),
        refused.text,
      ).to.include.members(fields);
    }
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
  });

  it("answers a step on an unknown settlement with 404 SETTLEMENT_NOT_FOUND", async function () {
    const id = `0x${"00".repeat(31)}01`;
    const answer = await call(alpha, "POST", `/v1/settlements/${id}/affirm`, { token: alpha.tokens.operations });
    expect(answer.status).to.equal(404);
    expect(errorCode(answer)).to.equal("SETTLEMENT_NOT_FOUND");
    const read = await call(alpha, "GET", `/v1/settlements/${id}`, { token: alpha.tokens.operations });
    expect(read.status).to.equal(404);
  });

  it("answers the bank's policy denial with 403 GATE_DENIED and its reasons, and nothing is signed", async function () {
    const block = await hre.ethers.provider.getBlockNumber();
    const denied = await instruct(alpha, dvp("1", "1500000.00", alpha, beta));
    expect(denied.status, denied.text).to.equal(403);
    expect(errorCode(denied)).to.equal("GATE_DENIED");
    expect(denied.text).to.include("SETTLEMENT_LIMIT_EXCEEDED");
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
  });

  it("holds an instruction above the threshold until two officers' signed votes reach the API, then instructs it", async function () {
    const body = dvp("40", "600000.00", alpha, beta);
    const key = "settlements-approval-0001";
    const send = () =>
      call(alpha, "POST", "/v1/settlements", {
        token: alpha.tokens.operations,
        headers: { "idempotency-key": key },
        body,
      });
    const pending = await send();
    expect(pending.status, pending.text).to.equal(403);
    expect(errorCode(pending)).to.equal("GATE_APPROVALS_PENDING");
    const { approvalId, digest } = (pending.body as { error: { details: { approvalId: string; digest: string } } })
      .error.details;

    const listed = await call(alpha, "GET", "/v1/approvals", { token: alpha.tokens.compliance });
    const request = (
      listed.body as { approvals: { intentId: string; intent: Record<string, unknown> }[] }
    ).approvals.find((a) => a.intentId === approvalId);
    expect(request?.intent).to.deep.include({ action: "instruct", asset: "aEUR", amount: "600000.00" });
    expect(request?.intent.counterparty).to.deep.equal({ lei: beta.bank.lei, bank: "Beta Bank" });

    const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
    for (const officer of alpha.bank.officers) {
      const message = {
        intentDigest: digest,
        approverId: officer.id,
        decision: "approve" as const,
        expiresAt: api.clock.now() + 600,
      };
      const signed = await signApproval(officer.wallet, approvalId, message, chainId);
      const voted = await call(alpha, "POST", `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, {
        token: alpha.tokens.compliance,
        body: { message: signed.message, signature: signed.signature },
      });
      expect(voted.status, voted.text).to.equal(200);
    }
    const done = await send();
    expect(done.status, done.text).to.equal(201);
    expect(done.body).to.include({ status: "Instructed" });
  });

  it("refuses a vote whose signature is not the approver's with 403, and a rejection route given an approval with 400", async function () {
    const id = `0x${"cd".repeat(32)}`;
    const message = {
      intentDigest: `0x${"00".repeat(32)}`,
      approverId: alpha.bank.officers[0].id,
      decision: "approve",
      expiresAt: api.clock.now() + 60,
    };
    const signature = `0x${"11".repeat(65)}`;
    const unknown = await call(alpha, "POST", `/v1/approvals/${id}/votes`, {
      token: alpha.tokens.compliance,
      body: { message, signature },
    });
    expect(unknown.status).to.equal(403);
    expect(errorCode(unknown)).to.match(/^APPROVAL_/);
    const wrongRoute = await call(alpha, "POST", `/v1/approvals/${id}/reject`, {
      token: alpha.tokens.compliance,
      body: { message, signature },
    });
    expect(wrongRoute.status).to.equal(400);
  });

  it("lists the bank's settlements filtered by status and counterparty", async function () {
    const all = await call(beta, "GET", "/v1/settlements", { token: beta.tokens.operations });
    const settled = await call(beta, "GET", "/v1/settlements?status=Settled", { token: beta.tokens.operations });
    const withGamma = await call(beta, "GET", `/v1/settlements?counterparty=${api.banks[2].bank.address}`, {
      token: beta.tokens.operations,
    });
    const list = (a: Answer) =>
      (a.body as { settlements: { status: string; buyer: { address: string }; seller: { address: string } }[] })
        .settlements;
    expect(list(all).length).to.be.greaterThan(list(settled).length);
    expect(list(settled).every((s) => s.status === "Settled")).to.equal(true);
    expect(list(settled).length).to.be.greaterThan(0);
    expect(list(withGamma)).to.deep.equal([]);
    const bad = await call(beta, "GET", "/v1/settlements?status=Sideways", { token: beta.tokens.operations });
    expect(bad.status).to.equal(400);
  });
});
