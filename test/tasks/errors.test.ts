import { expect } from "chai";
import hre from "hardhat";
import { spawnSync } from "node:child_process";
import { ZeroAddress } from "ethers";
import { readFile } from "node:fs/promises";
import { ErrorCode, exitStatus } from "../../src/errors";
import { toTaskError } from "../../src/tasks";
import { DEMO_CONFIG, dvpFlags, expectTaskError, isolateChain, runJson, SIGNER, writeTempConfig } from "./helpers";

const UNKNOWN_ID = `0x${"12".repeat(32)}`;

const dvp = (tradeRef: string) => dvpFlags(tradeRef);

describe("task errors", function () {
  isolateChain();

  before(async function () {
    await runJson("deploy", { consortiumConfig: DEMO_CONFIG });
  });

  describe("unknown ids", function () {
    it("an unknown settlement id is SETTLEMENT_NOT_FOUND, for every step", async function () {
      for (const task of ["settlement:affirm", "settlement:settle", "settlement:release", "settlement:reverse"]) {
        const error = await expectTaskError(
          hre.run(task, { id: UNKNOWN_ID, from: SIGNER.alpha }),
          ErrorCode.SettlementNotFound,
          new RegExp(`^SETTLEMENT_NOT_FOUND: no settlement with id ${UNKNOWN_ID}$`),
        );
        expect(error.details.id).to.equal(UNKNOWN_ID);
      }
      await expectTaskError(hre.run("settlement:status", { id: UNKNOWN_ID }), ErrorCode.SettlementNotFound);
    });

    it("a malformed settlement id is INPUT_INVALID", async function () {
      await expectTaskError(
        hre.run("settlement:status", { id: "trade-1" }),
        ErrorCode.InputInvalid,
        /--id trade-1: not a settlement id/,
      );
    });

    it("refuses a truncated settlement id instead of padding it", async function () {
      for (const task of ["settlement:status", "settlement:affirm"]) {
        await expectTaskError(
          hre.run(task, { id: "0xabab", from: SIGNER.alpha }),
          ErrorCode.InputInvalid,
          /--id 0xabab: a settlement id has 64 hex digits after 0x, this one 4 \(truncated\?\)$/,
        );
      }
      await expectTaskError(
        hre.run("settlement:status", { id: "1234" }),
        ErrorCode.InputInvalid,
        /--id 1234: not a settlement id \(0x and 64 hex digits/,
      );
    });
  });

  describe("wrong state", function () {
    let id: string;

    before(async function () {
      ({ id } = await runJson<{ id: string }>("settlement:instruct", { ...dvp("T-ERR-1"), from: SIGNER.beta }));
    });

    it("settling an unaffirmed settlement names its status", async function () {
      const error = await expectTaskError(
        hre.run("settlement:settle", { id, from: SIGNER.beta }),
        ErrorCode.ContractReverted,
        new RegExp(`^CONTRACT_REVERTED: SettlementWrongStatus\\(id=${id}, status=Instructed\\)$`),
      );
      expect(error.details).to.deep.equal({ error: "SettlementWrongStatus", args: { id, status: "Instructed" } });
    });

    it("affirming twice names the new status", async function () {
      await runJson("settlement:affirm", { id, from: SIGNER.alpha });
      await expectTaskError(
        hre.run("settlement:affirm", { id, from: SIGNER.alpha }),
        ErrorCode.ContractReverted,
        new RegExp(`SettlementWrongStatus\\(id=${id}, status=Affirmed\\)$`),
      );
    });

    it("instructing the same terms twice is a duplicate", async function () {
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-1"), from: SIGNER.beta }),
        ErrorCode.ContractReverted,
        new RegExp(`SettlementDuplicate\\(id=${id}\\)$`),
      );
    });

    it("a bank that is not a party cannot settle, and the revert names the bank behind the address", async function () {
      const gamma = (await hre.ethers.getSigners())[Number(SIGNER.gamma)].address;
      const error = await expectTaskError(
        hre.run("settlement:settle", { id, from: SIGNER.gamma }),
        ErrorCode.ContractReverted,
        new RegExp(`SettlementNotParty\\(id=${id}, actor=${gamma} \\((account|operator) of Gamma Bank\\)\\)$`),
      );
      expect((error.details.args as Record<string, string>).actor).to.equal(gamma);
      expect((error.details.labels as Record<string, string>).actor).to.match(/of Gamma Bank$/);
    });
  });

  describe("bad terms and signers", function () {
    it("an unknown member, token or signer", async function () {
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-2"), seller: "Delta Bank", from: SIGNER.beta }),
        ErrorCode.UnknownMember,
        /--seller Delta Bank: no such member/,
      );
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-2"), asset: "GILT", from: SIGNER.beta }),
        ErrorCode.UnknownToken,
        /--asset GILT: not a token \(known: aEUR, B30\)/,
      );
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-2"), from: "99" }),
        ErrorCode.UnknownSigner,
        /--from 99: not a signer of hardhat/,
      );
    });

    it("amounts finer than the token's decimals, and cash legs on free of payment", async function () {
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-3"), assetAmount: "1.5", from: SIGNER.beta }),
        ErrorCode.InputInvalid,
        /--asset-amount 1\.5: B30 has whole units only; this amount has 1$/,
      );
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-3"), cashAmount: "101000.001", from: SIGNER.beta }),
        ErrorCode.InputInvalid,
        /--cash-amount 101000\.001: aEUR has at most 2 decimals; this amount has 3$/,
      );
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-3"), cashAmount: "-5", from: SIGNER.beta }),
        ErrorCode.InputInvalid,
        /--cash-amount -5: not a plain decimal number/,
      );
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-3"), cashAmount: "0.00", from: SIGNER.beta }),
        ErrorCode.InputInvalid,
        /--cash-amount 0\.00: an amount of aEUR must be above zero$/,
      );
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-3"), kind: "fop", from: SIGNER.beta }),
        ErrorCode.InputInvalid,
        /a free-of-payment settlement has no cash leg/,
      );
      await expectTaskError(
        hre.run("settlement:instruct", { ...dvp("T-ERR-3"), kind: "repo", from: SIGNER.beta }),
        ErrorCode.InputInvalid,
        /--kind repo: not dvp or fop/,
      );
    });
  });
});

