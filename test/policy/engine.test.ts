// The decision engine through the real bank policy (real Wasm, signed bundles), a real SQLite audit log and a
// real SQLite reservation file: decisions durable before they return, exposure reserved once per intent id,
// released on failure, expiry and reversal, shared-parameter and clock checks, fail-closed audit, shadow mode.
import Database from "better-sqlite3";
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAuditStore, type AuditStore } from "../../src/audit";
import {
  NO_ACTIVE_BUNDLE_REASON,
  PolicyEngine,
  PolicyRegistry,
  readPolicyFiles,
  reasonCode,
  WasmPolicy,
  type EngineDecision,
  type IntentInput,
  type PolicyBundle,
  type SharedGuard,
} from "../../src/policy";
import {
  CHAIN_ID,
  compliance,
  complianceKeys,
  rejection,
  signedBy,
  SHARED_VERSION,
  unsigned,
  withEurtLimit,
  type BankDocument,
} from "./bundles";
import { BANK_B, baseIntent, buildBankPolicy, DAY, FRIDAY_11H } from "./helpers";
import { isFrameworkError } from "../../src/errors";

/** Bank B's EURT daily limit in these tests: two settlements of 25,000,000 fit, a third does not. */
const DAILY = "60000000";
const AMOUNT = "25000000";

/** `data` with Bank B's EURT daily limit set to `daily`. */
function withEurtDaily(data: BankDocument, daily: string): BankDocument {
  const copy = structuredClone(data);
  copy.bank.counterparties[BANK_B].limits.EURT.daily = daily;
  return copy;
}

/** An intent as a caller hands it to the engine: no time (the engine's clock) and no exposure (its reservations). */
function intent(id: string, patch: Partial<IntentInput> = {}): Record<string, unknown> {
  const full: Record<string, unknown> = { ...baseIntent({ intent_id: id, amount: AMOUNT, ...patch }) };
  delete full.exposure_used;
  delete full.time_unix;
  return full;
}

const codes = (d: EngineDecision): string[] => d.reasons.map(reasonCode);

