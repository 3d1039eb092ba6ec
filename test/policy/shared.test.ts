// The bank policy engine against the consortium's shared parameters on the in-process chain: reading them,
// the deny reasons they add (version, cap, listing, pause), the cache that fails closed past its maximum age
// (time driven by an injected clock), conflicts of bank data with the chain, and the `policy:conflicts` task.
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { readFile } from "node:fs/promises";
import { ErrorCode } from "../../src/errors";
import { findConflicts, type SharedConflict } from "../../src/policy/conflicts";
import { REASON_PATTERN, type Decision } from "../../src/policy/decision";
import { ACTIONS, type Action } from "../../src/policy/intent";
import {
  applySharedChecks,
  readSharedParameters,
  sharedChecks,
  type SharedAsset,
  type SharedParameters,
} from "../../src/policy/shared";
import { isSharedPolicyError, type SharedPolicyErrorCode } from "../../src/policy/shared-errors";
import { SharedParametersSource } from "../../src/policy/shared-source";
import type { ConflictsReport } from "../../src/tasks/policy-conflicts";
import { CAPS, DAY, deployConsortium, governedCall, HOUR, type ConsortiumFixture } from "../fixtures";
import { DEMO_CONFIG, expectTaskError, isolateChain, runJson, writeTempConfig } from "../tasks/helpers";

const BANK_DATA = "policies/bank/data.json";
const T0 = 1_800_000_000;

/** Carries `fn(args)` through governance: bank A proposes, bank B approves (quorum), the timelock elapses. */
async function enact(f: ConsortiumFixture, fn: string, args: unknown[] = []): Promise<void> {
  const [a, b] = f.banks;
  await f.consortium.connect(a.operator).propose(governedCall(f.consortium, fn, args), fn);
  const id = await f.consortium.proposalCount();
  await f.consortium.connect(b.operator).approve(id);
  const { eta } = await f.consortium.proposal(id);
  if (BigInt(await time.latest()) < eta) await time.increaseTo(eta);
  await f.consortium.connect(a.operator).execute(id);
}

async function assetsOf(f: ConsortiumFixture): Promise<SharedAsset[]> {
  return [
    { symbol: "aEUR", address: await f.cash.getAddress() },
    { symbol: "B30", address: await f.bond.getAddress() },
  ];
}

async function pausedFixture() {
  const f = await deployConsortium();
  await enact(f, "pause");
  return f;
}

async function versionBumpedFixture() {
  const f = await deployConsortium();
  await enact(f, "setParameter", [1, 3 * HOUR]);
  return f;
}

/** A shared snapshot built by hand, for checks that need no chain. */
function snapshot(patch: Partial<SharedParameters> = {}): SharedParameters {
  return {
    consortium: ethers.ZeroAddress,
    policyVersion: 3,
    reversalWindow: DAY,
    affirmationWindow: 2 * HOUR,
    paused: false,
    caps: new Map([
      ["aEUR", CAPS.cash],
      ["B30", CAPS.bond],
      ["OLD", 0n],
    ]),
    readAt: T0,
    blockNumber: 7,
    ...patch,
  };
}

async function expectSharedError(run: Promise<unknown> | (() => unknown), code: SharedPolicyErrorCode) {
  let caught: unknown;
  try {
    await (typeof run === "function" ? run() : run);
  } catch (error) {
    caught = error;
  }
  expect(isSharedPolicyError(caught, code), `expected ${code}, got ${String(caught)}`).to.equal(true);
  return caught as Error & { details: Record<string, unknown>; cause?: unknown };
}