describe("task errors on the command line", function () {
  /** Runs `npx hardhat <args>` in a fresh process (its own in-process network, nothing deployed). */
  function hardhat(...args: string[]) {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("HARDHAT_")));
    return spawnSync("npx", ["hardhat", ...args], { cwd: hre.config.paths.root, env, encoding: "utf8" });
  }

  /** stderr lines, without npm's own warnings. */
  const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));

  it("prints one line and exits with the code's status for a bad configuration", async function () {
    const file = await writeTempConfig({ name: "Broken", members: [] });
    const run = hardhat("deploy", "--consortium-config", file);
    expect(errorLines(run.stderr)).to.deep.equal([
      `Error CONFIG_INVALID: ${file}: members: a consortium needs at least one member (and 2 more)`,
    ]);
    expect(run.status).to.equal(78);
    expect(run.stdout.trim()).to.equal("");
  });

  it("with --json, also prints the error as one JSON document on stdout", function () {
    const run = hardhat("settlement:status", "--id", UNKNOWN_ID, "--json");
    expect(run.status).to.equal(65);
    const [line, ...rest] = errorLines(run.stderr);
    expect(line).to.match(/^Error DEPLOYMENT_NOT_FOUND: no consortium deployment recorded in memory \(hardhat\)/);
    expect(rest).to.deep.equal([]);
    const document = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(document.error.code).to.equal("DEPLOYMENT_NOT_FOUND");
    expect(`Error ${document.error.code}: ${document.error.message}`).to.equal(line);
  });
});

describe("task errors for inputs that are missing or of the wrong kind", function () {
  it("audit:verify of a file that is not an audit log names the file and the reason, and leaves it unchanged", async function () {
    const file = await writeTempConfig({ not: "an audit log" }, "audit.json");
    const before = await readFile(file, "utf8");
    const error = await expectTaskError(
      hre.run("audit:verify", { audit: file }),
      ErrorCode.AuditStoreUnavailable,
      new RegExp(`^AUDIT_STORE_UNAVAILABLE: audit store \\(sqlite\\) at ${file} unavailable: file is not a database$`),
    );
    expect(error.details).to.include({ backend: "sqlite", location: file, reason: "file is not a database" });
    expect(await readFile(file, "utf8")).to.equal(before);
  });

  it("policy:verify of a bundle directory that does not exist is a missing input, exit status 66", async function () {
    const error = await expectTaskError(
      hre.run("policy:verify", { bundle: "/nonexistent/bundle-v9", complianceKeys: ZeroAddress, threshold: "1" }),
      ErrorCode.PolicyBundleNotFound,
      /^POLICY_BUNDLE_NOT_FOUND: no policy bundle at \/nonexistent\/bundle-v9: no such directory$/,
    );
    expect(exitStatus(error.code)).to.equal(66);
  });

  it("reports the failure a task met when its contract errors cannot be decoded (no artifacts yet)", function () {
    const noArtifacts = {
      ...hre,
      artifacts: {
        readArtifactSync: () => {
          throw new Error('HH700: Artifact for contract "SettlementEngine" not found.');
        },
      },
    } as unknown as typeof hre;
    const met = Object.assign(new Error("Cannot find module '../../typechain-types'"), { data: "0x12345678" });
    const failure = toTaskError(met, noArtifacts);
    expect(failure.code).to.equal(ErrorCode.Unexpected);
    expect(failure.message).to.equal("UNEXPECTED: Cannot find module '../../typechain-types'");
  });
});

describe("Hardhat's own argument errors on the command line", function () {
  function hardhat(...args: string[]) {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("HARDHAT_")));
    return spawnSync("npx", ["hardhat", ...args], { cwd: hre.config.paths.root, env, encoding: "utf8" });
  }
  const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));

  it("a required flag left out is one line and exit status 64, with --json also a JSON document", function () {
    const run = hardhat("settlement:affirm", "--json");
    expect(errorLines(run.stderr)).to.deep.equal([
      "Error INPUT_MISSING: settlement:affirm needs --id (npx hardhat help settlement:affirm lists its flags)",
    ]);
    expect(run.status).to.equal(64);
    const document = JSON.parse(run.stdout) as { error: { code: string; details: { flag: string } } };
    expect(document.error.code).to.equal("INPUT_MISSING");
    expect(document.error.details.flag).to.equal("--id");
  });

  it("an unknown flag and an unknown network are one line and exit status 64", function () {
    const flag = hardhat("settlement:status", "--idd", UNKNOWN_ID);
    expect(errorLines(flag.stderr)).to.deep.equal([
      "Error INPUT_INVALID: settlement:status has no flag --idd (npx hardhat help settlement:status lists its flags)",
    ]);
    expect(flag.status).to.equal(64);
    const network = hardhat("settlement:status", "--id", UNKNOWN_ID, "--network", "nowhere");
    expect(errorLines(network.stderr)).to.deep.equal([
      "Error WRONG_NETWORK: --network nowhere: no such network (networks: hardhat, localhost, qbft)",
    ]);
    expect(network.status).to.equal(64);
  });
});
