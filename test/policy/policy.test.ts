// The example bank's policy (policies/bank) built to Wasm by scripts/build-policy.sh and evaluated
// through `decide`: one representative case per rule, through the real module and the real data.
import { expect } from "chai";
import {
  decide,
  loadPolicyFromDirectory,
  readPolicyFiles,
  reasonCode,
  WasmPolicy,
  type Decision,
  type IntentInput,
} from "../../src/policy";
import { approvers, BANK_B, baseIntent, buildBankPolicy, DAY, FRIDAY_11H, HOUR } from "./helpers";

/** The parts of policies/bank/data.json this test changes. */
interface BankData {
  assets: Record<string, { approval_threshold: string }>;
  counterparties: Record<string, { limits: Record<string, { per_settlement: string; daily: string }> }>;
}

describe("bank policy (Wasm)", function () {
  let policy: WasmPolicy;

  before(async function () {
    policy = await loadPolicyFromDirectory(await buildBankPolicy());
  });

  const run = (patch: Partial<IntentInput> = {}): Decision => decide(policy, baseIntent(patch));
  const codes = (d: Decision): string[] => d.reasons.map(reasonCode);

  function expectDeny(patch: Partial<IntentInput>, code: string): Decision {
    const d = run(patch);
    expect(d.outcome, JSON.stringify(d.reasons)).to.equal("deny");
    expect(codes(d)).to.include(code);
    return d;
  }

  function expectApproval(patch: Partial<IntentInput>, code: string): Decision {
    const d = run(patch);
    expect(d.outcome, JSON.stringify(d.reasons)).to.equal("approval_required");
    expect(codes(d)).to.include(code);
    expect(d.approvals.pending).to.include(code);
    return d;
  }

  describe("allow", function () {
    it("allows a settlement within every rule", function () {
      expect(run()).to.deep.equal({
        outcome: "allow",
        reasons: ["ALLOWED: every rule passed"],
        approvals: { required: 0, roles: [], pending: [] },
      });
    });

    it("allows mint by the issuer desk without a counterparty", function () {
      const intent = baseIntent({ action: "mint", initiator: { id: "u-iss", roles: ["issuer_desk"] } });
      delete intent.counterparty;
      expect(decide(policy, intent).outcome).to.equal("allow");
    });

    it("compares amounts as numbers, not strings", function () {
      // "90000000" > "500000000" as strings, below the limit as numbers.
      expect(run({ amount: "90000000" }).outcome).to.equal("allow");
    });
  });

  describe("deny", function () {
    it("denies an unknown counterparty (fail closed)", function () {
      expectDeny({ counterparty: "5493001KJTIIGC8Y1R12" }, "COUNTERPARTY_UNKNOWN");
    });

    it("denies a suspended counterparty", function () {
      expectDeny({ counterparty: "member-bank-d" }, "COUNTERPARTY_NOT_ALLOWED");
    });

    it("denies an unknown asset (fail closed)", function () {
      expectDeny({ asset: "DOGE" }, "ASSET_UNKNOWN");
    });

    it("denies a disabled asset", function () {
      expectDeny({ asset: "GBPT" }, "ASSET_NOT_ALLOWED");
    });

    it("denies an asset the counterparty has no limits for", function () {
      expectDeny({ counterparty: "member-bank-c", asset: "USDT" }, "COUNTERPARTY_ASSET_NOT_ALLOWED");
    });

    it("denies an amount above the per-settlement limit", function () {
      expectDeny({ amount: "500000001" }, "SETTLEMENT_LIMIT_EXCEEDED");
    });

    it("denies an amount that would pass the daily exposure limit", function () {
      expectDeny({ amount: "25000000", exposure_used: "1990000000" }, "DAILY_LIMIT_EXCEEDED");
      expect(run({ amount: "25000000", exposure_used: "1975000000" }).outcome).to.equal("allow");
    });

    it("denies a zero amount", function () {
      expectDeny({ amount: "0" }, "AMOUNT_NOT_POSITIVE");
    });

    it("denies on weekends", function () {
      expectDeny({ time_unix: FRIDAY_11H + DAY }, "WEEKEND_CLOSED");
    });

    it("denies outside business hours in the bank's time zone", function () {
      expectDeny({ time_unix: FRIDAY_11H - 4 * HOUR }, "OUTSIDE_BUSINESS_HOURS"); // 07:00 local
    });

    it("denies after the asset's cut-off", function () {
      expectDeny({ time_unix: FRIDAY_11H + 5 * HOUR }, "AFTER_CUTOFF"); // 16:00 local, EURT cut-off
      expect(run({ asset: "USDT", time_unix: FRIDAY_11H + 5 * HOUR }).outcome).to.equal("allow"); // USDT: 17:00
    });

    it("denies an AML hit", function () {
      expectDeny({ aml: "hit" }, "AML_HIT");
    });

    it("denies mint and burn outside the issuer desk", function () {
      expectDeny({ action: "mint" }, "MINT_BURN_NOT_ISSUER");
      expectDeny({ action: "burn" }, "MINT_BURN_NOT_ISSUER");
    });

    it("lets deny win over approval_required", function () {
      const d = expectDeny({ aml: "medium", asset: "DOGE" }, "ASSET_UNKNOWN");
      expect(codes(d)).not.to.include("AML_MEDIUM_RISK");
    });
  });

  describe("approvals", function () {
    it("requires the asset's number of compliance approvers above the threshold", function () {
      const d = expectApproval({ amount: "100000001" }, "APPROVAL_THRESHOLD_EXCEEDED");
      expect(d.approvals).to.deep.equal({
        required: 2,
        roles: ["compliance_officer"],
        pending: ["APPROVAL_THRESHOLD_EXCEEDED"],
      });
    });

    it("requires approval for a medium AML result", function () {
      expectApproval({ aml: "medium" }, "AML_MEDIUM_RISK");
    });

    it("always requires approval for a reversal", function () {
      expectApproval({ action: "reverse" }, "REVERSAL_REQUIRES_APPROVAL");
      expectApproval({ action: "approve_reversal" }, "REVERSAL_REQUIRES_APPROVAL");
    });

    it("requires two approvals for a cold-tier key", function () {
      const d = expectApproval(
        { key_tier: "cold", approvals: approvers(["k1"], "custody_officer") },
        "COLD_KEY_REQUIRES_APPROVALS",
      );
      expect(d.approvals.required).to.equal(2);
      const done = run({ key_tier: "cold", approvals: approvers(["k1", "k2"], "custody_officer") });
      expect(done.outcome).to.equal("allow");
      expect(done.reasons).to.deep.equal(["APPROVALS_COMPLETE: COLD_KEY_REQUIRES_APPROVALS"]);
    });

    it("allows with APPROVALS_COMPLETE once every requirement is met", function () {
      const d = run({ amount: "100000001", aml: "medium", approvals: approvers(["c1", "c2"], "compliance_officer") });
      expect(d).to.deep.equal({
        outcome: "allow",
        reasons: ["APPROVALS_COMPLETE: AML_MEDIUM_RISK, APPROVAL_THRESHOLD_EXCEEDED"],
        approvals: { required: 2, roles: ["compliance_officer"], pending: [] },
      });
    });

    it("never counts the initiator's own approval (four eyes)", function () {
      const d = expectApproval(
        { amount: "100000001", approvals: approvers(["u-alice", "c1"], "compliance_officer") },
        "APPROVAL_THRESHOLD_EXCEEDED",
      );
      expect(codes(d)).to.include("FOUR_EYES_VIOLATION");
    });

    it("counts a duplicate approver once", function () {
      expectApproval(
        { amount: "100000001", approvals: approvers(["c1", "c1"], "compliance_officer") },
        "APPROVAL_THRESHOLD_EXCEEDED",
      );
    });

    it("ignores approvers without a role the requirement accepts", function () {
      expectApproval(
        { amount: "100000001", approvals: approvers(["t1", "t2"], "trader") },
        "APPROVAL_THRESHOLD_EXCEEDED",
      );
    });
  });

  describe("defence in depth (intent not validated by the caller)", function () {
    it("denies an unknown action, AML result and key tier inside the policy", function () {
      const d = policy.evaluate({ ...baseIntent(), action: "teleport", aml: "pending", key_tier: "lukewarm" });
      expect(d.outcome).to.equal("deny");
      expect(codes(d)).to.include.members(["ACTION_UNKNOWN", "AML_RESULT_UNKNOWN", "KEY_TIER_UNKNOWN"]);
    });

    it("denies an empty input with every missing field", function () {
      const d = policy.evaluate({});
      expect(d.outcome).to.equal("deny");
      expect(d.reasons).to.include.members(["INPUT_FIELD_MISSING: action", "INPUT_FIELD_MISSING: initiator.id"]);
    });

    it("denies a fractional or oversized amount inside the policy", function () {
      expect(codes(policy.evaluate({ ...baseIntent(), amount: "12.5" }))).to.include("AMOUNT_INVALID");
      expect(codes(policy.evaluate({ ...baseIntent(), amount: "1000000000000000" }))).to.include("AMOUNT_INVALID");
    });
  });

  describe("data kept apart from rules", function () {
    it("applies other limits with the same module, exactly at 15 digits", async function () {
      const { wasm, data } = await readPolicyFiles(await buildBankPolicy());
      const bank = (data as { bank: BankData }).bank;
      const big = "999999999999999";
      bank.counterparties[BANK_B].limits.EURT = { per_settlement: big, daily: big };
      bank.assets.EURT.approval_threshold = big;
      const other = await WasmPolicy.load(wasm, { bank });
      expect(decide(other, baseIntent({ amount: big })).outcome).to.equal("allow");
      const over = decide(other, baseIntent({ amount: big, exposure_used: "1" }));
      expect(over.reasons.map(reasonCode)).to.deep.equal(["DAILY_LIMIT_EXCEEDED"]);
      // The module loaded with the example data is unaffected.
      expect(codes(run({ amount: big }))).to.include("SETTLEMENT_LIMIT_EXCEEDED");
    });
  });

  it("evaluates many intents with one loaded module", function () {
    for (let i = 0; i < 200; i++) {
      expect(run({ intent_id: `intent-${i}`, counterparty: i % 2 === 0 ? BANK_B : "member-bank-c" }).outcome).to.equal(
        "allow",
      );
    }
  });
});
