// One guard for every framework error, and one constructor convention for every error class.
import { expect } from "chai";
import { AuditStoreClosedError } from "../../src/audit";
import { codeFamily, ConfigError, FrameworkError, isFrameworkError } from "../../src/errors";
import { GateDeniedError } from "../../src/signer/gate";

describe("errors: one guard and one constructor convention", function () {
  const denied = new GateDeniedError(["LIMIT_EXCEEDED"], { intentId: "i-1", decisionId: "d-1" });

  it("recognises a framework error by one code, a list of codes or a module's family", function () {
    expect(isFrameworkError(denied)).to.equal(true);
    expect(isFrameworkError(denied, "GATE_DENIED")).to.equal(true);
    expect(isFrameworkError(denied, "GATE_APPROVALS_PENDING")).to.equal(false);
    expect(isFrameworkError(denied, ["GATE_APPROVALS_PENDING", "GATE_DENIED"])).to.equal(true);
    expect(isFrameworkError(denied, codeFamily("GATE_"))).to.equal(true);
    expect(isFrameworkError(denied, codeFamily("APPROVAL_"))).to.equal(false);
    expect(isFrameworkError(new AuditStoreClosedError(), codeFamily("AUDIT_"))).to.equal(true);
  });

  it("refuses an error that only looks like a framework error", function () {
    const lookalike = Object.assign(new Error("policy denied"), { code: "GATE_DENIED", details: {} });
    expect([isFrameworkError(lookalike), isFrameworkError(lookalike, "GATE_DENIED")]).to.deep.equal([false, false]);
    expect([isFrameworkError(undefined), isFrameworkError("GATE_DENIED")]).to.deep.equal([false, false]);
  });

  it("lists a module's codes in ErrorCode order, the policy module's including its bundle and shared codes", function () {
    expect(codeFamily("POLICY_SHARED_")).to.deep.equal([
      "POLICY_SHARED_CONFIG_INVALID",
      "POLICY_SHARED_READ_FAILED",
      "POLICY_SHARED_STALE",
      "POLICY_SHARED_DATA_INVALID",
      "POLICY_SHARED_CONFLICTS",
      "POLICY_SHARED_VERSION_CHANGED",
    ]);
    expect(codeFamily("POLICY_")).to.include.members([...codeFamily("POLICY_SHARED_"), "POLICY_LOAD_FAILED"]);
  });

  it("takes code, message, details and cause positionally, keeping a copy of the details", function () {
    const cause = new Error("ENOENT");
    const details = { file: "/etc/bank.json" };
    const error = new ConfigError("CONFIG_NOT_FOUND", "/etc/bank.json: no such file", details, cause);
    details.file = "changed";
    expect([error.code, error.message, error.details, error.cause, error.name]).to.deep.equal([
      "CONFIG_NOT_FOUND",
      "/etc/bank.json: no such file",
      { file: "/etc/bank.json" },
      cause,
      "ConfigError",
    ]);
    expect(error.toJSON()).to.deep.equal({
      code: "CONFIG_NOT_FOUND",
      message: "/etc/bank.json: no such file",
      details: { file: "/etc/bank.json" },
    });
    const bare = new FrameworkError("UNEXPECTED", "bare");
    expect([bare.details, "cause" in bare]).to.deep.equal([{}, false]);
  });

  it("refuses the options form when the project is type-checked (npm run lint:types)", function () {
    // @ts-expect-error `details` is not a fact of the failure: the options form would nest the details.
    const nested = new ConfigError("CONFIG_INVALID", "x", { details: { file: "a" } });
    // Tests run without type checking, so this shows what the compile error prevents.
    expect(nested.details).not.to.have.property("file");
  });
});