describe("shared parameters: one truth with the chain", function () {
  describe("readSharedParameters", function () {
    it("reads version, windows, pause and every asked cap at one block", async function () {
      const f = await loadFixture(deployConsortium);
      const assets = [...(await assetsOf(f)), { symbol: "NOPE", address: await f.consortium.getAddress() }];
      const shared = await readSharedParameters(f.consortium, assets, { clock: () => T0 });
      expect(shared).to.deep.equal({
        consortium: await f.consortium.getAddress(),
        policyVersion: Number(await f.consortium.policyVersion()),
        reversalWindow: DAY,
        affirmationWindow: 2 * HOUR,
        paused: false,
        caps: new Map([
          ["aEUR", CAPS.cash],
          ["B30", CAPS.bond],
          ["NOPE", 0n],
        ]),
        readAt: T0,
        blockNumber: await ethers.provider.getBlockNumber(),
      });
    });

    it("reads the same through an address and a provider as through the TypeChain contract", async function () {
      const f = await loadFixture(deployConsortium);
      const assets = await assetsOf(f);
      const byAddress = await readSharedParameters(
        { address: await f.consortium.getAddress(), provider: ethers.provider },
        assets,
        { clock: () => T0 },
      );
      expect(byAddress).to.deep.equal(await readSharedParameters(f.consortium, assets, { clock: () => T0 }));
    });

    it("fails with POLICY_SHARED_READ_FAILED where no consortium is deployed", async function () {
      const f = await loadFixture(deployConsortium);
      const error = await expectSharedError(
        readSharedParameters({ address: f.outsider.address, provider: ethers.provider }, []),
        "POLICY_SHARED_READ_FAILED",
      );
      expect(error.details).to.deep.equal({ consortium: f.outsider.address });
      expect(error.cause).to.be.instanceOf(Error);
    });

    it("refuses a duplicate symbol with POLICY_SHARED_CONFIG_INVALID", async function () {
      const f = await loadFixture(deployConsortium);
      const [cash] = await assetsOf(f);
      await expectSharedError(readSharedParameters(f.consortium, [cash, cash]), "POLICY_SHARED_CONFIG_INVALID");
    });
  });

  describe("sharedChecks", function () {
    const instruct = (amount: string, asset = "B30") => ({ action: "instruct" as const, asset, amount });

    it("allows an instruct at the cap under the approved version", function () {
      expect(sharedChecks(instruct(CAPS.bond.toString()), 3, snapshot())).to.deep.equal([]);
    });

    it("denies every action when the bundle was approved against another on-chain version", async function () {
      const f = await loadFixture(versionBumpedFixture);
      const shared = await readSharedParameters(f.consortium, await assetsOf(f));
      const approved = shared.policyVersion - 1;
      for (const action of ACTIONS) {
        expect(sharedChecks({ action, asset: "B30", amount: "1" }, approved, shared)).to.deep.equal([
          `SHARED_VERSION_MISMATCH: the policy bundle was approved against shared-policy version ${approved}, ` +
            `the consortium is at version ${shared.policyVersion}`,
        ]);
      }
    });

    it("denies an amount above the on-chain cap when instructing or affirming", function () {
      const above = (CAPS.bond + 1n).toString();
      for (const action of ["instruct", "affirm"] as const) {
        expect(sharedChecks({ action, asset: "B30", amount: above }, 3, snapshot())).to.deep.equal([
          `SHARED_CAP_EXCEEDED: ${above} exceeds the consortium's cap of ${CAPS.bond} per settlement for B30`,
        ]);
      }
      // Settling an affirmed settlement is the only way out of escrow; token operations are not capped.
      for (const action of ["settle", "transfer", "mint", "burn", "cancel", "release"] as const) {
        expect(sharedChecks({ action, asset: "B30", amount: above }, 3, snapshot())).to.deep.equal([]);
      }
    });

    it("denies an asset the chain does not list, or lists with cap 0", function () {
      expect(sharedChecks(instruct("1", "EURT"), 3, snapshot())).to.deep.equal([
        "SHARED_ASSET_UNLISTED: EURT is not an eligible asset of the consortium",
      ]);
      expect(sharedChecks(instruct("1", "OLD"), 3, snapshot())).to.deep.equal([
        "SHARED_ASSET_UNLISTED: OLD is not an eligible asset of the consortium",
      ]);
    });

    it("denies a malformed amount instead of comparing it", function () {
      expect(sharedChecks(instruct("1e3"), 3, snapshot())).to.deep.equal([
        "AMOUNT_INVALID: 1e3 is not an integer amount in minor units (at most 15 digits)",
      ]);
    });

    it("denies the engine's actions while the consortium is paused, but not cancel, release or token operations", async function () {
      const f = await loadFixture(pausedFixture);
      const shared = await readSharedParameters(f.consortium, await assetsOf(f));
      expect(shared.paused).to.equal(true);
      const denied = ACTIONS.filter(
        (action) => sharedChecks({ action, asset: "B30", amount: "1" }, shared.policyVersion, shared).length > 0,
      );
      expect(denied).to.deep.equal(["instruct", "affirm", "settle", "reverse", "approve_reversal"] satisfies Action[]);
      expect(sharedChecks(instruct("1"), shared.policyVersion, shared)).to.deep.equal([
        "CONSORTIUM_PAUSED: the consortium has halted settlement; instruct is refused until it resumes",
      ]);
    });

    it("gives every reason in the policy's CODE: message format, sorted", function () {
      const reasons = sharedChecks(instruct("1", "EURT"), 2, snapshot({ paused: true }));
      expect(reasons.map((r) => r.split(":")[0])).to.deep.equal([
        "CONSORTIUM_PAUSED",
        "SHARED_ASSET_UNLISTED",
        "SHARED_VERSION_MISMATCH",
      ]);
      for (const reason of reasons) expect(reason).to.match(REASON_PATTERN);
    });

    it("turns an allow into a deny carrying the shared reasons, and keeps a deny's own reasons", function () {
      const allow: Decision = {
        outcome: "allow",
        reasons: ["ALLOWED: every rule passed"],
        approvals: { required: 0, roles: [], pending: [] },
      };
      expect(applySharedChecks(allow, [])).to.equal(allow);
      expect(applySharedChecks(allow, ["SHARED_ASSET_UNLISTED: x"])).to.deep.equal({
        outcome: "deny",
        reasons: ["SHARED_ASSET_UNLISTED: x"],
        approvals: { required: 0, roles: [], pending: [] },
      });
      const deny: Decision = { ...allow, outcome: "deny", reasons: ["AML_HIT: hit"] };
      expect(applySharedChecks(deny, ["CONSORTIUM_PAUSED: p"]).reasons).to.deep.equal([
        "AML_HIT: hit",
        "CONSORTIUM_PAUSED: p",
      ]);
    });
  });

  describe("SharedParametersSource", function () {
    const config = { refreshIntervalSeconds: 30, maxAgeSeconds: 120 };
    let now: number;
    let reads: number;
    let failing: boolean;
    let source: SharedParametersSource;

    beforeEach(function () {
      now = T0;
      reads = 0;
      failing = false;
      const read = () => {
        reads += 1;
        if (failing) return Promise.reject(new Error("connection refused"));
        return Promise.resolve(snapshot({ blockNumber: reads, readAt: 0 }));
      };
      source = new SharedParametersSource({ read, config, clock: () => now });
    });

    it("serves the snapshot without reading the chain until the refresh interval passed", async function () {
      expect((await source.current()).readAt).to.equal(T0);
      now += 29;
      expect((await source.current()).blockNumber).to.equal(1);
      now += 1;
      expect((await source.current()).blockNumber).to.equal(2);
      expect(reads).to.equal(2);
    });

    it("serves a stale snapshot while the chain cannot be read and the snapshot is within the maximum age", async function () {
      await source.current();
      failing = true;
      now += 120;
      const served = await source.current();
      expect(served).to.include({ blockNumber: 1, readAt: T0 });
      expect(reads).to.equal(2);
    });

    it("fails closed with POLICY_SHARED_STALE once the snapshot is older than the maximum age", async function () {
      await source.current();
      failing = true;
      now += 121;
      const error = await expectSharedError(source.current(), "POLICY_SHARED_STALE");
      expect(error.details).to.deep.equal({ ageSeconds: 121, maxAgeSeconds: 120, lastReadAt: T0, lastBlockNumber: 1 });
      expect((error.cause as Error).message).to.equal("connection refused");
      failing = false;
      expect((await source.current()).blockNumber).to.equal(3);
    });

    it("fails closed with POLICY_SHARED_STALE when the chain was never read", async function () {
      failing = true;
      const error = await expectSharedError(source.current(), "POLICY_SHARED_STALE");
      expect(error.details.ageSeconds).to.equal(null);
    });

    it("shares one read between concurrent callers", async function () {
      const [a, b] = await Promise.all([source.current(), source.current()]);
      expect(a).to.equal(b);
      expect(reads).to.equal(1);
    });

    it("counts a read that hangs past readTimeoutMs as failed", async function () {
      const hung = new SharedParametersSource({
        read: () => new Promise<never>(() => undefined),
        config: { ...config, readTimeoutMs: 10 },
        clock: () => now,
      });
      const error = await expectSharedError(hung.current(), "POLICY_SHARED_STALE");
      expect(isSharedPolicyError(error.cause, "POLICY_SHARED_READ_FAILED")).to.equal(true);
    });

    it("reads the real chain through forConsortium", async function () {
      const f = await loadFixture(deployConsortium);
      const chain = SharedParametersSource.forConsortium(f.consortium, await assetsOf(f), config, () => now);
      expect((await chain.current()).caps.get("B30")).to.equal(CAPS.bond);
    });

    it("serves as the engine's guard: the chain's reasons for an intent, and a rejection when stale", async function () {
      const f = await loadFixture(deployConsortium);
      const guard = SharedParametersSource.forConsortium(f.consortium, await assetsOf(f), config, () => now).asGuard();
      const intent = { action: "instruct", asset: "B30", amount: (CAPS.bond + 1n).toString() } as const;
      const reasons = await guard.check(intent as Parameters<typeof guard.check>[0], 1);
      expect(reasons.map((r) => r.split(":")[0])).to.deep.equal(["SHARED_CAP_EXCEEDED"]);
      const mismatch = await guard.check(intent as Parameters<typeof guard.check>[0], 99);
      expect(mismatch.map((r) => r.split(":")[0])).to.include("SHARED_VERSION_MISMATCH");
      const dead = new SharedParametersSource({ read: () => Promise.reject(new Error("rpc down")), config });
      const error = await Promise.resolve(dead.asGuard().check(intent as Parameters<typeof guard.check>[0], 1)).catch(
        (e: unknown) => e,
      );
      expect(isSharedPolicyError(error, "POLICY_SHARED_STALE"), String(error)).to.equal(true);
    });

    it("refuses a maximum age shorter than the refresh interval with POLICY_SHARED_CONFIG_INVALID", async function () {
      const read = () => Promise.resolve(snapshot());
      const bad = { refreshIntervalSeconds: 60, maxAgeSeconds: 30 };
      const error = await expectSharedError(
        () => new SharedParametersSource({ read, config: bad }),
        "POLICY_SHARED_CONFIG_INVALID",
      );
      expect(error.details.issues).to.deep.equal(["maxAgeSeconds: must be at least refreshIntervalSeconds"]);
    });
  });

  describe("findConflicts", function () {
    /** Bank data naming the fixture's tokens. */
    const data = (bondLimit: string, patch: Record<string, unknown> = {}) => ({
      assets: { aEUR: { enabled: true }, B30: { enabled: true }, OLD: { enabled: false }, ...patch },
      counterparties: {
        "bank-b": { status: "active", limits: { aEUR: { per_settlement: "100", daily: "999999999999" } } },
        "bank-c": { status: "active", limits: { B30: { per_settlement: bondLimit, daily: bondLimit } } },
      },
    });

    it("reports a per-settlement limit above the cap, not one at the cap nor a daily limit above it", function () {
      expect(findConflicts(data(CAPS.bond.toString()), snapshot())).to.deep.equal([]);
      expect(findConflicts(data((CAPS.bond + 1n).toString()), snapshot())).to.deep.equal([
        {
          code: "LIMIT_ABOVE_CAP",
          path: "counterparties.bank-c.limits.B30.per_settlement",
          bankValue: "100001",
          sharedValue: "100000",
          message:
            "the per-settlement limit for B30 with bank-c is above the consortium's cap: the chain refuses the excess",
        },
      ] satisfies SharedConflict[]);
    });

    it("reports an enabled asset delisted on chain (cap 0), and not a disabled one", function () {
      const conflicts = findConflicts(data("1", { OLD: { enabled: true } }), snapshot());
      expect(conflicts.map((c) => [c.code, c.path, c.sharedValue])).to.deep.equal([
        ["ASSET_NOT_LISTED", "assets.OLD.enabled", "0"],
      ]);
    });

    it("reports an approval TTL longer than the affirmation window, not one equal to it", function () {
      expect(findConflicts(data("1"), snapshot(), { approvalTtlSeconds: 2 * HOUR })).to.deep.equal([]);
      const [conflict] = findConflicts(data("1"), snapshot(), { approvalTtlSeconds: 2 * HOUR + 1 });
      expect(conflict).to.include({
        code: "APPROVAL_DEADLINE_BEYOND_AFFIRMATION_WINDOW",
        path: "requestTtlSeconds",
        bankValue: "7201",
        sharedValue: "7200",
      });
    });

    it("refuses a malformed data document with POLICY_SHARED_DATA_INVALID naming every bad path", async function () {
      const malformed = {
        assets: { EURT: { enabled: "yes" } },
        counterparties: { x: { limits: { EURT: { per_settlement: 5, daily: "010" } } } },
      };
      const error = await expectSharedError(() => findConflicts(malformed, snapshot()), "POLICY_SHARED_DATA_INVALID");
      expect((error.details.issues as { path: string }[]).map((i) => i.path)).to.deep.equal([
        "assets.EURT.enabled",
        "counterparties.x.limits.EURT.per_settlement",
        "counterparties.x.limits.EURT.daily",
      ]);
      await expectSharedError(() => findConflicts([], snapshot()), "POLICY_SHARED_DATA_INVALID");
    });
  });

  describe("against the demo deployment, and the policy:conflicts task", function () {
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

    it("prints the conflicts as a table and exits with status 1 when run from the command line", async function () {
      const run = await runConflicts({ policyData: BANK_DATA }, { commandLine: true });
      expect(run.error).to.equal(undefined);
      expect(run.exitCode).to.equal(65);
      expect(run.stdout).to.equal(HUMAN_OUTPUT(demo.blockNumber, version));
      expect(run.stderr).to.equal(
        "Error POLICY_SHARED_CONFLICTS: 3 conflicts between policies/bank/data.json and the " +
          'shared parameters of "Demo Three-Bank Consortium" (ASSET_NOT_LISTED)\n',
      );
    });

    it("with --json, prints the report as one JSON error document and exits with status 1", async function () {
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
