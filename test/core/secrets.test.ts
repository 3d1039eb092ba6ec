/**
 * Secrets from environment variables and files: the value goes to the caller, a missing one is
 * CORE_SECRET_UNAVAILABLE naming where and why (never the value), and a module's own error wraps it.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CoreSecretUnavailableError, readSecret, SecretSourceSchema } from "../../src/core";
import { isFrameworkError } from "../../src/errors";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("core: secrets", function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "core-secret-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads a secret from a variable, and from a file without its one trailing newline", function () {
    const file = path.join(dir, "pin");
    writeFileSync(file, "12 34\n\n");
    expect(readSecret({ file })).to.equal("12 34\n");
    expect(readSecret({ env: "PIN" }, undefined, { PIN: "5678" })).to.equal("5678");
  });

  it("reports an unset variable, an empty value and an unreadable file apart, without the value", function () {
    const empty = path.join(dir, "empty");
    writeFileSync(empty, "\n");
    const cases: [Parameters<typeof readSecret>[0], NodeJS.ProcessEnv, string][] = [
      [{ env: "PIN" }, {}, "unset"],
      [{ env: "PIN" }, { PIN: "" }, "empty"],
      [{ file: empty }, {}, "empty"],
      [{ file: path.join(dir, "missing") }, {}, "unreadable"],
      [{ file: dir }, {}, "unreadable"],
    ];
    for (const [source, env, problem] of cases) {
      const error = thrown(() => readSecret(source, undefined, env));
      expect(isFrameworkError(error, "CORE_SECRET_UNAVAILABLE"), String(error)).to.equal(true);
      expect((error as CoreSecretUnavailableError).problem, JSON.stringify(source)).to.equal(problem);
      expect(JSON.stringify((error as CoreSecretUnavailableError).toJSON())).not.to.include("5678");
    }
  });

  it("lets a module raise its own error with the core error as its cause", function () {
    class PinError extends Error {}
    const error = thrown(() => readSecret({ env: "PIN" }, (cause) => new PinError("no PIN", { cause }), {}));
    expect(error).to.be.instanceOf(PinError);
    expect(isFrameworkError((error as Error).cause, "CORE_SECRET_UNAVAILABLE")).to.equal(true);
  });

  it("refuses a literal secret in a configuration", function () {
    expect(SecretSourceSchema.safeParse({ pin: "1234" }).success).to.equal(false);
    expect(SecretSourceSchema.safeParse({ env: "PIN", value: "1234" }).success).to.equal(false);
    expect(SecretSourceSchema.safeParse({ env: "1PIN" }).success).to.equal(false);
    expect(SecretSourceSchema.safeParse({ file: "/run/secrets/pin" }).success).to.equal(true);
  });
});
