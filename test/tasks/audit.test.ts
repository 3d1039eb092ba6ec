// Audit and replay tasks on the demo deployment: verify (database, export, against anchored heads), export,
// anchor, each failure as a one-line typed error, and policy:replay of real engine decisions with a candidate.
import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import hre from "hardhat";
import { openAuditStore } from "../../src/audit";
import { ErrorCode } from "../../src/errors";
import { PolicyEngine, PolicyRegistry, readPolicyFiles, writeBundle } from "../../src/policy";
import {
  CHAIN_ID,
  compliance,
  complianceKeys,
  signedBy,
  unsigned,
  withEurtLimit,
  type BankDocument,
} from "../policy/bundles";
import { baseIntent, buildBankPolicy, FRIDAY_11H } from "../policy/helpers";
import { DEMO_CONFIG, expectTaskError, isolateChain, runHuman, runJson, SIGNER } from "./helpers";

describe("audit and replay tasks", function () {
  isolateChain();
  let dir: string;
  let log: string;

  before(async function () {
    await runJson("deploy", { consortiumConfig: DEMO_CONFIG });
    dir = await mkdtemp(path.join(tmpdir(), "audit-tasks-"));
    log = path.join(dir, "bank-a.sqlite");
    // A real log: the bundle activation (seq 1), then four engine decisions through the real bank policy (20m and 25m allowed, 150m needs approval, one malformed).
    const files = await readPolicyFiles(await buildBankPolicy());
    const audit = await openAuditStore({ path: log });
    const registry = await PolicyRegistry.open({ complianceKeys, threshold: 2, chainId: CHAIN_ID, audit });
    await registry.activate(
      await signedBy(unsigned(files.wasm, files.data as BankDocument, 1), compliance.slice(0, 2)),
    );
    const engine = PolicyEngine.open({
      config: { reservationsPath: path.join(dir, "reservations.sqlite") },
      registry,
      audit,
      now: () => FRIDAY_11H,
    });
    for (const [id, amount] of [
      ["t-1", "20000000"],
      ["t-2", "25000000"],
      ["t-3", "150000000"],
    ] as const) {
      const intent: Record<string, unknown> = { ...baseIntent({ intent_id: id, amount }) };
      delete intent.exposure_used;
      await engine.evaluate(intent);
    }
    await engine.evaluate({ action: "settle" });
    await engine.close();
    await audit.close();
    // The candidate lowers Bank B's EURT per-settlement limit to 22m: t-2 would be denied.
    const strict = withEurtLimit(files.data as BankDocument, "22000000");
    await writeBundle(
      path.join(dir, "candidate"),
      await signedBy(unsigned(files.wasm, strict, 2), compliance.slice(0, 2)),
    );
  });

  after(async function () {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("audit:verify passes an intact log and names its head", async function () {
    const result = await runJson("audit:verify", { audit: log });
    expect(result).to.deep.include({ ok: true, count: 5, anchors: 0 });
  });

  it("audit:export writes JSON lines that audit:verify accepts without the database", async function () {
    const file = path.join(dir, "export.jsonl");
    const exported = await runJson<{ count: number }>("audit:export", { audit: log, out: file });
    expect(exported.count).to.equal(5);
    expect(await runJson("audit:verify", { jsonl: file })).to.deep.include({ ok: true, count: 5 });
    const human = await runHuman("audit:verify", { jsonl: file });
    expect(human).to.match(/5 records verify; head 5 [0-9a-f]{64}/);
  });

  it("audit:anchor posts the head on chain, and verify checks the log against it", async function () {
    const anchored = await runJson<{ head: { seq: number } }>("audit:anchor", { audit: log, from: SIGNER.alpha });
    expect(anchored.head.seq).to.equal(5);
    const verified = await runJson("audit:verify", { audit: log, member: "1" });
    expect(verified).to.deep.include({ ok: true, count: 6, anchors: 1 });
  });

  it("audit:verify fails on a tampered record, naming it", async function () {
    const copy = path.join(dir, "tampered.sqlite");
    const db = new Database(log);
    await db.backup(copy);
    db.close();
    const raw = new Database(copy);
    raw.prepare("UPDATE audit_log SET payload = replace(payload, '20000000', '2000000') WHERE seq = 2").run();
    raw.close();
    await expectTaskError(hre.run("audit:verify", { audit: copy }), ErrorCode.AuditVerifyFailed, /record 2 /);
  });

  it("refuses a missing log, both or neither source, and a bad member id", async function () {
    await expectTaskError(hre.run("audit:verify", { audit: path.join(dir, "none.sqlite") }), ErrorCode.ConfigNotFound);
    await expectTaskError(hre.run("audit:verify", {}), ErrorCode.InputMissing);
    const config = path.join(dir, "audit.json");
    await writeFile(config, JSON.stringify({ path: log }));
    await expectTaskError(
      hre.run("audit:export", { audit: log, auditConfig: config, out: "x" }),
      ErrorCode.InputMissing,
    );
    await expectTaskError(hre.run("audit:verify", { audit: log, member: "alpha" }), ErrorCode.InputInvalid);
  });

  it("reads a log named by a configuration file", async function () {
    const config = path.join(dir, "audit-config.json");
    await writeFile(config, JSON.stringify({ path: log }));
    expect(await runJson("audit:verify", { auditConfig: config })).to.deep.include({ ok: true });
    await writeFile(config, "{ not json");
    await expectTaskError(hre.run("audit:verify", { auditConfig: config }), ErrorCode.ConfigMalformed);
  });

  it("policy:replay lists the past decisions a candidate policy would change", async function () {
    const report = await runJson<{
      replayed: number;
      skipped: number;
      changes: Record<string, number>;
      differences: {
        intentId: string;
        recorded: { outcome: string };
        candidate: { outcome: string; reasons: string[] };
      }[];
    }>("policy:replay", { audit: log, candidate: path.join(dir, "candidate") });
    expect(report.replayed).to.equal(3);
    expect(report.skipped).to.equal(1);
    expect(report.changes).to.deep.equal({ "allow->deny": 1, "approval_required->deny": 1 });
    expect(report.differences.map((d) => d.intentId)).to.deep.equal(["t-2", "t-3"]);
    expect(report.differences[0].candidate.reasons[0]).to.match(/^SETTLEMENT_LIMIT_EXCEEDED: /);
    const human = await runHuman("policy:replay", { audit: log, candidate: path.join(dir, "candidate"), fromSeq: "4" });
    expect(human).to.match(/replayed 1 decisions .*: 1 would change/);
    await expectTaskError(
      hre.run("policy:replay", { audit: log, candidate: path.join(dir, "candidate"), fromSeq: "0" }),
      ErrorCode.InputInvalid,
    );
    await expectTaskError(hre.run("policy:replay", { audit: log, candidate: dir }), ErrorCode.PolicyLoadFailed);
  });
});
