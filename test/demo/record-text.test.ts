import { expect } from "chai";
import type { AuditRecord, JsonValue } from "../../src/audit";
import {
  amountText,
  chainErrorText,
  durationText,
  reasonText,
  recordText,
  statusText,
  utcText,
  type Vocabulary,
} from "../../src/demo/record-text";

const ALPHA = "DEMO00ALPHABANK00017";
const BETA = "DEMO00BETABANK000096";
const GAMMA = "DEMO00GAMMABANK00078";
const names = new Map([
  [ALPHA.toLowerCase(), "Alpha Bank"],
  [BETA.toLowerCase(), "Beta Bank"],
  [GAMMA.toLowerCase(), "Gamma Bank"],
]);
const v: Vocabulary = {
  bank: (x) => names.get(x.toLowerCase()) ?? x,
  leis: [ALPHA, BETA, GAMMA],
  decimals: new Map([
    ["aEUR", 2],
    ["B30", 0],
  ]),
};

const record = (kind: AuditRecord["kind"], payload: JsonValue, subject: string | null = "0xab"): AuditRecord => ({
  seq: 8,
  kind,
  at: "2026-12-03T14:41:02.018Z",
  subject,
  payload,
  prevHash: "00",
  hash: "11",
});

describe("demo report wording", function () {
  it("states amounts in the token's units, never in minor units", function () {
    expect(amountText("7500000", "aEUR", v)).to.equal("75,000.00 aEUR");
    expect(amountText(1000n, "B30", v)).to.equal("1,000 B30");
    expect(amountText("12", "XYZ", v)).to.equal("12 XYZ");
  });

  it("states a limit denial with its amount, the limit and the counterparty's name", function () {
    expect(
      reasonText(`SETTLEMENT_LIMIT_EXCEEDED: 150000000 exceeds the limit of 100000000 for aEUR with ${GAMMA}`, v),
    ).to.deep.equal({
      code: "SETTLEMENT_LIMIT_EXCEEDED",
      text: "1,500,000.00 aEUR exceeds the per-settlement limit of 1,000,000.00 aEUR with Gamma Bank",
    });
    expect(
      reasonText(
        `DAILY_LIMIT_EXCEEDED: 25000000 already used + 7500000 exceeds the daily limit of 30000000 for aEUR with ${BETA}`,
        v,
      ).text,
    ).to.equal(
      "250,000.00 aEUR already used today + 75,000.00 aEUR exceeds the daily limit of 300,000.00 aEUR with Beta Bank",
    );
    expect(
      reasonText(
        "APPROVAL_THRESHOLD_EXCEEDED: 80000000 exceeds the approval threshold of 50000000 for aEUR (0 of 2 approvals from compliance_officer)",
        v,
      ).text,
    ).to.equal(
      "800,000.00 aEUR exceeds the approval threshold of 500,000.00 aEUR (0 of 2 approvals from compliance_officer)",
    );
  });

  it("keeps the words of a reason of unknown shape, with LEIs replaced by bank names", function () {
    expect(reasonText(`COUNTERPARTY_NOT_ALLOWED: ${ALPHA} has status suspended`, v)).to.deep.equal({
      code: "COUNTERPARTY_NOT_ALLOWED",
      text: "Alpha Bank has status suspended",
    });
  });

  it("gives a contract error's dates instead of Unix seconds and trade references instead of settlement ids", function () {
    const id = `0x${"a5".repeat(32)}`;
    expect(
      chainErrorText(
        `SettlementFinal(id=${id}, finalAt=1796720409 (2026-12-08T09:00:09Z))`,
        new Map([[id, "DEMO-DVP-0001"]]),
      ),
    ).to.equal("SettlementFinal(id=DEMO-DVP-0001, finalAt=2026-12-08 09:00:09 UTC)");
  });

  it("says what each record kind records, with amounts in units and banks by name", function () {
    expect(
      recordText(
        record("reservation", {
          amount: "7500000",
          asset: "aEUR",
          counterparty: ALPHA,
          event: "released",
          reason: "cancelled",
        }),
        v,
      ),
    ).to.equal("exposure released (cancelled): 75,000.00 aEUR with Alpha Bank");
    expect(
      recordText(
        record("decision", {
          stage: "policy",
          outcome: "deny",
          intent: { action: "affirm", amount: "7500000", asset: "aEUR", counterparty: BETA, time_unix: 1796634003 },
          policyVersion: { version: 2, policyHash: "0x00" },
          reasons: [`SETTLEMENT_LIMIT_EXCEEDED: 7500000 exceeds the limit of 5000000 for aEUR with ${BETA}`],
        }),
        v,
      ),
    ).to.equal(
      "affirmation of 75,000.00 aEUR with Beta Bank: denied by bundle v2: 75,000.00 aEUR exceeds the per-settlement limit of 50,000.00 aEUR with Beta Bank [SETTLEMENT_LIMIT_EXCEEDED]",
    );
    expect(
      recordText(
        record("decision", {
          stage: "precheck",
          outcome: "deny",
          intent: { action: "instruct", amount: "2000000", asset: "aEUR", counterparty: ALPHA },
          policyVersion: { version: 1, policyHash: "0x00" },
          reasons: ["SHARED_VERSION_MISMATCH: the policy bundle was approved against shared-policy version 1"],
        }),
        v,
      ),
    ).to.equal(
      "instruction of 20,000.00 aEUR with Alpha Bank: denied by bundle v1 (precheck): the policy bundle was approved against shared-policy version 1 [SHARED_VERSION_MISMATCH]",
    );
    expect(recordText(record("decision", { stage: "gate", outcome: "allow", reason: "target allowed" }), v)).to.equal(
      "gate check: allowed (target allowed)",
    );
    expect(
      recordText(
        record("approval", { event: "approved", approverId: "alpha-officer-1", count: 1 }, "0xab/instruct"),
        v,
      ),
    ).to.equal("alpha-officer-1 approves the instruction (1 so far)");
    expect(recordText(record("anchor", { seq: 33, blockNumber: 44, head: "0f", txHash: "0x01" }, null), v)).to.equal(
      "head record 33 anchored on chain in block 44",
    );
  });

  it("states statuses, chain times and durations in words, not raw values", function () {
    expect(statusText("None")).to.equal("never on chain");
    expect(statusText("Final")).to.equal("final: settled, reversal window closed");
    expect(utcText(1796634002)).to.equal("2026-12-07 09:00:02 UTC");
    expect(durationText(3 * 86_400 + 18 * 3600 + 19 * 60 + 7)).to.equal("3 d 18 h 19 min");
    expect(durationText(59)).to.equal("0 min");
  });
});
