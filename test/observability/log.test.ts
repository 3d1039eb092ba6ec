/**
 * The structured logger: one JSON object a line, and a secret never in the output, whether it is a field at any
 * depth, a child logger's binding, inside an error's details or cause, or a URL password in the message.
 */
import { expect } from "chai";
import { FrameworkError } from "../../src/errors";
import { createLogger, isSecretName, REDACTED, type LogLevel } from "../../src/observability";

const SECRETS = ["1234-pin-5678", "correct horse battery", "s3cr3t-pg-pass", "0xdeadbeefprivate", "Bearer abc.def"];

function capture(level: LogLevel = "info") {
  const lines: string[] = [];
  const log = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("observability: structured log", function () {
  it("writes one JSON object a line with the level, message and fields", function () {
    const { log, records } = capture();
    log.info({ participant: "alpha", seq: 3 }, "anchored");
    log.debug("not written at info");
    const [line, ...rest] = records();
    expect(rest).to.deep.equal([]);
    expect(line).to.include({ level: 30, msg: "anchored", participant: "alpha", seq: 3, name: "consortium" });
  });

  it("never writes a secret field's value, at any depth, in bindings, errors or URLs", function () {
    const { log, lines, records } = capture("trace");
    const [pin, passphrase, pgPass, key, bearer] = SECRETS;
    log.info({ pin, config: { hsm: { userPin: pin, tokenLabel: "alpha" } } }, "opened");
    log.warn({ keystore: [{ passphrase }], headers: { Authorization: bearer, "x-api-key": key } }, "keystore");
    log.info({ audit: { connectionString: `postgres://bank:${pgPass}@db:5432/audit` } }, "store");
    log.info({ url: `postgresql://bank:${pgPass}@db/audit` }, `connecting to postgres://bank:${pgPass}@db/audit`);
    log.child({ privateKey: key, secret: passphrase, password: pgPass }).error("child");
    const cause = new Error(`login with password ${REDACTED} refused`, { cause: { token: bearer } });
    const error = new FrameworkError("HSM_LOGIN_FAILED", "login failed", { pin, source: "env" }, cause);
    log.error({ err: error }, "hsm");
    log.error(error);
    expect(lines).to.have.length(7);
    for (const secret of SECRETS) {
      for (const line of lines) expect(line, `leaked ${secret}`).not.to.include(secret);
    }
    const [opened, keystore, store, url, child, hsm] = records();
    expect(opened).to.deep.include({ pin: REDACTED, config: { hsm: { userPin: REDACTED, tokenLabel: "alpha" } } });
    expect(keystore).to.deep.include({ keystore: [{ passphrase: REDACTED }] });
    expect(keystore.headers).to.deep.equal({ Authorization: REDACTED, "x-api-key": REDACTED });
    expect(store).to.deep.include({ audit: { connectionString: REDACTED } });
    expect(url.url).to.equal(`postgresql://bank:${REDACTED}@db/audit`);
    expect(url.msg).to.equal(`connecting to postgres://bank:${REDACTED}@db/audit`);
    expect(child).to.include({ privateKey: REDACTED, secret: REDACTED, password: REDACTED });
    expect(hsm.err).to.deep.include({ code: "HSM_LOGIN_FAILED", message: "login failed" });
    expect((hsm.err as { details: unknown }).details).to.deep.equal({ pin: REDACTED, source: "env" });
  });

  it("tells secret field names from look-alikes", function () {
    for (const name of [
      "pin",
      "PIN",
      "hsmPin",
      "user_pin",
      "passphrase",
      "dbPassword",
      "clientSecret",
      "accessToken",
    ]) {
      expect(isSecretName(name), name).to.equal(true);
    }
    for (const name of ["private_key", "privateKey", "connectionString", "Authorization", "X-Api-Key", "mnemonic"]) {
      expect(isSecretName(name), name).to.equal(true);
    }
    for (const name of ["tokenLabel", "spinner", "pinned", "keyTier", "participant", "secretsDir", "tokens"]) {
      expect(isSecretName(name), name).to.equal(false);
    }
  });
});
