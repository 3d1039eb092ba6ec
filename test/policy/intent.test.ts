// The intent schema: a malformed intent is denied with INTENT_INVALID and the path of the problem,
// before the policy ever sees it.
import { expect } from "chai";
import { decide, loadPolicyFromDirectory, validateIntent, type WasmPolicy } from "../../src/policy";
import { baseIntent, buildBankPolicy } from "./helpers";

describe("settlement intent", function () {
  let policy: WasmPolicy;

  before(async function () {
    policy = await loadPolicyFromDirectory(await buildBankPolicy());
  });

  /** The reasons of the deny decision `validateIntent` returns for `value`. */
  function invalid(value: unknown): string[] {
    const result = validateIntent(value);
    if (result.ok) expect.fail("expected the intent to be rejected");
    expect(result.decision.outcome).to.equal("deny");
    return result.decision.reasons;
  }

  it("accepts a well-formed intent and defaults approvals to none", function () {
    const intent: Record<string, unknown> = { ...baseIntent() };
    delete intent.approvals;
    const result = validateIntent(intent);
    expect(result.ok).to.be.true;
    if (result.ok) expect(result.intent.approvals).to.deep.equal([]);
  });

  it("denies a non-object intent at the root", function () {
    expect(invalid("settle please")).to.deep.equal(["INTENT_INVALID: (root): Expected object, received string"]);
    expect(invalid(null)[0]).to.match(/^INTENT_INVALID: \(root\): /);
  });

  it("denies a missing field with its path", function () {
    const intent: Record<string, unknown> = { ...baseIntent() };
    delete intent.asset;
    expect(invalid(intent)).to.deep.equal([`INTENT_INVALID: asset: required for ${String(intent.action)}`]);
  });

  it("denies a governed call without its function, a nonce fill without its nonce, and a settlement step without asset or amount", function () {
    const rest: Record<string, unknown> = { ...baseIntent() };
    for (const field of ["asset", "amount", "counterparty"]) delete rest[field];
    expect(invalid({ ...rest, action: "govern" })).to.deep.equal([
      "INTENT_INVALID: governed_function: required for govern",
    ]);
    expect(validateIntent({ ...rest, action: "govern", governed_function: "reassignAccount" }).ok).to.equal(true);
    expect(invalid({ ...rest, action: "fill_nonce" })).to.deep.equal([
      "INTENT_INVALID: nonce: required for fill_nonce",
    ]);
    expect(validateIntent({ ...rest, action: "fill_nonce", nonce: 7 }).ok).to.equal(true);
    expect(invalid({ ...rest, action: "unwind", counterparty: "CP" })).to.deep.equal([
      "INTENT_INVALID: asset: required for unwind",
      "INTENT_INVALID: amount: required for unwind",
    ]);
  });

  it("denies a nested problem with its dotted path", function () {
    expect(invalid({ ...baseIntent(), initiator: { id: "", roles: ["trader"] } })[0]).to.match(
      /^INTENT_INVALID: initiator\.id: /,
    );
    expect(invalid({ ...baseIntent(), approvals: [{ id: "c1", roles: [7] }] })[0]).to.match(
      /^INTENT_INVALID: approvals\.0\.roles\.0: /,
    );
  });

  it("denies amounts that are not integer minor units", function () {
    for (const amount of ["12.50", "-1", "1e6", "007", "1000000000000000", 100]) {
      expect(invalid({ ...baseIntent(), amount })[0], String(amount)).to.match(/^INTENT_INVALID: amount: /);
    }
  });

  it("denies an unknown action, AML result or key tier", function () {
    expect(invalid({ ...baseIntent(), action: "teleport" })[0]).to.match(/^INTENT_INVALID: action: /);
    expect(invalid({ ...baseIntent(), aml: "pending" })[0]).to.match(/^INTENT_INVALID: aml: /);
    expect(invalid({ ...baseIntent(), key_tier: "lukewarm" })[0]).to.match(/^INTENT_INVALID: key_tier: /);
  });

  it("denies a time that is not integer unix seconds", function () {
    expect(invalid({ ...baseIntent(), time_unix: "2025-11-21T10:00:00Z" })[0]).to.match(/^INTENT_INVALID: time_unix: /);
    expect(invalid({ ...baseIntent(), time_unix: 1.5 })[0]).to.match(/^INTENT_INVALID: time_unix: /);
  });

  it("denies a settlement without a counterparty", function () {
    const intent: Record<string, unknown> = { ...baseIntent() };
    delete intent.counterparty;
    expect(invalid(intent)).to.deep.equal(["INTENT_INVALID: counterparty: required for settle"]);
  });

  it("denies unknown fields", function () {
    expect(invalid({ ...baseIntent(), override: true })[0]).to.match(/^INTENT_INVALID: \(root\): Unrecognized key/);
  });

  it("denies a malformed intent through decide without evaluating it", function () {
    const d = decide(policy, { ...baseIntent(), amount: "12.50" });
    expect(d.outcome).to.equal("deny");
    expect(d.reasons).to.have.length(1);
    expect(d.reasons[0]).to.match(/^INTENT_INVALID: amount: /);
  });
});
