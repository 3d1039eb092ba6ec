// policy:conflicts on the demo deployment: the repo bank data's conflicts with the chain, the table and JSON
// output, the exit status from the command line, and refused input files.
import { expect } from "chai";
import hre from "hardhat";
import { readFile } from "node:fs/promises";
import { ErrorCode } from "../../src/errors";
import { findConflicts } from "../../src/policy/conflicts";
import { readSharedParameters, type SharedAsset, type SharedParameters } from "../../src/policy/shared";
import type { ConflictsReport } from "../../src/tasks/policy-conflicts";
import { DAY, HOUR } from "../fixtures";
import { DEMO_CONFIG, expectTaskError, isolateChain, runJson, writeTempConfig } from "./helpers";

const BANK_DATA = "policies/bank/data.json";

describe("policy:conflicts against the demo deployment", function () {
  isolateChain();
  let demo: SharedParameters;
  let version: number;

  before(async function () {
    const { record } = await runJson<{ record: { consortium: string; tokens: SharedAsset[] } }>("deploy", {
      consortiumConfig: DEMO_CONFIG,
    });
    const consortium = await hre.ethers.getContractAt("Consortium", record.consortium);
    demo = await readSharedParameters(consortium, record.tokens);
    version = Number(await consortium.policyVersion());
  });

  /** The repo's data.json enables EURT, USDT and BOND-DE-2030 (GBPT is disabled); the demo lists aEUR and B30. */
  const REPO_CONFLICTS = ["EURT", "USDT", "BOND-DE-2030"].map((symbol) => ({
    code: "ASSET_NOT_LISTED",
    path: `assets.${symbol}.enabled`,
    bankValue: "true",
    sharedValue: "not deployed",
    message: `${symbol} is enabled but the consortium has no token of that symbol`,
  }));

  it("finds exactly the repo data's enabled assets the demo chain does not list", async function () {
    const repoData = JSON.parse(await readFile(BANK_DATA, "utf8")) as unknown;
    expect(findConflicts(repoData, demo)).to.deep.equal(REPO_CONFLICTS);
  });

  it("prints the conflicts as a table and exits with status 65 when run from the command line", async function () {
    const run = await runConflicts({ policyData: BANK_DATA }, { commandLine: true });
    expect(run.error).to.equal(undefined);
    expect(run.exitCode).to.equal(65);
    expect(run.stdout).to.equal(HUMAN_OUTPUT(demo.blockNumber, version));
    expect(run.stderr).to.equal(
      "Error POLICY_SHARED_CONFLICTS: 3 conflicts between policies/bank/data.json and the " +
        'shared parameters of "Demo Three-Bank Consortium" (ASSET_NOT_LISTED)\n',
    );
  });

  it("with --json, prints the report as one JSON error document and exits with status 65", async function () {
    const run = await runConflicts({ policyData: BANK_DATA, json: true }, { commandLine: true });
    expect(run.exitCode).to.equal(65);
    const document = JSON.parse(run.stdout) as { error: { code: string; details: ConflictsReport } };
    expect(document.error.code).to.equal("POLICY_SHARED_CONFLICTS");
    expect(document.error.details.conflicts).to.deep.equal(REPO_CONFLICTS);
    expect(document.error.details.shared).to.deep.include({
      policyVersion: version,
      affirmationWindow: 2 * HOUR,
      paused: false,
      caps: { aEUR: "1000000000", B30: "100000" },
    });
  });

  it("through hre.run, fails with POLICY_SHARED_CONFLICTS carrying the report in its details", async function () {
    const error = await expectTaskError(
      hre.run("policy:conflicts", { policyData: BANK_DATA }),
      ErrorCode.PolicySharedConflicts,
    );
    expect((error.details as unknown as ConflictsReport).conflicts).to.deep.equal(REPO_CONFLICTS);
  });

  it("prints no conflicts and exits with status 0 for data and approvals that fit the chain", async function () {
    const policyData = await writeTempConfig(ALIGNED_DATA, "data.json");
    const approvalConfig = await writeTempConfig(approvals(3600), "approvals.json");
    const human = await runConflicts({ policyData, approvalConfig }, { commandLine: true });
    expect(human.exitCode).to.equal(undefined);
    expect(human.stdout.trimEnd().split("\n").at(-1)).to.equal("No conflicts.");
    const run = await runConflicts({ policyData, approvalConfig, json: true }, { commandLine: true });
    expect(run.exitCode).to.equal(undefined);
    expect(run.stderr).to.equal("");
    expect(JSON.parse(run.stdout)).to.deep.equal(run.result);
    expect((run.result as ConflictsReport).conflicts).to.deep.equal([]);
  });

  it("reports an approval TTL beyond the demo's two-hour affirmation window from --approval-config", async function () {
    const policyData = await writeTempConfig(ALIGNED_DATA, "data.json");
    const approvalConfig = await writeTempConfig(approvals(DAY), "approvals.json");
    const error = await expectTaskError(
      hre.run("policy:conflicts", { policyData, approvalConfig }),
      ErrorCode.PolicySharedConflicts,
      /1 conflict between .* \(APPROVAL_DEADLINE_BEYOND_AFFIRMATION_WINDOW\)$/,
    );
    const [conflict] = (error.details as unknown as ConflictsReport).conflicts;
    expect(conflict).to.include({ bankValue: "86400", sharedValue: "7200" });
  });

  it("fails with CONFIG_INVALID for a malformed data file and CONFIG_NOT_FOUND for a missing one", async function () {
    const policyData = await writeTempConfig({ assets: { aEUR: { enabled: 1 } }, counterparties: {} }, "data.json");
    await expectTaskError(
      hre.run("policy:conflicts", { policyData }),
      ErrorCode.ConfigInvalid,
      /data\.json: the bank's policy data is malformed: assets\.aEUR\.enabled: Expected boolean, received number$/,
    );
    await expectTaskError(hre.run("policy:conflicts", { policyData: "nowhere.json" }), ErrorCode.ConfigNotFound);
    const approvalConfig = await writeTempConfig({ chainId: 1 }, "approvals.json");
    await expectTaskError(
      hre.run("policy:conflicts", { policyData: BANK_DATA, approvalConfig }),
      ErrorCode.ConfigInvalid,
      /approvals\.json: invalid approval configuration: requestTtlSeconds: Required/,
    );
  });
});

