// The bank policy engine against the consortium's shared parameters on the in-process chain: reading them,
// the deny reasons they add (version, cap, listing, pause), the cache that fails closed past its maximum age
// (time driven by an injected clock), and conflicts of bank data with the chain (the `policy:conflicts` task: test/tasks).
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { findConflicts, type SharedConflict } from "../../src/policy/conflicts";
import { REASON_PATTERN, type Decision } from "../../src/policy/decision";
import { ACTIONS, type Action } from "../../src/policy/intent";
import {
  applySharedChecks,
  ESCROW_RETURN_ACTIONS,
  readSharedParameters,
  sharedChecks,
  type SharedAsset,
  type SharedParameters,
} from "../../src/policy/shared";
import { type SharedPolicyErrorCode } from "../../src/policy/shared-errors";
import { SharedParametersSource, type SharedChange } from "../../src/policy/shared-source";
import { CAPS, DAY, deployConsortium, governedCall, HOUR, type ConsortiumFixture } from "../fixtures";
import { isFrameworkError } from "../../src/errors";

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
  expect(isFrameworkError(caught, code), `expected ${code}, got ${String(caught)}`).to.equal(true);
  return caught as Error & { details: Record<string, unknown>; cause?: unknown };
}

describe("shared parameters: one truth with the chain", function () {
  describe("readSharedParameters", function () {
    it("reads version, windows, pause, the policy document and every asked cap at one block", async function () {
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
        policyDocumentHash: (await f.consortium.policyDocument())[0].toLowerCase(),
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

    it("denies every action but those returning escrow when the bundle was approved against another on-chain version", async function () {
      const f = await loadFixture(versionBumpedFixture);
      const shared = await readSharedParameters(f.consortium, await assetsOf(f));
      const approved = shared.policyVersion - 1;
      for (const action of ACTIONS.filter((a) => !ESCROW_RETURN_ACTIONS.includes(a))) {
        expect(sharedChecks({ action, asset: "B30", amount: "1" }, approved, shared)).to.deep.equal([
          `SHARED_VERSION_MISMATCH: the policy bundle was approved against shared-policy version ${approved}, ` +
            `the consortium is at version ${shared.policyVersion}`,
        ]);
      }
    });

    it("never blocks cancel, release or an unwind on a shared-policy version mismatch (a governance change halts no escrow)", async function () {
      const f = await loadFixture(versionBumpedFixture);
      const shared = await readSharedParameters(f.consortium, await assetsOf(f));
      expect(ESCROW_RETURN_ACTIONS).to.deep.equal(["cancel", "release", "unwind", "approve_unwind"]);
      for (const action of ESCROW_RETURN_ACTIONS) {
        expect(sharedChecks({ action, asset: "B30", amount: "1" }, shared.policyVersion - 1, shared)).to.deep.equal([]);
      }
    });

    it("denies an amount above the on-chain cap when instructing or affirming", function () {
      const above = (CAPS.bond + 1n).toString();
      for (const action of ["instruct", "affirm", "affirm_and_settle"] as const) {
        expect(sharedChecks({ action, asset: "B30", amount: above }, 3, snapshot())).to.deep.equal([
          `SHARED_CAP_EXCEEDED: ${above} exceeds the consortium's cap of ${CAPS.bond} per settlement for B30`,
        ]);
      }
      // Settling an affirmed settlement is the only way out of escrow; token operations are not capped.
      for (const action of ["settle", "transfer", "mint", "burn", "cancel", "release", "unwind"] as const) {
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
      expect(denied).to.deep.equal([
        "instruct",
        "affirm",
        "settle",
        "reverse",
        "approve_reversal",
        "affirm_and_settle",
      ] satisfies Action[]);
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
      expect(isFrameworkError(error.cause, "POLICY_SHARED_READ_FAILED")).to.equal(true);
    });

    it("reads the real chain through forConsortium", async function () {
      const f = await loadFixture(deployConsortium);
      const chain = SharedParametersSource.forConsortium(f.consortium, await assetsOf(f), config, () => now);
      expect((await chain.current()).caps.get("B30")).to.equal(CAPS.bond);
    });

    it("halts nothing on a version change when the bank chose compatible, and still holds to the live cap", async function () {
      const f = await loadFixture(versionBumpedFixture);
      const compatible = { ...config, versionPolicy: "compatible" as const };
      const guard = SharedParametersSource.forConsortium(
        f.consortium,
        await assetsOf(f),
        compatible,
        () => now,
      ).asGuard();
      const check = (amount: bigint) =>
        guard.check(
          { action: "instruct", asset: "B30", amount: amount.toString() } as Parameters<typeof guard.check>[0],
          1,
        );
      expect(await check(1n)).to.deep.equal([]);
      expect((await check(CAPS.bond + 1n)).map((r) => r.split(":")[0])).to.deep.equal(["SHARED_CAP_EXCEEDED"]);
    });

    it("in compatible mode halts on a change of what the bundle says it depends on, and on nothing else", async function () {
      const f = await loadFixture(versionBumpedFixture);
      const compatible = { ...config, versionPolicy: "compatible" as const };
      const source = SharedParametersSource.forConsortium(f.consortium, await assetsOf(f), compatible, () => now);
      const guard = source.asGuard();
      const shared = await source.refresh();
      expect(shared.policyDocumentHash).to.match(/^0x[0-9a-f]{64}$/);
      const intent = (action: Action) => ({ action, asset: "B30", amount: "1" }) as Parameters<typeof guard.check>[0];
      // The bump changed the affirmation window (3 h now); a bundle depending on the cap, the document and the
      // reversal window still decides.
      const untouched = {
        policyDocumentHash: shared.policyDocumentHash,
        assetCaps: { B30: CAPS.bond.toString() },
        parameters: { reversalWindow: shared.reversalWindow },
      };
      expect(await guard.check(intent("instruct"), 1, untouched)).to.deep.equal([]);
      const touched = { ...untouched, parameters: { affirmationWindow: 2 * HOUR } };
      expect(await guard.check(intent("instruct"), 1, touched)).to.deep.equal([
        `SHARED_DEPENDENCY_CHANGED: the bundle depends on affirmationWindow ${2 * HOUR}s, the consortium now has ${3 * HOUR}s`,
      ]);
      expect(await guard.check(intent("cancel"), 1, touched)).to.deep.equal([]);
      expect(await guard.check(intent("unwind"), 1, touched)).to.deep.equal([]);
      const otherDocument = { policyDocumentHash: `0x${"ab".repeat(32)}`, assetCaps: { EURT: "1" } };
      expect((await guard.check(intent("instruct"), 1, otherDocument)).map((r) => r.split(":")[0])).to.deep.equal([
        "SHARED_DEPENDENCY_CHANGED",
        "SHARED_DEPENDENCY_CHANGED",
      ]);
      // Strict still halts on the version change itself, whatever the bundle depends on.
      const strict = SharedParametersSource.forConsortium(f.consortium, await assetsOf(f), config, () => now).asGuard();
      expect((await strict.check(intent("instruct"), 1, untouched)).map((r) => r.split(":")[0])).to.deep.equal([
        "SHARED_VERSION_MISMATCH",
      ]);
    });

    it("tells of a version change as its watch reads it, with no decision asking", async function () {
      const versions = [3, 3, 4];
      let reads = 0;
      let told: (change: SharedChange) => void = () => undefined;
      const seen = new Promise<SharedChange>((resolve) => (told = resolve));
      const source = new SharedParametersSource({
        read: () => Promise.resolve(snapshot({ policyVersion: versions[Math.min(reads++, versions.length - 1)] })),
        config: { ...config, refreshIntervalSeconds: 1 },
        onChange: (change) => told(change),
      });
      await source.refresh();
      const stop = source.watch();
      try {
        const change = await seen;
        expect([change.from.policyVersion, change.to.policyVersion]).to.deep.equal([3, 4]);
        expect(source.snapshot?.policyVersion).to.equal(4);
      } finally {
        stop();
      }
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
      expect(isFrameworkError(error, "POLICY_SHARED_STALE"), String(error)).to.equal(true);
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
});