describe("PolicyEngine", function () {
  let dir: string;
  let wasm: Uint8Array;
  let data: BankDocument;
  let bundle: PolicyBundle;
  let audit: AuditStore;
  let registry: PolicyRegistry;
  let engine: PolicyEngine;
  let clock: number;
  let n = 0;
  let reservationsPath: string;

  before(async function () {
    const files = await readPolicyFiles(await buildBankPolicy());
    wasm = files.wasm;
    data = withEurtDaily(files.data as BankDocument, DAILY);
    bundle = await signedBy(unsigned(wasm, data, 1), [compliance[0], compliance[1]]);
    dir = await mkdtemp(path.join(tmpdir(), "policy-engine-"));
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  function openEngine(extra: { shared?: SharedGuard; busyTimeoutMs?: number } = {}): PolicyEngine {
    const { busyTimeoutMs, ...rest } = extra;
    return PolicyEngine.open({
      config: {
        reservationsPath,
        reservationTtlSeconds: 3600,
        ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
      },
      registry,
      audit,
      now: () => clock,
      ...rest,
    });
  }

  beforeEach(async function () {
    n += 1;
    clock = FRIDAY_11H;
    reservationsPath = path.join(dir, `reservations-${n}.sqlite`);
    audit = await openAuditStore({ path: path.join(dir, `audit-${n}.sqlite`) });
    registry = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
    await registry.activate(bundle);
    engine = openEngine();
  });

  afterEach(async function () {
    await engine.close();
    await audit.close();
  });

  describe("decisions", function () {
    it("returns an allow only after its audit record is committed, with decision id, version and digest", async function () {
      const d = await engine.evaluate(intent("i-1"));
      expect(d.outcome).to.equal("allow");
      expect(d.policyVersion).to.deep.equal({ version: 1, policyHash: bundle.manifest.policyHash });
      expect(d.intent?.time_unix).to.equal(FRIDAY_11H);
      const [record] = await audit.read(d.auditSeq, 1);
      expect(record.kind).to.equal("decision");
      expect(record.subject).to.equal("i-1");
      expect(record.payload).to.deep.include({
        decisionId: d.decisionId,
        stage: "policy",
        inputDigest: d.inputDigest,
        outcome: "allow",
        reasons: d.reasons,
      });
      expect(d.reservation).to.deep.equal({
        state: "reserved",
        amount: AMOUNT,
        day: Math.floor((FRIDAY_11H + 3600) / DAY),
      });
    });

    it("denies a malformed intent with a reason per problem, logs it, and reserves nothing", async function () {
      const d = await engine.evaluate({ ...intent("i-bad"), amount: "-5", aml: "unknown" });
      expect(d.outcome).to.equal("deny");
      expect(d.reasons).to.have.length(2);
      expect(codes(d)).to.deep.equal(["INTENT_INVALID", "INTENT_INVALID"]);
      expect(d.intent).to.be.null;
      expect(engine.reservation("i-bad")).to.be.undefined;
      const [record] = await audit.read(d.auditSeq, 1);
      expect(record.payload).to.deep.include({ outcome: "deny", stage: "precheck", inputDigest: null });
    });

    it("denies a value that is not an intent at all", async function () {
      for (const raw of [null, 42, "instruct", []]) {
        const d = await engine.evaluate(raw);
        expect(d.outcome, JSON.stringify(raw)).to.equal("deny");
        expect(codes(d)[0]).to.equal("INTENT_INVALID");
      }
    });

    it("denies an intent whose time is further from the engine's clock than the allowed skew", async function () {
      const d = await engine.evaluate({ ...intent("i-skew"), time_unix: FRIDAY_11H - 3600 });
      expect(d.outcome).to.equal("deny");
      expect(codes(d)).to.deep.equal(["INTENT_TIME_SKEW"]);
      const near = await engine.evaluate({ ...intent("i-near"), time_unix: FRIDAY_11H - 10 });
      expect(near.outcome).to.equal("allow");
    });

    it("ignores a caller's exposure_used and counts its own reservations", async function () {
      await engine.evaluate(intent("i-1"));
      await engine.evaluate(intent("i-2"));
      const d = await engine.evaluate({ ...intent("i-3"), exposure_used: "0" });
      expect(d.intent?.exposure_used).to.equal("50000000");
      expect(codes(d)).to.include("DAILY_LIMIT_EXCEEDED");
    });

    it("denies every intent while no bundle is active", async function () {
      await engine.close();
      registry = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
      engine = openEngine();
      const d = await engine.evaluate(intent("i-none"));
      expect(d.outcome).to.equal("deny");
      expect(d.reasons).to.deep.equal([NO_ACTIVE_BUNDLE_REASON]);
      expect(d.policyVersion).to.be.null;
    });

    it("refuses an invalid configuration with a typed error", function () {
      for (const config of [{}, { reservationsPath: "x", maxBatch: 0 }, { reservationsPath: "x", extra: 1 }]) {
        const error = ((): unknown => {
          try {
            PolicyEngine.open({ config: config as { reservationsPath: string }, registry, audit });
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(isFrameworkError(error, "POLICY_ENGINE_CONFIG_INVALID"), String(error)).to.be.true;
      }
    });

    it("refuses use after close", async function () {
      await engine.close();
      const error = await rejection(engine.evaluate(intent("late")));
      expect(isFrameworkError(error, "POLICY_ENGINE_CLOSED"), String(error)).to.be.true;
      engine = openEngine();
    });
  });

  describe("exposure reservations", function () {
    it("denies the settlement that would pass the daily limit once earlier ones are reserved", async function () {
      expect((await engine.evaluate(intent("i-1"))).outcome).to.equal("allow");
      expect((await engine.evaluate(intent("i-2"))).outcome).to.equal("allow");
      const third = await engine.evaluate(intent("i-3"));
      expect(third.outcome).to.equal("deny");
      expect(codes(third)).to.deep.equal(["DAILY_LIMIT_EXCEEDED"]);
      expect(engine.reservation("i-3")).to.be.undefined;
    });

    it("counts a retried intent once, sequentially and concurrently", async function () {
      const first = await engine.evaluate(intent("i-1"));
      const retries = await Promise.all([1, 2, 3, 4, 5].map(() => engine.evaluate(intent("i-1"))));
      expect(retries.map((d) => d.outcome)).to.deep.equal(Array(5).fill("allow"));
      expect(retries.map((d) => d.reservation?.state)).to.deep.equal(Array(5).fill("held"));
      expect(first.reservation?.state).to.equal("reserved");
      const concurrent = await Promise.all([1, 2, 3].map(() => engine.evaluate(intent("i-2"))));
      expect(concurrent.map((d) => d.reservation?.state).sort()).to.deep.equal(["held", "held", "reserved"]);
      const third = await engine.evaluate(intent("i-3"));
      expect(third.intent?.exposure_used).to.equal("50000000");
    });

    it("allows exactly as many concurrent settlements as the daily limit holds", async function () {
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.evaluate(intent(`c-${i}`))));
      const allowed = many.filter((d) => d.outcome === "allow");
      expect(allowed).to.have.length(2);
      expect(many.filter((d) => codes(d).includes("DAILY_LIMIT_EXCEEDED"))).to.have.length(18);
      expect(await audit.verify()).to.include({ ok: true });
    });

    it("denies an intent id reused with other terms, and keeps the first reservation", async function () {
      await engine.evaluate(intent("i-1"));
      const other = await engine.evaluate(intent("i-1", { amount: "1000000" }));
      expect(other.outcome).to.equal("deny");
      expect(codes(other)).to.deep.equal(["RESERVATION_CONFLICT"]);
      expect(engine.reservation("i-1")?.amount).to.equal(25_000_000n);
    });

    it("releases usage when the transaction fails, once, and logs the release", async function () {
      await engine.evaluate(intent("i-1"));
      await engine.evaluate(intent("i-2"));
      const released = await engine.release("i-1", "failed");
      expect(released).to.include({ state: "released", releasedReason: "failed", intentId: "i-1" });
      expect(await engine.release("i-1", "failed")).to.be.undefined;
      expect(await engine.release("never-reserved", "reversed")).to.be.undefined;
      expect((await engine.evaluate(intent("i-3"))).outcome).to.equal("allow");
      const kinds = [];
      for await (const r of audit.records()) kinds.push(r.kind);
      expect(kinds.filter((k) => k === "reservation")).to.have.length(1);
    });

    it("reserves a released intent again when it is retried", async function () {
      await engine.evaluate(intent("i-1"));
      await engine.release("i-1", "failed");
      const retried = await engine.evaluate(intent("i-1"));
      expect(retried.reservation?.state).to.equal("reserved");
      expect(engine.reservation("i-1")?.state).to.equal("reserved");
    });

    it("releases reservations past their expiry", async function () {
      await engine.evaluate(intent("i-1"));
      expect(await engine.releaseExpired()).to.deep.equal([]);
      clock += 3600;
      const expired = await engine.releaseExpired();
      expect(expired.map((r) => [r.intentId, r.releasedReason])).to.deep.equal([["i-1", "expired"]]);
    });

    it("keeps reservations across a restart, and a retry after it is held, not counted again", async function () {
      await engine.evaluate(intent("i-1"));
      await engine.close();
      engine = openEngine();
      const retry = await engine.evaluate(intent("i-1"));
      expect(retry.reservation?.state).to.equal("held");
      expect((await engine.evaluate(intent("i-2"))).intent?.exposure_used).to.equal(AMOUNT);
    });

    it("refuses a second engine on the same reservation file", function () {
      let error: unknown;
      try {
        openEngine({ busyTimeoutMs: 0 });
      } catch (e) {
        error = e;
      }
      expect(isFrameworkError(error, "POLICY_RESERVATIONS_UNAVAILABLE"), String(error)).to.be.true;
    });

    it("undoes the reservations of a batch whose audit append fails, and allows nothing", async function () {
      await audit.close();
      const error = await rejection(engine.evaluate(intent("i-1")));
      expect(isFrameworkError(error, "POLICY_ENGINE_AUDIT_FAILED"), String(error)).to.be.true;
      expect(engine.reservation("i-1")).to.be.undefined;
      audit = await openAuditStore({ path: path.join(dir, `audit-${n}.sqlite`) });
    });
  });

  describe("shared parameters", function () {
    it("denies with the guard's reasons, given the version the bundle was approved against", async function () {
      await engine.close();
      const seen: number[] = [];
      engine = openEngine({
        shared: {
          check: (_intent, approved) => {
            seen.push(approved);
            return ["SHARED_CAP_EXCEEDED: 25000000 is above the network cap of 10000000 for EURT"];
          },
        },
      });
      const d = await engine.evaluate(intent("i-1"));
      expect(seen).to.deep.equal([SHARED_VERSION]);
      expect(d.outcome).to.equal("deny");
      expect(codes(d)).to.deep.equal(["SHARED_CAP_EXCEEDED"]);
      expect(engine.reservation("i-1")).to.be.undefined;
    });

    it("denies when the shared parameters cannot be read (fails closed)", async function () {
      await engine.close();
      engine = openEngine({
        shared: {
          check: () => Promise.reject(Object.assign(new Error("rpc down"), { code: "SHARED_PARAMETERS_STALE" })),
        },
      });
      const d = await engine.evaluate(intent("i-1"));
      expect(d.outcome).to.equal("deny");
      expect(d.reasons).to.deep.equal(["SHARED_PARAMETERS_UNAVAILABLE: SHARED_PARAMETERS_STALE"]);
    });
  });

  describe("bundles and shadow mode", function () {
    it("applies a newly activated bundle to the next decision", async function () {
      const strict = withEurtLimit(data, "10000000");
      await registry.activate(await signedBy(unsigned(wasm, strict, 2), [compliance[0], compliance[2]]));
      const d = await engine.evaluate(intent("i-1"));
      expect(codes(d)).to.include("SETTLEMENT_LIMIT_EXCEEDED");
      expect(d.policyVersion?.version).to.equal(2);
    });

    it("remembers the highest activated version across a restart and refuses an older bundle", async function () {
      await registry.activate(await signedBy(unsigned(wasm, data, 5), [compliance[0], compliance[1]]));
      const restarted = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
      expect(restarted.highestVersion).to.equal(5);
      const error = await rejection(restarted.activate(bundle));
      expect(isFrameworkError(error, "POLICY_BUNDLE_VERSION_NOT_RISING"), String(error)).to.be.true;
    });

    it("refuses to start on an audit log whose newer activation record was removed (an older bundle cannot come back)", async function () {
      await registry.activate(await signedBy(unsigned(wasm, data, 5), [compliance[0], compliance[1]]));
      await engine.evaluate(intent("after-v5"));
      let v5 = 0;
      for await (const r of audit.records()) {
        if (r.kind === "bundle_activation" && (r.payload as { version?: number }).version === 5) v5 = r.seq;
      }
      expect(v5).to.be.greaterThan(0);
      await engine.close();
      await audit.close();
      const file = path.join(dir, `audit-${n}.sqlite`);
      const db = new Database(file);
      db.prepare("DELETE FROM audit_log WHERE seq = ?").run(v5);
      db.close();
      audit = await openAuditStore({ path: file });
      engine = openEngine();
      const error = await rejection(PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit }));
      expect(isFrameworkError(error, "POLICY_BUNDLE_AUDIT_UNVERIFIED"), String(error)).to.be.true;
    });

    it("activates again after a restart the bundle that was active last, and only that one", async function () {
      const v2 = await signedBy(unsigned(wasm, withEurtLimit(data, "10000000"), 2), [compliance[0], compliance[1]]);
      await registry.activate(v2);
      await registry.rollback();
      const restarted = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
      expect(restarted.highestVersion).to.equal(2);
      const error = await rejection(restarted.activate(v2));
      expect(isFrameworkError(error, "POLICY_BUNDLE_VERSION_NOT_RISING"), String(error)).to.be.true;
      expect(await restarted.activate(bundle)).to.deep.equal({ version: 1, policyHash: bundle.manifest.policyHash });
      const again = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
      expect((await again.activate(bundle)).version).to.equal(1);
    });

    it("reports every decision where a candidate policy disagrees, without changing any decision", async function () {
      const candidate = await WasmPolicy.load(wasm, withEurtLimit(data, "10000000"));
      engine.startShadow({ label: "limit-10m", policy: candidate });
      const allowed = await engine.evaluate(intent("i-1"));
      const small = await engine.evaluate(intent("i-2", { amount: "5000000" }));
      const malformed = await engine.evaluate({ ...intent("i-3"), amount: "x" });
      expect(allowed.outcome).to.equal("allow");
      expect(allowed.shadow).to.deep.include({ label: "limit-10m", outcome: "deny", agrees: false });
      expect(small.shadow).to.deep.include({ outcome: "allow", agrees: true });
      expect(malformed.shadow).to.be.undefined;
      const report = engine.stopShadow();
      expect(report).to.deep.include({ label: "limit-10m", compared: 2, disagreements: 1 });
      expect(report?.samples.map((s) => [s.intentId, s.active.outcome, s.candidate.outcome])).to.deep.equal([
        ["i-1", "allow", "deny"],
      ]);
      const [record] = await audit.read(allowed.auditSeq, 1);
      expect(record.payload).to.deep.include({ shadow: allowed.shadow });
      expect(engine.shadowReport()).to.be.null;
    });
  });
});
