// WasmPolicy's failure modes: every one is a typed PolicyError, and `decide` turns it into a deny.
import { expect } from "chai";
import { decide, PolicyError, readPolicyFiles, WasmPolicy, type PolicyErrorCode } from "../../src/policy";
import { FrameworkError, isFrameworkError } from "../../src/errors";
import { baseIntent, buildBankPolicy, compileRego } from "./helpers";

/** Runs `fn` and returns the PolicyError it throws (or rejects with). */
async function policyError(fn: () => unknown, code: PolicyErrorCode): Promise<PolicyError> {
  try {
    await fn();
  } catch (error) {
    expect(isFrameworkError(error, code), String(error)).to.be.true;
    expect(error).to.be.instanceOf(FrameworkError);
    return error as PolicyError;
  }
  return expect.fail(`expected a ${code} error`);
}

describe("WasmPolicy", function () {
  it("refuses bytes that are not a Wasm module", async function () {
    await policyError(() => WasmPolicy.load(new Uint8Array([1, 2, 3]), {}), "POLICY_LOAD_FAILED");
  });

  it("refuses data that is not an object", async function () {
    const { wasm } = await readPolicyFiles(await buildBankPolicy());
    await policyError(() => WasmPolicy.load(wasm, [1, 2]), "POLICY_LOAD_FAILED");
    await policyError(() => WasmPolicy.load(wasm, null), "POLICY_LOAD_FAILED");
  });

  it("refuses a module without the decision entry point", async function () {
    const { wasm } = await readPolicyFiles(await buildBankPolicy());
    const error = await policyError(() => WasmPolicy.load(wasm, {}, "other/entry"), "POLICY_LOAD_FAILED");
    expect(error.message).to.contain("other/entry");
  });

  it("refuses a missing policy directory", async function () {
    await policyError(() => readPolicyFiles("/nonexistent/policy"), "POLICY_LOAD_FAILED");
  });

  it("rejects a result that is not a decision document", async function () {
    const policy = await WasmPolicy.load(
      await compileRego('package settlement.policy\n\ndecision := {"outcome": "maybe"}\n'),
      {},
    );
    const error = await policyError(() => policy.evaluate({}), "POLICY_RESULT_INVALID");
    expect(error.details.issues).to.be.an("array").that.is.not.empty;
  });

  it("rejects approval_required without a pending requirement", async function () {
    const source = `package settlement.policy

decision := {"outcome": "approval_required", "reasons": ["X: y"], "approvals": {"required": 1, "roles": [], "pending": []}}
`;
    const policy = await WasmPolicy.load(await compileRego(source), {});
    await policyError(() => policy.evaluate({}), "POLICY_RESULT_INVALID");
  });

  it("rejects an undefined decision (empty result set)", async function () {
    const policy = await WasmPolicy.load(
      await compileRego("package settlement.policy\n\ndecision := 1 if input.never\n"),
      {},
    );
    await policyError(() => policy.evaluate({}), "POLICY_RESULT_INVALID");
  });

  it("fails closed: decide turns a policy error into a deny", async function () {
    const policy = await WasmPolicy.load(
      await compileRego('package settlement.policy\n\ndecision := {"outcome": "allow"}\n'),
      {},
    );
    const d = decide(policy, baseIntent());
    expect(d.outcome).to.equal("deny");
    expect(d.reasons).to.have.length(1);
    expect(d.reasons[0]).to.match(/^POLICY_ERROR: POLICY_RESULT_INVALID: /);
  });

  it("wraps an evaluation that throws", async function () {
    // A runtime conflict (two values for one complete rule) aborts the Wasm evaluation.
    const source = `package settlement.policy

decision := {"outcome": "allow"} if input.a
decision := {"outcome": "deny"} if input.b
`;
    const policy = await WasmPolicy.load(await compileRego(source), {});
    await policyError(() => policy.evaluate({ a: true, b: true }), "POLICY_EVALUATION_FAILED");
  });
});
