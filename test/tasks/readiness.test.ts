import { expect } from "chai";
import hre from "hardhat";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { AuditRecord, JsonValue } from "../../src/audit";
import {
  checkAuditTrail,
  type AuditTrailInput,
  type ReadinessEvidence,
  type VerifySummary,
} from "../../src/demo/readiness";
import { captureStdout, DEMO_CONFIG, isolateChain, tempDir } from "./helpers";

describe("readiness task", function () {
  isolateChain();
  let result: ReadinessEvidence & { report: string };
  let stdout: string;

  before(async function () {
    // The task runs the whole demo and then fault measurements (about 2 minutes under coverage instrumentation on
    // a 2-vCPU machine, more beside the rest of the suite): more than the suite's per-test default of 2 minutes.
    this.timeout(15 * 60_000);
    const dir = await tempDir("readiness-test-");
    const ran = await captureStdout(
      () =>
        hre.run("readiness", {
          consortiumConfig: DEMO_CONFIG,
          runDir: path.join(dir, "run"),
          report: path.join(dir, "readiness.md"),
          json: false,
        }) as Promise<ReadinessEvidence & { report: string }>,
    );
    result = ran.result;
    stdout = ran.stdout;
  });

  it("answers YES to a rule changed without a redeployment: the decision changed, no code hash did", function () {
    const q = result.policyChange;
    expect(q.answer).to.equal("YES");
    const change = q.change!;
    expect(change.bank).to.equal("Alpha Bank");
    expect(change.activation.version).to.equal(2);
    expect(change.activation.policyHash).to.not.equal(change.activation.previous.policyHash);
    expect([change.before.trade, change.before.action, change.before.outcome]).to.deep.equal([
      "DEMO-DVP-0001",
      "affirm",
      "allow",
    ]);
    expect([change.after.trade, change.after.action, change.after.outcome]).to.deep.equal([
      "DEMO-DVP-0004",
      "affirm",
      "deny",
    ]);
    expect(change.after.reasons).to.deep.equal(["SETTLEMENT_LIMIT_EXCEEDED"]);
    expect([change.before.bundle?.version, change.after.bundle?.version]).to.deep.equal([1, 2]);
    expect(change.after.counterparty).to.equal("Beta Bank");
    expect(q.code.map((c) => c.contract)).to.have.members([
      "Consortium",
      "SettlementEngine",
      "PermissionedToken aEUR",
      "PermissionedToken B30",
      "AuditAnchor",
    ]);
    for (const c of q.code) expect([c.before, c.unchanged]).to.deep.equal([c.after, true]);
    expect(q.blocks.after).to.be.greaterThan(q.blocks.before);
    expect(q.deployments).to.equal(0);
  });

  it("answers YES to every decision point in chain events and in the deciding bank's log, with zero gaps", function () {
    const q = result.auditTrail;
    expect(q.answer).to.equal("YES");
    expect(q.gaps).to.deep.equal([]);
    expect(q.counts.trades).to.equal(6);
    expect(q.counts.chainPoints).to.be.greaterThan(0);
    expect(q.counts.offChainPoints).to.be.greaterThan(0);
    expect(q.counts.events).to.be.at.least(q.counts.chainPoints);
    expect(q.counts.matched).to.equal(q.points.length);
    expect(q.points.map((p) => p.kind)).to.include.members(["chain", "denied", "approval"]);
    for (const log of q.logs) {
      expect([log.hashChain.ok, log.anchored.ok, log.exported.ok]).to.deep.equal([true, true, true]);
      expect(log.anchored.anchors).to.be.greaterThan(0);
      expect(existsSync(log.file)).to.equal(true);
    }
    expect(q.notCounted).to.have.length(1);
    expect(q.notCounted[0]).to.match(
      /^DEMO-DVP-0001 reverse: refused by the contract while simulated \(SettlementFinal/,
    );
  });

  it("measures the time to resume after HSM session loss, and says why a validator stop is not measured", function () {
    const q = result.recovery;
    expect(q.hsm.map((s) => s.fault)).to.have.length(3);
    for (const s of q.hsm) {
      expect(s.samplesMs).to.have.length(5);
      for (const ms of s.samplesMs) expect(ms).to.be.greaterThan(0);
      expect(s.p50Ms).to.be.greaterThan(0);
      expect(s.maxMs).to.be.at.least(s.p50Ms);
    }
    const o = q.outage;
    expect(o.status).to.not.equal("not measured");
    expect(o.refusedAttempts).to.be.greaterThan(0);
    expect(o.signedDuringOutage).to.equal(0);
    if (o.status === "resumed") expect(o.resumedAfterRestoreMs).to.be.greaterThan(0);
    else expect(o.reason).to.match(/^no settle mined within/);
    expect(q.validator.status).to.equal("NOT MEASURED");
    expect(q.validator.reason).to.match(
      /^the in-process Hardhat network has one built-in block producer and no validator/,
    );
    expect(q.validator.wouldMeasure).to.match(/four QBFT validators/);
  });

  it("prints the three answers and writes them as Markdown", function () {
    expect(stdout).to.match(/^1\. A settlement rule changed without a redeployment: YES$/m);
    expect(stdout).to.match(/^2\. Every decision point .*: YES$/m);
    expect(stdout).to.match(/^3\. Time to resume .*: PARTLY MEASURED \(HSM: measured; validator: NOT MEASURED\)$/m);
    expect(stdout).to.match(/^ {2}Validator stop: NOT MEASURED: /m);
    const md = readFileSync(result.report, "utf8");
    expect(md).to.match(/^## 1\. .*: \*\*YES\*\*$/m);
    expect(md).to.match(/^## 2\. .*: \*\*YES\*\*$/m);
    expect(md).to.include("| DEMO-DVP-0004 |");
  });
});

describe("readiness audit-trail checker", function () {
  const ID = `0x${"ab".repeat(32)}`;
  const TX = `0x${"cd".repeat(32)}`;
  const BETA = "0x00000000000000000000000000000000000000B2";
  const record = (seq: number, kind: AuditRecord["kind"], payload: JsonValue): AuditRecord => ({
    seq,
    kind,
    at: "2026-01-01T00:00:00.000Z",
    subject: ID,
    payload,
    prevHash: "0".repeat(64),
    hash: seq.toString(16).padStart(64, "0"),
  });
  const decision = (seq: number, id: string, outcome: string, action: string) =>
    record(seq, "decision", {
      decisionId: id,
      stage: "policy",
      outcome,
      reasons: [outcome === "allow" ? "ALLOWED: every rule passed" : "SETTLEMENT_LIMIT_EXCEEDED: too much"],
      intent: { action, intent_id: ID },
      policyVersion: { version: 1, policyHash: "0x01" },
    });
  const complete = (): AuditRecord[] => [
    decision(1, "d-1", "allow", "instruct"),
    record(2, "signature", { decisionId: "d-1", txHash: TX, nonce: 0 }),
    decision(3, "d-2", "deny", "settle"),
  ];
  const verified: VerifySummary = { ok: true, problem: null };
  const input = (records: AuditRecord[], exported = verified): AuditTrailInput => ({
    trades: [
      {
        ref: "T-1",
        id: ID,
        transactions: [{ txHash: TX, from: BETA, blockNumber: 7, events: ["SettlementInstructed"] }],
        denials: [{ bank: "Beta Bank", action: "settle" }],
        approvals: [],
        refusedBeforeSigning: [],
      },
    ],
    logs: [
      {
        bank: "Beta Bank",
        address: BETA,
        records,
        file: "beta.jsonl",
        hashChain: verified,
        anchored: { ...verified, anchors: 1 },
        exported,
      },
    ],
  });

  it("finds no gap when the chain's and the caller's decision points are all in the deciding bank's log", function () {
    const checked = checkAuditTrail(input(complete()));
    expect(checked.gaps).to.deep.equal([]);
    expect(checked.answer).to.equal("YES");
    expect(checked.counts).to.deep.include({ chainPoints: 1, offChainPoints: 1, matched: 2 });
  });

  it("reports a gap when the sending bank's signature record was removed", function () {
    const checked = checkAuditTrail(input(complete().filter((r) => r.kind !== "signature")));
    expect(checked.answer).to.equal("NO");
    expect(checked.gaps).to.deep.equal([
      `T-1 SettlementInstructed (Beta Bank): no signature record for ${TX} in Beta Bank's log`,
    ]);
  });

  it("reports a gap when a denial the caller was told of is not in the deciding bank's log", function () {
    const checked = checkAuditTrail(input(complete().filter((r) => r.seq !== 3)));
    expect(checked.gaps).to.deep.equal([
      "T-1 settle denied (Beta Bank): no deny decision for settle of T-1 in Beta Bank's log",
    ]);
  });

  it("reports a gap when a log signed a transaction the chain has no event of", function () {
    const tampered = input(complete());
    tampered.trades[0].transactions = [];
    expect(checkAuditTrail(tampered).gaps).to.deep.equal([
      `Beta Bank's log signed ${TX} for T-1, no event of it on chain`,
    ]);
  });

  it("reports a gap when an exported log does not verify", function () {
    const checked = checkAuditTrail(
      input(complete(), { ok: false, problem: "record 2 altered: content does not match" }),
    );
    expect(checked.gaps).to.deep.equal([
      "Beta Bank's export beta.jsonl does not verify: record 2 altered: content does not match",
    ]);
  });
});
