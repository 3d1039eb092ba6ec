import { expect } from "chai";
import hre from "hardhat";
import { spawnSync } from "node:child_process";
import { ErrorCode } from "../../src/errors";
import { DEMO_CONFIG, expectTaskError, isolateChain, runJson, SIGNER, writeTempConfig } from "./helpers";

const UNKNOWN_ID = `0x${"12".repeat(32)}`;

/** DvP flags: Beta Bank delivers bonds to Alpha Bank against tokenized deposits. */
const dvp = (tradeRef: string) => ({
  tradeRef,
  kind: "dvp",
  seller: "Beta Bank",
  buyer: "Alpha Bank",
  asset: "B30",
  assetAmount: "5",
  cash: "aEUR",
  cashAmount: "500.00",
});

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

    it("a bank that is not a party cannot settle", async function () {
      const gamma = (await hre.ethers.getSigners())[Number(SIGNER.gamma)].address;
      await expectTaskError(
        hre.run("settlement:settle", { id, from: SIGNER.gamma }),
        ErrorCode.ContractReverted,
        new RegExp(`SettlementNotParty\\(id=${id}, actor=${gamma}\\)$`),
      );
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
        /--asset-amount 1\.5: not a positive amount of B30 \(0 decimals\)/,
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