/** Bank data on the demo's own tokens, within their caps. */
const ALIGNED_DATA = {
  assets: { aEUR: { enabled: true }, B30: { enabled: true } },
  counterparties: {
    DEMO00BETABANK000096: {
      status: "active",
      limits: {
        aEUR: { per_settlement: "1000000000", daily: "5000000000" },
        B30: { per_settlement: "500", daily: "900" },
      },
    },
  },
};

function approvals(requestTtlSeconds: number) {
  return {
    chainId: 31337,
    requestTtlSeconds,
    approvers: [
      { id: "u-carol", address: "0x00000000000000000000000000000000000Ca701", roles: ["compliance_officer"] },
    ],
  };
}

/** What the task prints for the repo's data.json against the demo deployment read at `block`, at shared-policy `version`. */
const HUMAN_OUTPUT = (block: number, version: number) =>
  [
    'Policy data policies/bank/data.json against consortium "Demo Three-Bank Consortium" on hardhat',
    `  shared-policy version ${version} at block ${block}, affirmation window 2h, reversal window 1d, settlement running`,
    "  per-settlement caps: aEUR 10,000,000.00 (1000000000), B30 100,000 (100000)",
    "",
    "code              path                         bank  on chain      message",
    `${"-".repeat(16)}  ${"-".repeat(27)}  ----  ${"-".repeat(12)}  ${"-".repeat(70)}`,
    "ASSET_NOT_LISTED  assets.EURT.enabled          true  not deployed  EURT is enabled but the consortium has no token of that symbol",
    "ASSET_NOT_LISTED  assets.USDT.enabled          true  not deployed  USDT is enabled but the consortium has no token of that symbol",
    "ASSET_NOT_LISTED  assets.BOND-DE-2030.enabled  true  not deployed  BOND-DE-2030 is enabled but the consortium has no token of that symbol",
    "",
    "",
  ].join("\n");

interface TaskRun {
  stdout: string;
  stderr: string;
  result?: unknown;
  error?: unknown;
  exitCode: number | string | undefined;
}

/**
 * Runs `policy:conflicts` capturing stdout and stderr. With `commandLine`, the task name is on process.argv, so
 * the guard handles a failure as it does for an operator: one line on stderr and `process.exitCode` (restored).
 */
async function runConflicts(args: Record<string, unknown>, options: { commandLine?: boolean } = {}): Promise<TaskRun> {
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const argv = process.argv;
  const exitCode = process.exitCode;
  const run: TaskRun = { stdout: "", stderr: "", exitCode: undefined };
  const text = (chunk: string | Uint8Array) =>
    typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  process.stdout.write = (chunk: string | Uint8Array) => ((run.stdout += text(chunk)), true);
  process.stderr.write = (chunk: string | Uint8Array) => ((run.stderr += text(chunk)), true);
  if (options.commandLine === true) process.argv = [...argv, "policy:conflicts"];
  try {
    run.result = await hre.run("policy:conflicts", { json: false, ...args });
  } catch (error) {
    run.error = error;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    process.argv = argv;
    run.exitCode = process.exitCode;
    process.exitCode = exitCode;
  }
  return run;
}
