// Every error code has one exit status and one HTTP status, in one table; the command line and the remote
// signing module's HTTP service answer with the table's statuses, not statuses of their own.
import { expect } from "chai";
import hre from "hardhat";
import { ERROR_STATUS, ErrorCode, FrameworkError, exitStatus, httpStatus } from "../../src/errors";
import { RsmRemoteRefusedError } from "../../src/rsm";
import { guarded } from "../../src/tasks/guard";
import { RefusingSigner, RsmHarness } from "../rsm/helpers";

/** sysexits.h: usage, data, no input, unavailable, software, cannot create, temporary, permission, config. */
const SYSEXITS = [64, 65, 66, 69, 70, 73, 75, 77, 78];

/**
 * Runs `action` as the task `name` started from the command line (its name on process.argv), with stdout and
 * stderr captured, and returns the exit status the guard set. process.argv, the streams and the status are restored.
 */
async function commandLineExit(name: string, action: () => Promise<unknown>): Promise<number | string | undefined> {
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const argv = process.argv;
  const before = process.exitCode;
  process.stdout.write = () => true;
  process.stderr.write = () => true;
  process.argv = [...argv, name];
  try {
    await guarded(name, action)({ json: false }, hre);
    return process.exitCode;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.argv = argv;
    process.exitCode = before;
  }
}

describe("errors: one exit status and one HTTP status per code", function () {
  it("gives every code an entry and has no entry for a code that does not exist", function () {
    expect(Object.keys(ERROR_STATUS).sort()).to.deep.equal(Object.values(ErrorCode).sort());
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(SYSEXITS, `${code} exit`).to.include(status.exit);
      expect(status.http, `${code} http`).to.be.within(400, 599);
    }
  });

  it("keeps the exit statuses operators rely on", function () {
    const pinned: [ErrorCode, number][] = [
      ["INPUT_MISSING", 64],
      ["WRONG_NETWORK", 64],
      ["CONFIG_INVALID", 78],
      ["CONTRACT_REVERTED", 65],
      ["POLICY_BUNDLE_NOT_FOUND", 66],
      ["POLICY_BUNDLE_MALFORMED", 65],
      ["GATE_DENIED", 65],
      ["GATE_APPROVALS_PENDING", 75],
      ["HSM_UNAVAILABLE", 75],
      ["HSM_PIN_UNAVAILABLE", 78],
      ["DEVNET_EXISTS", 73],
      ["DEVNET_CLIENT_NOT_FOUND", 69],
      ["UNEXPECTED", 70],
    ];
    expect(pinned.map(([code]) => exitStatus(code))).to.deep.equal(pinned.map(([, exit]) => exit));
  });

  it("answers 500 for anything that is not a framework error", function () {
    expect([httpStatus(new Error("boom")), httpStatus("text"), httpStatus(undefined)]).to.deep.equal([500, 500, 500]);
  });

  it("ends a command-line task with the table's exit status for the code it failed with", async function () {
    for (const code of [
      "INPUT_MISSING",
      "POLICY_BUNDLE_NOT_FOUND",
      "GATE_APPROVALS_PENDING",
      "CUSTODY_KEYSTORE_EXISTS",
    ]) {
      const exit = await commandLineExit("errors:probe", () =>
        Promise.reject(new FrameworkError(code as ErrorCode, `failed with ${code}`)),
      );
      expect(exit, code).to.equal(ERROR_STATUS[code as ErrorCode].exit);
    }
  });

  it("ends a command-line task that met an unanticipated error with the table's status for UNEXPECTED", async function () {
    const exit = await commandLineExit("errors:probe", () => Promise.reject(new Error("nobody saw this coming")));
    expect(exit).to.equal(ERROR_STATUS.UNEXPECTED.exit);
  });

  describe("the remote signing module's HTTP answers", function () {
    let rsm: RsmHarness;
    let signer: RefusingSigner;

    before(async function () {
      rsm = await RsmHarness.create("errors-status");
      signer = new RefusingSigner(rsm.hsmSigner, "GATE_DENIED", "refused");
      await rsm.stop();
      await rsm.start({}, [signer]);
    });

    after(async function () {
      await rsm.destroy();
    });

    it("answers a signer's refusal with the table's HTTP status for its code", async function () {
      const codes: ErrorCode[] = [
        "GATE_DENIED",
        "APPROVAL_EXPIRED",
        "SIGNING_NONCE_CONFLICT",
        "SIGNING_REQUEST_INVALID",
        "CUSTODY_KEY_UNKNOWN",
        "HSM_UNAVAILABLE",
      ];
      const statuses: number[] = [];
      for (const code of codes) {
        signer.code = code;
        signer.reason = `refused with ${code}`;
        const refused = await rsm
          .client()
          .signMessage(`refused with ${code}`)
          .then(
            () => expect.fail(`${code}: signed`),
            (e: unknown) => e,
          );
        expect(refused, code).to.be.instanceOf(RsmRemoteRefusedError);
        expect((refused as RsmRemoteRefusedError).remoteCode).to.equal(code);
        statuses.push((refused as RsmRemoteRefusedError).status);
      }
      expect(statuses).to.deep.equal(codes.map((code) => ERROR_STATUS[code].http));
    });

    it("answers a configuration failure of the signer with 500 and no code or message of its own", async function () {
      signer.code = "HSM_LOGIN_FAILED";
      expect(ERROR_STATUS.HSM_LOGIN_FAILED.http).to.equal(500);
      const refused = (await rsm
        .client()
        .signMessage("login fails")
        .then(
          () => expect.fail("signed"),
          (e: unknown) => e,
        )) as RsmRemoteRefusedError;
      expect([refused.status, refused.remoteCode, refused.details.remoteMessage]).to.deep.equal([
        500,
        "UNEXPECTED",
        "internal error",
      ]);
    });
  });
});
